"""Fixtures: each stack file's program run once under mocks and shared by the tests that read it.

Every `Pulumi.*.yaml` present, the user's own included, is a session fixture named after its
stack, so a module may parametrize over STACK_FILES and ask `request.getfixturevalue(stack)`.
"""

from collections.abc import Callable

import pytest

from tests.stack_harness import STACK_FILES, StackRun, stack_run


def _stack_fixture(stack: str) -> Callable[[], StackRun]:
    @pytest.fixture(scope="session", name=stack)
    def run() -> StackRun:
        return stack_run(stack)

    return run


for _stack in STACK_FILES:
    globals()[f"stack_{_stack.replace('-', '_')}"] = _stack_fixture(_stack)


@pytest.fixture(scope="module", params=STACK_FILES)
def run(request: pytest.FixtureRequest) -> StackRun:
    """Each stack file's program run, one parameter per file, for a module to check them all."""
    return stack_run(request.param)
