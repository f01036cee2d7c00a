"""What the engine does around the provider for one resource: check, diff, create/update/replace."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pulumi.dynamic import ResourceProvider

from local.provider_host import ProviderHost
from providers.dataset import DatasetProvider
from providers.dataset_group import DatasetGroupProvider
from providers.dataset_import_job import DatasetImportJobProvider
from providers.schema import SchemaProvider
from providers.solution import SolutionProvider
from tests.conftest import INTERACTIONS_SCHEMA, REGION

from .conftest import BUCKET, INTERACTIONS_KEY, RECIPE, ROLE_ARN


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


def destroy_all(host: ProviderHost, states: list[State]) -> None:
    """Delete in the reverse of creation order, as `pulumi destroy` does for a chain."""
    for state in reversed(states):
        destroy(host, state)


def import_job(host: ProviderHost, prefix: str, dataset: State, run: int) -> State:
    """The ``run``-th import of the suite's interactions into ``dataset``."""
    return up(
        host,
        DatasetImportJobProvider(),
        {
            "job_name": f"{prefix}-import-{run}",
            "dataset_arn": dataset.outs["arn"],
            "data_location": f"s3://{BUCKET}/{INTERACTIONS_KEY}",
            "role_arn": ROLE_ARN,
            "region": REGION,
        },
    )


def data_chain(host: ProviderHost, prefix: str, *, solution: bool = True) -> list[State]:
    """What a training needs, created through the host: dataset group, interactions schema and
    dataset, its first import, then (unless ``solution`` is false) a solution on the suite's
    recipe. States in creation order, so ``destroy_all`` tears them down."""
    group = up(host, DatasetGroupProvider(), {"name": f"{prefix}-group", "region": REGION})
    schema = up(
        host,
        SchemaProvider(),
        {"name": f"{prefix}-schema", "schema": INTERACTIONS_SCHEMA, "region": REGION},
    )
    dataset = up(
        host,
        DatasetProvider(),
        {
            "name": f"{prefix}-interactions",
            "dataset_group_arn": group.outs["arn"],
            "dataset_type": "Interactions",
            "schema_arn": schema.outs["arn"],
            "region": REGION,
        },
    )
    states = [group, schema, dataset, import_job(host, prefix, dataset, 1)]
    if solution:
        inputs = {"name": f"{prefix}-solution", "dataset_group_arn": group.outs["arn"]}
        states.append(
            up(host, SolutionProvider(), {**inputs, "recipe_arn": RECIPE, "region": REGION})
        )
    return states


@dataclass
class Planned:
    """One resource of an update: its state and its new inputs, given the new states before it."""

    key: str
    state: State
    inputs: Callable[[dict[str, State]], dict[str, Any]]


def update_all(host: ProviderHost, plan: list[Planned]) -> tuple[dict[str, State], list[str]]:
    """One `pulumi up` over dependent resources, in the engine's order; returns states and a log.

    Resources are stepped in dependency order (the order of ``plan``): same, update in place, or
    replace. A create-before-delete replacement creates the new resource at its step and leaves
    the old one to the end: the engine deletes replaced resources after every other step, in
    reverse dependency order, so dependents have moved to the new resource by then. A
    delete-before-replace replacement deletes the old resource right before creating the new.
    """
    states: dict[str, State] = {}
    log: list[str] = []
    replaced: list[tuple[str, State]] = []
    for step in plan:
        checked = host.check(step.state.provider, step.inputs(states), olds=step.state.inputs)
        if checked["failures"]:
            raise CheckFailedError(checked["failures"])
        news = checked["inputs"]
        old = step.state
        diff = host.diff(old.provider, old.id, old.outs, news)
        if diff["changes"] == "DIFF_NONE":
            states[step.key] = State(old.provider, old.id, news, old.outs, ["same"])
            log.append(f"same {step.key}")
        elif not diff["replaces"]:
            outs = host.update(old.provider, old.id, old.outs, news)
            states[step.key] = State(old.provider, old.id, news, outs, ["update"])
            log.append(f"update {step.key}")
        else:
            if diff["delete_before_replace"]:
                host.delete(old.provider, old.id, old.outs)
                log.append(f"delete {step.key}")
            else:
                replaced.append((step.key, old))
            created = host.create(old.provider, news)
            states[step.key] = State(old.provider, created["id"], news, created["outs"], ["create"])
            log.append(f"create {step.key}")
    for key, old in reversed(replaced):
        host.delete(old.provider, old.id, old.outs)
        log.append(f"delete replaced {key}")
    return states, log
