"""Run the real Pulumi program (`__main__.py`) for a stack file under Pulumi's mock runtime.

The monitor records every registered resource with its inputs and the resources it depends on,
so callers can assert on properties and on the dependency graph (what waits for what during
`pulumi up`). The mocks decide what "creating" a resource means: `DeterministicMocks` returns
predictable outputs for unit tests; the rehearsal creates resources for real on local servers.
"""

from __future__ import annotations

import asyncio
import json
import re
import runpy
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pulumi
import yaml
from pulumi.runtime.mocks import MockMonitor

from components.config import StackConfig, load_stack_config, stack_region

ROOT = Path(__file__).resolve().parent.parent
ACCOUNT_ID = "123456789012"
PROJECT = "personalize-realtime"
STACK_FILES = sorted(p.name.split(".")[1] for p in ROOT.glob("Pulumi.*.yaml"))


@dataclass
class Registration:
    urn: str
    typ: str
    name: str
    inputs: dict[str, Any]
    custom: bool
    parent: str
    dependencies: set[str] = field(default_factory=set)
    state: dict[str, Any] = field(default_factory=dict)


def _service(typ: str) -> str:
    return typ.split(":")[1].split("/", maxsplit=1)[0] if ":" in typ else "custom"


class DeterministicMocks(pulumi.runtime.Mocks):
    """Deterministic ids and outputs; dynamic Personalize resources get ARN-shaped outputs."""

    def __init__(self, region: str) -> None:
        self.region = region

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        state = dict(args.inputs)
        state.pop("__provider", None)
        if args.typ.startswith("pulumi-python:dynamic/personalize:"):
            self._personalize(args.typ.rsplit(":", 1)[1], args.name, state)
        shape = self.SHAPES.get(args.typ)
        resource_id = (shape(self, args.name, state) if shape else None) or f"{args.name}-id"
        state.setdefault(
            "arn", f"arn:aws:{_service(args.typ)}:{self.region}:{ACCOUNT_ID}:{args.name}"
        )
        state.setdefault("id", resource_id)
        return resource_id, state

    def _personalize(self, kind: str, name: str, state: dict[str, Any]) -> None:
        physical = state.get("name") or state.get("job_name") or name
        segment = re.sub(r"(?<!^)(?=[A-Z])", "-", kind).lower()  # DatasetGroup -> dataset-group
        state.update(
            arn=f"arn:aws:personalize:{self.region}:{ACCOUNT_ID}:{segment}/{physical}",
            status="ACTIVE",
        )
        if kind == "EventTracker":
            state["tracking_id"] = "00000000-0000-0000-0000-000000000000"
        if kind == "SolutionVersion":
            state["metrics"] = {"coverage": 0.5, "precision_at_10": 0.1}

    # Per resource type: fill in the outputs AWS would return, and give the physical id.
    def _bucket(self, name: str, state: dict[str, Any]) -> str:
        bucket = (state.get("bucketPrefix") or name) + "0001"
        state.update(bucket=bucket, arn=f"arn:aws:s3:::{bucket}")
        return bucket

    def _stream(self, name: str, state: dict[str, Any]) -> None:
        stream = state.get("name", name)
        state.update(arn=f"arn:aws:kinesis:{self.region}:{ACCOUNT_ID}:stream/{stream}")

    def _queue(self, name: str, state: dict[str, Any]) -> str:
        queue = state.get("name") or name
        state.update(
            arn=f"arn:aws:sqs:{self.region}:{ACCOUNT_ID}:{queue}",
            url=f"https://sqs.{self.region}.amazonaws.com/{ACCOUNT_ID}/{queue}",
        )
        return str(state["url"])

    def _rest_api(self, name: str, state: dict[str, Any]) -> None:
        state.update(
            rootResourceId="root-id",
            executionArn=f"arn:aws:execute-api:{self.region}:{ACCOUNT_ID}:{name}",
        )

    def _stage(self, name: str, state: dict[str, Any]) -> None:
        host = f"{name}.execute-api.{self.region}.amazonaws.com"
        state.update(invokeUrl=f"https://{host}/{state.get('stageName')}")

    def _api_key(self, name: str, state: dict[str, Any]) -> None:
        state.update(value="mock-api-key-value")

    def _role(self, name: str, state: dict[str, Any]) -> str:
        role = state.get("name") or f"{state.get('namePrefix', name)}0001"
        state.update(name=role, arn=f"arn:aws:iam::{ACCOUNT_ID}:role/{role}")
        return str(role)

    def _key(self, name: str, state: dict[str, Any]) -> str:
        key_id = f"00000000-0000-0000-0000-{zlib.crc32(name.encode()):012d}"
        state.update(keyId=key_id, arn=f"arn:aws:kms:{self.region}:{ACCOUNT_ID}:key/{key_id}")
        return key_id

    def _log_group(self, name: str, state: dict[str, Any]) -> str:
        group = state.get("name") or name
        state.update(name=group, arn=f"arn:aws:logs:{self.region}:{ACCOUNT_ID}:log-group:{group}")
        return str(group)

    def _function(self, name: str, state: dict[str, Any]) -> None:
        function = state.get("name") or name
        arn = f"arn:aws:lambda:{self.region}:{ACCOUNT_ID}:function:{function}"
        invoke = f"arn:aws:apigateway:{self.region}:lambda:path/2015-03-31/functions/{arn}"
        state.update(name=function, arn=arn, invokeArn=f"{invoke}/invocations")

    SHAPES: ClassVar[dict[str, Callable[[DeterministicMocks, str, dict[str, Any]], str | None]]] = {
        "aws:s3/bucket:Bucket": _bucket,
        "aws:kinesis/stream:Stream": _stream,
        "aws:sqs/queue:Queue": _queue,
        "aws:apigateway/restApi:RestApi": _rest_api,
        "aws:apigateway/stage:Stage": _stage,
        "aws:apigateway/apiKey:ApiKey": _api_key,
        "aws:iam/role:Role": _role,
        "aws:kms/key:Key": _key,
        "aws:cloudwatch/logGroup:LogGroup": _log_group,
        "aws:lambda/function:Function": _function,
    }

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]]]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {
                "accountId": ACCOUNT_ID,
                "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/test",
                "userId": "test",
            }, []
        if args.token == "aws:index/getRegion:getRegion":
            return {"region": self.region, "name": self.region, "id": self.region}, []
        if args.token == "aws:ssm/getParameter:getParameter":
            return self._powertools_parameter(args.args["name"], args.args.get("region")), []
        raise NotImplementedError(f"no mock for invoke {args.token}")

    # The public parameters Powertools publishes, one per architecture, runtime and version:
    # https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/
    POWERTOOLS_PARAMETER = re.compile(
        r"^/aws/service/powertools/python/(?P<arch>x86_64|arm64)/python3\.(?P<minor>\d+)/"
        r"(?P<version>\d+\.\d+\.\d+|latest)$"
    )

    def _powertools_parameter(self, name: str, region: str | None) -> dict[str, Any]:
        found = self.POWERTOOLS_PARAMETER.match(name)
        if found is None:
            raise ValueError(f"ParameterNotFound: {name}")
        layer = f"AWSLambdaPowertoolsPythonV3-python3{found['minor']}-{found['arch']}"
        value = f"arn:aws:lambda:{region or self.region}:017000801446:layer:{layer}:42"
        return {"name": name, "type": "String", "value": value, "insecureValue": value}


