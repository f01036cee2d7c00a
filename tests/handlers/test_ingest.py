"""POST /events: validation, the records written to Kinesis (moto), partial PutRecords failures."""

from __future__ import annotations

import json
import time
import uuid
from datetime import UTC, datetime

import pytest

from handlers import aws, ingest
from local.lambda_events import api_gateway_event as api_event
from tests.handlers.conftest import Streams, call


def post(body, **kwargs):
    return call(ingest.handler, api_event("POST", "/events", body=body, **kwargs))


def stored(streams: Streams) -> list[tuple[str, dict]]:
    return [(r["PartitionKey"], json.loads(r["Data"])) for r in streams.read_all()]


def test_events_are_written_in_the_stream_format(streams: Streams):
    body = {
        "userId": "u00001",
        "sessionId": "s-1",
        "events": [
            {"itemId": "m00001", "eventType": "click", "sentAt": 1_700_000_000},
            {
                "itemId": "m00002",
                "eventType": "watch",
                "sentAt": "2024-05-01T12:00:00Z",
                "eventValue": 4.5,
                "properties": {"device": "tv"},
                "recommendationId": "RID-1",
                "impression": ["m00002", "m00003"],
                "eventId": "client-chosen-1",
            },
        ],
    }
    status, result, _ = post(body)
    assert status == 202, result
    assert result["accepted"] == 2
    assert result["sessionId"] == "s-1"
    assert result["eventIds"][1] == "client-chosen-1"
    records = stored(streams)
    assert [key for key, _ in records] == ["u00001", "u00001"]  # partition key = userId
    first, second = (event for _, event in records)
    assert first == {
        "userId": "u00001",
        "sessionId": "s-1",
        "eventId": result["eventIds"][0],
        "eventType": "click",
        "itemId": "m00001",
        "sentAt": 1_700_000_000.0,
        "eventValue": None,
        "properties": None,
        "recommendationId": None,
        "impression": None,
    }
    uuid.UUID(first["eventId"])  # generated ids are UUIDs
    assert second["sentAt"] == datetime(2024, 5, 1, 12, tzinfo=UTC).timestamp()
    assert second["properties"] == '{"device":"tv"}'
    assert second["eventValue"] == 4.5
    assert second["impression"] == ["m00002", "m00003"]
    assert second["eventId"] == "client-chosen-1"


def test_defaults_session_and_sent_at(streams: Streams):
    before = time.time()
    status, result, _ = post({"userId": "u1", "events": [{"itemId": "m1", "eventType": "click"}]})
    assert status == 202
    event = stored(streams)[0][1]
    assert event["sessionId"] == result["sessionId"]
    uuid.UUID(result["sessionId"])
    assert before <= event["sentAt"] <= time.time()


def test_properties_given_as_json_text_are_accepted(streams: Streams):
    item = {"itemId": "m1", "eventType": "click", "properties": '{"a": 1}'}
    status, _, _ = post({"userId": "u1", "events": [item]})
    assert status == 202
    assert stored(streams)[0][1]["properties"] == '{"a":1}'  # checked and written compact


def test_cors_header(streams: Streams, monkeypatch):
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "*")
    _, _, headers = post({"userId": "u1", "events": [{"itemId": "m1", "eventType": "click"}]})
    assert headers["Access-Control-Allow-Origin"] == "*"


EVENT = {"itemId": "m1", "eventType": "click"}


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"events": [EVENT]}, "userId", "userId is required"),
        ({"userId": 7, "events": [EVENT]}, "userId", "must be a string"),
        ({"userId": "u1"}, "events", "events is required"),
        ({"userId": "u1", "events": {}}, "events", "must be an array"),
        ({"userId": "u1", "events": []}, "events", "1 to 10 entries, got 0"),
        ({"userId": "u1", "events": [EVENT] * 11}, "events", "1 to 10 entries, got 11"),
        ({"userId": "u1", "sessionId": "", "events": [EVENT]}, "sessionId", "1 to 256"),
        ({"userId": "u1", "events": [EVENT], "trackingId": "t"}, "trackingId", "unknown field"),
        ({"userId": "u1", "events": ["x"]}, "events[0]", "must be a JSON object"),
        ({"userId": "u1", "events": [{"eventType": "click"}]}, "events[0].itemId", "required"),
        ({"userId": "u1", "events": [{"itemId": "m1"}]}, "events[0].eventType", "required"),
        ({"userId": "u1", "events": [{**EVENT, "itemID": "m"}]}, "events[0].itemID", "unknown"),
        ({"userId": "u1", "events": [{**EVENT, "sentAt": "yesterday"}]}, "events[0].sentAt", "ISO"),
        (
            {"userId": "u1", "events": [{**EVENT, "sentAt": 1_700_000_000_000}]},
            "events[0].sentAt",
            "milliseconds",
        ),
        ({"userId": "u1", "events": [{**EVENT, "sentAt": True}]}, "events[0].sentAt", "epoch"),
        (
            {"userId": "u1", "events": [{**EVENT, "eventValue": "5"}]},
            "events[0].eventValue",
            "number",
        ),
        (
            {"userId": "u1", "events": [{**EVENT, "properties": "[1]"}]},
            "events[0].properties",
            "JSON",
        ),
        ({"userId": "u1", "events": [{**EVENT, "properties": 3}]}, "events[0].properties", "JSON"),
        (
            {"userId": "u1", "events": [{**EVENT, "properties": {"k": "v" * 1100}}]},
            "events[0].properties.k",
            "0 to 40 characters",
        ),
        (
            {"userId": "u1", "events": [{**EVENT, "recommendationId": "r" * 41}]},
            "events[0].recommendationId",
            "1 to 40",
        ),
        (
            {"userId": "u1", "events": [{**EVENT, "impression": []}]},
            "events[0].impression",
            "1 to 25",
        ),
        (
            {"userId": "u1", "events": [{**EVENT, "impression": ["m"] * 26}]},
            "events[0].impression",
            "1 to 25",
        ),
        (
            {"userId": "u1", "events": [{**EVENT, "eventId": "a"}, {**EVENT, "eventId": "a"}]},
            "events[1].eventId",
            "repeats",
        ),
    ],
)
def test_validation_errors_name_the_field(streams: Streams, body, field, fragment):
    status, result, _ = post(body)
    assert status == 400, result
    assert result["error"]["field"] == field
    assert fragment in result["error"]["message"]
    assert streams.read_all() == []  # nothing written for a rejected request


