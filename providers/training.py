"""Trainings (solution versions) that must stop before their solution can go."""

from __future__ import annotations

from typing import Any

from .client import error_code, is_not_found
from .polling import CREATE_STOPPING, IN_FLIGHT, Waiter

SETTLING = (*IN_FLIGHT, CREATE_STOPPING)


def stop_training(client: Any, arn: str) -> None:
    """StopSolutionVersionCreation; a training that finished or is stopping meanwhile is fine."""
    try:
        client.stop_solution_version_creation(solutionVersionArn=arn)
    except Exception as exc:
        if error_code(exc) not in ("ResourceNotFoundException", "ResourceInUseException"):
            raise


def wait_versions_settled(client: Any, arns: list[str]) -> None:
    """Wait until none of these solution versions is still creating or stopping."""
    waiter = Waiter()
    pending = list(arns)

    def probe() -> bool | None:
        for arn in list(pending):
            try:
                status = client.describe_solution_version(solutionVersionArn=arn)[
                    "solutionVersion"
                ]["status"]
            except Exception as exc:
                if is_not_found(exc):
                    pending.remove(arn)
                    continue
                raise
            if status not in SETTLING:
                pending.remove(arn)
        return True if not pending else None

    waiter.until(probe, f"solution versions {pending} to stop", waiter.settings.delete_timeout)