class RecordingMonitor(MockMonitor):
    """Keeps what the engine would use to order operations: each resource's dependencies."""

    def __init__(self, mocks: pulumi.runtime.Mocks) -> None:
        super().__init__(mocks)
        self.registrations: dict[str, Registration] = {}

    def RegisterResource(self, request: Any) -> Any:  # noqa: N802  (gRPC method name)
        response = super().RegisterResource(request)
        if request.type == "pulumi:pulumi:Stack":
            return response
        dependencies = set(request.dependencies)
        for deps in request.propertyDependencies.values():
            dependencies.update(deps.urns)
        registered = self.resources.get(response.urn)
        self.registrations[response.urn] = Registration(
            urn=response.urn,
            typ=request.type,
            name=request.name,
            inputs=pulumi.runtime.rpc.deserialize_properties(request.object),
            custom=request.custom,
            parent=request.parent,
            dependencies=dependencies,
            state=dict(registered.state) if registered else {},
        )
        return response


@dataclass
class StackRun:
    stack: str
    resources: list[Registration]
    outputs: dict[str, Any]
    secret_outputs: set[str]

    def of_type(self, typ: str) -> list[Registration]:
        return [r for r in self.resources if r.typ == typ]

    def one(self, typ: str, name_contains: str = "") -> Registration:
        found = [r for r in self.of_type(typ) if name_contains in r.name]
        assert len(found) == 1, (
            f"expected one {typ} named *{name_contains}*, found {[r.name for r in found]}"
        )
        return found[0]

    def by_urn(self, urn: str) -> Registration:
        return next(r for r in self.resources if r.urn == urn)

    def ancestors(self, resource: Registration) -> Iterator[Registration]:
        """Every resource this one waits for, directly or through others.

        A parent is not a dependency (children of a component don't wait for their siblings), but
        depending on a component means waiting for all of its children.
        """
        index = {r.urn: r for r in self.resources}
        pending = list(resource.dependencies)
        seen: set[str] = set()
        while pending:
            urn = pending.pop()
            if urn in seen or urn not in index:
                continue
            seen.add(urn)
            found = index[urn]
            # A component's dependency means waiting for all of its children.
            pending.extend(r.urn for r in self.resources if r.parent == urn and not found.custom)
            pending.extend(found.dependencies)
            yield found

    def waits_for(
        self, resource: Registration, predicate: Callable[[Registration], bool]
    ) -> list[str]:
        return [r.name for r in self.ancestors(resource) if predicate(r) and r.custom]


