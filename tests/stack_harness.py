"""The program under Pulumi's mocks, for unit tests: every stack file, deterministic outputs.

Two kinds of test read stack files. Properties that must hold for any stack (least privilege,
encryption, what waits for what) run on every `Pulumi.*.yaml` present, the user's own included:
parametrize them over STACK_FILES. Checks of what a shipped stack file sets (its prefix, region,
thresholds, routes) run on the shipped stacks only: decorate them with `shipped_only`.
"""

from __future__ import annotations

import functools
from typing import Any

import pytest
import yaml

from local.program import (
    ACCOUNT_ID,
    ROOT,
    STACK_FILES,
    DeterministicMocks,
    Registration,
    StackRun,
    run_program,
    stack_config,
)

__all__ = [
    "ACCOUNT_ID",
    "ROOT",
    "SECURITY_VARIANTS",
    "SHIPPED_STACKS",
    "STACK_FILES",
    "DeterministicMocks",
    "Registration",
    "StackRun",
    "as_list",
    "merged",
    "run_program",
    "run_variant",
    "shipped_only",
    "stack_config",
    "stack_run",
    "under",
]

# The stack files this repository ships; tests may know what they set.
SHIPPED_STACKS = ("dev", "prod")

# For a test that takes the module's `run` fixture (parametrized over STACK_FILES) but checks
# what the shipped stack files set: run it on those only.
shipped_only = pytest.mark.parametrize("run", SHIPPED_STACKS, indirect=True)


@functools.cache
def stack_run(stack: str) -> StackRun:
    """Each stack file's program run once per test session, shared by every test reading it."""
    return run_program(stack)


def merged(stack: str, section: str, **values: object) -> dict[str, object]:
    """An override of one config section: the stack file's values with `values` added."""
    document = yaml.safe_load((ROOT / f"Pulumi.{stack}.yaml").read_text()) or {}
    key = f"personalize-realtime:{section}"
    current = (document.get("config") or {}).get(key) or {}
    return {key: {**current, **values}}


# Every stack file, plus the settings no stack file turns on but whose resources carry policies.
SECURITY_VARIANTS: dict[str, tuple[str, dict[str, object]]] = {
    **{stack: (stack, {}) for stack in STACK_FILES},
    "dev-alarm-email": (
        "dev",
        {"personalize-realtime:monitoring": {"alarmEmail": "oncall@example.com"}},
    ),
    "dev-account-logging-role": ("dev", merged("dev", "api", manageAccountLoggingRole=True)),
}


def run_variant(variant: str) -> StackRun:
    stack, overrides = SECURITY_VARIANTS[variant]
    return run_program(stack, overrides)


def under(run: StackRun, component_type: str) -> list[Registration]:
    """Every custom resource whose parent chain includes a component of `component_type`."""
    index = {r.urn: r for r in run.resources}
    found = []
    for resource in run.resources:
        parent = index.get(resource.parent)
        while parent is not None and parent.typ != component_type:
            parent = index.get(parent.parent)
        if parent is not None and resource.custom:
            found.append(resource)
    return found


def as_list(value: Any) -> list[Any]:
    """A policy field that IAM allows as one value or a list, as a list."""
    return value if isinstance(value, list) else [value]
