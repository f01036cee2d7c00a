"""Datasets and model layers under mocks: the full chain, its inputs, and what waits for what."""

import json
import re
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from components.config import (
    NAME_PATTERN,
    NAME_PREFIX_MAX,
    ModelConfig,
    StackConfig,
    load_stack_config,
)
from components.data_check import DataCheckError
from components.model import solution_name
from providers.solution import settings_id
from tests.conftest import PERSONALIZE_KINDS
from tests.stack_harness import ROOT, Registration, StackRun, run_program, stack_config

DYNAMIC = "pulumi-python:dynamic/personalize:"
KINDS = PERSONALIZE_KINDS


def kind(resource: Registration) -> str:
    return resource.typ.removeprefix(DYNAMIC)


def test_dev_chain_has_every_resource_once_per_dataset_and_model(dev: StackRun) -> None:
    counts = {k: len(dev.of_type(DYNAMIC + k)) for k in KINDS}
    assert counts == {
        "DatasetGroup": 1, "Schema": 3, "Dataset": 3, "DatasetImportJob": 3, "Solution": 1,
        "SolutionVersion": 1, "Campaign": 1, "Filter": 1, "EventTracker": 1,
    }  # fmt: skip


def test_prod_has_three_models_and_two_filters(prod: StackRun) -> None:
    solutions = {
        # The model's name, then the id of its training settings.
        re.sub(r"-[0-9a-f]{8}$", "", s.inputs["name"]): s.inputs["recipe_arn"]
        for s in prod.of_type(DYNAMIC + "Solution")
    }
    assert solutions == {
        "reco-prod-recommendations": "arn:aws:personalize:::recipe/aws-user-personalization-v2",
        "reco-prod-ranking": "arn:aws:personalize:::recipe/aws-personalized-ranking-v2",
        "reco-prod-similar": "arn:aws:personalize:::recipe/aws-similar-items",
    }
    campaigns = {
        c.inputs["name"]: c.inputs["recipe_type"] for c in prod.of_type(DYNAMIC + "Campaign")
    }
    assert campaigns == {
        "reco-prod-recommendations": "USER_PERSONALIZATION",
        "reco-prod-ranking": "PERSONALIZED_RANKING",
        "reco-prod-similar": "RELATED_ITEMS",
    }
    assert sorted(f.inputs["name"] for f in prod.of_type(DYNAMIC + "Filter")) == [
        "reco-prod-filter-genre", "reco-prod-filter-unwatched", "reco-prod-promo-recommendations",
    ]  # fmt: skip


def test_every_personalize_resource_gets_the_region(dev: StackRun) -> None:
    for resource in dev.resources:
        if resource.typ.startswith(DYNAMIC):
            assert resource.inputs["region"] == "us-east-1", resource.name


def test_names_fit_personalize_rules(prod: StackRun, dev: StackRun) -> None:
    for run in (dev, prod):
        for resource in run.resources:
            if resource.typ.startswith(DYNAMIC):
                name = resource.inputs.get("name") or resource.inputs.get("job_name")
                if name is not None:
                    assert len(name) <= 63, name
                    assert name[0].isalnum(), name


def test_datasets_use_their_schema_and_group(dev: StackRun) -> None:
    group = dev.one(DYNAMIC + "DatasetGroup")
    assert group.inputs["name"] == "personalize-realtime-dev"
    for dataset in dev.of_type(DYNAMIC + "Dataset"):
        assert group.urn in dataset.dependencies
        assert dataset.inputs["dataset_type"] in ("Interactions", "Items", "Users")
        schema = next(s for s in dev.of_type(DYNAMIC + "Schema") if s.urn in dataset.dependencies)
        avsc = ROOT / "data/schemas" / f"{dataset.inputs['dataset_type'].lower()}.avsc"
        assert json.loads(schema.inputs["schema"]) == json.loads(avsc.read_text())


