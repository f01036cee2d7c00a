"""Event forwarding: the real forwarder against a naive one-call-per-event forwarder.

Both send the same 100-record Kinesis batches to the emulator's PutEvents endpoint through the
same boto3 client, in alternating order, several times; the tables show medians. The emulator
counts the PutEvents calls that actually arrive.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from benchmarks.common import FAKE_CREDENTIALS, REGION, Row, Table, median
from local.rehearsal import environment

BATCH = 100
REPEATS = 7
USER_MIXES = (1, 5, 20, 100)
# Where a burst of one user's events can share calls: PutEvents takes 10 events of one user.
BURST_MIXES = (1, 5)
ACCOUNT = "123456789012"


@dataclass
class LambdaContext:
    """The attributes Powertools reads from Lambda's context object."""

    function_name: str = "forwarder-bench"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:forwarder-bench"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def kinesis_event(users: int, start_sequence: int) -> dict[str, Any]:
    """A Lambda Kinesis event of BATCH records spread round-robin over ``users`` users."""
    now = time.time()
    records = []
    for n in range(BATCH):
        user = f"u{n % users:05d}"
        body = {
            "userId": user,
            "sessionId": f"s-{user}",
            "eventId": str(uuid.uuid4()),
            "eventType": "click",
            "itemId": f"m{(n * 7) % 997:05d}",
            "sentAt": now + n * 0.001,
            "eventValue": None,
            "properties": None,
            "recommendationId": None,
            "impression": None,
        }
        sequence = str(start_sequence + n)
        records.append(
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": user,
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(json.dumps(body).encode()).decode("ascii"),
                    "approximateArrivalTimestamp": now,
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{sequence}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": f"arn:aws:iam::{ACCOUNT}:role/forwarder",
                "awsRegion": REGION,
                "eventSourceARN": f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/bench",
            }
        )
    return {"Records": records}


def naive_forwarder(tracking_id: str, client: Any) -> Callable[[dict[str, Any]], None]:
    """The baseline: decode each record and send it alone, as the seed's consumer did per event."""

    def forward(event: dict[str, Any]) -> None:
        for record in event["Records"]:
            body = json.loads(base64.b64decode(record["kinesis"]["data"]))
            client.put_events(
                trackingId=tracking_id,
                userId=body["userId"],
                sessionId=body["sessionId"],
                eventList=[
                    {
                        "eventId": body["eventId"],
                        "eventType": body["eventType"],
                        "itemId": body["itemId"],
                        "sentAt": body["sentAt"],
                    }
                ],
            )

    return forward


def _wait_active(emu: Any, describe: Callable[[], str], what: str) -> None:
    for _ in range(400):
        status = describe()
        if status == "ACTIVE":
            return
        if "FAILED" in status:
            raise RuntimeError(f"{what} failed to create")
        emu.advance_time(0.5)
        time.sleep(0.005)
    raise RuntimeError(f"{what} did not become ACTIVE")


@dataclass
class Sample:
    seconds: list[float] = field(default_factory=list)
    calls: list[int] = field(default_factory=list)


def run() -> Table:
    import boto3

    from local.personalize_emulator import run_emulator

    with run_emulator() as emu, environment(dict(FAKE_CREDENTIALS)):
        pz = boto3.client("personalize", endpoint_url=emu.url, region_name=REGION)
        group = pz.create_dataset_group(name="bench-forwarding")["datasetGroupArn"]
        _wait_active(
            emu,
            lambda: pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"],
            "dataset group",
        )
        tracker = pz.create_event_tracker(name="bench-forwarding", datasetGroupArn=group)
        tracker_arn = tracker["eventTrackerArn"]
        _wait_active(
            emu,
            lambda: pz.describe_event_tracker(eventTrackerArn=tracker_arn)["eventTracker"][
                "status"
            ],
            "event tracker",
        )
        env = {
            **emu.env(),
            "TRACKING_ID": tracker["trackingId"],
            # Every record is valid, so the forwarder never touches the DLQ; the run checks that
            # no record was dead-lettered or retried.
            "DLQ_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/bench-dlq-unused",
            "POWERTOOLS_SERVICE_NAME": "forwarder-bench",
            "AWS_MAX_ATTEMPTS": "1",
        }
        with environment(env):
            return _measure(emu, tracker["trackingId"])


def _measure(emu: Any, tracking_id: str) -> Table:
    from handlers import aws, forwarder

    aws.reset_clients()
    client = aws.client("personalize-events")
    naive = naive_forwarder(tracking_id, client)
    sequence = 1

    def invoke_real(event: dict[str, Any]) -> None:
        # Powertools prints the metrics (EMF JSON) to stdout, as in Lambda; kept off the table.
        with contextlib.redirect_stdout(io.StringIO()):
            response = forwarder.handler(event, LambdaContext())
        if response.get("batchItemFailures"):
            raise RuntimeError(f"forwarder reported failures: {response['batchItemFailures']}")

    implementations: dict[str, Callable[[dict[str, Any]], None]] = {
        "real": invoke_real,
        "naive": naive,
    }
    # Warm-up: clients, connections and first-call code paths, outside the measurement.
    for implement in implementations.values():
        implement(kinesis_event(5, sequence))
        sequence += BATCH

    rows: list[Row] = []
    for users in USER_MIXES:
        samples = {name: Sample() for name in implementations}
        for rep in range(REPEATS):
            order = list(implementations) if rep % 2 == 0 else list(reversed(implementations))
            for name in order:
                event = kinesis_event(users, sequence)
                sequence += BATCH
                before = emu.call_counts().get("PutEvents", 0)
                start = time.perf_counter()
                implementations[name](event)
                samples[name].seconds.append(time.perf_counter() - start)
                samples[name].calls.append(emu.call_counts().get("PutEvents", 0) - before)
        burst = users in BURST_MIXES
        real_calls = median([float(c) for c in samples["real"].calls]) / BATCH
        naive_calls = median([float(c) for c in samples["naive"].calls]) / BATCH
        real_rate = BATCH / median(samples["real"].seconds)
        naive_rate = BATCH / median(samples["naive"].seconds)
        label = f"{users} user{'s' if users > 1 else ''}"
        rows.append(
            Row(
                f"{label}: PutEvents calls per event",
                real_calls,
                baseline=naive_calls,
                target="<= 0.1" if burst else "",
                checked=real_calls,
            )
        )
        rows.append(
            Row(
                f"{label}: records per second",
                real_rate,
                "rec/s",
                baseline=naive_rate,
                target=">= 5x" if burst else "",
            )
        )
    notes = [
        f"{BATCH}-record batches, users round-robin (one session each), median of {REPEATS} runs.",
        "Baseline: one PutEvents call per record, same boto3 client, same emulator, same run.",
        "Targets apply to same-user bursts (>= 10 events per user); PutEvents takes one user",
        "per call, so a batch of N distinct users needs >= N calls whatever the forwarder does.",
    ]
    return Table("Event forwarding (100-record batches, emulator PutEvents)", rows, notes)


BENCHMARK: Callable[[], Table] = run