def stack_file(stack: str) -> Path:
    return ROOT / f"Pulumi.{stack}.yaml"


def stack_config(
    stack: str, overrides: Mapping[str, Any] | None = None, file: Path | None = None
) -> dict[str, str]:
    """The stack file's config as the Pulumi engine hands it to a program (objects as JSON).

    `file` reads the config from another stack file (a changed version of the stack's own).
    """
    path = file if file is not None else stack_file(stack)
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    values: dict[str, Any] = dict(document.get("config") or {})
    values.update(overrides or {})
    return {
        key: value if isinstance(value, str) else json.dumps(value)
        for key, value in values.items()
        if value is not None
    }


def run_program(
    stack: str,
    overrides: Mapping[str, Any] | None = None,
    registered: dict[str, Registration] | None = None,
    mocks: pulumi.runtime.Mocks | None = None,
    file: Path | None = None,
) -> StackRun:
    """Run __main__.py for `stack` under mocks; raise what the program raises.

    `registered`, when given, receives the registrations as they happen, so a caller can see what
    a failing program registered before it failed. `mocks` defaults to DeterministicMocks.
    `file` takes the config from another stack file, as after editing the stack's own.
    """
    config = stack_config(stack, overrides, file)
    if mocks is None:
        mocks = DeterministicMocks(config.get("aws:region", "us-east-1"))
    monitor = RecordingMonitor(mocks)
    if registered is not None:
        monitor.registrations = registered
    pulumi.runtime.set_mocks(mocks, project=PROJECT, stack=stack, preview=False, monitor=monitor)
    pulumi.runtime.set_all_config(config)

    exported: dict[str, Any] = {}
    secret: set[str] = set()
    resolved: dict[str, Any] = {}

    def export(name: str, value: Any) -> None:
        exported[name] = value

    @pulumi.runtime.test
    def program() -> pulumi.Output[Any]:
        original = pulumi.export
        pulumi.export = export
        try:
            runpy.run_path(str(ROOT / "__main__.py"), run_name="__main__")
        finally:
            pulumi.export = original

        async def collect() -> None:
            for name, value in exported.items():
                output = pulumi.Output.from_input(value)
                resolved[name] = await output.future()
                if await output.is_secret():
                    secret.add(name)

        return pulumi.Output.from_input(asyncio.ensure_future(collect()))

    program()
    return StackRun(stack, list(monitor.registrations.values()), resolved, secret)


def load_config(
    stack: str, overrides: Mapping[str, Any] | None = None, file: Path | None = None
) -> StackConfig:
    """The typed StackConfig the program would build for this stack file.

    The file's own region is checked here, as at preview: the rehearsal then deploys in its own
    region, so a region without Personalize would otherwise pass unnoticed.
    """
    namespace = f"{PROJECT}:"
    everything = stack_config(stack, overrides, file)
    values = {
        key[len(namespace) :]: value
        for key, value in everything.items()
        if key.startswith(namespace)
    }
    return load_stack_config(
        PROJECT, stack, values, region=stack_region(everything), keys=everything
    )
