"""A `pulumi up` that fails midway, followed by another `up` or by `destroy`.

The invariant proven here: a failure of `pulumi up` at any step never leaves Personalize resources
that block the next `up` or escape `pulumi destroy`. Every call goes through the real provider host
against the emulator; `deploy` below plays the engine's part: it keeps what was created before the
failure in the state, diffs those resources on the next run and creates only what is missing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from pulumi.dynamic import ResourceProvider

from local.personalize_emulator import EmulatorServer, Steps
from local.provider_host import ProviderHost, ProviderHostError
from providers.campaign import CampaignProvider
from providers.dataset import DatasetProvider
from providers.dataset_group import DatasetGroupProvider
from providers.dataset_import_job import DatasetImportJobProvider
from providers.event_tracker import EventTrackerProvider
from providers.schema import SchemaProvider
from providers.solution import SolutionProvider
from providers.solution_version import SolutionVersionProvider
from tests.conftest import INTERACTIONS_SCHEMA, REGION

from .conftest import BUCKET, INTERACTIONS_KEY, RECIPE, ROLE_ARN, start_host
from .engine import State, change, destroy, up

# Refusals that would mean a leftover of the failed run gets in the way.
BLOCKING = {"ResourceAlreadyExistsException", "ResourceInUseException"}
# A bar no model clears (precision is at most 1), and one every model clears.
UNREACHABLE_GATE = {"precision_at_10": 1.5}
NO_GATE = {"precision_at_10": 0.0}
# Short but non-zero steps: every resource still passes through its PENDING and IN_PROGRESS
# states, while the whole suite of failed runs stays within a few seconds.
QUICK = Steps(0.005, 0.01)
QUICK_KINDS = (
    "dataset-group",
    "dataset",
    "dataset-import-job",
    "solution",
    "solution-version",
    "campaign",
    "event-tracker",
    "delete",
)


@dataclass(frozen=True)
class Step:
    """One resource of the program: its state key, provider and inputs from what exists."""

    key: str
    provider: ResourceProvider
    inputs: Callable[[dict[str, State]], dict[str, Any]]


def program(prefix: str, gate: dict[str, float]) -> list[Step]:
    """The Personalize part of the program in an order the engine may run it.

    The event tracker needs only the dataset group, so the engine creates it while the data is
    imported and the model trains: it exists when a later step fails.
    """

    def arn(key: str) -> Callable[[dict[str, State]], str]:
        return lambda state: str(state[key].outs["arn"])

    group, schema, dataset, solution = (
        arn("group"),
        arn("schema"),
        arn("dataset"),
        arn("solution"),
    )
    return [
        Step("group", DatasetGroupProvider(), lambda s: {"name": f"{prefix}-group"}),
        Step(
            "schema",
            SchemaProvider(),
            lambda s: {"name": f"{prefix}-schema", "schema": INTERACTIONS_SCHEMA},
        ),
        Step(
            "dataset",
            DatasetProvider(),
            lambda s: {
                "name": f"{prefix}-interactions",
                "dataset_group_arn": group(s),
                "dataset_type": "Interactions",
                "schema_arn": schema(s),
            },
        ),
        Step(
            "tracker",
            EventTrackerProvider(),
            lambda s: {"name": f"{prefix}-tracker", "dataset_group_arn": group(s)},
        ),
        Step(
            "solution",
            SolutionProvider(),
            lambda s: {
                "name": f"{prefix}-model",
                "dataset_group_arn": group(s),
                "recipe_arn": RECIPE,
            },
        ),
        Step(
            "import",
            DatasetImportJobProvider(),
            lambda s: {
                "job_name": f"{prefix}-import",
                "dataset_arn": dataset(s),
                "data_location": f"s3://{BUCKET}/{INTERACTIONS_KEY}",
                "role_arn": ROLE_ARN,
            },
        ),
        Step(
            "version",
            SolutionVersionProvider(),
            lambda s: {
                "solution_arn": solution(s),
                "training_inputs": f"{prefix}-import",
                "quality_gate": gate,
            },
        ),
        Step(
            "campaign",
            CampaignProvider(),
            lambda s: {
                "name": f"{prefix}-model",
                "solution_version_arn": str(s["version"].outs["arn"]),
            },
        ),
    ]


@dataclass(frozen=True)
class Failure:
    """How one step is made to fail, and what the error must say."""

    key: str  # the step that fails
    target: str | None  # what the emulator fails (a name or a kind); None: the gate fails it
    reason: str
    message: str


FAILURES = {
    "import": Failure(
        "import",
        "{prefix}-import",
        "Column EVENT_TYPE not found in the CSV header",
        "failed to create: Column EVENT_TYPE not found in the CSV header",
    ),
    "training": Failure(
        "version",
        "solution-version",
        "Not enough interactions after filtering",
        "failed to train: Not enough interactions after filtering",
    ),
    "quality gate": Failure(
        "version", None, "", "precision_at_10 = {value} is below the minimum 1.5"
    ),
    "campaign": Failure(
        "campaign",
        "campaign",
        "Insufficient capacity for 1 TPS",
        "failed to create: Insufficient capacity for 1 TPS. The failed resource was deleted.",
    ),
}


def deploy(host: ProviderHost, steps: list[Step], state: dict[str, State]) -> str | None:
    """One `pulumi up`: returns the failed step's key (None when every step succeeded).

    A resource already in the state must diff clean (nothing to do); a missing one is created.
    The first failure ends the run and what was created before it stays in the state, as the
    engine keeps it.
    """
    for step in steps:
        inputs = {**step.inputs(state), "region": REGION}
        if step.key in state:
            unchanged = change(host, state[step.key], inputs)
            assert unchanged.steps == ["same"], f"{step.key} changed on re-run: {unchanged.steps}"
            continue
        try:
            state[step.key] = up(host, step.provider, inputs)
        except ProviderHostError as exc:
            return f"{step.key}: {exc.details}"
    return None


def destroy_all(host: ProviderHost, steps: list[Step], state: dict[str, State]) -> None:
    """`pulumi destroy`: what the state holds, dependents first."""
    for step in reversed(steps):
        if step.key in state:
            destroy(host, state.pop(step.key))


def fail(emulator: EmulatorServer, kind: str, prefix: str) -> Failure:
    """Arrange for the next run to fail at one step."""
    failure = FAILURES[kind]
    if failure.target is not None:
        emulator.fail_creation(failure.target.format(prefix=prefix), failure.reason)
    return failure


def check_failed(failure: Failure, failed: str | None) -> None:
    assert failed is not None, f"the run meant to fail at {failure.key} succeeded"
    assert failed.startswith(f"{failure.key}: "), failed
    expected = re.escape(failure.message).replace(re.escape("{value}"), r"[0-9.]+")
    assert re.search(expected, failed), failed


@pytest.fixture(scope="module")
def host(emulator: EmulatorServer) -> Iterator[ProviderHost]:
    """A provider host of this module's own, set up like the suite's shared one.

    These runs make a few hundred provider calls; the shared host gets measurably slower to
    answer afterwards, which later modules' timing-sensitive tests would feel.
    """
    with start_host(emulator) as running:
        yield running


@pytest.fixture(scope="module", autouse=True)
def quick(emulator: EmulatorServer) -> Iterator[None]:
    with emulator.step_durations(dict.fromkeys(QUICK_KINDS, QUICK)):
        yield


@pytest.fixture
def refusals(emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(operation, error code) of every call the emulator refuses while the test runs."""
    seen: list[tuple[str, str]] = []
    handle = emulator.backend.handle

    def recording(service: str, operation: str, params: dict[str, Any], region: str) -> Any:
        try:
            return handle(service, operation, params, region)
        except Exception as exc:
            seen.append((operation, str(getattr(exc, "code", type(exc).__name__))))
            raise

    monkeypatch.setattr(emulator.backend, "handle", recording)
    return seen


