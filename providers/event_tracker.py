"""Event tracker: the ingestion point for real-time events (one per dataset group)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from .client import error_code, paginate
from .declaration import DATASET_GROUP_ARN, NAME, Kind
from .polling import PersonalizeProviderError
from .provider import PersonalizeProvider
from .resource import KindResource

EVENT_TRACKER = Kind(
    label="event tracker",
    noun="event_tracker",
    fields={
        "name": NAME,
        "dataset_group_arn": DATASET_GROUP_ARN,
    },
    parent="dataset_group_arn",
    # A dataset group holds one tracker: a replacement in the same group must go first.
    slot=("dataset_group_arn",),
    outputs={"tracking_id": "trackingId"},
)


class EventTrackerProvider(PersonalizeProvider):
    declaration = EVENT_TRACKER

    def _trackers(self, client: Any, props: dict[str, Any]) -> list[dict[str, Any]]:
        group = props["dataset_group_arn"]
        return list(paginate(client, "list_event_trackers", "eventTrackers", datasetGroupArn=group))

    def _create_or_adopt(self, client: Any, props: dict[str, Any]) -> str:
        try:
            return super()._create_or_adopt(client, props)
        except Exception as exc:
            if error_code(exc.__cause__ or exc) != "LimitExceededException":
                raise
            other = [t.get("name") for t in self._trackers(client, props)]
            raise PersonalizeProviderError(
                f"event tracker {props['name']!r}: dataset group {props['dataset_group_arn']} "
                f"already has an event tracker ({', '.join(map(str, other)) or 'unknown'}) and "
                "holds only one"
            ) from exc

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        trackers = self._trackers(client, props)
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


class EventTracker(KindResource, module="personalize", name="EventTracker"):
    """An event tracker; `tracking_id` is what PutEvents needs."""

    provider_class = EventTrackerProvider
    name: pulumi.Output[str]
    dataset_group_arn: pulumi.Output[str]
    tags: pulumi.Output[Mapping[str, str] | None]
    tracking_id: pulumi.Output[str]
