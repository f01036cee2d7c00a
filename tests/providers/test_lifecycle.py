"""The providers through the real dynamic provider host, against the Personalize emulator.

Every call below is a gRPC call into `python -m pulumi.dynamic` carrying the provider as the SDK
serializes it; the host process talks to the emulator with boto3 like it would to AWS.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest

from local.personalize_emulator import Steps
from local.provider_host import ProviderHost, ProviderHostError
from providers.base import PollSettings
from providers.campaign import CampaignProvider
from providers.dataset import DatasetProvider
from providers.dataset_group import DatasetGroupProvider
from providers.dataset_import_job import DatasetImportJobProvider, attempt_names
from providers.event_tracker import EventTrackerProvider
from providers.filter import FilterProvider
from providers.solution import SolutionProvider
from providers.solution_version import TRAINING_INPUTS_TAG, SolutionVersionProvider
from tests.conftest import INTERACTIONS_SCHEMA, REGION

from .conftest import BUCKET, INTERACTIONS_KEY, RECIPE, ROLE_ARN
from .engine import State, change, data_chain, destroy, destroy_all, up

UNSEEN = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'


def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met in time"
        time.sleep(0.02)


def gone(pz: Any, describe: str, key: str, arn: str) -> bool:
    try:
        getattr(pz, describe)(**{key: arn})
    except pz.exceptions.ResourceNotFoundException:
        return True
    return False


@contextmanager
def slow_training(emulator: Any, seconds: float = 3.0) -> Iterator[None]:
    """Trainings started inside take ``seconds``, so a test can act while one is in progress."""
    with emulator.step_durations({"solution-version": Steps(0.05, seconds)}):
        yield


def version_inputs(solution: State, fingerprint: str, **extra: Any) -> dict[str, Any]:
    return {
        "solution_arn": solution.outs["arn"],
        "training_inputs": fingerprint,
        "region": REGION,
        **extra,
    }


@pytest.fixture(scope="module")
def chain(host: ProviderHost) -> Iterator[list[State]]:
    """A trained-ready dataset group shared by the tests that need a solution."""
    states = data_chain(host, "shared")
    yield states
    destroy_all(host, states)


@pytest.fixture(scope="module")
def trained(host: ProviderHost, chain: list[State]) -> State:
    return up(host, SolutionVersionProvider(), version_inputs(chain[-1], "data-v1"))


# ---- the whole chain ---------------------------------------------------------------------


def test_full_chain_created_then_destroyed_in_reverse_leaves_nothing(host, emulator, pz, unique):
    before = set(emulator.live_resources())
    states = data_chain(host, unique)
    group, _schema, dataset, job, solution = states
    assert group.outs["status"] == "ACTIVE"
    assert group.outs["arn"] == group.id
    assert dataset.outs["arn"].endswith(f"dataset/{unique}-group/INTERACTIONS")
    assert job.outs["status"] == "ACTIVE"
    assert solution.outs["perform_auto_training"] is False
    assert pz.describe_solution(solutionArn=solution.id)["solution"]["performAutoTraining"] is False

    version = up(host, SolutionVersionProvider(), version_inputs(solution, "data-v1"))
    assert version.outs["status"] == "ACTIVE"
    assert version.outs["metrics"]["precision_at_10"] > 0
    assert version.outs["training_mode"] == "FULL"
    campaign = up(
        host,
        CampaignProvider(),
        {
            "name": f"{unique}-campaign",
            "solution_version_arn": version.outs["arn"],
            "region": REGION,
            "tags": {"team": "recs"},
        },
    )
    assert campaign.outs["status"] == "ACTIVE"
    assert campaign.outs["solution_version_arn"] == version.id
    assert campaign.outs["min_provisioned_tps"] == 1
    tracker = up(
        host,
        EventTrackerProvider(),
        {"name": f"{unique}-tracker", "dataset_group_arn": group.id, "region": REGION},
    )
    assert re.fullmatch(r"[0-9a-f-]{8,}", tracker.outs["tracking_id"])
    flt = up(
        host,
        FilterProvider(),
        {
            "name": f"{unique}-unseen",
            "dataset_group_arn": group.id,
            "filter_expression": UNSEEN,
            "region": REGION,
        },
    )
    assert flt.outs["status"] == "ACTIVE"

    # Reverse order, each delete waiting until its resource is gone, so the next one succeeds.
    for state in reversed([*states, version, campaign, tracker, flt]):
        destroy(host, state)
    assert set(emulator.live_resources()) == before
    # Deleting what is already gone is done, not an error.
    destroy(host, flt)
    destroy(host, group)


# ---- updates and replacements ------------------------------------------------------------


def test_campaign_switches_to_a_new_version_in_place_while_serving(host, emulator, chain, trained):
    campaign = up(
        host,
        CampaignProvider(),
        {"name": "switch-campaign", "solution_version_arn": trained.id, "region": REGION},
    )
    # A retrain: new fingerprint -> replacement, created before the old one is deleted.
    version = change(host, trained, version_inputs(chain[-1], "data-v2"))
    assert version.steps == ["create", "delete"]
    assert version.id != trained.id

    runtime = boto3.client("personalize-runtime", region_name=REGION, endpoint_url=emulator.url)
    pz_seen: list[tuple[str, str]] = []
    served_ok: list[bool] = []
    stop = threading.Event()
    pz = boto3.client("personalize", region_name=REGION, endpoint_url=emulator.url)

    def watch() -> None:
        while not stop.is_set():
            described = pz.describe_campaign(campaignArn=campaign.id)["campaign"]
            pz_seen.append((described["status"], described["solutionVersionArn"]))
            items = runtime.get_recommendations(campaignArn=campaign.id, userId="u00001")
            served_ok.append(bool(items["itemList"]))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        diff = host.diff(
            CampaignProvider(),
            campaign.id,
            campaign.outs,
            {**campaign.inputs, "solution_version_arn": version.id},
        )
        assert diff["changes"] == "DIFF_SOME"
        assert diff["replaces"] == []
        switched = change(
            host,
            campaign,
            {**campaign.inputs, "solution_version_arn": version.id, "min_provisioned_tps": 2},
        )
    finally:
        stop.set()
        watcher.join()
    assert switched.steps == ["update"]
    assert switched.id == campaign.id
    # Update returned every output, with the version now served.
    assert switched.outs["arn"] == campaign.id
    assert switched.outs["status"] == "ACTIVE"
    assert switched.outs["solution_version_arn"] == version.id
    assert switched.outs["min_provisioned_tps"] == 2
    # Serving never stopped: always ACTIVE, recommendations all along, old then new version.
    assert {status for status, _ in pz_seen} == {"ACTIVE"}
    assert all(served_ok)
    assert pz_seen[0][1] in (trained.id, version.id)
    assert pz_seen[-1][1] == version.id
    destroy(host, switched)


def test_immutable_change_replaces_named_resource_delete_first(host, pz, chain):
    group = chain[0]
    flt = up(
        host,
        FilterProvider(),
        {
            "name": "replace-me",
            "dataset_group_arn": group.id,
            "filter_expression": UNSEEN,
            "region": REGION,
        },
    )
    narrower = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    diff = host.diff(
        FilterProvider(), flt.id, flt.outs, {**flt.inputs, "filter_expression": narrower}
    )
    assert diff == {
        "changes": "DIFF_SOME",
        "replaces": ["filter_expression"],
        "delete_before_replace": True,
    }
    replaced = change(host, flt, {**flt.inputs, "filter_expression": narrower})
    assert replaced.steps == ["delete", "create"]
    assert pz.describe_filter(filterArn=replaced.id)["filter"]["filterExpression"] == narrower
    # Tags alone change in place.
    retagged = change(host, replaced, {**replaced.inputs, "tags": {"owner": "ml"}})
    assert retagged.steps == ["update"]
    assert pz.list_tags_for_resource(resourceArn=retagged.id)["tags"] == [
        {"tagKey": "owner", "tagValue": "ml"}
    ]
    # A new name does not collide: create-before-delete.
    renamed = host.diff(FilterProvider(), flt.id, retagged.outs, {**retagged.inputs, "name": "x2"})
    assert renamed["replaces"] == ["name"]
    assert renamed["delete_before_replace"] is False
    destroy(host, retagged)


def test_solution_auto_training_updates_in_place_and_recipe_replaces(host, pz, chain):
    group = chain[0]
    solution = up(
        host,
        SolutionProvider(),
        {"name": "auto-sol", "dataset_group_arn": group.id, "recipe_arn": RECIPE, "region": REGION},
    )
    news = {
        **solution.inputs,
        "perform_auto_training": True,
        "auto_training_schedule": "rate(3 days)",
    }
    diff = host.diff(SolutionProvider(), solution.id, solution.outs, news)
    assert diff["replaces"] == []
    updated = change(host, solution, news)
    assert updated.steps == ["update"]
    assert updated.outs["arn"] == solution.id
    assert updated.outs["status"] == "ACTIVE"
    assert updated.outs["perform_auto_training"] is True
    described = pz.describe_solution(solutionArn=solution.id)["solution"]
    assert described["performAutoTraining"] is True
    assert (
        described["solutionConfig"]["autoTrainingConfig"]["schedulingExpression"] == "rate(3 days)"
    )
    sims = {**updated.inputs, "recipe_arn": "arn:aws:personalize:::recipe/aws-sims"}
    diff = host.diff(SolutionProvider(), solution.id, updated.outs, sims)
    assert diff["replaces"] == ["recipe_arn"]
    assert diff["delete_before_replace"] is True
    # Off again before deleting, so no auto-training version is started behind our back.
    off = change(
        host,
        updated,
        {**updated.inputs, "perform_auto_training": False, "auto_training_schedule": None},
    )
    assert off.outs["perform_auto_training"] is False
    destroy(host, off)


def test_import_job_any_change_replaces_and_delete_is_a_no_op(host, pz, chain):
    job = chain[3]
    diff = host.diff(
        DatasetImportJobProvider(),
        job.id,
        job.outs,
        {**job.inputs, "job_name": "shared-import-2", "import_mode": "INCREMENTAL"},
    )
    assert sorted(diff["replaces"]) == ["import_mode", "job_name"]
    assert diff["delete_before_replace"] is False
    host.delete(DatasetImportJobProvider(), job.id, job.outs)
    assert pz.describe_dataset_import_job(datasetImportJobArn=job.id)["datasetImportJob"]


# ---- refresh -----------------------------------------------------------------------------


def test_refresh_drops_resource_deleted_out_of_band_and_refreshes_outputs(host, pz, chain, trained):
    group = chain[0]
    tracker = up(
        host,
        EventTrackerProvider(),
        {"name": "refresh-tracker", "dataset_group_arn": group.id, "region": REGION},
    )
    read = host.read(EventTrackerProvider(), tracker.id, tracker.outs, tracker.inputs)
    assert read["id"] == tracker.id
    assert read["outs"]["tracking_id"] == tracker.outs["tracking_id"]
    pz.delete_event_tracker(eventTrackerArn=tracker.id)
    # Gone, or going: either way refresh drops it from the state.
    read = host.read(EventTrackerProvider(), tracker.id, tracker.outs, tracker.inputs)
    assert read == {"id": "", "outs": {}}
    wait_for(lambda: gone(pz, "describe_event_tracker", "eventTrackerArn", tracker.id))
    assert host.read(EventTrackerProvider(), tracker.id, tracker.outs)["id"] == ""

    # Drift: someone raised the campaign's TPS in the console; refresh shows it, diff undoes it.
    campaign = up(
        host,
        CampaignProvider(),
        {"name": "drift-campaign", "solution_version_arn": trained.id, "region": REGION},
    )
    pz.update_campaign(campaignArn=campaign.id, minProvisionedTPS=7)
    wait_for(
        lambda: (
            pz.describe_campaign(campaignArn=campaign.id)["campaign"]
            .get("latestCampaignUpdate", {})
            .get("status")
            == "ACTIVE"
        )
    )
    read = host.read(CampaignProvider(), campaign.id, campaign.outs, campaign.inputs)
    assert read["outs"]["min_provisioned_tps"] == 7
    assert read["outs"]["arn"] == campaign.id
    diff = host.diff(CampaignProvider(), campaign.id, read["outs"], campaign.inputs)
    assert diff["changes"] == "DIFF_SOME"
    assert diff["replaces"] == []
    # The version's metrics come back on refresh too.
    version = host.read(SolutionVersionProvider(), trained.id, trained.outs)
    assert version["outs"]["metrics"] == trained.outs["metrics"]
    destroy(host, State(CampaignProvider(), campaign.id, campaign.inputs, read["outs"]))


# ---- interrupted creates -----------------------------------------------------------------


def test_interrupted_create_is_adopted_when_settings_match(host, emulator, pz, chain):
    group = chain[0]
    # An earlier `up` got as far as CreateFilter, then died.
    arn = pz.create_filter(name="adopt-me", datasetGroupArn=group.id, filterExpression=UNSEEN)[
        "filterArn"
    ]
    adopted = up(
        host,
        FilterProvider(),
        {
            "name": "adopt-me",
            "dataset_group_arn": group.id,
            "filter_expression": UNSEEN,
            "region": REGION,
        },
    )
    assert adopted.id == arn
    assert adopted.outs["status"] == "ACTIVE"
    destroy(host, adopted)

    other = pz.create_filter(name="adopt-not", datasetGroupArn=group.id, filterExpression=UNSEEN)
    with pytest.raises(ProviderHostError) as failure:
        up(
            host,
            FilterProvider(),
            {
                "name": "adopt-not",
                "dataset_group_arn": group.id,
                "filter_expression": 'INCLUDE ItemID WHERE Items.GENRES IN ("Comedy")',
                "region": REGION,
            },
        )
    message = failure.value.details
    assert "filter 'adopt-not'" in message
    assert "already exists with different settings" in message
    assert "filter_expression: wanted 'INCLUDE ItemID" in message
    assert "found 'EXCLUDE ItemID" in message
    wait_for(
        lambda: pz.describe_filter(filterArn=other["filterArn"])["filter"]["status"] == "ACTIVE"
    )
    pz.delete_filter(filterArn=other["filterArn"])


def test_interrupted_training_is_picked_up_not_started_twice(host, emulator, pz, chain):
    solution = chain[-1]
    # Long enough that the training is still running when the provider looks for it, however
    # slowly the shared host answers.
    with slow_training(emulator):
        running = pz.create_solution_version(
            solutionArn=solution.id,
            tags=[{"tagKey": TRAINING_INPUTS_TAG, "tagValue": "data-resume"}],
        )["solutionVersionArn"]
        starts = emulator.call_counts().get("CreateSolutionVersion", 0)
        version = up(host, SolutionVersionProvider(), version_inputs(solution, "data-resume"))
    assert version.id == running
    assert version.outs["status"] == "ACTIVE"
    assert emulator.call_counts().get("CreateSolutionVersion", 0) == starts


def test_fingerprint_of_two_imports_is_a_tag_value_the_service_takes(host, emulator, pz, chain):
    # Two datasets: the model component joins the two import jobs' ARNs with a comma, which the
    # TagValue pattern refuses. Short enough (< 256) that only the character rule catches it.
    jobs = ",".join(
        f"arn:aws:personalize:{REGION}:123456789012:dataset-import-job/two-{kind}-1"
        for kind in ("interactions", "items")
    )
    assert len(jobs) < 256
    version = up(host, SolutionVersionProvider(), version_inputs(chain[-1], jobs))
    assert version.outs["status"] == "ACTIVE"
    tags = pz.list_tags_for_resource(resourceArn=version.id)["tags"]
    value = {t["tagKey"]: t["tagValue"] for t in tags}[TRAINING_INPUTS_TAG]
    assert "," not in value
    # The same inputs find the same training again (here: finished, so it is adopted).
    starts = emulator.call_counts().get("CreateSolutionVersion", 0)
    again = up(host, SolutionVersionProvider(), version_inputs(chain[-1], jobs))
    assert again.id == version.id
    assert emulator.call_counts().get("CreateSolutionVersion", 0) == starts


def test_named_dataset_adopted_and_mismatch_explained(host, pz, chain):
    dataset = chain[2]
    again = up(host, DatasetProvider(), dataset.inputs)
    assert again.id == dataset.id
    other = pz.create_schema(
        name="other-schema", schema=INTERACTIONS_SCHEMA.replace('"1.0"', '"2.0"')
    )
    try:
        with pytest.raises(ProviderHostError, match=r"schema_arn: wanted .*other-schema"):
            up(host, DatasetProvider(), {**dataset.inputs, "schema_arn": other["schemaArn"]})
    finally:
        pz.delete_schema(schemaArn=other["schemaArn"])


# ---- failures and retries ----------------------------------------------------------------


def test_create_failed_raises_reason_and_leaves_nothing(host, emulator, pz, chain):
    group = chain[0]
    emulator.fail_creation("doomed", "Filter expression references an unknown column")
    inputs = {
        "name": "doomed",
        "dataset_group_arn": group.id,
        "filter_expression": UNSEEN,
        "region": REGION,
    }
    with pytest.raises(ProviderHostError) as failure:
        up(host, FilterProvider(), inputs)
    assert "filter 'doomed'" in failure.value.details
    assert (
        "failed to create: Filter expression references an unknown column" in failure.value.details
    )
    assert "The failed resource was deleted" in failure.value.details
    assert not [a for a in emulator.live_resources() if a.endswith(":filter/doomed")]
    # Nothing blocks the next `up`.
    retried = up(host, FilterProvider(), inputs)
    assert retried.outs["status"] == "ACTIVE"
    destroy(host, retried)


def test_failed_import_surfaces_reason_and_next_attempt_gets_a_fresh_name(host, emulator, chain):
    dataset = chain[2]
    emulator.fail_creation("shared-import-bad", "Column EVENT_TYPE not found in the CSV header")
    inputs = {
        "job_name": "shared-import-bad",
        "dataset_arn": dataset.id,
        "data_location": f"s3://{BUCKET}/{INTERACTIONS_KEY}",
        "role_arn": ROLE_ARN,
        "region": REGION,
    }
    with pytest.raises(ProviderHostError, match="Column EVENT_TYPE not found"):
        up(host, DatasetImportJobProvider(), inputs)
    retried = up(host, DatasetImportJobProvider(), inputs)
    assert retried.id.endswith("dataset-import-job/shared-import-bad-r2")
    assert retried.outs["status"] == "ACTIVE"


def test_an_import_out_of_attempt_names_says_why_the_last_one_failed(host, emulator, chain):
    """The `up` that finds every attempt name taken by a failed job still says what failed."""
    name = "shared-import-always-bad"
    inputs = {
        "job_name": name,
        "dataset_arn": chain[2].id,
        "data_location": f"s3://{BUCKET}/{INTERACTIONS_KEY}",
        "role_arn": ROLE_ARN,
        "region": REGION,
    }
    for attempt in attempt_names(name):
        emulator.fail_creation(attempt, f"Column EVENT_TYPE not found ({attempt})")
        with pytest.raises(ProviderHostError):
            up(host, DatasetImportJobProvider(), inputs)
    with pytest.raises(ProviderHostError) as exhausted:
        up(host, DatasetImportJobProvider(), inputs)
    assert "change job_name" in exhausted.value.details
    last = attempt_names(name)[-1]
    assert f"Column EVENT_TYPE not found ({last})" in exhausted.value.details


def test_throttling_and_server_errors_are_retried(host, emulator, unique):
    emulator.fail_next("CreateDatasetGroup", 2, "ThrottlingException")
    emulator.fail_next("DescribeDatasetGroup", 1, 503)
    emulator.fail_next("DescribeDatasetGroup", 1, "InternalFailure")
    emulator.fail_next("DeleteDatasetGroup", 1, "TooManyRequestsException")
    before = emulator.call_counts()
    group = up(host, DatasetGroupProvider(), {"name": f"{unique}-flaky", "region": REGION})
    assert group.outs["status"] == "ACTIVE"
    destroy(host, group)
    after = emulator.call_counts()
    assert after["CreateDatasetGroup"] - before.get("CreateDatasetGroup", 0) == 3
    assert after["DeleteDatasetGroup"] - before.get("DeleteDatasetGroup", 0) == 2


def test_delete_retries_while_a_dependent_is_still_deleting(host, emulator, pz, unique):
    group = up(host, DatasetGroupProvider(), {"name": f"{unique}-busy", "region": REGION})
    flt = up(
        host,
        FilterProvider(),
        {
            "name": f"{unique}-f",
            "dataset_group_arn": group.id,
            "filter_expression": UNSEEN,
            "region": REGION,
        },
    )
    # The group's delete starts while its filter still exists (Pulumi deletes dependents first,
    # but another stack or a slow delete can leave one around): it must wait, not fail.
    before = emulator.call_counts().get("DeleteDatasetGroup", 0)
    late = threading.Timer(0.5, lambda: pz.delete_filter(filterArn=flt.id))
    late.start()
    destroy(host, group)
    late.join()
    assert emulator.call_counts()["DeleteDatasetGroup"] - before >= 2
    assert gone(pz, "describe_dataset_group", "datasetGroupArn", group.id)


def test_solution_delete_stops_a_training_in_progress(host, emulator, pz, unique):
    states = data_chain(host, unique)
    solution = states[-1]
    with slow_training(emulator):
        version = pz.create_solution_version(solutionArn=solution.id)["solutionVersionArn"]
    destroy(host, solution)
    assert emulator.call_counts().get("StopSolutionVersionCreation", 0) >= 1
    assert gone(pz, "describe_solution", "solutionArn", solution.id)
    assert version
    for state in reversed(states[:-1]):
        destroy(host, state)


def test_version_delete_stops_training_in_progress(host, emulator, pz, chain):
    solution = chain[-1]
    with slow_training(emulator):
        arn = pz.create_solution_version(solutionArn=solution.id)["solutionVersionArn"]
    host.delete(SolutionVersionProvider(), arn, {**version_inputs(solution, "x"), "arn": arn})
    status = pz.describe_solution_version(solutionVersionArn=arn)["solutionVersion"]["status"]
    assert status == "CREATE STOPPED"


# ---- quality gate ------------------------------------------------------------------------


def test_quality_gate_passes_and_fails_before_any_campaign(host, emulator, chain, trained):
    solution = chain[-1]
    precision = trained.outs["metrics"]["precision_at_10"]
    passed = up(
        host,
        SolutionVersionProvider(),
        version_inputs(solution, "gate-pass", quality_gate={"precision_at_10": precision / 2}),
    )
    assert passed.outs["status"] == "ACTIVE"
    bar = precision + 0.5
    with pytest.raises(ProviderHostError) as failure:
        up(
            host,
            SolutionVersionProvider(),
            version_inputs(solution, "gate-fail", quality_gate={"precision_at_10": bar}),
        )
    assert re.search(
        r"solution version arn:aws:personalize:\S+: precision_at_10 = [0-9.]+ is below the "
        rf"minimum {bar:.4g} set in quality_gate",
        failure.value.details,
    )
    # Tightening the gate on an existing version re-checks it in place (no retraining).
    diff = host.diff(
        SolutionVersionProvider(),
        passed.id,
        passed.outs,
        {**passed.inputs, "quality_gate": {"precision_at_10": bar}},
    )
    assert diff["replaces"] == []
    with pytest.raises(ProviderHostError, match="is below the minimum"):
        change(host, passed, {**passed.inputs, "quality_gate": {"precision_at_10": bar}})


# ---- check -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("provider", "inputs", "prop", "reason"),
    [
        (DatasetGroupProvider(), {"name": "-bad", "region": REGION}, "name", "must match"),
        (DatasetGroupProvider(), {"name": "x" * 64, "region": REGION}, "name", "at most 63"),
        (DatasetGroupProvider(), {"name": "ok"}, None, None),
        (DatasetGroupProvider(), {"name": "ok", "region": "mars"}, "region", "region is required"),
        (
            DatasetProvider(),
            {
                "name": "d",
                "dataset_group_arn": "arn:aws:personalize:us-east-1:1:dataset-group/g",
                "schema_arn": "arn:aws:personalize:us-east-1:1:schema/s",
                "dataset_type": "Clicks",
                "region": REGION,
            },
            "dataset_type",
            "must be one of Interactions, Items, Users",
        ),
        (
            DatasetImportJobProvider(),
            {
                "job_name": "j",
                "dataset_arn": "arn:aws:personalize:us-east-1:1:dataset/g/INTERACTIONS",
                "data_location": "https://bucket/key",
                "role_arn": ROLE_ARN,
                "region": REGION,
            },
            "data_location",
            "s3://bucket/key",
        ),
        (
            DatasetImportJobProvider(),
            {
                "job_name": "j",
                "dataset_arn": "arn:aws:personalize:us-east-1:1:dataset/g/INTERACTIONS",
                "data_location": "s3://bucket/key.csv",
                "role_arn": ROLE_ARN,
                "import_mode": "APPEND",
                "region": REGION,
            },
            "import_mode",
            "FULL, INCREMENTAL",
        ),
        (
            CampaignProvider(),
            {
                "name": "c",
                "solution_version_arn": "arn:aws:personalize:us-east-1:1:solution/s/abc",
                "min_provisioned_tps": 0,
                "region": REGION,
            },
            "min_provisioned_tps",
            ">= 1",
        ),
        (
            SolutionProvider(),
            {
                "name": "s",
                "dataset_group_arn": "arn:aws:personalize:us-east-1:1:dataset-group/g",
                "region": REGION,
            },
            "recipe_arn",
            "recipe_arn is required",
        ),
        (
            SolutionVersionProvider(),
            {
                "solution_arn": "arn:aws:personalize:us-east-1:1:solution/s",
                "quality_gate": {"precision_at_10": "high"},
                "region": REGION,
            },
            "quality_gate",
            "must be a number",
        ),
    ],
)
def test_check_names_the_property(host, provider, inputs, prop, reason):
    result = host.check(provider, inputs)
    if prop is None:
        # The region falls back to the provider's aws:region config.
        assert result["failures"] == []
        assert result["inputs"]["region"] == REGION
        return
    assert [f["property"] for f in result["failures"]] == [prop]
    assert reason in result["failures"][0]["reason"]


def test_check_accepts_unknowns_during_preview(host):
    from local.provider_host import UNKNOWN

    result = host.check(
        DatasetProvider(),
        {
            "name": "d",
            "dataset_group_arn": UNKNOWN,
            "schema_arn": UNKNOWN,
            "dataset_type": "Items",
            "region": REGION,
        },
    )
    assert result["failures"] == []


def test_poll_settings_reach_the_provider_process():
    # The host runs with PERSONALIZE_POLL_SCALE; the real defaults stay slow and patient.
    assert PollSettings().max_interval == 60.0


def test_failed_campaign_update_keeps_serving_and_says_why(host, emulator, pz, trained):
    campaign = up(
        host,
        CampaignProvider(),
        {"name": "update-fails", "solution_version_arn": trained.id, "region": REGION},
    )
    emulator.fail_creation("campaign-update", "Insufficient capacity for 3 TPS")
    with pytest.raises(ProviderHostError) as failure:
        change(host, campaign, {**campaign.inputs, "min_provisioned_tps": 3})
    assert "campaign 'update-fails'" in failure.value.details
    assert "failed: Insufficient capacity for 3 TPS" in failure.value.details
    assert f"keeps serving {trained.id}" in failure.value.details
    described = pz.describe_campaign(campaignArn=campaign.id)["campaign"]
    assert described["status"] == "ACTIVE"
    assert described["minProvisionedTPS"] == 1
    destroy(host, campaign)


def test_check_normalizes_config_keys_and_values(host):
    result = host.check(
        CampaignProvider(),
        {
            "name": "c",
            "solution_version_arn": "arn:aws:personalize:us-east-1:1:solution/s/abc",
            "campaign_config": {"item_exploration_config": {"explorationWeight": 0.3}},
            "region": REGION,
        },
    )
    assert result["failures"] == []
    assert result["inputs"]["campaign_config"] == {
        "itemExplorationConfig": {"explorationWeight": "0.3"}
    }
    assert result["inputs"]["min_provisioned_tps"] == 1
    bad = host.check(
        SolutionProvider(),
        {
            "name": "s",
            "dataset_group_arn": "arn:aws:personalize:us-east-1:1:dataset-group/g",
            "recipe_arn": RECIPE,
            "solution_config": {"learning_rate": 1},
            "region": REGION,
        },
    )
    assert [f["property"] for f in bad["failures"]] == ["solution_config"]
    assert "unknown key 'learning_rate'" in bad["failures"][0]["reason"]


def test_a_named_version_that_failed_says_its_name_cannot_be_used_again(host, emulator, chain):
    # No DeleteSolutionVersion exists: the failed version keeps its name, and waiting for it to
    # go would only run into the delete timeout. Said at once, with the reason.
    emulator.fail_creation("doomed-version", "Not enough interactions after filtering")
    inputs = {**version_inputs(chain[-1], "data-doomed"), "name": "doomed-version"}
    with pytest.raises(ProviderHostError, match="failed to train: Not enough interactions"):
        up(host, SolutionVersionProvider(), inputs)
    with pytest.raises(ProviderHostError) as again:
        up(host, SolutionVersionProvider(), inputs)
    assert "solution version 'doomed-version'" in again.value.details
    assert "Not enough interactions after filtering" in again.value.details
    assert "its name cannot be used again" in again.value.details
