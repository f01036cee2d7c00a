"""Fixtures shared by every test directory."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from local.pulumi_pickle import sdk_pickle_patch_undone


@pytest.fixture(autouse=True)
def _pulumi_pickler_unwrapped() -> Iterator[None]:
    """Each test starts from the pickler's own methods: a program run under mocks serializes every
    dynamic resource it registers, and the SDK's serializer leaves a wrapper behind each time."""
    with sdk_pickle_patch_undone():
        yield
