"""What the engine does around the provider for one resource: check, diff, create/update/replace."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pulumi.dynamic import ResourceProvider

from local.provider_host import ProviderHost


class CheckFailedError(Exception):
    def __init__(self, failures: list[dict[str, str]]) -> None:
        super().__init__("; ".join(f"{f['property']}: {f['reason']}" for f in failures))
        self.failures = failures


@dataclass
class State:
    """A resource as the engine keeps it: id, inputs and outputs."""

    provider: ResourceProvider
    id: str
    inputs: dict[str, Any]
    outs: dict[str, Any]
    steps: list[str] = field(default_factory=list)


def up(host: ProviderHost, provider: ResourceProvider, inputs: dict[str, Any]) -> State:
    """Check then create, as `pulumi up` does for a new resource."""
    checked = host.check(provider, inputs)
    if checked["failures"]:
        raise CheckFailedError(checked["failures"])
    created = host.create(provider, checked["inputs"])
    return State(provider, created["id"], checked["inputs"], created["outs"], ["create"])


def change(host: ProviderHost, state: State, inputs: dict[str, Any]) -> State:
    """Check, diff, then update in place or replace (honouring delete-before-replace)."""
    checked = host.check(state.provider, inputs, olds=state.inputs)
    if checked["failures"]:
        raise CheckFailedError(checked["failures"])
    news = checked["inputs"]
    diff = host.diff(state.provider, state.id, state.outs, news)
    if diff["changes"] == "DIFF_NONE":
        return State(state.provider, state.id, news, state.outs, ["same"])
    if not diff["replaces"]:
        outs = host.update(state.provider, state.id, state.outs, news)
        return State(state.provider, state.id, news, outs, ["update"])
    if diff["delete_before_replace"]:
        host.delete(state.provider, state.id, state.outs)
        created = host.create(state.provider, news)
        return State(state.provider, created["id"], news, created["outs"], ["delete", "create"])
    created = host.create(state.provider, news)
    host.delete(state.provider, state.id, state.outs)
    return State(state.provider, created["id"], news, created["outs"], ["create", "delete"])


def destroy(host: ProviderHost, state: State) -> None:
    host.delete(state.provider, state.id, state.outs)
