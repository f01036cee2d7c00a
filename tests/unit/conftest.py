"""Fixtures: each stack file's program run once under mocks and shared by the tests that read it."""

import pytest

from tests.stack_harness import StackRun, run_program


@pytest.fixture(scope="session")
def dev() -> StackRun:
    return run_program("dev")


@pytest.fixture(scope="session")
def prod() -> StackRun:
    return run_program("prod")
