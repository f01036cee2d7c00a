"""The interaction event as it travels on the Kinesis stream (written by ingest, read by forwarder).

One JSON object per record::

    {"userId": str, "sessionId": str, "eventId": str, "eventType": str, "itemId": str | null,
     "sentAt": float epoch seconds, "eventValue": float | null, "properties": str | null,
     "recommendationId": str | null, "impression": [str] | null}

Limits follow the PutEvents model in botocore, so an event that passes here is one Personalize
accepts and a record that fails here is rejected before it can block its shard.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import UTC, datetime
from typing import Any, TypedDict

from handlers.validation import (
    ValidationError,
    check_key,
    describe,
    finite_float,
    optional_str,
    reject_unknown,
    require_object,
    require_str,
    string_list,
    to_float,
)

PROPERTIES_MAX = 1024  # PutEvents Event.properties
# Bounds for one properties object sent to the API, chosen so its compact JSON text always fits
# PROPERTIES_MAX: 1 + KEYS * (4 quotes/colon/comma + KEY_MAX + value) <= 1024, where a string
# value (no control characters) is at most 2 * VALUE_MAX + 2 characters once escaped, and a
# number at most 24 (the repr of a double; integers up to 2**53 are shorter).
PROPERTIES_KEYS = 8
PROPERTIES_KEY_MAX = 32
PROPERTIES_VALUE_MAX = 40
RECOMMENDATION_ID_MAX = 40
IMPRESSION_MAX = 25
# Anything before 2000 or after 2100 is a unit mistake (usually milliseconds), not a real time.
SENT_AT_MIN = 946_684_800.0
SENT_AT_MAX = 4_102_444_800.0
# sentAt as text: an RFC 3339 date-time in ASCII digits, with its offset (a time without one is
# ambiguous), in years 2001-2098 so that every offset keeps it inside SENT_AT_MIN..SENT_AT_MAX.
# The OpenAPI document publishes this pattern as is.
SENT_AT_PATTERN = (
    r"^20(0[1-9]|[1-8][0-9]|9[0-8])-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])"
    r"[Tt]([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9](\.[0-9]{1,9})?"
    r"([Zz]|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
SENT_AT_TEXT = re.compile(SENT_AT_PATTERN)

STREAM_FIELDS = frozenset(
    {
        "userId",
        "sessionId",
        "eventId",
        "eventType",
        "itemId",
        "sentAt",
        "eventValue",
        "properties",
        "recommendationId",
        "impression",
    }
)


class StreamEvent(TypedDict):
    userId: str
    sessionId: str
    eventId: str
    eventType: str
    itemId: str | None
    sentAt: float
    eventValue: float | None
    properties: str | None
    recommendationId: str | None
    impression: list[str] | None


def parse_sent_at(value: Any, field: str) -> float:
    """Epoch seconds from a number or an RFC 3339 date-time (with its offset)."""
    bad = (
        f"{field} must be epoch seconds or an RFC 3339 (ISO 8601) date-time from 2001 to 2098, "
        f"got {describe(value)}"
    )
    if isinstance(value, str):
        if not SENT_AT_TEXT.fullmatch(value):
            raise ValidationError(field, bad)
        try:
            moment = datetime.fromisoformat(value.upper())
        except ValueError:  # a day the month does not have
            raise ValidationError(field, bad) from None
        return moment.timestamp()  # within range by the pattern's years
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValidationError(field, bad)
    seconds = to_float(value)
    if seconds is None or not SENT_AT_MIN <= seconds <= SENT_AT_MAX:
        too_big = seconds is not None and seconds > SENT_AT_MAX
        hint = " (milliseconds? send seconds)" if too_big else ""
        raise ValidationError(
            field,
            f"{field} must be a time between 2000-01-01 and 2100-01-01 in epoch seconds, "
            f"got {describe(value)}{hint}",
        )
    return seconds


def normalise_properties(value: Any, field: str, *, strict: bool = True) -> str | None:
    """Event properties as compact JSON text, from an object or a string holding one.

    ``strict`` (the API) also holds the object to what PutEvents documents: a flat map of
    property names (letters, digits, underscores) to strings, numbers or booleans, at most
    PROPERTIES_KEYS entries of bounded size, so that its text always fits PROPERTIES_MAX. The
    forwarder reads what the API wrote and only checks the length.
    """
    if value is None:
        return None
    if isinstance(value, str):
        try:
            parsed = json.loads(value, parse_constant=_no_constant)
        except (ValueError, RecursionError):
            raise ValidationError(
                field, f"{field} must be a JSON object or its JSON text, got {describe(value)}"
            ) from None
    else:
        parsed = value
    if not isinstance(parsed, dict):
        raise ValidationError(
            field, f"{field} must be a JSON object or its JSON text, got {describe(parsed)}"
        )
    if strict:
        parsed = _flat_properties(parsed, field)
    try:
        text = json.dumps(parsed, separators=(",", ":"), allow_nan=False, ensure_ascii=False)
    except (ValueError, TypeError, RecursionError):
        raise ValidationError(field, f"{field} must hold only finite JSON values") from None
    if isinstance(value, str) and not strict:
        text = value
    if not 1 <= len(text) <= PROPERTIES_MAX:
        raise ValidationError(
            field, f"{field} as JSON text must be 1 to {PROPERTIES_MAX} characters, got {len(text)}"
        )
    return text


def _flat_properties(properties: dict[str, Any], field: str) -> dict[str, Any]:
    if len(properties) > PROPERTIES_KEYS:
        raise ValidationError(
            field, f"{field} may have at most {PROPERTIES_KEYS} entries, got {len(properties)}"
        )
    flat: dict[str, Any] = {}
    for key, item in properties.items():
        check_key(key, field, PROPERTIES_KEY_MAX)
        where = f"{field}.{key}"
        if isinstance(item, str):
            flat[key] = require_str(item, where, max_len=PROPERTIES_VALUE_MAX, min_len=0)
        elif isinstance(item, bool):
            flat[key] = item
        elif isinstance(item, int | float):
            number = finite_float(item, where)
            # Integers past a double's exact range are written as the double they equal.
            flat[key] = item if isinstance(item, int) and abs(item) <= 2**53 else number
        else:
            raise ValidationError(
                where, f"{where} must be a string, number or boolean, got {describe(item)}"
            )
    return flat


def validate_stream_event(obj: Any, *, fallback_event_id: str | None = None) -> StreamEvent:
    """Check a decoded stream record; ``fallback_event_id`` fills a missing eventId."""
    data = require_object(obj, "record")
    reject_unknown(data, STREAM_FIELDS, "")
    event_id = data.get("eventId")
    if event_id is None:
        event_id = fallback_event_id
    impression = data.get("impression")
    event_value = data.get("eventValue")
    return StreamEvent(
        userId=require_str(data.get("userId"), "userId"),
        sessionId=require_str(data.get("sessionId"), "sessionId"),
        eventId=require_str(event_id, "eventId"),
        eventType=require_str(data.get("eventType"), "eventType"),
        itemId=optional_str(data.get("itemId"), "itemId"),
        sentAt=parse_sent_at(data.get("sentAt"), "sentAt"),
        eventValue=None if event_value is None else finite_float(event_value, "eventValue"),
        properties=normalise_properties(data.get("properties"), "properties", strict=False),
        recommendationId=optional_str(
            data.get("recommendationId"), "recommendationId", max_len=RECOMMENDATION_ID_MAX
        ),
        impression=None
        if impression is None
        else string_list(impression, "impression", min_items=1, max_items=IMPRESSION_MAX),
    )


def derive_event_id(sequence_number: str, data: bytes) -> str:
    """A stable id for a record that arrived without one: same record, same id on every retry."""
    digest = hashlib.sha256(sequence_number.encode() + b"\0" + data).hexdigest()
    return f"kin-{digest[:40]}"


def encode(event: StreamEvent) -> bytes:
    return json.dumps(event, separators=(",", ":"), allow_nan=False).encode("utf-8")


def to_put_events_entry(event: StreamEvent) -> dict[str, Any]:
    """One PutEvents ``eventList`` entry (userId and sessionId go on the call)."""
    entry: dict[str, Any] = {
        "eventId": event["eventId"],
        "eventType": event["eventType"],
        "sentAt": datetime.fromtimestamp(event["sentAt"], tz=UTC),
    }
    if event["itemId"] is not None:
        entry["itemId"] = event["itemId"]
    if event["eventValue"] is not None:
        entry["eventValue"] = event["eventValue"]
    if event["properties"] is not None:
        entry["properties"] = event["properties"]
    if event["recommendationId"] is not None:
        entry["recommendationId"] = event["recommendationId"]
    if event["impression"] is not None:
        entry["impression"] = list(event["impression"])
    return entry


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")
