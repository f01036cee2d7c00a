"""Drive `python -m pulumi.dynamic` over gRPC the way the Pulumi engine does.

The provider host is started as the CLI starts it (project root as the working directory, the
port on the first line of stdout). Each call carries the provider serialized exactly as
``pulumi.dynamic.Resource`` serializes it into the ``__provider`` input; properties travel as
protobuf Structs built by the SDK's own ``rpc`` helpers. Methods take and return plain dicts.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import struct_pb2
from pulumi.dynamic import ResourceProvider
from pulumi.dynamic.dynamic import serialize_provider
from pulumi.runtime import rpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from local.pulumi_pickle import sdk_pickle_patch_undone

PROVIDER_KEY = "__provider"
UNKNOWN = rpc.UNKNOWN


class ProviderHostError(Exception):
    """An RPC failed; ``details`` holds the provider's traceback text."""

    def __init__(self, method: str, code: grpc.StatusCode, details: str) -> None:
        super().__init__(f"{method} failed ({code.name}): {details}")
        self.method = method
        self.code = code
        self.details = details


def serialized(provider: ResourceProvider) -> str:
    """The ``__provider`` value the SDK puts into a dynamic resource's inputs, leaving the pickler
    as it was (local/pulumi_pickle.py says why)."""
    with sdk_pickle_patch_undone():
        return serialize_provider(provider)


class ProviderHost:
    """One provider host process; use as a context manager or call ``close()``."""

    def __init__(
        self,
        cwd: str | os.PathLike[str],
        *,
        env: dict[str, str] | None = None,
        python: str = sys.executable,
        project: str = "personalize-test",
        stack: str = "test",
        config: dict[str, Any] | None = None,
    ) -> None:
        self.project = project
        self.stack = stack
        full_env = dict(os.environ if env is None else env)
        full_env.setdefault("PULUMI_PROJECT", project)
        self.process = subprocess.Popen(
            [python, "-m", "pulumi.dynamic"],
            cwd=Path(cwd),
            env=full_env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline().decode().strip()
        if not first.isdigit():
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
            raise RuntimeError(f"provider host did not print its port: {first!r}\n{err.decode()}")
        self.port = int(first)
        self.channel = grpc.insecure_channel(f"127.0.0.1:{self.port}")
        self.stub = provider_pb2_grpc.ResourceProviderStub(self.channel)
        self.configure(config or {})

    # ---- lifecycle --------------------------------------------------------------------------

    def close(self) -> None:
        self.channel.close()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for stream in (self.process.stdout, self.process.stderr):
            if stream is not None:
                stream.close()

    def __enter__(self) -> ProviderHost:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # ---- RPCs -------------------------------------------------------------------------------

    def configure(self, config: dict[str, Any]) -> None:
        request = provider_pb2.ConfigureRequest(
            args=_struct(config), acceptSecrets=True, acceptResources=True
        )
        self._call("Configure", request)

    def check(
        self,
        provider: ResourceProvider | str,
        news: dict[str, Any],
        olds: dict[str, Any] | None = None,
        name: str = "res",
    ) -> dict[str, Any]:
        """{'inputs': checked inputs, 'failures': [{'property', 'reason'}]}."""
        request = provider_pb2.CheckRequest(
            urn=self.urn(provider, name),
            olds=_struct(_with_provider(provider, olds or {}) if olds else {}),
            news=_struct(_with_provider(provider, news)),
        )
        response = self._call("Check", request)
        return {
            "inputs": _plain(response.inputs, keep_unknowns=True),
            "failures": [{"property": f.property, "reason": f.reason} for f in response.failures],
        }

    def diff(
        self,
        provider: ResourceProvider | str,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        name: str = "res",
    ) -> dict[str, Any]:
        """{'changes': 'DIFF_SOME'|'DIFF_NONE'|'DIFF_UNKNOWN', 'replaces': [...],
        'delete_before_replace': bool}."""
        request = provider_pb2.DiffRequest(
            id=id_,
            urn=self.urn(provider, name),
            olds=_struct(_with_provider(provider, olds)),
            news=_struct(_with_provider(provider, news)),
        )
        response = self._call("Diff", request)
        return {
            "changes": provider_pb2.DiffResponse.DiffChanges.Name(response.changes),
            "replaces": list(response.replaces),
            "delete_before_replace": response.deleteBeforeReplace,
        }

    def create(
        self, provider: ResourceProvider | str, inputs: dict[str, Any], name: str = "res"
    ) -> dict[str, Any]:
        """{'id': id, 'outs': outputs}."""
        request = provider_pb2.CreateRequest(
            urn=self.urn(provider, name),
            properties=_struct(_with_provider(provider, inputs)),
        )
        response = self._call("Create", request)
        return {"id": response.id, "outs": _plain(response.properties)}

    def read(
        self,
        provider: ResourceProvider | str,
        id_: str,
        props: dict[str, Any],
        inputs: dict[str, Any] | None = None,
        name: str = "res",
    ) -> dict[str, Any]:
        """{'id': id or '' when gone, 'outs': outputs}."""
        request = provider_pb2.ReadRequest(
            id=id_,
            urn=self.urn(provider, name),
            properties=_struct(_with_provider(provider, props)),
            inputs=_struct(_with_provider(provider, inputs or {})),
        )
        response = self._call("Read", request)
        return {"id": response.id, "outs": _plain(response.properties)}

    def update(
        self,
        provider: ResourceProvider | str,
        id_: str,
        olds: dict[str, Any],
        news: dict[str, Any],
        name: str = "res",
    ) -> dict[str, Any]:
        """The new outputs."""
        request = provider_pb2.UpdateRequest(
            id=id_,
            urn=self.urn(provider, name),
            olds=_struct(_with_provider(provider, olds)),
            news=_struct(_with_provider(provider, news)),
        )
        return _plain(self._call("Update", request).properties)

    def delete(
        self, provider: ResourceProvider | str, id_: str, props: dict[str, Any], name: str = "res"
    ) -> None:
        request = provider_pb2.DeleteRequest(
            id=id_,
            urn=self.urn(provider, name),
            properties=_struct(_with_provider(provider, props)),
        )
        self._call("Delete", request)

    # ---- helpers ----------------------------------------------------------------------------

    def urn(self, provider: ResourceProvider | str, name: str) -> str:
        kind = (
            type(provider).__name__.removesuffix("Provider")
            if not isinstance(provider, str)
            else "X"
        )
        typ = f"pulumi-python:dynamic/personalize:{kind}"
        return f"urn:pulumi:{self.stack}::{self.project}::{typ}::{name}"

    def _call(self, method: str, request: Any) -> Any:
        try:
            return getattr(self.stub, method)(request)
        except grpc.RpcError as exc:
            raise ProviderHostError(method, exc.code(), exc.details() or "") from None


def _with_provider(provider: ResourceProvider | str, props: dict[str, Any]) -> dict[str, Any]:
    value = provider if isinstance(provider, str) else serialized(provider)
    return {**props, PROVIDER_KEY: value}


def _struct(props: dict[str, Any]) -> struct_pb2.Struct:
    # A private loop: asyncio.run would unset the thread's current loop, which Pulumi's mocks
    # in the same test process rely on.
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(rpc.serialize_properties(props, {}))
    finally:
        loop.close()


def _plain(struct: struct_pb2.Struct, keep_unknowns: bool = False) -> dict[str, Any]:
    props = rpc.deserialize_properties(struct, keep_unknowns)
    props.pop(PROVIDER_KEY, None)
    return dict(props)