def test_import_jobs_wait_for_upload_and_permissions(dev: StackRun) -> None:
    for job in dev.of_type(DYNAMIC + "DatasetImportJob"):
        waits = {r.typ for r in dev.ancestors(job)}
        assert {
            "aws:s3/bucketObjectv2:BucketObjectv2",
            "aws:iam/rolePolicy:RolePolicy",
            "aws:s3/bucketPolicy:BucketPolicy",
        } <= waits
        assert job.inputs["import_mode"] == "FULL"
        assert job.inputs["data_location"].startswith("s3://personalize-realtime-dev-")


def test_training_waits_for_every_import(dev: StackRun) -> None:
    version = dev.one(DYNAMIC + "SolutionVersion")
    imports = {j.name for j in dev.of_type(DYNAMIC + "DatasetImportJob")}
    assert imports <= set(dev.waits_for(version, lambda r: kind(r) == "DatasetImportJob"))
    assert version.inputs["training_mode"] == "FULL"
    # The fingerprint names every import: a re-import trains a new version.
    assert version.inputs["training_inputs"].count("dataset-import-job/") == 3


def test_solution_does_not_wait_for_import(dev: StackRun) -> None:
    solution = dev.one(DYNAMIC + "Solution")
    assert not dev.waits_for(solution, lambda r: kind(r) == "DatasetImportJob")


def test_auto_training_is_off_by_default(dev: StackRun) -> None:
    solution = dev.one(DYNAMIC + "Solution")
    assert solution.inputs["perform_auto_training"] is False
    assert "auto_training_schedule" not in solution.inputs
    campaign = dev.one(DYNAMIC + "Campaign")
    assert "syncWithLatestSolutionVersion" not in campaign.inputs.get("campaign_config", {})


def test_auto_training_syncs_the_campaign_with_latest(prod: StackRun) -> None:
    solution = prod.one(DYNAMIC + "Solution", "ranking")
    assert solution.inputs["perform_auto_training"] is True
    assert solution.inputs["auto_training_schedule"] == "rate(7 days)"
    campaign = prod.one(DYNAMIC + "Campaign", "ranking")
    assert re.search(
        r"solution/reco-prod-ranking-[0-9a-f]{8}/\$LATEST$", campaign.inputs["solution_version_arn"]
    )
    assert campaign.inputs["campaign_config"]["syncWithLatestSolutionVersion"] is True
    assert prod.waits_for(campaign, lambda r: kind(r) == "SolutionVersion")


def test_campaign_serves_its_version_with_configured_settings(dev: StackRun) -> None:
    campaign = dev.one(DYNAMIC + "Campaign")
    version = dev.one(DYNAMIC + "SolutionVersion")
    assert version.urn in campaign.dependencies
    assert campaign.inputs["min_provisioned_tps"] == 1
    # The dev model is User-Personalization-v2: its campaign gets no exploration config.
    assert "campaign_config" not in campaign.inputs


def test_quality_gate_reaches_the_solution_version(prod: StackRun) -> None:
    version = prod.one(DYNAMIC + "SolutionVersion", "recommendations")
    assert version.inputs["quality_gate"] == {"precision_at_10": 0.01, "coverage": 0.05}
    for ungated in ("similar", "ranking"):
        assert "quality_gate" not in prod.one(DYNAMIC + "SolutionVersion", ungated).inputs


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_nothing_outside_the_model_layer_waits_for_training(
    stack: str, dev: StackRun, prod: StackRun
) -> None:
    run = dev if stack == "dev" else prod
    trained = ("SolutionVersion", "Campaign")
    for resource in run.resources:
        if (
            not resource.custom
            or kind(resource) in trained
            or resource.typ == "command:local:Command"
        ):
            continue
        waits = run.waits_for(resource, lambda r: kind(r) in trained)
        assert not waits, f"{resource.typ} {resource.name} waits for {waits}"


def test_event_tracker_needs_only_the_dataset_group_and_interactions(dev: StackRun) -> None:
    tracker = dev.one(DYNAMIC + "EventTracker")
    waits = {kind(r) for r in dev.ancestors(tracker) if r.typ.startswith(DYNAMIC)}
    assert waits <= {"DatasetGroup", "Dataset", "Schema"}, waits


