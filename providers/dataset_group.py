"""Dataset group: the container of datasets, solutions, trackers and filters."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic

from .base import PersonalizeProvider, api_tags, find_by_name


class DatasetGroupProvider(PersonalizeProvider):
    kind = "dataset group"
    inputs: ClassVar[tuple[str, ...]] = ("name",)
    required: ClassVar[tuple[str, ...]] = ("name",)

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        kwargs: dict[str, Any] = {"name": props["name"]}
        if props.get("tags"):
            kwargs["tags"] = api_tags(props["tags"])
        return str(client.create_dataset_group(**kwargs)["datasetGroupArn"])

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        return dict(client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"])

    def _delete(self, client: Any, arn: str) -> None:
        client.delete_dataset_group(datasetGroupArn=arn)

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        return find_by_name(
            client, "list_dataset_groups", "datasetGroups", "datasetGroupArn", props["name"]
        )


class DatasetGroup(pulumi.dynamic.Resource, module="personalize", name="DatasetGroup"):
    """A Personalize dataset group."""

    name: pulumi.Output[str]
    region: pulumi.Output[str]
    tags: pulumi.Output[Mapping[str, str] | None]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        region: pulumi.Input[str],
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"name": name, "region": region, "tags": tags, "arn": None, "status": None}
        super().__init__(DatasetGroupProvider(), resource_name, props, opts)
