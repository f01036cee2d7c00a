"""The program under Pulumi's mocks, for unit tests: every stack file, deterministic outputs."""

from __future__ import annotations

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
    "STACK_FILES",
    "DeterministicMocks",
    "Registration",
    "StackRun",
    "merged",
    "run_program",
    "run_variant",
    "stack_config",
]


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
