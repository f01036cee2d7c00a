"""The quality gate on a retrain, while a campaign serves the previous version.

Through the real provider host against the emulator. `change` plays the engine: a solution version
whose create fails stops the update there, so its dependents (the campaign) are never updated and
the campaign keeps serving the version it had. The engine's part is simulated; what is proven is
the provider's part: it fails the create, says why, and touches nothing else.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest

from local.personalize_emulator import EmulatorServer, Steps
from local.provider_host import ProviderHost, ProviderHostError
from providers.campaign import CampaignProvider
from providers.solution_version import SolutionVersionProvider
from tests.conftest import REGION, SOLUTION_METRICS

from .engine import State, change, data_chain, destroy, destroy_all, import_job, up

# What the test data's models reach is far below these (precision@10 is about 0.2 here).
PASSING_GATE = {"precision_at_10": 0.01, "coverage": 0.01}
FAILING_GATE = {"precision_at_10": 0.99, "coverage": 0.01}
PREFIX = "quality-gate"
# Short but non-zero steps: every resource still passes PENDING and IN_PROGRESS, in milliseconds.
QUICK = Steps(0.005, 0.01)
QUICK_KINDS = (
    "dataset-group",
    "dataset",
    "dataset-import-job",
    "solution",
    "solution-version",
    "campaign",
    "campaign-update",
    "delete",
)


@pytest.fixture(scope="module", autouse=True)
def quick(emulator: EmulatorServer) -> Iterator[None]:
    with emulator.step_durations(dict.fromkeys(QUICK_KINDS, QUICK)):
        yield


@pytest.fixture(scope="module")
def chain(host: ProviderHost) -> Iterator[list[State]]:
    """Dataset group, schema, interactions dataset, first import and solution (one per module)."""
    states = data_chain(host, PREFIX)
    yield states
    destroy_all(host, states)


def version_inputs(solution: State, job: State, gate: dict[str, float]) -> dict[str, Any]:
    # As the model component does: the import jobs' ARNs are the training fingerprint.
    return {
        "solution_arn": solution.outs["arn"],
        "training_inputs": job.outs["arn"],
        "quality_gate": gate,
        "region": REGION,
    }


def serving(pz: Any, campaign: State) -> dict[str, Any]:
    described: dict[str, Any] = pz.describe_campaign(campaignArn=campaign.id)["campaign"]
    return described


def recommends(emulator: EmulatorServer, campaign: State) -> list[str]:
    runtime = boto3.client("personalize-runtime", region_name=REGION, endpoint_url=emulator.url)
    answer = runtime.get_recommendations(campaignArn=campaign.id, userId="u00001", numResults=10)
    return [item["itemId"] for item in answer["itemList"]]


def test_retrain_below_the_gate_fails_and_the_campaign_keeps_serving_the_previous_version(
    host: ProviderHost, emulator: EmulatorServer, pz: Any, chain: list[State]
) -> None:
    _group, _schema, dataset, first_import, solution = chain
    v1 = up(host, SolutionVersionProvider(), version_inputs(solution, first_import, PASSING_GATE))
    # The version's outputs carry its metrics once ACTIVE, as GetSolutionMetrics reports them.
    assert v1.outs["status"] == "ACTIVE"
    assert set(v1.outs["metrics"]) == SOLUTION_METRICS
    assert v1.outs["metrics"] == pz.get_solution_metrics(solutionVersionArn=v1.id)["metrics"]
    assert v1.outs["metrics"]["precision_at_10"] >= PASSING_GATE["precision_at_10"]
    campaign = up(
        host,
        CampaignProvider(),
        {"name": f"{PREFIX}-campaign", "solution_version_arn": v1.id, "region": REGION},
    )
    try:
        before = serving(pz, campaign)
        assert before["solutionVersionArn"] == v1.id
        served_before = recommends(emulator, campaign)
        updates_before = emulator.call_counts().get("UpdateCampaign", 0)

        # New data is imported (a new fingerprint) and the gate is raised out of reach.
        second_import = import_job(host, PREFIX, dataset, 2)
        retrain = version_inputs(solution, second_import, FAILING_GATE)
        diff = host.diff(SolutionVersionProvider(), v1.id, v1.outs, retrain)
        assert "training_inputs" in diff["replaces"]
        assert diff["delete_before_replace"] is False
        with pytest.raises(ProviderHostError) as failure:
            change(host, v1, retrain)

        # The message names the rejected version, the metric, its value and the bar.
        found = re.search(
            r"solution version (arn:aws:personalize:\S+): precision_at_10 = ([0-9.e-]+) is "
            r"below the minimum 0\.99 set in quality_gate",
            failure.value.details,
        )
        assert found, failure.value.details
        rejected, value = found.group(1), float(found.group(2))
        assert rejected != v1.id
        reported = pz.get_solution_metrics(solutionVersionArn=rejected)["metrics"]
        assert value == pytest.approx(reported["precision_at_10"], rel=1e-3)
        # Only the metric below its bar is named; coverage cleared its own.
        assert "coverage" not in failure.value.details

        # Nothing reached the campaign: still ACTIVE on v1, no update started, still serving.
        after = serving(pz, campaign)
        assert after["status"] == "ACTIVE"
        assert after["solutionVersionArn"] == v1.id
        assert after.get("latestCampaignUpdate") == before.get("latestCampaignUpdate")
        assert emulator.call_counts().get("UpdateCampaign", 0) == updates_before
        assert recommends(emulator, campaign) == served_before
        # The version in the state is untouched (create-before-delete never got to delete it).
        described = pz.describe_solution_version(solutionVersionArn=v1.id)["solutionVersion"]
        assert described["status"] == "ACTIVE"

        trainings = emulator.call_counts()["CreateSolutionVersion"]
        # The next `up` with the same bar: the finished training is checked again, not retrained.
        with pytest.raises(ProviderHostError, match=r"is below the minimum 0\.99"):
            change(host, v1, retrain)
        assert emulator.call_counts()["CreateSolutionVersion"] == trainings

        # With a gate the training clears, that same training goes through (no new training)
        # and the campaign switches to it in place.
        passing = version_inputs(solution, second_import, PASSING_GATE)
        v2 = change(host, v1, passing)
        assert v2.steps == ["create", "delete"]
        assert v2.id == rejected
        assert emulator.call_counts()["CreateSolutionVersion"] == trainings
        assert v2.outs["metrics"]["precision_at_10"] >= PASSING_GATE["precision_at_10"]
        campaign = change(host, campaign, {**campaign.inputs, "solution_version_arn": v2.id})
        assert campaign.steps == ["update"]
        assert serving(pz, campaign)["solutionVersionArn"] == v2.id
        assert recommends(emulator, campaign)
    finally:
        destroy(host, campaign)


def test_gate_on_several_metrics_names_each_one_below_its_bar(
    host: ProviderHost, chain: list[State]
) -> None:
    _group, _schema, _dataset, first_import, solution = chain
    gate = {"precision_at_10": 0.99, "mean_reciprocal_rank_at_25": 0.99, "coverage": 0.01}
    with pytest.raises(ProviderHostError) as failure:
        up(host, SolutionVersionProvider(), version_inputs(solution, first_import, gate))
    details = failure.value.details
    for metric in ("mean_reciprocal_rank_at_25", "precision_at_10"):
        assert re.search(rf"{metric} = [0-9.e-]+ is below the minimum 0\.99", details), details
    assert "coverage =" not in details
