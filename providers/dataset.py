"""Dataset: one of a dataset group's Interactions, Items or Users tables."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal, get_args

import pulumi

from .client import paginate
from .declaration import DATASET_GROUP_ARN, NAME, Field, Kind
from .provider import PersonalizeProvider
from .resource import KindResource

# CreateDataset's datasetType values this program deploys (custom dataset groups); the stack's
# config and the preview data check import them from here.
DatasetType = Literal["Interactions", "Items", "Users"]
DATASET_TYPES: tuple[DatasetType, ...] = get_args(DatasetType)

DATASET = Kind(
    label="dataset",
    noun="dataset",
    fields={
        "name": NAME,
        "dataset_group_arn": DATASET_GROUP_ARN,
        "dataset_type": Field("datasetType", required=True, choices=DATASET_TYPES),
        "schema_arn": Field("schemaArn", required=True, arn_of="schema", live=True),
    },
    # The ARN is <group>/<TYPE>: one dataset per type per group, whatever its name.
    slot=("dataset_group_arn", "dataset_type"),
)


class DatasetProvider(PersonalizeProvider):
    declaration = DATASET

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        """The group's dataset of this name or this type (the type's slot holds one)."""
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
        # The service reports the type in upper case ("INTERACTIONS").
        found = {**described, "datasetType": str(described.get("datasetType", "")).title()}
        return diffs + super()._mismatches(props, found)


class Dataset(KindResource, module="personalize", name="Dataset"):
    """A Personalize dataset. Changing the group, type, schema or name replaces it."""

    provider_class = DatasetProvider
    name: pulumi.Output[str]
    dataset_group_arn: pulumi.Output[str]
    dataset_type: pulumi.Output[str]
    schema_arn: pulumi.Output[str]
    tags: pulumi.Output[Mapping[str, str] | None]
