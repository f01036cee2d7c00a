"""Automatic training as CreateSolution documents it.

Source: CreateSolution, performAutoTraining
(https://docs.aws.amazon.com/personalize/latest/dg/API_CreateSolution.html): "The default is True
and the solution automatically creates new solution versions every 7 days ... Automatic solution
version creation starts within one hour after the solution is ACTIVE. If you manually create a
solution version within the hour, the solution skips the first automatic training." The
auto-training page adds that automatic training only retrains when there is new data
(https://docs.aws.amazon.com/personalize/latest/dg/solution-config-auto-training.html).
"""

from __future__ import annotations

import time
from typing import Any

from local.personalize_emulator import EmulatorServer

from ..conftest import BUCKET, Clients
from ..helpers import RECIPE, Synthetic, deploy, poll, wait_status

WEEK = 7 * 86400


def _solution(clients: Clients, data: Synthetic, prefix: str) -> tuple[Any, str, str]:
    pz = clients.pz
    stack = deploy(pz, clients.s3, BUCKET, data, prefix=prefix)
    solution = pz.create_solution(
        name=f"{prefix}-auto", datasetGroupArn=stack.group, recipeArn=RECIPE + "aws-sims"
    )["solutionArn"]
    described = wait_status(poll(pz.describe_solution, "solution", solutionArn=solution))
    assert described["performAutoTraining"] is True
    return pz, solution, stack.tracking_id


def _types(pz: Any, solution: str) -> list[str]:
    versions = pz.list_solution_versions(solutionArn=solution)["solutionVersions"]
    return sorted(v["trainingType"] for v in versions)


def test_first_automatic_training_runs_within_the_hour(
    clients: Clients, emulator: EmulatorServer, data: Synthetic
) -> None:
    """With no manual version, an automatic one starts within an hour of ACTIVE."""
    pz, solution, _ = _solution(clients, data, "firstauto")
    assert _types(pz, solution) == []
    emulator.advance_time(3)
    assert _types(pz, solution) == ["AUTOMATIC"]


def test_a_manual_version_within_the_hour_skips_the_first_automatic_one(
    clients: Clients, emulator: EmulatorServer, data: Synthetic
) -> None:
    """A version created by hand before the first automatic run replaces it; the schedule goes
    on every 7 days, and retrains only when new data arrived."""
    pz, solution, tracking_id = _solution(clients, data, "skipauto")
    version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_status(poll(pz.describe_solution_version, "solutionVersion", solutionVersionArn=version))
    emulator.advance_time(3)
    assert _types(pz, solution) == ["MANUAL"]
    emulator.advance_time(WEEK)
    assert _types(pz, solution) == ["MANUAL"], "no new data, no retraining"
    clients.events.put_events(
        trackingId=tracking_id,
        userId="u00001",
        sessionId="s",
        eventList=[{"sentAt": time.time(), "eventType": "click", "itemId": "m00002"}],
    )
    emulator.advance_time(WEEK)
    assert _types(pz, solution) == ["AUTOMATIC", "MANUAL"]
