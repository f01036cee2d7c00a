"""Rehearse `pulumi up` and `pulumi destroy` of a stack offline, then use what was deployed.

The real program runs for a stack file under Pulumi's mock runtime, whose resource hook acts as a
local engine:

- every Personalize resource (a dynamic resource) is checked and created for real by the dynamic
  provider host, `python -m pulumi.dynamic`, started as the Pulumi CLI starts it, against the
  local Personalize emulator; its real outputs flow into the resources that depend on it;
- the AWS resources the data flow needs (bucket and dataset files, Kinesis stream, SQS queue) are
  created in moto;
- everything else gets deterministic outputs.

Pulumi's runtime registers independent resources concurrently, so creation follows the same
dependency graph, with the same parallelism, as a real `pulumi up`. Then the handlers run as
deployed, with the environment the program gave their functions and requests shaped as API
Gateway and Kinesis deliver them: recommendations for a sample user, events for that user through
the API and the stream, recommendations again. Last, everything is destroyed in reverse
dependency order through the provider host, and the emulator must hold nothing.

    python -m local.rehearsal [--stack dev] [--profile test|real] [--time-scale F] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import csv
import importlib
import io
import json
import logging
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pulumi
from moto.server import ThreadedMotoServer
from pulumi.runtime import rpc

from local.lambda_events import LambdaContext, api_gateway_event, kinesis_event
from local.personalize_emulator import run_emulator
from local.program import (
    ACCOUNT_ID,
    PROJECT,
    ROOT,
    DeterministicMocks,
    StackRun,
    run_program,
    stack_config,
)
from local.provider_host import ProviderHost

DYNAMIC_PREFIX = "pulumi-python:dynamic/personalize:"
CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "rehearsal",
    "AWS_SECRET_ACCESS_KEY": "rehearsal",
}
# The Pulumi runtime runs each registration on the event loop's default executor; a create that
# waits for training holds a thread, so give independent registrations room to run side by side
# as the engine does. The provider host keeps its own limit (4 RPCs at once), as with the CLI.
REGISTRATION_THREADS = 64


class RehearsalError(Exception):
    """The rehearsal found the deployed system not behaving as it should."""


@dataclass
class Step:
    """One resource's creation: when it was asked for and when it was ready."""

    typ: str
    name: str
    started: float
    ready: float
    real: bool

    @property
    def seconds(self) -> float:
        return self.ready - self.started


@dataclass
class Created:
    """A dynamic resource as the engine's state would keep it, for destroy."""

    typ: str
    name: str
    provider: str
    id: str
    outs: dict[str, Any]
    ready: float


@dataclass
class Report:
    stack: str
    profile: str
    time_scale: float
    steps: list[Step] = field(default_factory=list)
    critical_path: list[str] = field(default_factory=list)
    deploy_seconds: float = 0.0
    pipeline_ready_seconds: float = 0.0
    sample_user: str = ""
    genre: str = ""
    watched: list[str] = field(default_factory=list)
    before: list[dict[str, Any]] = field(default_factory=list)
    after: list[dict[str, Any]] = field(default_factory=list)
    forwarded: dict[str, Any] = field(default_factory=dict)
    destroyed: int = 0
    destroy_seconds: float = 0.0
    left_behind: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.left_behind


