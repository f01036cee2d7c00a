"""Event tracker: the ingestion point for real-time events (one per dataset group)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure

from .base import (
    PersonalizeProvider,
    PersonalizeProviderError,
    api_tags,
    arn_problem,
    error_code,
    is_unknown,
    paginate,
)


class EventTrackerProvider(PersonalizeProvider):
    kind = "event tracker"
    inputs: ClassVar[tuple[str, ...]] = ("name", "dataset_group_arn")
    required: ClassVar[tuple[str, ...]] = inputs

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        group = inputs.get("dataset_group_arn")
        if group is not None and not is_unknown(group):
            problem = arn_problem(group, "personalize", "dataset-group")
            if problem:
                return [CheckFailure("dataset_group_arn", f"dataset_group_arn {problem}")]
        return []

    def delete_before_replace(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        # A dataset group holds one tracker: a replacement in the same group must go first.
        same_group = olds.get("dataset_group_arn") == news.get("dataset_group_arn")
        return same_group or super().delete_before_replace(olds, news)

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        kwargs: dict[str, Any] = {
            "name": props["name"],
            "datasetGroupArn": props["dataset_group_arn"],
        }
        if props.get("tags"):
            kwargs["tags"] = api_tags(props["tags"])
        return str(client.create_event_tracker(**kwargs)["eventTrackerArn"])

    def _create_or_adopt(self, client: Any, props: dict[str, Any]) -> str:
        try:
            return super()._create_or_adopt(client, props)
        except Exception as exc:
            if error_code(exc.__cause__ or exc) != "LimitExceededException":
                raise
            other = [
                t.get("name")
                for t in paginate(
                    client,
                    "list_event_trackers",
                    "eventTrackers",
                    datasetGroupArn=props["dataset_group_arn"],
                )
            ]
            raise PersonalizeProviderError(
                f"event tracker {props['name']!r}: dataset group {props['dataset_group_arn']} "
                f"already has an event tracker ({', '.join(map(str, other)) or 'unknown'}) and "
                "holds only one"
            ) from exc

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        return dict(client.describe_event_tracker(eventTrackerArn=arn)["eventTracker"])

    def _delete(self, client: Any, arn: str) -> None:
        client.delete_event_tracker(eventTrackerArn=arn)

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        trackers = list(
            paginate(
                client,
                "list_event_trackers",
                "eventTrackers",
                datasetGroupArn=props["dataset_group_arn"],
            )
        )
        for item in trackers:
            if item.get("name") == props["name"]:
                return str(item["eventTrackerArn"])
        if trackers:
            names = ", ".join(repr(t.get("name")) for t in trackers)
            raise PersonalizeProviderError(
                f"event tracker {props['name']!r}: dataset group {props['dataset_group_arn']} "
                f"already has an event tracker named {names} (one per group); delete it or use "
                "that name"
            )
        return None

    def _extra_outputs(
        self, _client: Any, _props: dict[str, Any], described: dict[str, Any]
    ) -> dict[str, Any]:
        return {"tracking_id": described.get("trackingId")}


class EventTracker(pulumi.dynamic.Resource, module="personalize", name="EventTracker"):
    """An event tracker; `tracking_id` is what PutEvents needs."""

    name: pulumi.Output[str]
    dataset_group_arn: pulumi.Output[str]
    region: pulumi.Output[str]
    tags: pulumi.Output[Mapping[str, str] | None]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]
    tracking_id: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        dataset_group_arn: pulumi.Input[str],
        region: pulumi.Input[str],
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "name": name,
            "dataset_group_arn": dataset_group_arn,
            "region": region,
            "tags": tags,
            "arn": None,
            "status": None,
            "tracking_id": None,
        }
        super().__init__(EventTrackerProvider(), resource_name, props, opts)
