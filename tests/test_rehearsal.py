"""End to end: the rehearsal deploys a stack locally, uses every route it configures, applies
changed stack files as `pulumi up` would, and destroys it, leaving nothing behind."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from local.program import ROOT
from tests.conftest import PERSONALIZE_KINDS

KINDS = PERSONALIZE_KINDS
SHOP = ROOT / "examples/shop/Pulumi.shop.yaml"
MODELS = "personalize-realtime:models"
FILTERS = "personalize-realtime:filters"
DATASETS = "personalize-realtime:datasets"


def rehearse(tmp_path: Path, *args: str) -> tuple[dict[str, Any], str]:
    """Run the rehearsal as a user would; its JSON report and what it printed."""
    report_file = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "local.rehearsal", *args, "--json", str(report_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    return json.loads(report_file.read_text()), done.stdout


def routes(exercise: dict[str, Any]) -> set[str]:
    return {call["route"] for call in exercise["calls"]}


def personalize(changes: dict[str, str]) -> dict[str, str]:
    """The Personalize resources' changes, unchanged ones left out."""
    return {
        label: action
        for label, action in changes.items()
        if label.split()[0] in KINDS and action != "unchanged"
    }


def dev_config() -> dict[str, Any]:
    return yaml.safe_load((ROOT / "Pulumi.dev.yaml").read_text())


def write(tmp_path: Path, name: str, document: dict[str, Any]) -> str:
    path = tmp_path / f"Pulumi.{name}.yaml"
    path.write_text(yaml.safe_dump(document))
    return str(path)


def test_rehearsal_deploys_serves_learns_and_destroys(tmp_path: Path) -> None:
    # The documented durations (scaled down), so the critical path is the one AWS would show.
    report, stdout = rehearse(
        tmp_path, "--stack", "dev", "--profile", "real", "--time-scale", "0.001"
    )

    created = {step["typ"].rsplit(":", 1)[1] for step in report["steps"] if step["real"]}
    assert set(KINDS) <= created, f"missing: {set(KINDS) - created}"
    assert {"Bucket", "BucketObjectv2", "Stream", "Queue"} <= created

    path = report["critical_path"]
    kinds_on_path = [entry.split()[0] for entry in path]
    assert kinds_on_path[:5] == [
        "DatasetGroup",
        "Dataset",
        "DatasetImportJob",
        "SolutionVersion",
        "Campaign",
    ], path
    assert report["pipeline_ready_seconds"] < report["deploy_seconds"]

    exercise = report["exercise"]
    before = [r["itemId"] for r in exercise["before"]]
    after = [r["itemId"] for r in exercise["after"]]
    assert len(before) == len(after) == 10
    assert before != after, "the user's events must change their recommendations"
    assert exercise["forwarded"] == {"records": 5, "failures": []}
    assert routes(exercise) == {
        "GET /recommendations",
        "POST /events",
        "POST /items",
        "POST /users",
    }
    assert any("filter unwatched" in call["detail"] for call in exercise["calls"])

    personalize_steps = [s for s in report["steps"] if s["typ"].startswith("pulumi-python:")]
    assert report["destroyed"] == len(personalize_steps)
    assert report["left_behind"] == []
    assert report["error"] is None

    assert "Critical path: DatasetGroup datasets-group -> Dataset" in stdout
    assert "left in the emulator: nothing" in stdout


def test_a_shop_with_its_own_data_uses_every_configured_route(tmp_path: Path) -> None:
    # Views, add-to-carts and purchases with EVENT_VALUE; items with PRICE and CATEGORY; its own
    # schemas; all three model families; filters on its own fields.
    report, _ = rehearse(tmp_path, "--stack", str(SHOP))
    exercise = report["exercise"]
    assert routes(exercise) == {
        "GET /recommendations",
        "POST /events",
        "POST /rankings",
        "GET /similar-items",
        "POST /items",
    }
    details = [call["detail"] for call in exercise["calls"]]
    for name in ("not-bought", "in-category", "under-price"):
        assert any(f"filter {name}" in d for d in details), (name, details)
    # Related-items requests carry no user: no filter on the user's history is sent there.
    similar = [c["detail"] for c in exercise["calls"] if c["route"] == "GET /similar-items"]
    assert not any("not-bought" in d for d in similar)
    assert exercise["event_type"] == "view"  # the shop's commonest event, not the sample's
    assert exercise["label_field"] == "CATEGORY"
    assert report["error"] is None
    assert report["left_behind"] == []