def blocking(refused: list[tuple[str, str]]) -> list[tuple[str, str]]:
    return [(op, code) for op, code in refused if code in BLOCKING]


def test_rerun_after_a_failure_at_each_step_creates_only_what_is_missing(
    host, emulator, pz, unique, refusals
):
    before = set(emulator.live_resources())
    state: dict[str, State] = {}
    creates_before = emulator.call_counts()

    # Four runs, each failing one step further along; nothing the earlier runs left behind blocks
    # the next one, and what exists is left as it is.
    for failure, gate in [
        ("import", NO_GATE),
        ("training", NO_GATE),
        ("quality gate", UNREACHABLE_GATE),
        ("campaign", NO_GATE),
    ]:
        steps = program(unique, gate)
        kept = {key: s.id for key, s in state.items()}
        expected = fail(emulator, failure, unique)
        check_failed(expected, deploy(host, steps, state))
        assert expected.key not in state
        assert {key: state[key].id for key in kept} == kept  # existing resources untouched
        assert blocking(refusals) == [], f"after a failed {failure}: {blocking(refusals)}"

    # The run after the last failure completes.
    steps = program(unique, NO_GATE)
    assert deploy(host, steps, state) is None
    assert [s.key for s in steps] == list(state)
    assert blocking(refusals) == []
    counts = emulator.call_counts()

    def created(operation: str) -> int:
        return counts.get(operation, 0) - creates_before.get(operation, 0)

    # Each resource of the first run was created once; failed steps were created again per run.
    assert created("CreateDatasetGroup") == 1
    assert created("CreateDataset") == 1
    assert created("CreateEventTracker") == 1
    assert created("CreateSolution") == 1
    # A failed import keeps its name for ever: the retry ran as '<job_name>-r2'.
    assert created("CreateDatasetImportJob") == 2
    assert state["import"].id.endswith(f"dataset-import-job/{unique}-import-r2")
    # The failed training, and the version below the gate: the runs after the gate failure
    # adopt that finished training (same inputs) and check it against their own gate.
    assert created("CreateSolutionVersion") == 2
    assert created("CreateCampaign") == 2
    campaign = pz.describe_campaign(campaignArn=state["campaign"].id)["campaign"]
    assert campaign["status"] == "ACTIVE"
    assert campaign["solutionVersionArn"] == state["version"].id

    destroy_all(host, steps, state)
    assert blocking(refusals) == []
    assert set(emulator.live_resources()) == before


@pytest.mark.parametrize("failure", ["import", "training", "quality gate", "campaign"])
def test_destroy_after_a_failed_up_leaves_nothing(host, emulator, unique, refusals, failure):
    before = set(emulator.live_resources())
    steps = program(unique, UNREACHABLE_GATE if failure == "quality gate" else NO_GATE)
    state: dict[str, State] = {}
    check_failed(fail(emulator, failure, unique), deploy(host, steps, state))
    # The failed step left something behind outside the state (a failed import job, a failed or
    # gated solution version) or nothing at all (a failed campaign is deleted on the spot)...
    leftovers = set(emulator.live_resources()) - before - {s.id for s in state.values()}
    if failure == "campaign":
        assert leftovers == set()
    else:
        assert len(leftovers) == 1, leftovers
    # ...and `destroy`, which knows only the state, still removes every piece of it.
    destroy_all(host, steps, state)
    assert blocking(refusals) == []
    assert set(emulator.live_resources()) == before
