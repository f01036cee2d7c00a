"""Inputs a schema-driven fuzzer does not generate, through the real handlers and local AWS.

Each class of input the contract refuses gets a 4xx naming the field, never a 5xx, and nothing
reaches the stream or the datasets; each class it allows is accepted.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import pytest

from handlers import catalog, ingest, recommend
from handlers.http import MAX_DEPTH
from local.lambda_events import api_gateway_event as api_event
from tests.handlers.conftest import Deployment, Streams, call

HUGE = 10**400  # a JSON integer json.loads turns into a Python int no double can hold
SURROGATE = "\ud800"  # what JSON "\ud800" decodes to: not encodable as UTF-8


def post_events(raw: str, **kwargs: Any) -> tuple[int, Any, dict]:
    return call(ingest.handler, api_event("POST", "/events", raw_body=raw, **kwargs))


def events_body(**event: Any) -> dict[str, Any]:
    return {"userId": "u00001", "events": [{"itemId": "m00001", "eventType": "click", **event}]}


def assert_refused(status: int, body: Any, field: str) -> None:
    assert status == 400, body
    assert body["error"]["field"] == field, body


# ---- huge numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sentAt", "eventValue"])
@pytest.mark.parametrize("value", [HUGE, -HUGE, 10**309])
def test_huge_integers_in_events_are_400(streams: Streams, name: str, value: int) -> None:
    status, body, _ = post_events(json.dumps(events_body(**{name: value})))
    assert_refused(status, body, f"events[0].{name}")
    assert streams.read_all() == []


def test_huge_float_literals_are_400(streams: Streams) -> None:
    # 1e400 parses to inf, which is not a number the contract allows either.
    raw = '{"userId": "u1", "events": [{"itemId": "m1", "eventType": "c", "eventValue": 1e400}]}'
    status, body, _ = post_events(raw)
    assert_refused(status, body, "events[0].eventValue")


def test_an_integer_beyond_the_parser_limit_is_invalid_json(streams: Streams) -> None:
    raw = json.dumps(events_body()).replace(
        '"click"}', '"click", "eventValue": ' + "9" * 5000 + "}"
    )
    status, body, _ = post_events(raw)
    assert status == 400, body
    assert body["error"]["code"] == "InvalidJson"


@pytest.mark.parametrize("value", [str(HUGE), "9" * 19, "1" + "0" * 18])
def test_huge_num_results_is_400(deployed: Deployment, value: str) -> None:
    event = api_event("GET", "/recommendations", query={"userId": "u00001", "numResults": value})
    status, body, _ = call(recommend.handler, event)
    assert_refused(status, body, "numResults")


@pytest.mark.parametrize(
    ("field", "value"), [("YEAR", HUGE), ("YEAR", 2**31), ("CREATION_TIMESTAMP", 2**63)]
)
def test_huge_catalog_numbers_are_rejected_per_record(
    deployed: Deployment, field: str, value: int
) -> None:
    record = {"ITEM_ID": "m1", "GENRES": "Comedy", "YEAR": 1999, "CREATION_TIMESTAMP": 1}
    event = api_event("POST", "/items", body={"items": [{**record, field: value}]})
    status, body, _ = call(catalog.handler, event)
    assert status == 400, body
    assert body["error"]["results"][0]["error"]["field"] == f"items[0].{field}"


# ---- Unicode: digits, surrogates, invalid UTF-8 --------------------------------------------------


@pytest.mark.parametrize("digits", ["\u0665", "\uff15", "\u0967\u0966", "\U0001d7d3"])
def test_non_ascii_digits_are_not_integers(deployed: Deployment, digits: str) -> None:
    assert digits.isdigit() or digits.isdecimal()  # what Python's \d would have matched
    event = api_event("GET", "/recommendations", query={"userId": "u00001", "numResults": digits})
    status, body, _ = call(recommend.handler, event)
    assert_refused(status, body, "numResults")


@pytest.mark.parametrize(
    "raw",
    [
        '{"userId": "u\\ud800", "events": [{"itemId": "m1", "eventType": "click"}]}',
        '{"userId": "u1", "events": [{"itemId": "m1\\udfff", "eventType": "click"}]}',
        '{"userId": "u1", "events": [{"itemId": "m1", "eventType": "c", '
        '"properties": {"k\\ud83d": 1}}]}',
        '{"userId": "u1", "sessionId": "\\udc00", "events": [{"itemId": "m1", "eventType": "c"}]}',
    ],
)
def test_unpaired_surrogates_are_400_and_never_reach_the_stream(streams: Streams, raw: str) -> None:
    status, body, _ = post_events(raw)
    assert status == 400, body
    assert "surrogate" in body["error"]["message"]
    assert streams.read_all() == []


def test_a_surrogate_pair_is_one_character_and_accepted(streams: Streams) -> None:
    raw = '{"userId": "u\\ud83d\\ude00", "events": [{"itemId": "m1", "eventType": "click"}]}'
    status, body, _ = post_events(raw)
    assert status == 202, body
    (record,) = streams.read_all()
    assert json.loads(record["Data"])["userId"] == "u\U0001f600"


def test_a_surrogate_in_a_query_parameter_is_400(deployed: Deployment) -> None:
    event = api_event("GET", "/recommendations", query={"userId": "u" + SURROGATE})
    status, body, _ = call(recommend.handler, event)
    assert_refused(status, body, "userId")


def test_a_surrogate_in_a_catalog_value_is_rejected(deployed: Deployment) -> None:
    raw = '{"items": [{"ITEM_ID": "m1", "GENRES": "x\\ud800", "CREATION_TIMESTAMP": 1}]}'
    status, body, _ = call(catalog.handler, api_event("POST", "/items", raw_body=raw))
    assert status == 400, body


@pytest.mark.parametrize("payload", [b"\xff\xfe{}", b'{"userId": "\xed\xa0\x80"}', b"\xc3"])
def test_invalid_utf8_bodies_are_400(streams: Streams, payload: bytes) -> None:
    event = api_event("POST", "/events", raw_body=base64.b64encode(payload).decode())
    event["isBase64Encoded"] = True
    event["headers"] = {"Content-Type": "application/json"}
    status, body, _ = call(ingest.handler, event)
    assert_refused(status, body, "body")


# ---- null is not absent --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"userId": "u1", "sessionId": None, "events": [{"itemId": "m", "eventType": "c"}]}, None),
        ({"userId": None, "events": [{"itemId": "m", "eventType": "c"}]}, "userId"),
        (events_body(eventId=None), "events[0].eventId"),
        (events_body(sentAt=None), "events[0].sentAt"),
        (events_body(eventValue=None), "events[0].eventValue"),
        (events_body(properties=None), "events[0].properties"),
        (events_body(recommendationId=None), "events[0].recommendationId"),
        (events_body(impression=None), "events[0].impression"),
    ],
)
def test_null_is_refused_where_a_value_is_declared(
    streams: Streams, body: dict[str, Any], field: str | None
) -> None:
    status, result, _ = post_events(json.dumps(body))
    assert_refused(status, result, field or "sessionId")
    assert "null" in result["error"]["message"]
    assert streams.read_all() == []


@pytest.mark.parametrize(
    ("extra", "field"),
    [
        ({"context": None}, "context"),
        ({"filter": None}, "filter"),
        ({"filterValues": None}, "filterValues"),
        ({"context": {"DEVICE": None}}, "context.DEVICE"),
        ({"filter": "by-genre", "filterValues": {"GENRE": None}}, "filterValues.GENRE"),
    ],
)
def test_null_is_refused_in_rankings(deployed: Deployment, extra: dict, field: str) -> None:
    body = {"userId": "u00001", "itemIds": ["m00001", "m00002"], **extra}
    status, result, _ = call(recommend.handler, api_event("POST", "/rankings", body=body))
    assert_refused(status, result, field)


def test_null_for_a_required_catalog_field_is_a_type_error(deployed: Deployment) -> None:
    record = {"ITEM_ID": "m1", "GENRES": None, "CREATION_TIMESTAMP": 1}
    status, body, _ = call(catalog.handler, api_event("POST", "/items", body={"items": [record]}))
    error = body["error"]["results"][0]["error"]
    assert status == 400
    assert error["field"] == "items[0].GENRES"
    assert error["code"] == "InvalidParameter"
    assert "null" in error["message"]


def test_null_where_the_schema_is_nullable_is_accepted(deployed: Deployment) -> None:
    record = {"ITEM_ID": "m1", "GENRES": "Comedy", "YEAR": None, "CREATION_TIMESTAMP": 1}
    status, body, _ = call(catalog.handler, api_event("POST", "/items", body={"items": [record]}))
    assert status == 200, body


# ---- duplicate keys, nesting ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        '{"userId": "u1", "userId": "u2", "events": [{"itemId": "m1", "eventType": "c"}]}',
        '{"userId": "u1", "events": [{"itemId": "m1", "itemId": "m2", "eventType": "c"}]}',
        '{"userId": "u1", "events": [{"itemId": "m1", "eventType": "c", '
        '"properties": {"a": 1, "a": 2}}]}',
    ],
)
def test_duplicate_keys_are_400(streams: Streams, raw: str) -> None:
    status, body, _ = post_events(raw)
    assert status == 400, body
    assert body["error"]["code"] == "InvalidJson"
    assert "duplicate key" in body["error"]["message"]
    assert streams.read_all() == []


def nested(depth: int) -> Any:
    value: Any = 1
    for _ in range(depth):
        value = {"a": value}
    return value


def test_nesting_within_the_limit_reaches_field_validation(streams: Streams) -> None:
    # body, events, the event, then properties: MAX_DEPTH - 3 objects deep from properties on
    # passes the body check, and is then refused by the properties rule (a flat map) by name.
    status, body, _ = post_events(json.dumps(events_body(properties=nested(MAX_DEPTH - 3))))
    assert_refused(status, body, "events[0].properties.a")


@pytest.mark.parametrize("depth", [MAX_DEPTH - 2, 500, 100_000])
def test_deep_nesting_is_400(streams: Streams, depth: int) -> None:
    if depth > 900:  # beyond what json.dumps itself can write
        raw = '{"userId": "u1", "x": ' + "[" * depth + "]" * depth + "}"
    else:
        raw = json.dumps(events_body(properties=nested(depth)))
    status, body, _ = post_events(raw)
    assert_refused(status, body, "body")
    assert streams.read_all() == []


# ---- boundary dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "sent_at",
    [
        946_684_800,  # 2000-01-01T00:00:00Z, the first second allowed
        4_102_444_800,  # 2100-01-01T00:00:00Z, the last
        "2001-01-01T00:00:00+23:59",
        "2098-12-31T23:59:59.999999999-23:59",
        "2024-02-29T12:00:00Z",
        "2026-01-15t10:00:00z",
    ],
)
def test_boundary_dates_inside_the_range_are_accepted(streams: Streams, sent_at: Any) -> None:
    status, body, _ = post_events(json.dumps(events_body(sentAt=sent_at)))
    assert status == 202, body


@pytest.mark.parametrize(
    "sent_at",
    [
        946_684_799.999,
        4_102_444_800.001,
        1_700_000_000_000,  # milliseconds
        "2000-12-31T23:59:59Z",
        "2099-01-01T00:00:00Z",
        "2023-02-29T12:00:00Z",  # not a leap year
        "2026-04-31T00:00:00Z",
        "2026-01-15",
        "20260115T100000Z",
        "2026-01-15T10:00Z",
        "\u0662\u0660\u0662\u0666-01-15T10:00:00Z",
        "2026-01-15T24:00:00Z",
        "2026-01-15T10:00:00",  # no offset: ambiguous
    ],
)
def test_boundary_dates_outside_the_contract_are_400(streams: Streams, sent_at: Any) -> None:
    status, body, _ = post_events(json.dumps(events_body(sentAt=sent_at)))
    assert_refused(status, body, "events[0].sentAt")
    assert streams.read_all() == []


# ---- response shapes -----------------------------------------------------------------------------


def test_catalog_errors_keep_the_error_shape(deployed: Deployment) -> None:
    bad = {"ITEM_ID": "m1", "GENRES": 5, "CREATION_TIMESTAMP": 1}
    status, body, _ = call(catalog.handler, api_event("POST", "/items", body={"items": [bad]}))
    assert status == 400
    error = body["error"]
    # `failed` in an error is always the array POST /events reports, never a catalog count.
    assert set(error) == {"code", "message", "field", "requestId", "results"}
    assert [r["status"] for r in error["results"]] == ["rejected"]


# ---- filters take exactly their placeholders ------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "fragment"),
    [
        ({"filter": "by-genre"}, "filterValues.GENRE", "missing: GENRE"),
        (
            {"filter": "by-genre", "filterValues[GENRE]": "Comedy", "filterValues[OTHER]": "x"},
            "filterValues.OTHER",
            "unknown: OTHER",
        ),
        ({"filterValues[GENRE]": "Comedy"}, "filterValues", "needs a filter"),
    ],
)
def test_a_filter_takes_exactly_its_placeholders(
    deployed: Deployment, monkeypatch: pytest.MonkeyPatch, query: dict, field: str, fragment: str
) -> None:
    monkeypatch.setenv("FILTER_VALUE_KEYS", json.dumps({"by-genre": ["GENRE"]}))
    event = api_event("GET", "/recommendations", query={"userId": "u00001", **query})
    status, body, _ = call(recommend.handler, event)
    assert_refused(status, body, field)
    assert fragment in body["error"]["message"]


def test_a_filter_with_its_placeholders_is_served(
    deployed: Deployment, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FILTER_VALUE_KEYS", json.dumps({"by-genre": ["GENRE"]}))
    query: dict[str, str | list[str]] = {
        "userId": "u00001",
        "filter": "by-genre",
        "filterValues[GENRE]": ["Comedy", "Drama"],
    }
    status, body, _ = call(recommend.handler, api_event("GET", "/recommendations", query=query))
    assert status == 200, body


@pytest.mark.parametrize("count", [11])
def test_filter_value_lists_are_bounded(deployed: Deployment, count: int) -> None:
    body = {
        "userId": "u00001",
        "itemIds": ["m00001"],
        "filter": "by-genre",
        "filterValues": {"GENRE": ["x"] * count},
    }
    status, result, _ = call(recommend.handler, api_event("POST", "/rankings", body=body))
    assert_refused(status, result, "filterValues.GENRE")


def test_integral_floats_are_integers_for_catalog_fields(deployed: Deployment) -> None:
    # JSON has one number type: 1999.0 is the integer 1999 (and JSON Schema agrees).
    record = {"ITEM_ID": "m1", "GENRES": "Comedy", "YEAR": 1999.0, "CREATION_TIMESTAMP": 1.0}
    status, body, _ = call(catalog.handler, api_event("POST", "/items", body={"items": [record]}))
    assert status == 200, body
    bad = {**record, "YEAR": 1999.5}
    status, body, _ = call(catalog.handler, api_event("POST", "/items", body={"items": [bad]}))
    assert status == 400, body


def test_event_properties_are_a_flat_map_of_scalars(streams: Streams) -> None:
    good = {"device": "tv", "rating": 4.5, "count": 10**30, "promo": True}
    status, body, _ = post_events(json.dumps(events_body(properties=good)))
    assert status == 202, body
    stored = json.loads(json.loads(streams.read_all()[0]["Data"])["properties"])
    assert stored == {"device": "tv", "rating": 4.5, "count": 1e30, "promo": True}
    for bad, field in [
        ({"a": [1]}, "events[0].properties.a"),
        ({"a": None}, "events[0].properties.a"),
        ({"bad-key": 1}, "events[0].properties"),
        ({f"k{i}": 1 for i in range(9)}, "events[0].properties"),
    ]:
        status, body, _ = post_events(json.dumps(events_body(properties=bad)))
        assert_refused(status, body, field)


def test_a_comma_in_a_query_value_is_part_of_the_value() -> None:
    from handlers.http import parse_event

    event = api_event("GET", "/recommendations", query={"userId": "a,b"})
    event["multiValueQueryStringParameters"] = None  # only the single-value view
    assert parse_event(event, "r").query == {"userId": ["a,b"]}
