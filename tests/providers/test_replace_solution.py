"""A change of a setting only a new solution can take, while a campaign serves the old one.

Through the real provider host against the emulator, in the engine's order (``update_all``):
the new solution is created next to the old one (its name carries the id of its settings, as
the model component names it), trained, the campaign switched to it in place (UpdateCampaign)
or replaced when the kind of model changes, and only then is the old solution deleted.
Personalize refuses DeleteSolution while a campaign uses the solution, so the old order (delete
first, under the same name) could not work.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest

from local.personalize_emulator import EmulatorServer, Steps
from local.provider_host import ProviderHost, ProviderHostError
from providers.campaign import CampaignProvider
from providers.solution import SolutionProvider, settings_id
from providers.solution_version import SolutionVersionProvider
from tests.conftest import REGION

from .conftest import RECIPE
from .engine import Planned, State, data_chain, destroy, destroy_all, up, update_all

SIMS = "arn:aws:personalize:::recipe/aws-sims"
QUICK = Steps(0.005, 0.01)
QUICK_KINDS = ("dataset-group", "dataset", "dataset-import-job", "solution", "delete")
# Long enough that the watcher sees the campaign while the update runs.
SWITCH = {"solution-version": Steps(0.01, 0.3), "campaign-update": Steps(0.05, 0.5)}


@pytest.fixture(scope="module", autouse=True)
def quick(emulator: EmulatorServer) -> Iterator[None]:
    with emulator.step_durations({**dict.fromkeys(QUICK_KINDS, QUICK), **SWITCH}):
        yield


@pytest.fixture(scope="module")
def data(host: ProviderHost) -> Iterator[list[State]]:
    states = data_chain(host, "replace-sol", solution=False)
    yield states
    destroy_all(host, states)


def solution_inputs(group: State, model: str, **settings: Any) -> dict[str, Any]:
    """As the model component builds them: the name carries the id of the training settings."""
    training = {"recipe_arn": RECIPE, **settings}
    return {
        "name": f"{model}-{settings_id(training)}",
        "dataset_group_arn": group.id,
        "region": REGION,
        **training,
    }


def model_plan(
    group: State, job: State, deployed: dict[str, State], solution: dict[str, Any], kind: str
) -> list[Planned]:
    return [
        Planned("solution", deployed["solution"], lambda _s: solution),
        Planned(
            "version",
            deployed["version"],
            lambda s: {
                "solution_arn": s["solution"].outs["arn"],
                "training_inputs": job.id,
                "region": REGION,
            },
        ),
        Planned(
            "campaign",
            deployed["campaign"],
            lambda s: {
                **deployed["campaign"].inputs,
                "solution_version_arn": s["version"].outs["arn"],
                "recipe_type": kind,
            },
        ),
    ]


def deploy_model(host: ProviderHost, group: State, job: State, model: str) -> dict[str, State]:
    solution = up(host, SolutionProvider(), solution_inputs(group, model))
    version = up(
        host,
        SolutionVersionProvider(),
        {"solution_arn": solution.id, "training_inputs": job.id, "region": REGION},
    )
    campaign = up(
        host,
        CampaignProvider(),
        {
            "name": f"{model}-campaign",
            "solution_version_arn": version.id,
            "recipe_type": "USER_PERSONALIZATION",
            "region": REGION,
        },
    )
    return {"solution": solution, "version": version, "campaign": campaign}


class Watcher:
    """Asks the campaign for recommendations all along, noting what it serves."""

    def __init__(self, emulator: EmulatorServer, campaign_arn: str) -> None:
        self.runtime = boto3.client(
            "personalize-runtime", region_name=REGION, endpoint_url=emulator.url
        )
        self.pz = boto3.client("personalize", region_name=REGION, endpoint_url=emulator.url)
        self.arn = campaign_arn
        self.seen: list[tuple[str, str, bool]] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self.run)

    def sample(self) -> None:
        described = self.pz.describe_campaign(campaignArn=self.arn)["campaign"]
        answer = self.runtime.get_recommendations(campaignArn=self.arn, userId="u00001")
        self.seen.append(
            (described["status"], described["solutionVersionArn"], bool(answer["itemList"]))
        )

    def run(self) -> None:
        while not self.stop.is_set():
            self.sample()
            time.sleep(0.01)

    def __enter__(self) -> Watcher:
        self.sample()  # before the update starts, however slowly the thread gets going
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self.sample()  # after the update, whatever the thread last saw


def gone(pz: Any, arn: str) -> bool:
    try:
        pz.describe_solution(solutionArn=arn)
    except pz.exceptions.ResourceNotFoundException:
        return True
    return False


def test_new_training_settings_train_a_new_solution_and_switch_the_campaign_in_place(
    host: ProviderHost, emulator: EmulatorServer, pz: Any, data: list[State]
) -> None:
    group, job = data[0], data[-1]
    deployed = deploy_model(host, group, job, "hpo")
    old_solution, old_version = deployed["solution"], deployed["version"]
    campaign = deployed["campaign"]

    # What the service refuses, and why the solution cannot simply be deleted and recreated.
    with pytest.raises(pz.exceptions.ResourceInUseException):
        pz.delete_solution(solutionArn=old_solution.id)
    with pytest.raises(ProviderHostError) as refused:
        host.delete(SolutionProvider(), old_solution.id, old_solution.outs)
    assert f"campaign(s) {campaign.id} serve it" in refused.value.details

    changed = solution_inputs(group, "hpo", perform_hpo=True)
    assert changed["name"] != old_solution.inputs["name"]
    diff = host.diff(SolutionProvider(), old_solution.id, old_solution.outs, changed)
    assert "perform_hpo" in diff["replaces"]
    assert diff["delete_before_replace"] is False

    with Watcher(emulator, campaign.id) as watcher:
        states, log = update_all(
            host, model_plan(group, job, deployed, changed, "USER_PERSONALIZATION")
        )
    assert log == [
        "create solution",
        "create version",
        "update campaign",
        "delete replaced version",
        "delete replaced solution",
    ]
    new_version = states["version"]
    assert pz.describe_solution(solutionArn=states["solution"].id)["solution"]["performHPO"]
    assert states["campaign"].id == campaign.id
    assert states["campaign"].outs["solution_version_arn"] == new_version.id
    # Serving never stopped: ACTIVE throughout, recommendations all along, old then new version.
    assert watcher.seen
    assert {status for status, _, _ in watcher.seen} == {"ACTIVE"}
    assert all(ok for _, _, ok in watcher.seen)
    assert watcher.seen[0][1] == old_version.id
    assert watcher.seen[-1][1] == new_version.id
    # The old solution went only after the campaign had left it.
    assert gone(pz, old_solution.id)
    for key in ("campaign", "version", "solution"):
        destroy(host, states[key])


def test_another_kind_of_model_replaces_the_campaign_then_deletes_the_old_solution(
    host: ProviderHost, pz: Any, data: list[State]
) -> None:
    group, job = data[0], data[-1]
    deployed = deploy_model(host, group, job, "kind")
    old_solution = deployed["solution"]
    campaign = deployed["campaign"]

    changed = solution_inputs(group, "kind", recipe_arn=SIMS)
    states, log = update_all(host, model_plan(group, job, deployed, changed, "RELATED_ITEMS"))
    # Same campaign name, so the campaign goes first (its clients now get another kind of
    # answer anyway); the old solution is deleted at the end, when nothing uses it.
    assert log == [
        "create solution",
        "create version",
        "delete campaign",
        "create campaign",
        "delete replaced version",
        "delete replaced solution",
    ]
    described = pz.describe_campaign(campaignArn=states["campaign"].id)["campaign"]
    assert described["solutionVersionArn"] == states["version"].id
    assert described["status"] == "ACTIVE"
    assert states["campaign"].inputs["name"] == campaign.inputs["name"]
    assert gone(pz, old_solution.id)
    for key in ("campaign", "version", "solution"):
        destroy(host, states[key])


def test_recipe_type_is_checked_and_an_old_state_without_it_is_no_change(
    host: ProviderHost,
) -> None:
    inputs = {
        "name": "c",
        "solution_version_arn": "arn:aws:personalize:us-east-1:1:solution/s/abc",
        "region": REGION,
    }
    bad = host.check(CampaignProvider(), {**inputs, "recipe_type": "RANKING"})
    assert [f["property"] for f in bad["failures"]] == ["recipe_type"]
    assert (
        "USER_PERSONALIZATION, PERSONALIZED_RANKING, RELATED_ITEMS"
        in (bad["failures"][0]["reason"])
    )
    olds = {**inputs, "min_provisioned_tps": 1, "arn": "x", "status": "ACTIVE"}
    news = {**inputs, "min_provisioned_tps": 1, "recipe_type": "USER_PERSONALIZATION"}
    assert host.diff(CampaignProvider(), "x", olds, news)["changes"] == "DIFF_NONE"


def test_a_solution_named_before_its_name_carried_the_settings_id_is_no_change(
    host: ProviderHost, data: list[State]
) -> None:
    """A stack deployed when the solution was named after its model alone: the first `up` with
    the settings id in the name must not train a new solution for the very same settings."""
    group = data[0]
    current = solution_inputs(group, "legacy", perform_hpo=False)
    legacy = up(host, SolutionProvider(), {**current, "name": "legacy"})
    try:
        same = host.check(SolutionProvider(), current, olds=legacy.inputs)["inputs"]
        assert host.diff(SolutionProvider(), legacy.id, legacy.outs, same)["changes"] == "DIFF_NONE"
        # An update in place keeps saying the name the solution has.
        tagged = host.check(SolutionProvider(), {**current, "tags": {"team": "a"}})["inputs"]
        diff = host.diff(SolutionProvider(), legacy.id, legacy.outs, tagged)
        assert (diff["changes"], diff["replaces"]) == ("DIFF_SOME", [])
        legacy.outs = host.update(SolutionProvider(), legacy.id, legacy.outs, tagged)
        assert legacy.outs["name"] == "legacy"
        assert (
            host.diff(SolutionProvider(), legacy.id, legacy.outs, tagged)["changes"] == "DIFF_NONE"
        )

        # New settings still mean a new solution, created before the old one goes.
        sims = solution_inputs(group, "legacy", recipe_arn=SIMS)
        checked = host.check(SolutionProvider(), sims, olds=legacy.inputs)["inputs"]
        diff = host.diff(SolutionProvider(), legacy.id, legacy.outs, checked)
        assert set(diff["replaces"]) == {"name", "recipe_arn"}
        assert diff["delete_before_replace"] is False

        # Any other rename is a rename.
        other = host.check(SolutionProvider(), {**current, "name": "legacy-other"})["inputs"]
        assert host.diff(SolutionProvider(), legacy.id, legacy.outs, other)["replaces"] == ["name"]
    finally:
        destroy(host, legacy)
