"""personalize-events: PutEvents, PutItems and PutUsers."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .. import avro, recommender
from ..errors import InvalidInputException
from ..lifecycle import ACTIVE
from ..region import RegionBackend
from ..registry import operation
from .data import extend_history


def _epoch(value: Any) -> float:
    if isinstance(value, int | float):
        return float(value)
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise InvalidInputException(f"sentAt {value!r} is not a timestamp") from None


def _number(value: Any) -> float | None:
    """An eventValue sent in properties: a number or a numeric string; anything else is none."""
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _text(value: Any) -> str | None:
    return None if value is None or value == "" else str(value)


@operation("PutEvents")
def put_events(rb: RegionBackend, p: dict[str, Any]) -> None:
    tracker = next(
        (t for t in rb.of_kind("event-tracker") if t.attrs["trackingId"] == p["trackingId"]),
        None,
    )
    if tracker is None:
        raise InvalidInputException(f"No event tracker with trackingId {p['trackingId']} exists")
    status = rb.status(tracker)
    if status != ACTIVE:
        raise InvalidInputException(
            f"Event tracker for trackingId {p['trackingId']} is not ACTIVE (status: {status})"
        )
    group = tracker.attrs["datasetGroupArn"]
    user = p.get("userId")
    received: list[tuple[tuple[Any, ...], recommender.Interaction | None]] = []
    for n, event in enumerate(p["eventList"], start=1):
        props = event.get("properties")
        parsed: dict[str, Any] = {}
        if props is not None:
            try:
                parsed = json.loads(props)
            except ValueError:
                parsed = {}
                props_ok = False
            else:
                props_ok = isinstance(parsed, dict)
            if not props_ok:
                raise InvalidInputException(
                    f"eventList.{n}.properties must be a JSON object string"
                )
        sent_at = _epoch(event["sentAt"])
        # The developer guide's PutEvents examples send the item and the event value inside
        # properties (camelCase names of the Interactions schema's fields).
        item = event.get("itemId") or _text(parsed.get("itemId"))
        value = event.get("eventValue")
        if value is None:
            value = _number(parsed.get("eventValue"))
        key = (user, p["sessionId"], item, event["eventType"], sent_at, props, value)
        interaction = None
        if user and item:
            interaction = recommender.Interaction(
                user,
                item,
                sent_at,
                event["eventType"],
                None if value is None else float(value),
                impression=tuple(event.get("impression", ())),
                recommendation_id=event.get("recommendationId"),
            )
        received.append((key, interaction))
    keys = rb.event_keys[group]
    for key, interaction in received:
        # Identical events (same timestamp and properties) are kept once, as the service does.
        if key in keys:
            continue
        keys.add(key)
        if interaction is not None:
            rb.events[group].append(interaction)
            extend_history(rb, group, interaction)


# PutItems / PutUsers: the dataset type -> (list member, record id member, schema id field).
_RECORDS = {"Items": ("items", "itemId", "ITEM_ID"), "Users": ("users", "userId", "USER_ID")}


def put_records(rb: RegionBackend, p: dict[str, Any], dataset_type: str) -> None:
    records_key, id_key, id_field = _RECORDS[dataset_type]
    dataset = rb.get(p["datasetArn"], "dataset")
    if dataset.state["type"] != dataset_type:
        raise InvalidInputException(
            f"Dataset {dataset.arn} is a {dataset.state['type']} dataset, not {dataset_type}"
        )
    rb.require_active(dataset, "Dataset")
    schema: avro.AvroSchema = rb.resources[dataset.attrs["schemaArn"]].state["parsed"]
    rows = [
        avro.check_record(schema, id_field, rec[id_key], rec.get("properties"))
        for rec in p[records_key]
    ]
    now = rb.now()
    for row in rows:
        dataset.state["records"][row[id_field]] = row
        dataset.state["record_times"].setdefault(row[id_field], now)


@operation("PutItems")
def put_items(rb: RegionBackend, p: dict[str, Any]) -> None:
    put_records(rb, p, "Items")


@operation("PutUsers")
def put_users(rb: RegionBackend, p: dict[str, Any]) -> None:
    put_records(rb, p, "Users")
