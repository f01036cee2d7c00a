"""Solutions: a recipe and its training configuration, and automatic training."""

from __future__ import annotations

import re
from typing import Any

from ..errors import InvalidInputException, ResourceInUseException, ResourceNotFoundException
from ..lifecycle import ACTIVE
from ..region import RegionBackend
from ..registry import operation, purges, scheduler
from ..resources import Resource, recipe_named
from .data import dataset_of, group_interactions
from .solution_versions import create_version, version_view


@operation("CreateSolution")
def create_solution(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    group = rb.get(p["datasetGroupArn"], "dataset-group", "dataset group")
    name = p["name"]
    rb.unique("solution", name, "Solution")
    recipe = p.get("recipeArn")
    if p.get("performAutoML"):
        raise InvalidInputException(
            "performAutoML is not supported by the emulator; pass a recipeArn"
        )
    if not recipe:
        raise InvalidInputException("recipeArn is required")
    known = recipe_named(recipe)
    if known is None:
        raise ResourceNotFoundException(f"Could not find recipe {recipe}")
    if known.domain is not None:
        raise InvalidInputException(
            f"Recipe {recipe} is a {known.domain} use case; use it with CreateRecommender "
            "on a domain dataset group (recommenders are not emulated)"
        )
    if known.model is None:
        raise InvalidInputException(
            f"Recipe {recipe} ({known.recipe_type}) needs an Actions dataset, which the "
            "emulator does not emulate"
        )
    rb.require_active(group, "Dataset group")
    if dataset_of(rb, group.arn, "Interactions") is None:
        raise InvalidInputException(
            f"Dataset group {group.arn} has no Interactions dataset; create one before a solution"
        )
    arn = rb.arn("solution", name)
    attrs: dict[str, Any] = {
        "performHPO": p.get("performHPO", False),
        "performAutoML": False,
        "performAutoTraining": p.get("performAutoTraining", True),
        "recipeArn": recipe,
        "datasetGroupArn": group.arn,
    }
    for key in ("eventType", "solutionConfig", "performIncrementalUpdate"):
        if key in p:
            attrs[key] = p[key]
    rb.add(
        Resource("solution", arn, name, rb.region, rb.lifecycle("solution", name, arn=arn), attrs),
        p.get("tags"),
    )
    return {"solutionArn": arn}


def latest_version(rb: RegionBackend, solution: Resource) -> Resource | None:
    versions = rb.children("solution-version", "solutionArn", solution.arn)
    return versions[-1] if versions else None


def solution_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view = {
        "name": r.name,
        "solutionArn": r.arn,
        **rb.times(r),
        "recipeArn": r.attrs["recipeArn"],
    }
    view.pop("failureReason", None)
    if summary:
        return view
    view.update(r.attrs)
    latest = latest_version(rb, r)
    if latest is not None:
        view["latestSolutionVersion"] = version_view(rb, latest, summary=True)
    if "update" in r.state:
        view["latestSolutionUpdate"] = r.state["update"]
    return view


@operation("DescribeSolution")
def describe_solution(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    return {"solution": solution_view(rb, rb.get(p["solutionArn"], "solution"))}


@operation("ListSolutions")
def list_solutions(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    found = rb.filtered("solution", p, "datasetGroupArn")
    return rb.page([solution_view(rb, r, True) for r in found], p, "solutions")


@operation("UpdateSolution")
def update_solution(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["solutionArn"], "solution")
    rb.require_active(r, "Solution")
    now = rb.now()
    update: dict[str, Any] = {
        "status": ACTIVE,
        "creationDateTime": now,
        "lastUpdatedDateTime": now,
    }
    if "performAutoTraining" in p:
        r.attrs["performAutoTraining"] = p["performAutoTraining"]
        update["performAutoTraining"] = p["performAutoTraining"]
    if "performIncrementalUpdate" in p:
        r.attrs["performIncrementalUpdate"] = p["performIncrementalUpdate"]
        update["performIncrementalUpdate"] = p["performIncrementalUpdate"]
    config = p.get("solutionUpdateConfig")
    if config:
        update["solutionUpdateConfig"] = config
        if "autoTrainingConfig" in config:
            r.attrs.setdefault("solutionConfig", {})["autoTrainingConfig"] = config[
                "autoTrainingConfig"
            ]
    r.state["update"] = update
    return {"solutionArn": r.arn}


@operation("DeleteSolution")
def delete_solution(rb: RegionBackend, p: dict[str, Any]) -> None:
    r = rb.get(p["solutionArn"], "solution")
    versions = rb.children("solution-version", "solutionArn", r.arn)
    version_arns = {v.arn for v in versions} | {f"{r.arn}/$LATEST"}
    campaigns = [c for c in rb.of_kind("campaign") if c.attrs["solutionVersionArn"] in version_arns]
    if campaigns:
        raise ResourceInUseException(
            f"Cannot delete solution {r.arn}: campaigns {[c.arn for c in campaigns]} use it"
        )
    now = rb.now()
    busy = [v.arn for v in versions if v.lifecycle and v.lifecycle.in_flight(now)]
    if busy:
        raise ResourceInUseException(
            f"Cannot delete solution {r.arn} while solution versions {busy} are in progress"
        )
    rb.start_delete(r, "Solution")


@scheduler
def schedule_auto_training(rb: RegionBackend, now: float) -> None:
    """Start due automatic trainings, as the auto-training page describes them.

    The first runs within an hour of the solution going ACTIVE ("auto-training" steps), unless
    a version was created manually before it: then the first one is skipped. Later ones follow
    the schedule, and only when there is new data since the latest version.
    """
    for solution in list(rb.resources.values()):
        if solution.kind != "solution" or not solution.attrs.get("performAutoTraining"):
            continue
        lc = solution.lifecycle
        assert lc is not None
        if lc.deleting() or not lc.settled or lc.failure_reason:
            continue
        start = solution.state.get("next_auto")
        if start is None:
            start = lc.due + rb.steps("auto-training").in_progress
            solution.state["next_auto"] = start
        if start > now:
            continue
        solution.state["next_auto"] = start + auto_training_interval(rb, solution)
        versions = rb.children("solution-version", "solutionArn", solution.arn)
        first = not solution.state.get("auto_training_started")
        solution.state["auto_training_started"] = True
        if first and any(
            v.attrs["trainingType"] == "MANUAL" and v.lifecycle and v.lifecycle.created <= start
            for v in versions
        ):
            continue
        data = len(group_interactions(rb, solution.attrs["datasetGroupArn"]))
        if not first and versions and versions[-1].state.get("data_seen") == data:
            continue
        create_version(
            rb,
            solution,
            mode="AUTOTRAIN",
            name=None,
            training_type="AUTOMATIC",
            created=start,
            tags=None,
        )


def auto_training_interval(rb: RegionBackend, solution: Resource) -> float:
    expression = solution.attrs.get("solutionConfig", {}).get("autoTrainingConfig", {})
    # autoTrainingConfig.schedulingExpression defaults to rate(7 days).
    match = re.fullmatch(
        r"rate\((\d+) days?\)", expression.get("schedulingExpression", "rate(7 days)")
    )
    days = int(match.group(1)) if match else 7
    factor = rb.shared.timing.time_scale if rb.shared.timing.profile == "real" else 1.0
    return days * 86400 * factor


@purges("solution")
def purge_versions(rb: RegionBackend, solution: Resource) -> None:
    """Deleting a solution deletes its versions."""
    for version in rb.children("solution-version", "solutionArn", solution.arn):
        rb.purge(version)
