"""Fixtures: each stack file's program run once under mocks and shared by the tests that read it."""

import pytest

from tests.stack_harness import StackRun, stack_run


@pytest.fixture(scope="session")
def dev() -> StackRun:
    return stack_run("dev")


@pytest.fixture(scope="session")
def prod() -> StackRun:
    return stack_run("prod")