def test_exports(dev: StackRun) -> None:
    outputs = dev.outputs
    assert (
        outputs["datasetGroupArn"]
        == "arn:aws:personalize:us-east-1:123456789012:dataset-group/personalize-realtime-dev"
    )
    assert set(outputs["campaignArns"]) == {"recommendations"}
    assert set(outputs["solutionVersionArns"]) == {"recommendations"}
    assert set(outputs["solutionMetrics"]) == {"recommendations"}


def test_api_gets_campaign_arns_from_names(dev: StackRun) -> None:
    recommend = next(
        f for f in dev.of_type("aws:lambda/function:Function") if "recommend" in f.name
    )
    env = recommend.inputs["environment"]["variables"]
    assert (
        env["RECOMMENDATIONS_CAMPAIGN_ARN"]
        == "arn:aws:personalize:us-east-1:123456789012:campaign/personalize-realtime-dev-recommendations"
    )
    assert json.loads(env["FILTER_ARNS"]) == {
        "unwatched": "arn:aws:personalize:us-east-1:123456789012:filter/personalize-realtime-dev-filter-unwatched"
    }


def test_bad_data_fails_before_any_resource(tmp_path: Path) -> None:
    bad = tmp_path / "interactions.csv"
    bad.write_text("USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP\nu1,m1,click,yesterday\n")
    registered: dict[str, Registration] = {}
    with pytest.raises(DataCheckError) as raised:
        run_program(
            "dev", {"personalize-realtime:datasets": {"interactions": str(bad)}}, registered
        )
    assert f"{bad} line 2" in str(raised.value)
    assert "TIMESTAMP" in str(raised.value)
    assert registered == {}


def dev_config() -> StackConfig:
    namespace = "personalize-realtime:"
    values = {
        k[len(namespace) :]: v for k, v in stack_config("dev").items() if k.startswith(namespace)
    }
    return load_stack_config("personalize-realtime", "dev", values, root=ROOT)


def test_a_change_that_needs_a_new_solution_gives_it_a_new_name() -> None:
    # Personalize refuses to delete a solution a campaign serves: the replacement must be
    # created next to the old one (create-before-delete), which needs another physical name.
    config = dev_config()
    model = config.models[0]
    name = solution_name(config, model)
    assert re.fullmatch(rf"{config.name(model.name)}-[0-9a-f]{{8}}", name)

    def with_training(**changes: Any) -> ModelConfig:
        return replace(model, training=replace(model.training, **changes))

    replacing = [
        with_training(hpo=True),
        with_training(event_type="watch"),
        with_training(solution_config={"eventValueThreshold": "0.5"}),
        replace(model, recipe="aws-user-personalization"),
    ]
    names = {solution_name(config, changed) for changed in replacing}
    assert name not in names
    assert len(names) == len(replacing)
    # Auto-training updates in place, campaign and gate settings are not the solution's: same name.
    in_place = [
        with_training(auto_training=True, auto_training_schedule="rate(3 days)"),
        replace(model, quality_gate={"precision_at_10": 0.5}),
        replace(model, campaign=replace(model.campaign, min_provisioned_tps=3)),
        with_training(solution_config={}),
    ]
    assert {solution_name(config, changed) for changed in in_place} == {name}


@pytest.mark.parametrize("region", ["eu-west-1", "cn-north-1"])
def test_the_solution_name_carries_the_id_of_the_settings_it_is_sent(region: str) -> None:
    # The id must hash exactly the inputs the solution gets (the recipe ARN in the stack's
    # partition included), or a changed setting could keep the old name and delete first.
    run = run_program("prod", {"aws:region": region})
    for solution in run.of_type(DYNAMIC + "Solution"):
        assert solution.inputs["name"].endswith("-" + settings_id(solution.inputs))


def test_the_longest_solution_name_fits_personalize() -> None:
    # The longest prefix and model name the config check lets through, plus the settings id.
    config = replace(dev_config(), name_prefix="p" * NAME_PREFIX_MAX)
    model = replace(config.models[0], name="m" * 20)
    name = solution_name(config, model)
    assert len(name) <= 63, name
    assert NAME_PATTERN.match(name), name
