"""Solution versions: trainings, their models and metrics."""

from __future__ import annotations

import uuid
from typing import Any

from .. import recommender
from ..errors import InvalidInputException, LimitExceededException, ResourceInUseException
from ..lifecycle import ACTIVE, CREATE_IN_PROGRESS, CREATE_PENDING
from ..region import RegionBackend
from ..registry import operation, settles
from ..resources import RECIPE_PREFIX, RECIPES, UPDATABLE_RECIPES, Resource
from .data import group_interactions


def resolve_version(rb: RegionBackend, arn: str, must_be_active: bool = True) -> Resource:
    """A solution version, or the latest ACTIVE one for "<solutionArn>/$LATEST"."""
    if arn.endswith("/$LATEST"):
        solution = rb.get(arn[: -len("/$LATEST")], "solution")
        active = [
            v
            for v in rb.children("solution-version", "solutionArn", solution.arn)
            if rb.status(v) == ACTIVE
        ]
        if not active:
            raise ResourceInUseException(f"Solution {solution.arn} has no ACTIVE solution version")
        return active[-1]
    version = rb.get(arn, "solution-version", "solution version")
    if must_be_active:
        rb.require_active(version, "Solution version")
    return version


@operation("CreateSolutionVersion")
def create_solution_version(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    solution = rb.get(p["solutionArn"], "solution")
    mode = p.get("trainingMode", "FULL")
    rb.require_active(solution, "Solution")
    if mode == "AUTOTRAIN":
        raise InvalidInputException(
            "trainingMode AUTOTRAIN is set by the service; use FULL or UPDATE"
        )
    recipe = solution.attrs["recipeArn"][len(RECIPE_PREFIX) :]
    if mode == "UPDATE":
        if recipe not in UPDATABLE_RECIPES:
            raise InvalidInputException(
                f"trainingMode UPDATE is only allowed for {sorted(UPDATABLE_RECIPES)}, not {recipe}"
            )
        versions = rb.children("solution-version", "solutionArn", solution.arn)
        if not any(v.attrs["trainingMode"] == "FULL" and rb.status(v) == ACTIVE for v in versions):
            raise InvalidInputException(
                "trainingMode UPDATE needs an ACTIVE solution version trained with FULL first"
            )
    now = rb.now()
    in_flight = [
        r for r in rb.of_kind("solution-version") if r.lifecycle and r.lifecycle.in_flight(now)
    ]
    if len(in_flight) >= rb.shared.max_training_in_flight:
        raise LimitExceededException(
            f"At most {rb.shared.max_training_in_flight} solution versions can be pending "
            "or in progress"
        )
    name = p.get("name")
    if name is not None:
        rb.unique(
            "solution-version",
            name,
            "Solution version",
            rb.children("solution-version", "solutionArn", solution.arn),
        )
    version = create_version(
        rb, solution, mode=mode, name=name, training_type="MANUAL", created=None, tags=p.get("tags")
    )
    return {"solutionVersionArn": version.arn}


def create_version(
    rb: RegionBackend,
    solution: Resource,
    *,
    mode: str,
    name: str | None,
    training_type: str,
    created: float | None,
    tags: list[dict[str, str]] | None,
) -> Resource:
    arn = f"{solution.arn}/{uuid.uuid4().hex[:8]}"
    attrs: dict[str, Any] = {
        "solutionArn": solution.arn,
        "trainingMode": mode,
        "trainingType": training_type,
    }
    if name is not None:
        attrs["name"] = name
    lc = rb.lifecycle("solution-version", name or arn, created, arn=arn)
    version = Resource("solution-version", arn, name or "", solution.region, lc, attrs)
    rb.add(version, tags)
    return version


@settles("solution-version")
def run_training(rb: RegionBackend, version: Resource) -> None:
    solution = rb.resources[version.attrs["solutionArn"]]
    recipe = solution.attrs["recipeArn"][len(RECIPE_PREFIX) :]
    kind = RECIPES[recipe].model
    assert kind is not None  # CreateSolution refuses recipes the emulator cannot train
    interactions = group_interactions(rb, solution.attrs["datasetGroupArn"])
    event_type = solution.attrs.get("eventType")
    if event_type:
        interactions = [i for i in interactions if i.event_type == event_type]
    threshold = solution.attrs.get("solutionConfig", {}).get("eventValueThreshold")
    if threshold is not None:
        interactions = [
            i
            for i in interactions
            if i.event_value is not None and i.event_value >= float(threshold)
        ]
    model = recommender.train(interactions, kind)
    version.state["model"] = model
    version.state["metrics"] = recommender.evaluate(interactions, kind)
    version.state["trained_on"] = len(interactions)
    version.state["data_seen"] = len(group_interactions(rb, solution.attrs["datasetGroupArn"]))
    lc = version.lifecycle
    assert lc is not None
    version.attrs["trainingHours"] = round((lc.steps.in_progress or 0.0) / 3600.0, 4)


def version_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view = {
        "solutionVersionArn": r.arn,
        **rb.times(r),
        "trainingMode": r.attrs["trainingMode"],
        "trainingType": r.attrs["trainingType"],
    }
    if summary:
        return view
    solution = rb.resources.get(r.attrs["solutionArn"])
    if solution is not None:
        view.update(
            {
                k: solution.attrs[k]
                for k in (
                    "performHPO",
                    "performAutoML",
                    "recipeArn",
                    "eventType",
                    "datasetGroupArn",
                    "solutionConfig",
                    "performIncrementalUpdate",
                )
                if k in solution.attrs
            }
        )
    view.update({k: v for k, v in r.attrs.items() if k not in ("trainingType",)})
    return view


@operation("DescribeSolutionVersion")
def describe_solution_version(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["solutionVersionArn"], "solution-version", "solution version")
    return {"solutionVersion": version_view(rb, r)}


@operation("ListSolutionVersions")
def list_solution_versions(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    if p.get("solutionArn"):
        rb.get(p["solutionArn"], "solution")
    found = rb.filtered("solution-version", p, "solutionArn")
    return rb.page([version_view(rb, r, True) for r in found], p, "solutionVersions")


@operation("StopSolutionVersionCreation")
def stop_solution_version_creation(rb: RegionBackend, p: dict[str, Any]) -> None:
    r = rb.get(p["solutionVersionArn"], "solution-version", "solution version")
    lc = r.lifecycle
    assert lc is not None
    status = lc.status(rb.now())
    if status not in (CREATE_PENDING, CREATE_IN_PROGRESS):
        raise ResourceInUseException(
            f"Solution version {r.arn} can only be stopped while CREATE PENDING or "
            f"CREATE IN_PROGRESS; its status is {status}"
        )
    lc.stop_requested = rb.now()
    lc.stop_steps = rb.steps("stop")


@operation("GetSolutionMetrics")
def get_solution_metrics(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["solutionVersionArn"], "solution-version", "solution version")
    rb.require_active(r, "Solution version")
    return {"solutionVersionArn": r.arn, "metrics": dict(r.state.get("metrics", {}))}
