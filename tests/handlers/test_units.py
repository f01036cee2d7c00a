"""Pure functions: validation, the stream event format, request parsing, error classification."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError  # type: ignore[import-untyped, unused-ignore]

from handlers import events, http, upstream
from handlers.validation import ValidationError, parse_int, require_str, string_map

ROOT = Path(__file__).resolve().parents[2]


def client_error(code: str, status: int = 400, message: str = "m") -> ClientError:
    return ClientError(
        {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status, "RequestId": "aws-1"},
        },
        "Op",
    )


@pytest.mark.parametrize(
    ("exc", "kind", "retryable"),
    [
        (client_error("ThrottlingException"), "throttled", True),
        (client_error("LimitExceededException"), "throttled", True),
        (client_error("Whatever", 429), "throttled", True),
        (client_error("ProvisionedThroughputExceededException"), "throttled", True),
        (client_error("ResourceNotFoundException", 404), "not_found", True),
        (client_error("ResourceInUseException"), "in_use", True),
        (client_error("InvalidInputException"), "invalid_input", False),
        (client_error("InternalFailure", 500), "unavailable", True),
        (client_error("AccessDeniedException", 403), "unavailable", True),
        (EndpointConnectionError(endpoint_url="http://x"), "unavailable", True),
        (ReadTimeoutError(endpoint_url="http://x"), "unavailable", True),
    ],
)
def test_classify(exc, kind, retryable):
    found = upstream.classify(exc)
    assert found is not None
    assert (found.kind, found.retryable) == (kind, retryable)


def test_classify_ignores_non_aws_errors():
    assert upstream.classify(ValueError("x")) is None


@pytest.mark.parametrize(
    ("kind", "status"),
    [
        ("throttled", 429),
        ("not_found", 503),
        ("in_use", 503),
        ("invalid_input", 400),
        ("unavailable", 502),
    ],
)
def test_upstream_http_status(kind, status):
    err = upstream.UpstreamError(kind, "C", "m", None, None)
    assert http.upstream_http_error(err, "x").status == status


def test_parse_int():
    assert parse_int("25", "n", low=1, high=500) == 25
    # Only ASCII digits: no sign, no padding, no other script's digits (Python's \d takes them).
    for bad in (
        *("0", "501", "1.5", "", "1e3", True, None, 2.0, "9" * 30),
        *(" 7 ", "+7", "\u0665", "\uff15", "\u0967\u0966"),
    ):
        with pytest.raises(ValidationError) as info:
            parse_int(bad, "numResults", low=1, high=500)
        assert info.value.field == "numResults"
        assert "numResults must be an integer from 1 to 500, got" in info.value.message


def test_require_str_and_maps():
    assert require_str("u1", "userId") == "u1"
    with pytest.raises(ValidationError, match="userId is required"):
        require_str(None, "userId")
    with pytest.raises(ValidationError, match="control characters"):
        require_str("a\x07", "userId")
    assert string_map({"A_1": "x"}, "context", max_entries=2, key_max=5, value_max=3) == {
        "A_1": "x"
    }
    with pytest.raises(ValidationError, match="at most 2 entries"):
        string_map({"a": "1", "b": "2", "c": "3"}, "context", max_entries=2, key_max=5, value_max=3)
    with pytest.raises(ValidationError) as info:
        string_map({"a": 1}, "context", max_entries=2, key_max=5, value_max=3)
    assert info.value.field == "context.a"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (1_700_000_000, 1_700_000_000.0),
        (1_700_000_000.5, 1_700_000_000.5),
        ("2023-11-14T22:13:20Z", 1_700_000_000.0),
        ("2023-11-14T23:13:20+01:00", 1_700_000_000.0),
    ],
)
def test_sent_at(value, expected):
    assert events.parse_sent_at(value, "sentAt") == expected


@pytest.mark.parametrize(
    "value",
    [
        *("soon", "", 0, -5, 1e20, float("nan"), "0001-01-01T00:00:00+05:00"),
        "2023-11-14T22:13:20",  # no offset: ambiguous, refused
    ],
)
def test_bad_sent_at(value):
    with pytest.raises(ValidationError):
        events.parse_sent_at(value, "sentAt")


def test_stream_event_round_trip_and_put_events_entry():
    record = {
        "userId": "u",
        "sessionId": "s",
        "eventId": "e",
        "eventType": "click",
        "itemId": "m",
        "sentAt": 1_700_000_000,
        "eventValue": 2,
        "properties": '{"a":1}',
        "recommendationId": "r",
        "impression": ["m", "n"],
    }
    event = events.validate_stream_event(json.loads(json.dumps(record)))
    assert json.loads(events.encode(event)) == {
        **record,
        "sentAt": 1_700_000_000.0,
        "eventValue": 2.0,
    }
    entry = events.to_put_events_entry(event)
    assert entry["sentAt"].timestamp() == 1_700_000_000
    assert {k for k in entry if k != "sentAt"} == {
        "eventId",
        "eventType",
        "itemId",
        "eventValue",
        "properties",
        "recommendationId",
        "impression",
    }
    minimal = events.to_put_events_entry(
        events.validate_stream_event(
            {"userId": "u", "sessionId": "s", "eventType": "t", "sentAt": 1.7e9},
            fallback_event_id="derived",
        )
    )
    assert set(minimal) == {"eventId", "eventType", "sentAt"}
    assert minimal["eventId"] == "derived"


def test_derived_event_ids_are_stable_and_distinct():
    one = events.derive_event_id("49590338271490256608559692538361571095921575989136588898", b"{}")
    assert one == events.derive_event_id(
        "49590338271490256608559692538361571095921575989136588898", b"{}"
    )
    assert one != events.derive_event_id("2", b"{}")
    assert len(one) <= 256


def test_request_parsing_tolerates_odd_events():
    request = http.parse_event(
        {
            "httpMethod": "get",
            "resource": None,
            "path": "/recommendations/",
            "headers": {"X-A": "1", "Bad": None},
            "queryStringParameters": {"a": "1", "b": None},
            "multiValueQueryStringParameters": {"a": ["0", "1"], "c": "not-a-list"},
        },
        "req",
    )
    assert request.method == "GET"
    assert request.path == "/recommendations"
    assert request.headers == {"x-a": "1"}
    assert request.query == {"a": ["0", "1"]}
    assert request.param("a") == "1"


def test_deep_object_parameters():
    request = http.parse_event(
        {
            "httpMethod": "GET",
            "path": "/",
            "multiValueQueryStringParameters": {
                "filterValues[G]": ["a"],
                "filterValues.G": ["b"],
                "filterValues.H": ["c"],
                "filterValuesX": ["no"],
                "filterValues[]": ["no"],
            },
        },
        "req",
    )
    assert request.prefixed("filterValues") == {"G": ["a", "b"], "H": ["c"]}


def test_importing_a_handler_does_not_import_boto3():
    """Keeps import (and route-table loading) cheap; boto3 loads when the first client is built."""
    code = (
        "import sys, handlers.forwarder, handlers.ingest, handlers.recommend, handlers.catalog; "
        "print('boto3' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"