class LocalEngine(DeterministicMocks):
    """The resource hook of the mock runtime: creates what the rehearsal needs for real."""

    def __init__(
        self, region: str, host: ProviderHost, moto_url: str, clock: Callable[[], float]
    ) -> None:
        super().__init__(region)
        self.host = host
        self.clock = clock
        self.aws = {
            name: boto3.client(name, region_name=region, endpoint_url=moto_url)
            for name in ("s3", "kinesis", "sqs")
        }
        self.steps: list[Step] = []
        self.created: list[Created] = []
        self.lock = threading.Lock()

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        started = self.clock()
        real = True
        resource_id: str | None
        if args.typ.startswith(DYNAMIC_PREFIX):
            resource_id, state = self._create_dynamic(args)
        elif args.typ == "aws:s3/bucket:Bucket":
            resource_id, state = super().new_resource(args)
            self.aws["s3"].create_bucket(Bucket=state["bucket"])
        elif args.typ == "aws:s3/bucketObjectv2:BucketObjectv2":
            resource_id, state = super().new_resource(args)
            source = Path(str(getattr(args.inputs["source"], "path", args.inputs["source"])))
            self.aws["s3"].put_object(
                Bucket=args.inputs["bucket"], Key=args.inputs["key"], Body=source.read_bytes()
            )
        elif args.typ == "aws:kinesis/stream:Stream":
            resource_id, state = super().new_resource(args)
            self.aws["kinesis"].create_stream(
                StreamName=args.inputs["name"], StreamModeDetails={"StreamMode": "ON_DEMAND"}
            )
        elif args.typ == "aws:sqs/queue:Queue":
            resource_id, state = super().new_resource(args)
            url = self.aws["sqs"].create_queue(QueueName=args.inputs["name"])["QueueUrl"]
            state.update(url=url, id=url)
            resource_id = url
        else:
            resource_id, state = super().new_resource(args)
            real = False
        with self.lock:
            self.steps.append(Step(args.typ, args.name, started, self.clock(), real))
        return resource_id, state

    def _create_dynamic(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        # The SDK marks the serialized provider secret; the engine hands it to the host as is.
        plain = {k: rpc.unwrap_rpc_secret(v) for k, v in args.inputs.items()}
        provider = plain.pop("__provider")
        inputs = plain
        checked = self.host.check(provider, inputs, name=args.name)
        if checked["failures"]:
            problems = "; ".join(f"{f['property']}: {f['reason']}" for f in checked["failures"])
            raise RehearsalError(f"{args.typ} {args.name}: check failed: {problems}")
        created = self.host.create(provider, checked["inputs"], name=args.name)
        with self.lock:
            self.created.append(
                Created(args.typ, args.name, provider, created["id"], created["outs"], self.clock())
            )
        return created["id"], created["outs"]


@contextlib.contextmanager
def environment(values: Mapping[str, str | None]) -> Iterator[None]:
    """Set (or, for None, remove) environment variables for a block, then restore them."""

    def apply(settings: Mapping[str, str | None]) -> None:
        for key, value in settings.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value

    saved = {key: os.environ.get(key) for key in values}
    apply(values)
    try:
        yield
    finally:
        apply(saved)


@contextlib.contextmanager
def local_aws() -> Iterator[str]:
    # moto's server logs every request; the report is what the reader wants to see.
    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def critical_path(run: StackRun, steps: list[Step]) -> list[Step]:
    """The chain of resources that decided when the deploy finished.

    From the last resource to be ready, step back each time to whichever resource it waited for
    (directly or through components) became ready last.
    """
    by_key = {(s.typ, s.name): s for s in steps}
    registrations = {(r.typ, r.name): r for r in run.resources if r.custom}
    current = max(steps, key=lambda s: s.ready)
    chain = [current]
    while True:
        registration = registrations.get((current.typ, current.name))
        if registration is None:
            break
        waited = [
            by_key[(a.typ, a.name)]
            for a in run.ancestors(registration)
            if a.custom and (a.typ, a.name) in by_key
        ]
        if not waited:
            break
        current = max(waited, key=lambda s: s.ready)
        chain.append(current)
    return list(reversed(chain))


def sample_user(config_user: str | None) -> str:
    if config_user:
        return config_user
    with (ROOT / "data/interactions.csv").open(newline="") as handle:
        return next(csv.DictReader(handle))["USER_ID"]


def item_genres() -> dict[str, list[str]]:
    with (ROOT / "data/items.csv").open(newline="") as handle:
        return {row["ITEM_ID"]: row["GENRES"].split("|") for row in csv.DictReader(handle)}


def unfamiliar_items(user: str, count: int) -> tuple[str, list[str]]:
    """The genre this user has touched least, and its popular items the user hasn't seen."""
    genres = item_genres()
    seen: set[str] = set()
    popularity: Counter[str] = Counter()
    with (ROOT / "data/interactions.csv").open(newline="") as handle:
        for row in csv.DictReader(handle):
            popularity[row["ITEM_ID"]] += 1
            if row["USER_ID"] == user:
                seen.add(row["ITEM_ID"])
    taste = Counter(g for item in seen for g in genres.get(item, []))
    all_genres = {g for gs in genres.values() for g in gs}
    target = min(sorted(all_genres), key=lambda g: taste[g])
    ranked = [i for i, _ in popularity.most_common() if target in genres.get(i, [])]
    return target, [i for i in ranked if i not in seen][:count]


class DeployedSystem:
    """The stack's functions, invoked in this process with the environment the program set."""

    def __init__(self, run: StackRun, endpoints: Mapping[str, str]) -> None:
        self.endpoints = dict(endpoints)
        self.logs: dict[str, io.StringIO] = {}
        self.functions: dict[str, dict[str, Any]] = {}
        for function in run.of_type("aws:lambda/function:Function"):
            handler = function.inputs["handler"]
            variables = (function.inputs.get("environment") or {}).get("variables") or {}
            self.functions[handler] = dict(variables)
        api_key = next(iter(run.of_type("aws:apigateway/apiKey:ApiKey")), None)
        self.headers = {"x-api-key": api_key.state["value"]} if api_key else {}

    def invoke(self, handler: str, event: dict[str, Any]) -> dict[str, Any]:
        if handler not in self.functions:
            raise RehearsalError(f"the stack has no function with handler {handler}")
        module, _, function = handler.rpartition(".")
        # What a function prints goes to its CloudWatch log group in AWS; here, to its log.
        with (
            environment({**self.endpoints, **self.functions[handler]}),
            contextlib.redirect_stdout(self.logs.setdefault(handler, io.StringIO())),
        ):
            entry = getattr(importlib.import_module(module), function)
            response: dict[str, Any] = entry(event, LambdaContext(function_name=module))
        return response

    def request(
        self, handler: str, method: str, path: str, **kwargs: Any
    ) -> tuple[int, dict[str, Any]]:
        event = api_gateway_event(method, path, headers=self.headers, **kwargs)
        response = self.invoke(handler, event)
        return response["statusCode"], json.loads(response["body"] or "{}")

    def variable(self, handler: str, name: str) -> str:
        return self.functions[handler][name]


def exercise(system: DeployedSystem, report: Report, moto_url: str, region: str) -> None:
    """Recommendations, then events through API and stream, then recommendations again."""
    recommend, ingest, forward = (
        "handlers.recommend.handler",
        "handlers.ingest.handler",
        "handlers.forwarder.handler",
    )
    user = report.sample_user
    query = {"userId": user, "numResults": "10"}

    status, body = system.request(recommend, "GET", "/recommendations", query=query)
    if status != 200:
        raise RehearsalError(f"GET /recommendations answered {status}: {body}")
    report.before = body["recommendations"]

    report.genre, report.watched = unfamiliar_items(user, 5)
    events = [{"itemId": item, "eventType": "watch"} for item in report.watched]
    status, body = system.request(
        ingest, "POST", "/events", body={"userId": user, "events": events}
    )
    if status != 202:
        raise RehearsalError(f"POST /events answered {status}: {body}")

    stream = system.variable(ingest, "STREAM_NAME")
    kinesis = boto3.client("kinesis", region_name=region, endpoint_url=moto_url)
    records: list[dict[str, Any]] = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records += kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"]
    if len(records) != len(events):
        raise RehearsalError(f"{len(events)} events posted but {len(records)} on the stream")
    stream_arn = f"arn:aws:kinesis:{region}:{ACCOUNT_ID}:stream/{stream}"
    result = system.invoke(forward, kinesis_event(records, stream_arn, region=region))
    report.forwarded = {"records": len(records), "failures": result.get("batchItemFailures", [])}
    if result.get("batchItemFailures"):
        raise RehearsalError(f"the forwarder reported failures: {result['batchItemFailures']}")

    status, body = system.request(recommend, "GET", "/recommendations", query=query)
    if status != 200:
        raise RehearsalError(f"GET /recommendations after events answered {status}: {body}")
    report.after = body["recommendations"]
    if [r["itemId"] for r in report.after] == [r["itemId"] for r in report.before]:
        raise RehearsalError("recommendations did not change after the user's events")


def destroy(host: ProviderHost, created: list[Created], report: Report) -> None:
    """Delete in reverse order of readiness: every resource goes before what it depended on."""
    started = time.monotonic()
    for resource in sorted(created, key=lambda c: c.ready, reverse=True):
        host.delete(resource.provider, resource.id, resource.outs, name=resource.name)
        report.destroyed += 1
    report.destroy_seconds = time.monotonic() - started


def rehearse(
    stack: str = "dev",
    profile: str = "test",
    time_scale: float = 1.0,
    overrides: Mapping[str, Any] | None = None,
) -> Report:
    """Deploy, exercise and destroy `stack` locally; the report says what happened.

    Whatever fails, what was created is destroyed; `report.error` and `report.left_behind` say
    whether the rehearsal succeeded (`report.ok`).
    """
    report = Report(stack, profile, time_scale)
    region = "us-east-1"
    # Polls scale with the emulator's clock, so waits cost what they would against the service.
    poll_scale = "0.005" if profile == "test" else f"{time_scale:g}"
    with environment(CREDENTIALS), local_aws() as moto_url, run_emulator(
        profile=profile, time_scale=time_scale, s3_endpoint_url=moto_url
    ) as emulator:  # fmt: skip
        endpoints = {
            **CREDENTIALS,
            **emulator.env(),
            "AWS_DEFAULT_REGION": region,
            "AWS_ENDPOINT_URL_S3": moto_url,
            "AWS_ENDPOINT_URL_KINESIS": moto_url,
            "AWS_ENDPOINT_URL_SQS": moto_url,
        }
        host_env = {**os.environ, **endpoints, "PERSONALIZE_POLL_SCALE": poll_scale}
        host_env.pop("AWS_PROFILE", None)
        with ProviderHost(ROOT, env=host_env, config={"aws:region": region}) as host:
            start = time.monotonic()
            engine = LocalEngine(region, host, moto_url, lambda: time.monotonic() - start)
            try:
                _deploy_and_exercise(report, engine, endpoints, stack, overrides)
            except Exception as error:  # reported, and everything created is still destroyed
                report.error = f"{type(error).__name__}: {error}"
            try:
                destroy(host, engine.created, report)
            except Exception as error:
                report.error = report.error or f"destroy failed: {type(error).__name__}: {error}"
            report.left_behind = emulator.live_resources()
    return report


def _deploy_and_exercise(
    report: Report,
    engine: LocalEngine,
    endpoints: Mapping[str, str],
    stack: str,
    overrides: Mapping[str, Any] | None,
) -> None:
    region = engine.region
    stack_overrides = {"aws:region": region, **(overrides or {})}
    loop = asyncio.new_event_loop()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(REGISTRATION_THREADS))
    asyncio.set_event_loop(loop)
    try:
        with environment(endpoints):
            run = run_program(stack, stack_overrides, mocks=engine)
    finally:
        asyncio.set_event_loop(None)
        loop.close()
    report.steps = sorted(engine.steps, key=lambda s: s.ready)
    report.deploy_seconds = max(s.ready for s in report.steps)
    pipeline = [
        s
        for s in report.steps
        if s.typ
        in (
            f"{DYNAMIC_PREFIX}EventTracker",
            "aws:kinesis/stream:Stream",
            "aws:lambda/function:Function",
            "aws:lambda/eventSourceMapping:EventSourceMapping",
            "aws:apigateway/stage:Stage",
        )
    ]
    report.pipeline_ready_seconds = max(s.ready for s in pipeline)
    report.critical_path = [
        f"{s.typ.rsplit(':', 1)[1]} {s.name}" for s in critical_path(run, report.steps)
    ]

    api_config = json.loads(stack_config(stack).get(f"{PROJECT}:api", "{}"))
    report.sample_user = sample_user(api_config.get("smokeTestUser"))
    system = DeployedSystem(run, endpoints)
    exercise(system, report, endpoints["AWS_ENDPOINT_URL_KINESIS"], region)


