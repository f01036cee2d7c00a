"""Kinesis -> Personalize PutEvents, with partial batch responses.

Environment: TRACKING_ID (event tracker), DLQ_URL (SQS queue for malformed records),
POWERTOOLS_SERVICE_NAME (log/metric service name), POWERTOOLS_METRICS_NAMESPACE (optional,
default "PersonalizeRealtime"). Metrics per invocation (Count): RecordsReceived, EventsDelivered,
PutEventsCalls, RecordsRetried, RecordsDeadLettered.

Per batch (one Kinesis shard, records in sequence order):

1. Every record is decoded and validated. A malformed one can never succeed, so it goes to the
   DLQ with its sequence number, raw data and reason, and is NOT reported as a failure (reporting
   it would make Lambda redeliver it forever and stall the shard).
2. Valid events are grouped by (userId, sessionId), keeping their order, and sent with PutEvents,
   up to 10 per call (the API maximum; one user and session per call).
3. A throttled or failed call marks its records, and every later record of the same group, for
   retry (``batchItemFailures``), so a user's events never overtake each other. Other groups still
   go through. If the service rejects a call as invalid, its events are resent one by one so only
   the offending event is dead-lettered.

Lambda retries a shard from the LOWEST reported sequence number: everything after it in the shard
is delivered again, including records of other users that already went through. Those arrive with
the same ``eventId`` (set by ingest, or derived from the record here), which is what keeps a
redelivered event from being counted twice. Malformed records after that point are dead-lettered
again; the DLQ message's sequence number identifies the duplicates.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit
from aws_lambda_powertools.utilities.batch import BasePartialBatchProcessor, EventType
from aws_lambda_powertools.utilities.data_classes.kinesis_stream_event import KinesisStreamRecord

from handlers import aws, env
from handlers.events import StreamEvent, derive_event_id, to_put_events_entry, validate_stream_event
from handlers.upstream import UpstreamError, classify
from handlers.validation import ValidationError

logger = Logger()
# POWERTOOLS_METRICS_NAMESPACE may override; an explicit namespace would otherwise win over it.
metrics = Metrics(namespace=os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or "PersonalizeRealtime")

PUT_EVENTS_MAX = 10
DLQ_BATCH_MAX = 10
DLQ_BATCH_BYTES = 240_000  # below SQS's 256 KiB per SendMessageBatch, with room for JSON
DLQ_DATA_MAX = 200_000  # base64 characters of raw data kept in one DLQ message


@dataclass(frozen=True)
class Decoded:
    sequence: str
    record: dict[str, Any]
    event: StreamEvent | None = None
    reason: str | None = None  # why the record is malformed


@dataclass
class Group:
    user_id: str
    session_id: str
    items: list[Decoded] = field(default_factory=list)


@dataclass
class Outcome:
    delivered: list[str] = field(default_factory=list)
    retry: dict[str, str] = field(default_factory=dict)  # sequence -> reason
    dead: list[tuple[Decoded, str]] = field(default_factory=list)
    calls: int = 0


def decode(record: dict[str, Any]) -> Decoded:
    """Decode and validate one Lambda Kinesis record (never raises for bad data)."""
    kinesis = record.get("kinesis") or {}
    sequence = str(kinesis.get("sequenceNumber", ""))
    raw = kinesis.get("data")
    try:
        data = base64.b64decode(raw if isinstance(raw, str) else "", validate=True)
    except (binascii.Error, ValueError):
        return Decoded(sequence, record, reason="data is not valid base64")
    try:
        obj = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        return Decoded(sequence, record, reason=f"data is not UTF-8 JSON: {exc}")
    try:
        event = validate_stream_event(obj, fallback_event_id=derive_event_id(sequence, data))
    except ValidationError as exc:
        return Decoded(sequence, record, reason=f"{exc.field}: {exc.message}")
    return Decoded(sequence, record, event=event)


def group(decoded: Iterable[Decoded]) -> list[Group]:
    """Valid events by (userId, sessionId), groups in first-seen order, events in record order."""
    groups: dict[tuple[str, str], Group] = {}
    for item in decoded:
        if item.event is None:
            continue
        key = (item.event["userId"], item.event["sessionId"])
        if key not in groups:
            groups[key] = Group(*key)
        groups[key].items.append(item)
    return list(groups.values())


def chunks(items: list[Decoded], size: int = PUT_EVENTS_MAX) -> list[list[Decoded]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def deliver(groups: list[Group], tracking_id: str, put_events: Callable[..., Any]) -> Outcome:
    """Send every group; see the module docstring for the failure rules."""
    outcome = Outcome()
    for grp in groups:
        blocked: UpstreamError | None = None
        for chunk in chunks(grp.items):
            if blocked is None:
                blocked = _send_chunk(grp, chunk, tracking_id, put_events, outcome)
            else:
                for item in chunk:
                    outcome.retry[item.sequence] = _blocked_reason(blocked)
    return outcome


def _send_chunk(
    grp: Group,
    chunk: list[Decoded],
    tracking_id: str,
    put_events: Callable[..., Any],
    outcome: Outcome,
) -> UpstreamError | None:
    """Send one chunk; returns the error that blocks the rest of the group, if any."""
    error = _put(grp, chunk, tracking_id, put_events, outcome)
    if error is None:
        outcome.delivered += [item.sequence for item in chunk]
        return None
    if error.retryable:
        for item in chunk:
            outcome.retry[item.sequence] = f"PutEvents failed: {error.code}"
        return error
    if len(chunk) == 1:
        outcome.dead.append((chunk[0], f"PutEvents rejected the event: {error.message}"))
        return None
    # The whole call was rejected as invalid: find the offending event(s) one at a time.
    for position, item in enumerate(chunk):
        blocked = _send_chunk(grp, [item], tracking_id, put_events, outcome)
        if blocked is not None:
            for later in chunk[position + 1 :]:
                outcome.retry[later.sequence] = _blocked_reason(blocked)
            return blocked
    return None


def _put(
    grp: Group,
    chunk: list[Decoded],
    tracking_id: str,
    put_events: Callable[..., Any],
    outcome: Outcome,
) -> UpstreamError | None:
    outcome.calls += 1
    try:
        put_events(
            trackingId=tracking_id,
            userId=grp.user_id,
            sessionId=grp.session_id,
            eventList=[to_put_events_entry(item.event) for item in chunk if item.event is not None],
        )
    except Exception as exc:
        upstream = classify(exc)
        if upstream is None:
            raise
        if upstream.kind == "invalid_input" and "track" in upstream.message.lower():
            # PutEvents declares only InvalidInputException, and also uses it for a tracking id
            # that is unknown or not ACTIVE yet (the tracker is created while the stream already
            # runs). That is the deployment's state, not the events' fault: retry, don't DLQ.
            upstream = dataclasses.replace(upstream, kind="unavailable", code="TrackerNotReady")
        logger.warning(
            "PutEvents failed",
            extra={
                "code": upstream.code,
                "retryable": upstream.retryable,
                "events": len(chunk),
                "first_sequence": chunk[0].sequence,
            },
        )
        return upstream
    return None


def _blocked_reason(error: UpstreamError) -> str:
    return f"an earlier event of this user failed: {error.code}"


def dead_letter_message(item: Decoded, reason: str) -> str:
    """DLQ body: enough to find, understand and replay the record."""
    kinesis = item.record.get("kinesis") or {}
    raw = kinesis.get("data")
    raw = raw if isinstance(raw, str) else ""
    body = {
        "reason": reason,
        "sequenceNumber": item.sequence,
        "partitionKey": kinesis.get("partitionKey"),
        "eventSourceARN": item.record.get("eventSourceARN"),
        "eventID": item.record.get("eventID"),
        "approximateArrivalTimestamp": kinesis.get("approximateArrivalTimestamp"),
        "data": raw[:DLQ_DATA_MAX],
        "dataTruncated": len(raw) > DLQ_DATA_MAX,
    }
    return json.dumps(body, separators=(",", ":"))


def send_to_dlq(dead: list[tuple[Decoded, str]], queue_url: str, sqs: Any) -> dict[str, str]:
    """Enqueue dead records; returns sequence -> reason for those that could not be enqueued."""
    not_sent: dict[str, str] = {}
    batch: list[tuple[Decoded, str]] = []
    size = 0
    for item, reason in dead:
        message = dead_letter_message(item, reason)
        if batch and (len(batch) == DLQ_BATCH_MAX or size + len(message) > DLQ_BATCH_BYTES):
            not_sent.update(_send_batch(batch, queue_url, sqs))
            batch, size = [], 0
        batch.append((item, message))
        size += len(message)
    if batch:
        not_sent.update(_send_batch(batch, queue_url, sqs))
    return not_sent


def _send_batch(batch: list[tuple[Decoded, str]], queue_url: str, sqs: Any) -> dict[str, str]:
    entries = [{"Id": str(i), "MessageBody": message} for i, (_, message) in enumerate(batch)]
    try:
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
    except Exception as exc:
        upstream = classify(exc)
        if upstream is None:
            raise
        logger.error("DLQ send failed", extra={"code": upstream.code})
        return {item.sequence: f"DLQ send failed: {upstream.code}" for item, _ in batch}
    failed = {}
    for entry in response.get("Failed") or []:
        item = batch[int(entry["Id"])][0]
        failed[item.sequence] = f"DLQ send failed: {entry.get('Code')}"
    return failed


def forward(records: list[dict[str, Any]]) -> dict[str, str]:
    """Process one batch; returns sequence -> reason for every record Lambda must retry."""
    metrics.add_metric(name="RecordsReceived", unit=MetricUnit.Count, value=len(records))
    if not records:
        return {}
    tracking_id = _setting(env.TRACKING_ID)
    queue_url = _setting(env.DLQ_URL)
    decoded = [decode(record) for record in records]
    outcome = deliver(group(decoded), tracking_id, aws.client("personalize-events").put_events)
    dead = [(item, item.reason) for item in decoded if item.reason is not None] + outcome.dead
    for item, reason in dead:
        logger.warning("record dead-lettered", extra={"sequence": item.sequence, "reason": reason})
    retry = dict(outcome.retry)
    # A record the DLQ did not take is retried rather than dropped.
    not_enqueued = send_to_dlq(dead, queue_url, aws.client("sqs")) if dead else {}
    retry.update(not_enqueued)
    metrics.add_metric(name="EventsDelivered", unit=MetricUnit.Count, value=len(outcome.delivered))
    metrics.add_metric(name="PutEventsCalls", unit=MetricUnit.Count, value=outcome.calls)
    metrics.add_metric(name="RecordsRetried", unit=MetricUnit.Count, value=len(retry))
    metrics.add_metric(
        name="RecordsDeadLettered", unit=MetricUnit.Count, value=len(dead) - len(not_enqueued)
    )
    if retry:
        logger.warning("records reported for retry", extra={"count": len(retry)})
    return retry


class GroupedKinesisProcessor(BasePartialBatchProcessor):
    """Powertools partial-batch processor whose unit of work is the whole batch.

    Grouping by user needs every record before the first call, so instead of a per-record handler
    the handler takes all records and names the ones to retry; Powertools builds the
    ``batchItemFailures`` response from that.
    """

    def __init__(self) -> None:
        # Reporting every record when all fail has the same effect as raising (Lambda retries
        # the batch) without an error log per invocation.
        super().__init__(EventType.KinesisDataStreams, raise_on_entire_batch_failure=False)

    def process(self) -> list[tuple[Any, ...]]:
        retry: dict[str, str] = self.handler(self.records)
        results: list[tuple[Any, ...]] = []
        for raw in self.records:
            record = KinesisStreamRecord(raw)
            reason = retry.get(record.kinesis.sequence_number)
            if reason is None:
                results.append(self.success_handler(record, None))
            else:
                error = RetryableRecordError(reason)
                results.append(self.failure_handler(record, (RetryableRecordError, error, None)))
        return results

    def _process_record(self, record: dict[str, Any]) -> Any:
        raise NotImplementedError("records are processed as a batch; see process()")

    async def _async_process_record(self, record: dict[str, Any]) -> Any:
        raise NotImplementedError("records are processed as a batch; see process()")


class RetryableRecordError(Exception):
    """A record Lambda should deliver again."""


processor = GroupedKinesisProcessor()


@metrics.log_metrics
@logger.inject_lambda_context(clear_state=True)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    records = event.get("Records") or []
    with processor(records, forward, context):
        processor.process()
    return dict(processor.response())


def _setting(name: str) -> str:
    value = os.environ.get(name)
    if not value:
        # A deployment mistake: fail the invocation so the batch is retried, not dropped.
        raise RuntimeError(f"environment variable {name} is not set")
    return value
