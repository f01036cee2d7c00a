"""The forwarder on real Kinesis records (moto) and real PutEvents calls (the emulator)."""

from __future__ import annotations

import base64
import json
import uuid
from collections import Counter
from collections.abc import Sequence
from typing import Any

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from handlers import aws, forwarder, ingest
from handlers.events import StreamEvent, encode
from local.lambda_events import LambdaContext
from local.lambda_events import api_gateway_event as api_event
from tests.handlers.conftest import Deployment, Streams, call

BASE = 1_710_000_000.0
USERS = [f"fw-user-{n}" for n in range(5)]


def stream_event(user: str, n: int, session: str = "s1", **extra: Any) -> StreamEvent:
    event = StreamEvent(
        userId=user,
        sessionId=session,
        eventId=f"{user}-{session}-{n}",
        eventType="click",
        itemId=f"m{n % 120 + 1:05d}",
        sentAt=BASE + n,  # distinct times: the service keeps same-time duplicates once
        eventValue=None,
        properties=None,
        recommendationId=None,
        impression=None,
    )
    event.update(extra)  # type: ignore[typeddict-item]
    return event


class PutEventsSpy:
    """Wraps the real PutEvents client: records each call, can inject faults for one user."""

    def __init__(self, real: Any, emulator: Any):
        self.real = real
        self.emulator = emulator
        self.calls: list[tuple[str, str, list[str], bool]] = []
        self.faults: dict[tuple[str, int], str | int] = {}  # (userId, nth call of that user)
        self.invalid_event_ids: set[str] = set()
        self.per_user: Counter[str] = Counter()

    def put_events(self, **kwargs: Any) -> Any:
        user = kwargs["userId"]
        nth = self.per_user[user]
        self.per_user[user] += 1
        ids = [e["eventId"] for e in kwargs["eventList"]]
        fault = self.faults.get((user, nth))
        if fault is not None:
            self.emulator.fail_next("PutEvents", 1, fault)
        try:
            if self.invalid_event_ids & set(ids):
                raise ClientError(
                    {
                        "Error": {"Code": "InvalidInputException", "Message": "bad event"},
                        "ResponseMetadata": {"HTTPStatusCode": 400},
                    },
                    "PutEvents",
                )
            result = self.real.put_events(**kwargs)
        except Exception:
            self.calls.append((user, kwargs["sessionId"], ids, False))
            raise
        self.calls.append((user, kwargs["sessionId"], ids, True))
        return result

    def delivered(self) -> list[str]:
        return [i for _, _, ids, ok in self.calls if ok for i in ids]


class Harness:
    def __init__(self, deployed: Deployment, streams: Streams, spy: PutEventsSpy):
        self.deployed = deployed
        self.streams = streams
        self.spy = spy

    def put(self, events: Sequence[StreamEvent | bytes]) -> None:
        records = [
            {"Data": e, "PartitionKey": "raw"}
            if isinstance(e, bytes)
            else {"Data": encode(e), "PartitionKey": e["userId"]}
            for e in events
        ]
        for start in range(0, len(records), 500):
            self.streams.kinesis.put_records(
                StreamName=self.streams.stream_name, Records=records[start : start + 500]
            )

    def batch(self) -> dict[str, Any]:
        return self.streams.lambda_event(self.streams.read_all())

    def run(self, event: dict[str, Any]) -> list[str]:
        """Invoke the forwarder; returns the sequence numbers it reported for retry."""
        response = forwarder.handler(event, LambdaContext())
        return [f["itemIdentifier"] for f in response["batchItemFailures"]]


@pytest.fixture
def fw(deployed: Deployment, streams: Streams, monkeypatch: pytest.MonkeyPatch) -> Harness:
    spy = PutEventsSpy(aws.client("personalize-events"), deployed.emulator)
    monkeypatch.setitem(aws._clients, "personalize-events", spy)
    return Harness(deployed, streams, spy)


def seqs(event: dict[str, Any], predicate: Any = lambda d: True) -> list[str]:
    out = []
    for record in event["Records"]:
        try:
            data = json.loads(base64.b64decode(record["kinesis"]["data"]))
        except ValueError:
            data = None
        if predicate(data):
            out.append(record["kinesis"]["sequenceNumber"])
    return out


def round_robin(per_user: int, users: list[str] = USERS) -> list[StreamEvent]:
    return [stream_event(u, n) for n in range(per_user) for u in users]


# ---- batching ----------------------------------------------------------------------------


def test_events_from_the_ingest_handler_are_forwarded(fw: Harness):
    body = {
        "userId": "fw-ingest",
        "sessionId": "web-1",
        "events": [{"itemId": f"m{n:05d}", "eventType": "watch"} for n in range(1, 4)],
    }
    status, result, _ = call(ingest.handler, api_event("POST", "/events", body=body))
    assert status == 202
    before = fw.deployed.put_events_calls()
    assert fw.run(fw.batch()) == []
    assert fw.deployed.put_events_calls() - before == 1
    assert fw.spy.delivered() == result["eventIds"]


