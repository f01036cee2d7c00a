"""Event trackers: one per dataset group; their tracking ID takes PutEvents."""

from __future__ import annotations

import uuid
from typing import Any

from ..errors import ResourceAlreadyExistsException
from ..region import RegionBackend
from ..registry import operation
from ..resources import Resource


@operation("CreateEventTracker")
def create_event_tracker(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    group = rb.get(p["datasetGroupArn"], "dataset-group", "dataset group")
    name = p["name"]
    rb.unique("event-tracker", name, "Event tracker")
    existing = rb.children("event-tracker", "datasetGroupArn", group.arn)
    if existing:
        # The docs say only that a second tracker for a group is an error; we answer with
        # ResourceAlreadyExistsException (see README, known differences).
        raise ResourceAlreadyExistsException(
            f"Dataset group {group.arn} already has an event tracker ({existing[0].arn}); "
            "only one is allowed per dataset group"
        )
    rb.require_active(group, "Dataset group")
    arn = rb.arn("event-tracker", uuid.uuid4().hex[:8])
    tracking_id = str(uuid.uuid4())
    attrs = {
        "accountId": rb.account_id,
        "trackingId": tracking_id,
        "datasetGroupArn": group.arn,
    }
    rb.add(
        Resource(
            "event-tracker",
            arn,
            name,
            rb.region,
            rb.lifecycle("event-tracker", name, arn=arn),
            attrs,
        ),
        p.get("tags"),
    )
    return {"eventTrackerArn": arn, "trackingId": tracking_id}


def tracker_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view = {"name": r.name, "eventTrackerArn": r.arn, **rb.times(r)}
    view.pop("failureReason", None)
    if not summary:
        view.update(r.attrs)
    return view


@operation("DescribeEventTracker")
def describe_event_tracker(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["eventTrackerArn"], "event-tracker", "event tracker")
    return {"eventTracker": tracker_view(rb, r)}


@operation("ListEventTrackers")
def list_event_trackers(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    found = rb.filtered("event-tracker", p, "datasetGroupArn")
    return rb.page([tracker_view(rb, r, True) for r in found], p, "eventTrackers")


@operation("DeleteEventTracker")
def delete_event_tracker(rb: RegionBackend, p: dict[str, Any]) -> None:
    rb.start_delete(rb.get(p["eventTrackerArn"], "event-tracker", "event tracker"), "Event tracker")
