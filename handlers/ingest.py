"""POST /events: validate interaction events and write them to the Kinesis stream.

Environment: STREAM_NAME (required), CORS_ALLOW_ORIGIN (optional).

The stream is the durability point: an event counts as accepted only once Kinesis has acknowledged
its record. PutRecords can fail per record, so failed records are resent (with backoff) and any
that still fail are reported back by index; the response never claims an event it did not store.
"""

from __future__ import annotations

import os
import random
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from handlers import aws, env
from handlers.contract import MAX_EVENTS
from handlers.events import (
    IMPRESSION_MAX,
    RECOMMENDATION_ID_MAX,
    StreamEvent,
    encode,
    normalise_properties,
    parse_sent_at,
)
from handlers.http import HttpError, JsonResponse, Request, dispatch, routes, upstream_http_error
from handlers.upstream import classify
from handlers.validation import (
    ValidationError,
    describe,
    finite_float,
    optional_str,
    reject_nulls,
    reject_unknown,
    require_object,
    require_str,
    string_list,
)

logger = Logger()

PUT_ATTEMPTS = 3  # PutRecords calls per request, counting the first
BODY_FIELDS = frozenset({"userId", "sessionId", "events"})
EVENT_FIELDS = frozenset(
    {
        "eventId",
        "itemId",
        "eventType",
        "sentAt",
        "eventValue",
        "properties",
        "recommendationId",
        "impression",
    }
)


def parse_body(
    body: dict[str, Any],
    *,
    now: Callable[[], float] = time.time,
    new_id: Callable[[], str] = lambda: str(uuid.uuid4()),
) -> list[StreamEvent]:
    """Validate a POST /events body into stream events (ids and defaults filled in)."""
    reject_unknown(body, BODY_FIELDS, "")
    reject_nulls(body, "")
    user_id = require_str(body.get("userId"), "userId")
    raw_session = body.get("sessionId")
    session_id = new_id() if raw_session is None else require_str(raw_session, "sessionId")
    raw_events = body.get("events")
    if not isinstance(raw_events, list):
        if raw_events is None:
            raise ValidationError("events", "events is required", code="MissingParameter")
        raise ValidationError("events", f"events must be an array, got {describe(raw_events)}")
    if not 1 <= len(raw_events) <= MAX_EVENTS:
        raise ValidationError(
            "events", f"events must have 1 to {MAX_EVENTS} entries, got {len(raw_events)}"
        )
    events: list[StreamEvent] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_events):
        where = f"events[{index}]"
        item = require_object(raw, where)
        reject_unknown(item, EVENT_FIELDS, where)
        reject_nulls(item, where)
        event_id = optional_str(item.get("eventId"), f"{where}.eventId") or new_id()
        if event_id in seen:
            raise ValidationError(f"{where}.eventId", f"{where}.eventId repeats an earlier eventId")
        seen.add(event_id)
        sent_at = item.get("sentAt")
        value = item.get("eventValue")
        impression = item.get("impression")
        events.append(
            StreamEvent(
                userId=user_id,
                sessionId=session_id,
                eventId=event_id,
                eventType=require_str(item.get("eventType"), f"{where}.eventType"),
                itemId=require_str(item.get("itemId"), f"{where}.itemId"),
                sentAt=now() if sent_at is None else parse_sent_at(sent_at, f"{where}.sentAt"),
                eventValue=None if value is None else finite_float(value, f"{where}.eventValue"),
                properties=normalise_properties(item.get("properties"), f"{where}.properties"),
                recommendationId=optional_str(
                    item.get("recommendationId"),
                    f"{where}.recommendationId",
                    max_len=RECOMMENDATION_ID_MAX,
                ),
                impression=None
                if impression is None
                else string_list(
                    impression, f"{where}.impression", min_items=1, max_items=IMPRESSION_MAX
                ),
            )
        )
    return events


@dataclass
class PutOutcome:
    accepted: list[int] = field(default_factory=list)
    # index -> (error code, message) for records Kinesis never acknowledged
    failed: dict[int, tuple[str, str]] = field(default_factory=dict)
    error: BaseException | None = None  # a whole-call failure, if that is what stopped us


def put_records(
    events: list[StreamEvent],
    stream_name: str,
    kinesis: Any,
    *,
    attempts: int = PUT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> PutOutcome:
    """Write events with PutRecords, resending only the records that failed."""
    outcome = PutOutcome()
    pending = list(range(len(events)))
    for attempt in range(attempts):
        if attempt:
            sleep(0.05 * 2**attempt * (0.5 + random.random()))  # jitter, not security
        try:
            response = kinesis.put_records(
                StreamName=stream_name,
                Records=[
                    {"Data": encode(events[i]), "PartitionKey": events[i]["userId"]}
                    for i in pending
                ],
            )
        except Exception as exc:
            if classify(exc) is None:
                raise
            outcome.error = exc
            break
        retry: list[int] = []
        for index, result in zip(pending, response["Records"], strict=True):
            if result.get("ErrorCode"):
                outcome.failed[index] = (result["ErrorCode"], result.get("ErrorMessage", ""))
                retry.append(index)
            else:
                outcome.failed.pop(index, None)
                outcome.accepted.append(index)
        pending = retry
        if not pending:
            break
    for index in pending:
        if index not in outcome.failed and outcome.error is not None:
            outcome.failed[index] = ("Unavailable", str(outcome.error))
    outcome.accepted.sort()
    return outcome


def post_events(request: Request) -> JsonResponse:
    events = parse_body(request.json_object())
    stream_name = os.environ.get(env.STREAM_NAME)
    if not stream_name:
        raise HttpError(500, "NotConfigured", "the event stream is not configured (STREAM_NAME)")
    outcome = put_records(events, stream_name, aws.client("kinesis"))
    accepted_ids = [events[i]["eventId"] for i in outcome.accepted]
    body: dict[str, Any] = {
        "accepted": len(accepted_ids),
        "eventIds": accepted_ids,
        "sessionId": events[0]["sessionId"],
    }
    if not outcome.failed:
        return JsonResponse(202, body)
    failed = [
        {"index": i, "eventId": events[i]["eventId"], "code": code, "message": message}
        for i, (code, message) in sorted(outcome.failed.items())
    ]
    logger.warning(
        "events not stored", extra={"failed": len(failed), "accepted": len(accepted_ids)}
    )
    if accepted_ids:
        # Some stored, some not: the client resends only the failed ones (same eventIds).
        return JsonResponse(207, {**body, "failed": failed})
    error = _nothing_stored_error(outcome)
    error.extra.update({"accepted": 0, "eventIds": [], "failed": failed})
    raise error


def _nothing_stored_error(outcome: PutOutcome) -> HttpError:
    if outcome.error is not None:
        upstream = classify(outcome.error)
        if upstream is not None:
            return upstream_http_error(upstream, "the event stream")
    codes = {code for code, _ in outcome.failed.values()}
    if codes <= {"ProvisionedThroughputExceededException"}:
        return HttpError(
            429,
            "TooManyRequests",
            "the event stream is over its throughput; retry after a short wait",
            headers={"Retry-After": "1"},
        )
    return HttpError(502, "UpstreamError", "the event stream did not store the events; retry")


ROUTES = routes("ingest", {"postEvents": post_events})


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dispatch(ROUTES, event, context, logger)