def test_stream_not_configured_is_a_server_error(monkeypatch):
    status, result, _ = post({"userId": "u1", "events": [EVENT]})
    assert status == 500
    assert "STREAM_NAME" in result["error"]["message"]


class FlakyKinesis:
    """PutRecords that fails chosen records a number of times, then stores them."""

    def __init__(self, failures: dict[int, int], error: Exception | None = None):
        self.failures = failures  # event index -> how many attempts fail
        self.error = error
        self.calls: list[list[dict]] = []
        self.stored: list[dict] = []

    def put_records(self, StreamName, Records):  # noqa: N803 - boto3 keyword names
        if self.error is not None and self.calls:
            raise self.error
        self.calls.append(Records)
        results = []
        for record in Records:
            event = json.loads(record["Data"])
            index = int(event["itemId"][1:])
            if self.failures.get(index, 0) > 0:
                self.failures[index] -= 1
                results.append(
                    {
                        "ErrorCode": "ProvisionedThroughputExceededException",
                        "ErrorMessage": "Rate exceeded for shard",
                    }
                )
            else:
                self.stored.append(event)
                results.append({"SequenceNumber": "1", "ShardId": "shardId-000000000000"})
        failed = sum("ErrorCode" in r for r in results)
        return {"FailedRecordCount": failed, "Records": results}


def events(n: int) -> dict:
    return {"userId": "u1", "events": [{"itemId": f"m{i}", "eventType": "click"} for i in range(n)]}


@pytest.fixture
def flaky(monkeypatch):
    monkeypatch.setenv("STREAM_NAME", "events")
    monkeypatch.setattr(ingest.time, "sleep", lambda _: None)

    def install(kinesis):
        monkeypatch.setitem(aws._clients, "kinesis", kinesis)
        return kinesis

    return install


def test_failed_records_are_resent_until_stored(flaky):
    kinesis = flaky(FlakyKinesis({1: 1, 3: 2}))
    status, result, _ = post(events(4))
    assert status == 202, result
    assert result["accepted"] == 4
    assert [len(c) for c in kinesis.calls] == [4, 2, 1]  # only the failed records are resent
    assert sorted(e["itemId"] for e in kinesis.stored) == ["m0", "m1", "m2", "m3"]


def test_records_still_failing_are_reported_not_accepted(flaky):
    kinesis = flaky(FlakyKinesis({2: 99}))
    status, result, _ = post(events(3))
    assert status == 207, result
    assert result["accepted"] == 2
    assert len(result["eventIds"]) == 2
    assert [f["index"] for f in result["failed"]] == [2]
    assert result["failed"][0]["code"] == "ProvisionedThroughputExceededException"
    assert result["failed"][0]["eventId"] not in result["eventIds"]
    assert len(kinesis.calls) == ingest.PUT_ATTEMPTS


def test_nothing_stored_is_429_when_throttled(flaky):
    flaky(FlakyKinesis({0: 99, 1: 99}))
    status, result, headers = post(events(2))
    assert status == 429
    assert headers["Retry-After"] == "1"
    assert result["error"]["accepted"] == 0
    assert len(result["error"]["failed"]) == 2


def test_call_failure_after_partial_success_reports_both(flaky):
    from botocore.exceptions import EndpointConnectionError  # type: ignore[import-untyped, unused-ignore]

    flaky(FlakyKinesis({1: 99}, error=EndpointConnectionError(endpoint_url="http://kinesis")))
    status, result, _ = post(events(2))
    assert status == 207
    assert result["accepted"] == 1
    assert [f["index"] for f in result["failed"]] == [1]


def test_stream_missing_maps_to_upstream_error(streams: Streams, monkeypatch):
    monkeypatch.setenv("STREAM_NAME", "no-such-stream")
    status, result, _ = post(events(1))
    assert status == 503  # ResourceNotFoundException: the stream is not there (yet)
    assert result["error"]["accepted"] == 0
