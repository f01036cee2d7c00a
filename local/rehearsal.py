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
Gateway and Kinesis deliver them, exercising every route the stack configures with requests
derived from its own config and data (`local/exercise.py`).

Each `--then FILE` is then applied as `pulumi up` applies a changed stack file: Check and Diff of
every Personalize resource through the provider host against the state the engine keeps;
unchanged, updated in place, or replaced (create-before-delete unless the provider asks
otherwise); replaced and removed resources deleted last, newest first; campaigns called all along
to find any serving gap; the stack exercised again. Last, everything is destroyed in reverse
dependency order through the provider host, and the emulator must hold nothing.

    python -m local.rehearsal [--stack dev|PATH] [--then FILE ...] [--profile test|real]
                              [--time-scale F] [--json FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import contextlib
import importlib
import io
import itertools
import json
import logging
import os
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pulumi
from moto.server import ThreadedMotoServer
from pulumi.runtime import rpc

from components import preflight
from components.config import ConfigError, StackConfig
from components.data_check import DataCheckError
from local.exercise import Exercise, StackData, run_exercise
from local.lambda_events import LambdaContext, api_gateway_event
from local.personalize_emulator import run_emulator
from local.program import (
    ACCOUNT_ID,
    ROOT,
    DeterministicMocks,
    StackRun,
    load_config,
    run_program,
    stack_file,
)
from local.provider_host import ProviderHost, ProviderHostError

DYNAMIC_PREFIX = "pulumi-python:dynamic/personalize:"
PERSONALIZE_KINDS = (
    "DatasetGroup",
    "Schema",
    "Dataset",
    "DatasetImportJob",
    "Solution",
    "SolutionVersion",
    "Campaign",
    "EventTracker",
    "Filter",
)
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
    """A dynamic resource as the engine's state keeps it: for updates and destroy."""

    typ: str
    name: str
    provider: str
    id: str
    inputs: dict[str, Any]
    outs: dict[str, Any]
    ready: float

    @property
    def label(self) -> str:
        return f"{self.typ.rsplit(':', 1)[1]} {self.name}"


@dataclass
class Serving:
    """Requests made to the campaigns that stayed, all through an update."""

    calls: int = 0
    failures: list[str] = field(default_factory=list)


@dataclass
class UpdateStep:
    """One `pulumi up` of a changed stack file, as the engine would plan and apply it."""

    file: str
    seconds: float = 0.0
    # "Kind name" -> unchanged / updated / replaced / created / deleted
    changes: dict[str, str] = field(default_factory=dict)
    serving: Serving = field(default_factory=Serving)
    exercise: Exercise | None = None


@dataclass
class Report:
    stack: str
    profile: str
    time_scale: float
    steps: list[Step] = field(default_factory=list)
    critical_path: list[str] = field(default_factory=list)
    deploy_seconds: float = 0.0
    pipeline_ready_seconds: float = 0.0
    exercise: Exercise | None = None
    updates: list[UpdateStep] = field(default_factory=list)
    destroyed: int = 0
    destroy_seconds: float = 0.0
    left_behind: list[str] = field(default_factory=list)
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None and not self.left_behind


class LocalEngine(DeterministicMocks):
    """The resource hook of the mock runtime: creates (or updates) what the rehearsal needs.

    It keeps state between program runs as the engine does between `pulumi up`s: a second run
    checks and diffs each dynamic resource against its state through the provider host, then
    leaves it, updates it in place or replaces it.
    """

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
        # Dynamic resources by (type, name): the state now, and before this run.
        self.state: dict[tuple[str, str], Created] = {}
        self.previous: dict[tuple[str, str], Created] = {}
        # Every resource's inputs by (type, name), now and before this run.
        self.inputs: dict[tuple[str, str], dict[str, Any]] = {}
        self.previous_inputs: dict[tuple[str, str], dict[str, Any]] = {}
        self.actions: dict[str, str] = {}
        self.replaced: list[Created] = []  # deleted once the run has moved their dependents
        self.local_names: set[tuple[str, str]] = set()  # moto resources that exist
        # Stream records already delivered to the forwarder: the stream outlives an update.
        self.delivered: set[str] = set()
        self.lock = threading.Lock()

    @property
    def created(self) -> list[Created]:
        """Everything that exists: after a failed update, also what it had not yet moved."""
        pending = [c for key, c in self.previous.items() if key not in self.state]
        current = {id(c) for c in self.state.values()}
        replaced = [c for c in self.replaced if id(c) not in current]
        return [*self.state.values(), *pending, *replaced]

    def begin_update(self) -> None:
        """Start the next `pulumi up`: what exists becomes the state to diff against."""
        self.previous, self.state = self.state, {}
        self.previous_inputs, self.inputs = self.inputs, {}
        self.actions, self.replaced, self.steps = {}, [], []

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        started = self.clock()
        real = True
        resource_id: str | None
        comparable = {k: _comparable(v) for k, v in args.inputs.items() if k != "__provider"}
        with self.lock:
            self.inputs[(args.typ, args.name)] = comparable
        if args.typ.startswith(DYNAMIC_PREFIX):
            resource_id, state = self._dynamic(args)
        elif args.typ == "aws:s3/bucket:Bucket":
            resource_id, state = super().new_resource(args)
            self._once(args, lambda: self.aws["s3"].create_bucket(Bucket=state["bucket"]))
        elif args.typ == "aws:s3/bucketObjectv2:BucketObjectv2":
            resource_id, state = super().new_resource(args)
            source = Path(str(getattr(args.inputs["source"], "path", args.inputs["source"])))
            self.aws["s3"].put_object(
                Bucket=args.inputs["bucket"], Key=args.inputs["key"], Body=source.read_bytes()
            )
        elif args.typ == "aws:kinesis/stream:Stream":
            resource_id, state = super().new_resource(args)
            self._once(
                args,
                lambda: self.aws["kinesis"].create_stream(
                    StreamName=args.inputs["name"], StreamModeDetails={"StreamMode": "ON_DEMAND"}
                ),
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

    def _once(self, args: pulumi.runtime.MockResourceArgs, create: Callable[[], Any]) -> None:
        with self.lock:
            exists = (args.typ, args.name) in self.local_names
            self.local_names.add((args.typ, args.name))
        if not exists:
            create()

    def _dynamic(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str, dict]:
        # The SDK marks the serialized provider secret; the engine hands it to the host as is.
        plain = {k: rpc.unwrap_rpc_secret(v) for k, v in args.inputs.items()}
        provider = plain.pop("__provider")
        key = (args.typ, args.name)
        old = self.previous.get(key)
        checked = self.host.check(provider, plain, olds=old.inputs if old else None, name=args.name)
        if checked["failures"]:
            problems = "; ".join(f"{f['property']}: {f['reason']}" for f in checked["failures"])
            raise RehearsalError(f"{args.typ} {args.name}: check failed: {problems}")
        news = checked["inputs"]
        if old is None:
            action, resource = "created", self._create(args, provider, news)
        else:
            diff = self.host.diff(provider, old.id, old.outs, news, name=args.name)
            if diff["changes"] == "DIFF_NONE":
                action, resource = "unchanged", old
            elif not diff["replaces"]:
                outs = self.host.update(provider, old.id, old.outs, news, name=args.name)
                action = "updated"
                resource = Created(args.typ, args.name, provider, old.id, news, outs, self.clock())
            elif diff["delete_before_replace"]:
                self.host.delete(old.provider, old.id, old.outs, name=args.name)
                with self.lock:
                    del self.previous[key]
                action, resource = "replaced", self._create(args, provider, news)
            else:
                # Create-before-delete: the old one goes after its dependents have moved.
                action, resource = "replaced", self._create(args, provider, news)
                with self.lock:
                    self.replaced.append(old)
        with self.lock:
            self.state[key] = resource
            self.actions[resource.label] = action
        return resource.id, resource.outs

    def _create(
        self, args: pulumi.runtime.MockResourceArgs, provider: str, inputs: dict[str, Any]
    ) -> Created:
        created = self.host.create(provider, inputs, name=args.name)
        return Created(
            args.typ, args.name, provider, created["id"], inputs, created["outs"], self.clock()
        )

    def finish_update(self) -> list[Created]:
        """What `pulumi up` deletes last: replaced resources and those that left the program,
        newest first, so each goes before what it depended on."""
        gone = [c for key, c in self.previous.items() if key not in self.state]
        for resource in gone:
            self.actions[resource.label] = "deleted"
        doomed = sorted(self.replaced + gone, key=lambda c: c.ready, reverse=True)
        for resource in doomed:
            self.host.delete(resource.provider, resource.id, resource.outs, name=resource.name)
            with self.lock:
                self.replaced = [c for c in self.replaced if c is not resource]
                self.previous = {k: c for k, c in self.previous.items() if c is not resource}
        return doomed

    def other_changes(self) -> dict[str, str]:
        """Resources with no local provider, compared by their inputs."""
        changes: dict[str, str] = {}
        for key in sorted(set(self.inputs) | set(self.previous_inputs)):
            if key[0].startswith(DYNAMIC_PREFIX):
                continue
            label = f"{key[0].rsplit(':', 1)[1]} {key[1]}"
            if key not in self.previous_inputs:
                changes[label] = "created"
            elif key not in self.inputs:
                changes[label] = "deleted"
            else:
                same = self.inputs[key] == self.previous_inputs[key]
                changes[label] = "unchanged" if same else "updated"
        return changes


def _comparable(value: Any) -> Any:
    """Inputs as values that compare equal when the engine would see no change: assets and
    archives by what they hold, not by object identity."""
    if isinstance(value, pulumi.AssetArchive):
        return {"archive": {k: _comparable(v) for k, v in value.assets.items()}}
    if isinstance(value, pulumi.FileAsset | pulumi.FileArchive):
        path = Path(str(value.path))
        return {"file": str(path), "bytes": path.read_bytes() if path.is_file() else None}
    if isinstance(value, pulumi.StringAsset):
        return {"text": value.text}
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


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


def stream_reader(
    system: DeployedSystem, moto_url: str, region: str, seen: set[str]
) -> Callable[[], tuple[list[Any], str, str]]:
    """Reads what the ingest function put on its stream, as Lambda's poller would deliver it:
    only records not in `seen` (sequence numbers already delivered), which it then adds."""

    def read() -> tuple[list[Any], str, str]:
        stream = system.variable("handlers.ingest.handler", "STREAM_NAME")
        kinesis = boto3.client("kinesis", region_name=region, endpoint_url=moto_url)
        records: list[dict[str, Any]] = []
        for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
            iterator = kinesis.get_shard_iterator(
                StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
            )["ShardIterator"]
            records += kinesis.get_records(ShardIterator=iterator, Limit=1000)["Records"]
        fresh = [r for r in records if r["SequenceNumber"] not in seen]
        seen.update(r["SequenceNumber"] for r in records)
        return fresh, f"arn:aws:kinesis:{region}:{ACCOUNT_ID}:stream/{stream}", region

    return read


def destroy(host: ProviderHost, created: list[Created], report: Report) -> None:
    """Delete in reverse order of readiness: every resource goes before what it depended on."""
    started = time.monotonic()
    for resource in sorted(created, key=lambda c: c.ready, reverse=True):
        host.delete(resource.provider, resource.id, resource.outs, name=resource.name)
        report.destroyed += 1
    report.destroy_seconds = time.monotonic() - started


class ServingProbe:
    """Calls every campaign that exists before an update, over and over, while it runs.

    The README promises that a campaign switch (an update in place to a new model version)
    never stops serving; a campaign that is replaced or removed is expected to stop.
    """

    def __init__(
        self,
        engine: LocalEngine,
        config: StackConfig,
        user: str,
        items: list[str],
        endpoints: Mapping[str, str],
    ) -> None:
        self.runtime = boto3.client(
            "personalize-runtime",
            region_name=engine.region,
            endpoint_url=endpoints["AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME"],
        )
        routes = {config.name(m.name): m.route for m in config.models}
        self.campaigns = {
            c.label: (str(c.outs["arn"]), routes.get(str(c.outs.get("name")), "recommendations"))
            for c in engine.state.values()
            if c.typ.endswith(":Campaign")
        }
        self.user, self.items = user, items
        self.failures: dict[str, list[str]] = {}
        self.calls = 0
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _ask(self, arn: str, route: str) -> None:
        if route == "rankings":
            self.runtime.get_personalized_ranking(
                campaignArn=arn, userId=self.user, inputList=self.items
            )
        elif route == "similar-items":
            self.runtime.get_recommendations(campaignArn=arn, itemId=self.items[0])
        else:
            self.runtime.get_recommendations(campaignArn=arn, userId=self.user)

    def _run(self) -> None:
        while not self.stop.is_set():
            for label, (arn, route) in self.campaigns.items():
                try:
                    self._ask(arn, route)
                except Exception as error:  # every failure is a gap, whatever its kind
                    self.failures.setdefault(label, []).append(f"{type(error).__name__}")
                self.calls += 1
            self.stop.wait(0.02)

    def __enter__(self) -> ServingProbe:
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()

    def result(self, actions: Mapping[str, str]) -> Serving:
        """Gaps on campaigns that stayed (unchanged or switched in place) are failures."""
        serving = Serving(calls=self.calls)
        for label, failures in sorted(self.failures.items()):
            if actions.get(label) in ("unchanged", "updated"):
                serving.failures.append(f"{label}: {len(failures)} failed ({failures[0]})")
        return serving


def describe(error: Exception) -> str:
    """One line for the report: a provider's error without the traceback around it."""
    if isinstance(error, ProviderHostError):
        lines = [line for line in error.details.splitlines() if line.strip()]
        return f"{error.method} failed: {lines[-1] if lines else error.code.name}"
    return f"{type(error).__name__}: {error}"


def rehearse(
    stack: str = "dev",
    profile: str = "test",
    time_scale: float = 1.0,
    *,
    overrides: Mapping[str, Any] | None = None,
    then: Sequence[Path] = (),
    file: Path | None = None,
) -> Report:
    """Deploy, exercise, apply each changed stack file in `then`, and destroy `stack` locally.

    `file` is the stack file to deploy first (default: Pulumi.<stack>.yaml in the project).

    Whatever fails, what was created is destroyed; `report.error` and `report.left_behind` say
    whether the rehearsal succeeded (`report.ok`).
    """
    report = Report(stack, profile, time_scale)
    # Each changed stack file is checked as its preview would check it, before the first deploy:
    # a mistake in one is reported at once, not after the stack it changes has been deployed.
    for changed in then:
        try:
            preflight.check_stack(load_config(stack, overrides, changed))
        except (ConfigError, DataCheckError) as error:
            report.error = f"{changed}: {describe(error)}"
            return report
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
                _deploy_and_exercise(report, engine, endpoints, stack, overrides, file)
                files = [file or stack_file(stack), *then]
                for before, after in itertools.pairwise(files):
                    _update(report, engine, endpoints, stack, overrides, (before, after))
            except Exception as error:  # reported, and everything created is still destroyed
                report.error = describe(error)
            try:
                destroy(host, engine.created, report)
            except Exception as error:
                report.error = report.error or f"destroy failed: {describe(error)}"
            report.left_behind = emulator.live_resources()
    return report


def _run(
    engine: LocalEngine,
    endpoints: Mapping[str, str],
    stack: str,
    overrides: Mapping[str, Any] | None,
    file: Path | None = None,
) -> StackRun:
    stack_overrides = {"aws:region": engine.region, **(overrides or {})}
    loop = asyncio.new_event_loop()
    loop.set_default_executor(concurrent.futures.ThreadPoolExecutor(REGISTRATION_THREADS))
    asyncio.set_event_loop(loop)
    try:
        with environment(endpoints):
            return run_program(stack, stack_overrides, mocks=engine, file=file)
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def _exercise(
    run: StackRun, config: StackConfig, endpoints: Mapping[str, str], engine: LocalEngine
) -> Exercise:
    system = DeployedSystem(run, endpoints)
    kinesis = endpoints["AWS_ENDPOINT_URL_KINESIS"]
    reader = stream_reader(system, kinesis, engine.region, engine.delivered)
    return run_exercise(system, config, reader)


def _deploy_and_exercise(  # noqa: PLR0917  (the rehearsal's state, passed explicitly)
    report: Report,
    engine: LocalEngine,
    endpoints: Mapping[str, str],
    stack: str,
    overrides: Mapping[str, Any] | None,
    file: Path | None,
) -> None:
    # A bad stack file fails here, before anything runs.
    config = load_config(stack, overrides, file)
    try:
        run = _run(engine, endpoints, stack, overrides, file)
    finally:  # what was created before a failure is reported, and destroyed
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
    report.exercise = _exercise(run, config, endpoints, engine)


def _update(  # noqa: PLR0917  (the rehearsal's state, passed explicitly)
    report: Report,
    engine: LocalEngine,
    endpoints: Mapping[str, str],
    stack: str,
    overrides: Mapping[str, Any] | None,
    files: tuple[Path, Path],
) -> None:
    """`pulumi up` with a changed stack file: plan and apply through the provider host, delete
    what was replaced or removed, check serving never stopped, then exercise the result."""
    previous, file = files
    step = UpdateStep(str(file))
    report.updates.append(step)
    before = load_config(stack, overrides, previous)
    config = load_config(stack, overrides, file)
    data = StackData.load(before)
    user = data.sample_user()
    started = time.monotonic()
    probe = ServingProbe(engine, before, user, data.catalogue()[:5], endpoints)
    engine.begin_update()
    try:
        with probe:
            run = _run(engine, endpoints, stack, overrides, file)
            engine.finish_update()
    finally:  # what was done so far, even when the update failed half way
        step.seconds = time.monotonic() - started
        step.changes = {**dict(sorted(engine.actions.items())), **engine.other_changes()}
        step.serving = probe.result(engine.actions)
    if step.serving.failures:
        raise RehearsalError(
            f"serving stopped during the update to {file}: {'; '.join(step.serving.failures)}"
        )
    step.exercise = _exercise(run, config, endpoints, engine)


def _render_exercise(exercise: Exercise, lines: list[str]) -> None:
    label = exercise.label_field

    def cell(rows: list[dict[str, Any]], index: int) -> str:
        if index >= len(rows):
            return ""
        score = rows[index].get("score")
        text = (
            f"{rows[index]['itemId']} {score or 0:.4f}"
            if score is not None
            else rows[index]["itemId"]
        )
        return text[:44]

    lines += [
        "",
        f"Exercise: {len(exercise.calls)} requests, as a client of this stack would make them",
        f"  {'status':>6}  {'request':<26}  what",
    ]
    for call in exercise.calls:
        lines.append(f"  {call.status:>6}  {call.route:<26}  {call.detail} -> {call.summary}")
    if exercise.before or exercise.after:
        lines += [
            "",
            f"Recommendations for {exercise.user}, before and after {len(exercise.sent)} "
            f"{exercise.event_type} events on items they had not touched "
            f"({', '.join(exercise.sent)}):",
            f"  {'#':>2}  {'before':<44}  after",
        ]
        for index in range(max(len(exercise.before), len(exercise.after))):
            lines.append(
                f"  {index + 1:>2}  {cell(exercise.before, index):<44}  "
                f"{cell(exercise.after, index)}"
            )
        changed = len(
            {a["itemId"] for a in exercise.after} - {b["itemId"] for b in exercise.before}
        )
        lines.append(
            f"  {changed} of {len(exercise.after)} changed"
            + (f" (items described by {label})" if label else "")
            + f". The forwarder sent {exercise.forwarded.get('records', 0)} records, "
            f"{len(exercise.forwarded.get('failures', []))} reported for retry."
        )


def render(report: Report) -> str:
    """The report as plain text; a failure before anything was deployed is the error alone."""
    if not report.steps and report.error:
        return f"Rehearsal of stack {report.stack} FAILED before deploying: {report.error}"
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
    lines.append(f"  (+{other} resources with no local data plane, given deterministic outputs)")
    if report.critical_path:
        lines += [
            "",
            f"Deploy finished after {report.deploy_seconds:.2f} s; the event pipeline and API "
            f"were ready after {report.pipeline_ready_seconds:.2f} s ({share:.0%} of the deploy).",
            "Critical path: " + " -> ".join(report.critical_path),
        ]
    else:
        lines += ["", f"Deploy failed after {len(report.steps)} resources were created."]
    if report.exercise is not None:
        _render_exercise(report.exercise, lines)
    for number, update in enumerate(report.updates, start=1):
        counts = Counter(update.changes.values())
        lines += [
            "",
            f"Update {number}: {update.file} applied in {update.seconds:.2f} s ("
            + ", ".join(f"{n} {action}" for action, n in sorted(counts.items()))
            + ")",
        ]
        for label, action in update.changes.items():
            if action != "unchanged" or label.split()[0] in PERSONALIZE_KINDS:
                lines.append(f"  {action:<9}  {label}")
        lines.append(
            f"  serving during the update: {update.serving.calls} requests to the campaigns, "
            + ("; ".join(update.serving.failures) or "no gap")
        )
        if update.exercise is not None:
            _render_exercise(update.exercise, lines)
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
        "--stack",
        default="dev",
        help="stack to rehearse: a name (Pulumi.<name>.yaml in the project) or a stack file's path",
    )
    parser.add_argument(
        "--then",
        type=Path,
        action="append",
        default=[],
        metavar="FILE",
        help="after deploying, apply this changed stack file as `pulumi up` would (repeatable)",
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
    stack, file = args.stack, None
    if args.stack.endswith((".yaml", ".yml")):
        file = Path(args.stack)
        stack = file.name.split(".")[1] if file.name.count(".") >= 2 else file.stem
    if not (file or stack_file(stack)).is_file():
        parser.error(f"--stack {args.stack}: no such stack file ({file or stack_file(stack)})")
    for changed in args.then:
        if not changed.is_file():
            parser.error(f"--then {changed}: no such stack file")
    report = rehearse(stack, args.profile, args.time_scale, then=args.then, file=file)
    print(render(report))
    if args.json:
        args.json.write_text(json.dumps(asdict(report), indent=2, default=str))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