def render(report: Report) -> str:
    """The report as plain text."""
    lines = [
        f"Rehearsal of stack {report.stack} (emulator profile {report.profile}, "
        f"time scale {report.time_scale:g})",
        "",
        "Deploy: each resource created locally, from the moment it could start to ready",
        f"  {'seconds':>8}  {'ready at':>8}  resource",
    ]
    for step in report.steps:
        if step.real:
            kind = step.typ.rsplit(":", 1)[1]
            lines.append(f"  {step.seconds:8.2f}  {step.ready:8.2f}  {kind} {step.name}")
    other = sum(1 for s in report.steps if not s.real)
    share = report.pipeline_ready_seconds / report.deploy_seconds if report.deploy_seconds else 0
    lines += [
        f"  (+{other} resources with no local data plane, given deterministic outputs)",
        "",
        f"Deploy finished after {report.deploy_seconds:.2f} s; the event pipeline and API were "
        f"ready after {report.pipeline_ready_seconds:.2f} s ({share:.0%} of the deploy).",
        "Critical path: " + " -> ".join(report.critical_path),
    ]
    if report.before or report.after:
        genres = item_genres()

        def cell(rows: list[dict[str, Any]], index: int) -> str:
            if index >= len(rows):
                return ""
            item = rows[index]["itemId"]
            label = "|".join(genres.get(item, ["?"]))
            return f"{item} {rows[index].get('score') or 0:.4f} {label}"[:44]

        def in_genre(rows: list[dict[str, Any]]) -> int:
            return sum(report.genre in genres.get(r["itemId"], []) for r in rows)

        lines += [
            "",
            f"Recommendations for {report.sample_user}, before and after watching "
            f"{len(report.watched)} {report.genre} titles ({', '.join(report.watched)}):",
            f"  {'#':>2}  {'before':<44}  after",
        ]
        for index in range(max(len(report.before), len(report.after))):
            lines.append(
                f"  {index + 1:>2}  {cell(report.before, index):<44}  {cell(report.after, index)}"
            )
        changed = len({a["itemId"] for a in report.after} - {b["itemId"] for b in report.before})
        lines += [
            f"  {changed} of {len(report.after)} changed; {report.genre} titles in the list: "
            f"{in_genre(report.before)} before, {in_genre(report.after)} after. The forwarder "
            f"sent {report.forwarded.get('records', 0)} records, "
            f"{len(report.forwarded.get('failures', []))} reported for retry.",
        ]
    lines += [
        "",
        f"Destroy: {report.destroyed} Personalize resources deleted in reverse dependency order "
        f"in {report.destroy_seconds:.2f} s; left in the emulator: "
        + (", ".join(report.left_behind) or "nothing"),
    ]
    if report.error:
        lines += ["", f"FAILED: {report.error}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--stack", default="dev", help="stack file to rehearse (Pulumi.<stack>.yaml)"
    )
    parser.add_argument(
        "--profile",
        choices=("test", "real"),
        default="test",
        help="emulator durations: test speed, or the documented real durations times --time-scale",
    )
    parser.add_argument("--time-scale", type=float, default=1.0, help="multiplies every duration")
    parser.add_argument("--json", type=Path, help="also write the report as JSON to this file")
    args = parser.parse_args(argv)
    report = rehearse(args.stack, args.profile, args.time_scale)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2, default=str))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
