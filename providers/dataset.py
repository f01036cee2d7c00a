"""Dataset: one of a dataset group's Interactions, Items or Users tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure

from .base import PersonalizeProvider, api_tags, arn_problem, is_unknown, paginate

DATASET_TYPES = ("Interactions", "Items", "Users")


class DatasetProvider(PersonalizeProvider):
    kind = "dataset"
    inputs: ClassVar[tuple[str, ...]] = ("name", "dataset_group_arn", "dataset_type", "schema_arn")
    required: ClassVar[tuple[str, ...]] = inputs

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        kind = inputs.get("dataset_type")
        if kind is not None and not is_unknown(kind) and kind not in DATASET_TYPES:
            failures.append(
                CheckFailure(
                    "dataset_type",
                    f"dataset_type must be one of {', '.join(DATASET_TYPES)}, got {kind!r}",
                )
            )
        for key, resource in (("dataset_group_arn", "dataset-group"), ("schema_arn", "schema")):
            value = inputs.get(key)
            if value is not None and not is_unknown(value):
                problem = arn_problem(value, "personalize", resource)
                if problem:
                    failures.append(CheckFailure(key, f"dataset {key} {problem}"))
        return failures

    def delete_before_replace(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        # The ARN is <group>/<TYPE>: one dataset per type per group, whatever its name.
        same_slot = olds.get("dataset_group_arn") == news.get("dataset_group_arn") and (
            olds.get("dataset_type") == news.get("dataset_type")
        )
        return same_slot or super().delete_before_replace(olds, news)

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        kwargs: dict[str, Any] = {
            "name": props["name"],
            "datasetGroupArn": props["dataset_group_arn"],
            "datasetType": props["dataset_type"],
            "schemaArn": props["schema_arn"],
        }
        if props.get("tags"):
            kwargs["tags"] = api_tags(props["tags"])
        return str(client.create_dataset(**kwargs)["datasetArn"])

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        return dict(client.describe_dataset(datasetArn=arn)["dataset"])

    def _delete(self, client: Any, arn: str) -> None:
        client.delete_dataset(datasetArn=arn)

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        wanted_type = str(props["dataset_type"]).upper()
        for item in paginate(
            client, "list_datasets", "datasets", datasetGroupArn=props["dataset_group_arn"]
        ):
            if item.get("name") == props["name"] or (
                str(item.get("datasetType", "")).upper() == wanted_type
            ):
                return str(item["datasetArn"])
        return None

    def _mismatches(self, props: dict[str, Any], described: dict[str, Any]) -> list[str]:
        diffs = []
        if described.get("name") != props["name"]:
            diffs.append(
                f"name: the group's {props['dataset_type']} dataset is named "
                f"{described.get('name')!r}, wanted {props['name']!r}"
            )
        if str(described.get("datasetType", "")).upper() != str(props["dataset_type"]).upper():
            diffs.append(
                f"dataset_type: wanted {props['dataset_type']!r}, "
                f"found {described.get('datasetType')!r}"
            )
        if described.get("schemaArn") != props["schema_arn"]:
            diffs.append(
                f"schema_arn: wanted {props['schema_arn']!r}, found {described.get('schemaArn')!r}"
            )
        return diffs

    def _live_inputs(self, described: dict[str, Any]) -> dict[str, Any]:
        return {"schema_arn": described["schemaArn"]} if "schemaArn" in described else {}


class Dataset(pulumi.dynamic.Resource, module="personalize", name="Dataset"):
    """A Personalize dataset. Changing the group, type, schema or name replaces it."""

    name: pulumi.Output[str]
    dataset_group_arn: pulumi.Output[str]
    dataset_type: pulumi.Output[str]
    schema_arn: pulumi.Output[str]
    region: pulumi.Output[str]
    tags: pulumi.Output[Mapping[str, str] | None]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        dataset_group_arn: pulumi.Input[str],
        dataset_type: pulumi.Input[str],
        schema_arn: pulumi.Input[str],
        region: pulumi.Input[str],
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "name": name,
            "dataset_group_arn": dataset_group_arn,
            "dataset_type": dataset_type,
            "schema_arn": schema_arn,
            "region": region,
            "tags": tags,
            "arn": None,
            "status": None,
        }
        super().__init__(DatasetProvider(), resource_name, props, opts)