def test_same_user_batch_is_sent_ten_events_per_call(fw: Harness):
    fw.put([stream_event("fw-solo", n) for n in range(25)])
    before = fw.deployed.put_events_calls()
    assert fw.run(fw.batch()) == []
    assert fw.deployed.put_events_calls() - before == 3
    assert [len(ids) for _, _, ids, _ in fw.spy.calls] == [10, 10, 5]


def test_100_records_from_5_users_cost_at_most_10_calls(fw: Harness):
    events = round_robin(20)
    fw.put(events)
    before = fw.deployed.put_events_calls()
    assert fw.run(fw.batch()) == []
    assert fw.deployed.put_events_calls() - before <= 10
    assert len(fw.spy.calls) == 10
    assert all(len({u for u, _, _, _ in fw.spy.calls[i : i + 1]}) == 1 for i in range(10))
    # Per-user order is the stream's order.
    for user in USERS:
        sent = [i for u, _, ids, _ in fw.spy.calls if u == user for i in ids]
        assert sent == [e["eventId"] for e in events if e["userId"] == user]


def test_sessions_of_one_user_are_separate_calls(fw: Harness):
    fw.put([stream_event("fw-multi", n, session=f"s{n % 2}") for n in range(6)])
    assert fw.run(fw.batch()) == []
    assert sorted((s, len(ids)) for _, s, ids, _ in fw.spy.calls) == [("s0", 3), ("s1", 3)]


# ---- partial failure ---------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["ThrottlingException", "LimitExceededException", 500, 503])
def test_a_failed_group_is_reported_and_the_others_go_through(fw: Harness, fault):
    fw.put(round_robin(20))
    fw.spy.faults[("fw-user-2", 0)] = fault
    event = fw.batch()
    reported = fw.run(event)
    assert reported == seqs(event, lambda d: d["userId"] == "fw-user-2")
    delivered = set(fw.spy.delivered())
    for user in USERS:
        user_ids = {f"{user}-s1-{n}" for n in range(20)}
        assert (user_ids <= delivered) is (user != "fw-user-2")


def test_later_events_of_a_failed_group_are_held_back(fw: Harness):
    fw.put(round_robin(20))
    fw.spy.faults[("fw-user-1", 1)] = "ThrottlingException"  # its second chunk of ten
    event = fw.batch()
    reported = fw.run(event)
    later = {f"fw-user-1-s1-{n}" for n in range(10, 20)}
    assert reported == seqs(event, lambda d: d["eventId"] in later)
    assert {f"fw-user-1-s1-{n}" for n in range(10)} <= set(fw.spy.delivered())


def test_every_record_is_delivered_reported_or_dead_lettered(fw: Harness):
    events: list[StreamEvent | bytes] = [*round_robin(6)]
    events.insert(3, b"not json")
    events.insert(9, json.dumps({"userId": "fw-user-0"}).encode())
    events.append(b"\xff\xfe")
    fw.put(events)
    fw.spy.faults[("fw-user-4", 0)] = "ThrottlingException"
    event = fw.batch()
    reported = set(fw.run(event))
    dead = {m["sequenceNumber"] for m in fw.streams.dlq_messages()}
    delivered_ids = set(fw.spy.delivered())
    delivered = set(
        seqs(event, lambda d: isinstance(d, dict) and d.get("eventId") in delivered_ids)
    )
    everything = set(seqs(event))
    assert len(everything) == 33
    assert delivered | reported | dead == everything
    assert len(delivered) + len(reported) + len(dead) == len(everything)  # no record counted twice
    assert len(dead) == 3
    assert len(reported) == 6


def test_retry_of_a_partially_failed_batch_loses_nothing_and_counts_nothing_twice(fw: Harness):
    # Fresh users: the emulator remembers events of earlier tests and would dedupe against them.
    users = [f"fw-retry-{uuid.uuid4().hex[:8]}-{n}" for n in range(5)]
    events = round_robin(10, users)
    fw.put(events)
    fw.spy.faults[(users[3], 0)] = "ThrottlingException"
    stored_before = len(fw.deployed.interactions())
    first = fw.batch()
    reported = fw.run(first)
    assert reported
    # Lambda retries the shard from the lowest reported sequence number: everything after it
    # comes again, including other users' records that were already delivered.
    lowest = min(int(s) for s in reported)
    retry = {
        "Records": [r for r in first["Records"] if int(r["kinesis"]["sequenceNumber"]) >= lowest]
    }
    assert len(retry["Records"]) > len(reported)
    assert fw.run(retry) == []
    delivered = Counter(fw.spy.delivered())
    assert set(delivered) == {e["eventId"] for e in events}  # none lost
    assert any(n > 1 for n in delivered.values())  # some were sent twice, with the same eventId
    # ...and the service counted each event once.
    assert len(fw.deployed.interactions()) - stored_before == len(events)


# ---- malformed records and service rejections --------------------------------------------