def test_an_early_failure_prints_the_error_alone(tmp_path: Path) -> None:
    document = dev_config()
    document["config"][FILTERS] = {"bad": "INCLUDE ItemID WHERE Items.PRICE <= $MAX"}
    done = subprocess.run(
        [sys.executable, "-m", "local.rehearsal", "--stack", write(tmp_path, "dev", document)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "FAILED before deploying" in done.stdout
    assert "filters.bad: Items.PRICE: the Items schema has no field PRICE" in done.stdout
    assert "Deploy finished" not in done.stdout


def test_a_bad_changed_stack_file_fails_before_deploying(tmp_path: Path) -> None:
    # A --then file is checked as a preview would check it before the first deploy starts, not
    # after minutes of deploying and using the stack it was meant to change.
    changed = dev_config()
    changed["config"][MODELS][0]["campaign"]["minProvisionedTps"] = 0
    changed_file = write(tmp_path, "changed", changed)
    done = subprocess.run(
        [sys.executable, "-m", "local.rehearsal", "--stack", "dev", "--then", changed_file],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 1
    assert "FAILED before deploying" in done.stdout
    assert f"{changed_file}: ConfigError" in done.stdout
    assert "models[0].campaign.minProvisionedTps must be an integer from 1 to 500" in done.stdout


def test_updates_apply_as_pulumi_up_would(tmp_path: Path) -> None:
    tps = dev_config()
    tps["config"][MODELS][0]["campaign"]["minProvisionedTps"] = 3
    added = copy.deepcopy(tps)
    added["config"][FILTERS]["clicked"] = (
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'
    )
    added["config"][MODELS].append({"name": "similar", "recipe": "aws-sims"})
    fewer_rows = tmp_path / "interactions.csv"
    lines = (ROOT / "data/interactions.csv").read_text().splitlines()
    fewer_rows.write_text("\n".join(lines[:-500]) + "\n")
    new_data = copy.deepcopy(added)
    new_data["config"][DATASETS]["interactions"] = str(fewer_rows)
    no_users = copy.deepcopy(new_data)
    del no_users["config"][DATASETS]["users"]

    steps = [
        write(tmp_path, "tps", tps),
        write(tmp_path, "added", added),
        write(tmp_path, "data", new_data),
        write(tmp_path, "nousers", no_users),
    ]
    report, stdout = rehearse(
        tmp_path, "--stack", "dev", *[arg for step in steps for arg in ("--then", step)]
    )
    first, second, third, fourth = (personalize(u["changes"]) for u in report["updates"])

    # TPS: the campaign is updated in place; nothing is trained again.
    assert first == {"Campaign models-recommendations-campaign": "updated"}
    # A filter and a model: created beside what serves; the serving campaign is left alone.
    assert second == {
        "Filter models-filter-clicked": "created",
        "Solution models-similar-solution": "created",
        "SolutionVersion models-similar-version": "created",
        "Campaign models-similar-campaign": "created",
    }
    # New data: imported again, each model retrained, each campaign switched in place.
    assert third == {
        "DatasetImportJob datasets-interactions-import": "replaced",
        "SolutionVersion models-recommendations-version": "replaced",
        "SolutionVersion models-similar-version": "replaced",
        "Campaign models-recommendations-campaign": "updated",
        "Campaign models-similar-campaign": "updated",
    }
    # A dataset removed: it goes, with its import and schema; the models retrain without it.
    assert fourth == {
        "Dataset datasets-users": "deleted",
        "DatasetImportJob datasets-users-import": "deleted",
        "Schema datasets-users-schema": "deleted",
        "SolutionVersion models-recommendations-version": "replaced",
        "SolutionVersion models-similar-version": "replaced",
        "Campaign models-recommendations-campaign": "updated",
        "Campaign models-similar-campaign": "updated",
    }
    for update in report["updates"]:
        assert update["serving"]["calls"] > 0
        assert update["serving"]["failures"] == [], update["file"]
        assert update["exercise"]["forwarded"]["failures"] == []
    assert "GET /similar-items" in routes(report["updates"][-1]["exercise"])
    assert "POST /users" not in routes(report["updates"][-1]["exercise"])
    assert report["left_behind"] == []
    assert "Update 4:" in stdout


def test_a_non_updatable_training_setting_trains_beside_and_switches(tmp_path: Path) -> None:
    # CreateSolution settings cannot be updated: a new solution is trained beside the old one,
    # the campaign switches to it in place, and only then does the old solution go.
    # Training on one event type only is a CreateSolution setting UpdateSolution cannot change.
    narrower = dev_config()
    narrower["config"][MODELS][0]["training"] = {"eventType": "watch"}
    changed = write(tmp_path, "watch", narrower)
    report, _ = rehearse(tmp_path, "--stack", "dev", "--then", changed)
    (update,) = report["updates"]
    assert personalize(update["changes"]) == {
        "Solution models-recommendations-solution": "replaced",
        "SolutionVersion models-recommendations-version": "replaced",
        "Campaign models-recommendations-campaign": "updated",
    }
    assert update["serving"]["failures"] == []
    assert report["left_behind"] == []
