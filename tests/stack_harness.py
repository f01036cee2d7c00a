"""The program under Pulumi's mocks, for unit tests: every stack file, deterministic outputs."""

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
    "STACK_FILES",
    "DeterministicMocks",
    "Registration",
    "StackRun",
    "run_program",
    "stack_config",
]