def test_malformed_records_go_to_the_dlq_and_are_not_retried(fw: Harness):
    bad = [
        b"not json",
        b"\xff\xfe\x00",
        b"[1, 2]",
        json.dumps({"sessionId": "s", "eventType": "click", "sentAt": BASE}).encode(),
        encode(stream_event("fw-bad", 1, sentAt=1_700_000_000_000)),
        encode(stream_event("fw-bad", 2, trackingId="client-chosen")),
    ]
    fw.put([stream_event("fw-good", 0), *bad, stream_event("fw-good", 1)])
    event = fw.batch()
    assert fw.run(event) == []
    messages = sorted(fw.streams.dlq_messages(), key=lambda m: int(m["sequenceNumber"]))
    assert len(messages) == len(bad)
    assert [base64.b64decode(m["data"]) for m in messages] == bad
    reasons = [m["reason"] for m in messages]
    assert "not UTF-8 JSON" in reasons[0]
    assert "not UTF-8 JSON" in reasons[1]
    assert "record must be a JSON object" in reasons[2]
    assert "userId is required" in reasons[3]
    assert "sentAt" in reasons[4]
    assert "trackingId" in reasons[5]
    for message in messages:
        assert message["eventSourceARN"] == fw.streams.stream_arn
        assert message["dataTruncated"] is False
    assert fw.spy.delivered() == ["fw-good-s1-0", "fw-good-s1-1"]


def test_an_event_the_service_rejects_is_isolated_and_dead_lettered(fw: Harness):
    events = [stream_event("fw-iso", n) for n in range(12)]
    fw.put(events)
    fw.spy.invalid_event_ids.add("fw-iso-s1-4")
    assert fw.run(fw.batch()) == []
    assert [len(ids) for _, _, ids, _ in fw.spy.calls] == [10, *[1] * 10, 2]
    assert fw.spy.delivered() == [e["eventId"] for e in events if e["eventId"] != "fw-iso-s1-4"]
    (message,) = fw.streams.dlq_messages()
    assert "rejected" in message["reason"]
    assert json.loads(base64.b64decode(message["data"]))["eventId"] == "fw-iso-s1-4"


def test_unknown_tracking_id_is_retried_not_dead_lettered(fw: Harness, monkeypatch):
    monkeypatch.setenv("TRACKING_ID", "not-a-tracker")
    fw.put([stream_event("fw-t", n) for n in range(3)])
    event = fw.batch()
    assert fw.run(event) == seqs(event)
    assert fw.streams.dlq_messages() == []


def test_a_record_the_dlq_does_not_take_is_retried(fw: Harness, monkeypatch):
    monkeypatch.setenv("DLQ_URL", fw.streams.queue_url + "-missing")
    fw.put([b"garbage", stream_event("fw-d", 0)])
    event = fw.batch()
    assert fw.run(event) == [event["Records"][0]["kinesis"]["sequenceNumber"]]
    assert fw.spy.delivered() == ["fw-d-s1-0"]


def test_a_record_without_event_id_gets_a_stable_one(fw: Harness):
    event = stream_event("fw-noid", 0)
    data = {k: v for k, v in event.items() if k != "eventId"}
    fw.put([json.dumps(data).encode()])
    batch = fw.batch()
    assert fw.run(batch) == []
    assert fw.run(batch) == []
    first, second = fw.spy.delivered()
    assert first == second
    assert first.startswith("kin-")


def test_whole_batch_failure_reports_every_record(fw: Harness):
    fw.put([stream_event("fw-all", n) for n in range(3)])
    fw.spy.faults[("fw-all", 0)] = 500
    event = fw.batch()
    assert fw.run(event) == seqs(event)


def test_missing_settings_fail_the_invocation(fw: Harness, monkeypatch):
    monkeypatch.delenv("TRACKING_ID")
    fw.put([stream_event("fw-cfg", 0)])
    with pytest.raises(RuntimeError, match="TRACKING_ID"):
        fw.run(fw.batch())


def test_empty_batch():
    assert forwarder.handler({"Records": []}, LambdaContext()) == {"batchItemFailures": []}


# ---- pure functions ----------------------------------------------------------------------


def kinesis_record(data: bytes, seq: str) -> dict[str, Any]:
    return {"kinesis": {"sequenceNumber": seq, "data": base64.b64encode(data).decode()}}


def test_group_and_chunks_keep_order():
    records = [
        kinesis_record(encode(stream_event(u, n)), str(i))
        for i, (u, n) in enumerate([("a", 0), ("b", 0), ("a", 1), ("a", 2), ("b", 1)])
    ]
    groups = forwarder.group(forwarder.decode(r) for r in records)
    assert [(g.user_id, [d.sequence for d in g.items]) for g in groups] == [
        ("a", ["0", "2", "3"]),
        ("b", ["1", "4"]),
    ]
    assert [len(c) for c in forwarder.chunks(list(range(23)))] == [10, 10, 3]  # type: ignore[arg-type]


def test_decode_never_raises():
    bad = {"kinesis": {"sequenceNumber": "9", "data": "***"}}
    assert forwarder.decode(bad).reason == "data is not valid base64"
    assert forwarder.decode({}).reason is not None


def test_dead_letter_message_truncates_huge_data():
    item = forwarder.decode(kinesis_record(b"x" * 300_000, "5"))
    message = json.loads(forwarder.dead_letter_message(item, "too big"))
    assert message["dataTruncated"] is True
    assert len(message["data"]) == forwarder.DLQ_DATA_MAX
