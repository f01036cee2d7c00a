"""Fixtures shared by every test directory."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _pulumi_pickler_unwrapped() -> Iterator[None]:
    """Undo what serializing a dynamic provider leaves behind on the pure-Python pickler.

    pulumi.dynamic's serialize_provider (pulumi 3.x) wraps `pickle._Pickler._batch_setitems` in a
    sorting function on every call and never restores it, so each dynamic resource a program
    registers adds one frame to every later dict pickling. One test process runs the program
    hundreds of times; without this, pickling fails with RecursionError after about a thousand
    dynamic resources, whichever test comes next. Each test starts from the original methods.
    """
    pickler: Any = pickle._Pickler
    saved = (pickler._batch_setitems, pickler.save_dict)
    yield
    pickler._batch_setitems, pickler.save_dict = saved
