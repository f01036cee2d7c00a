"""Undo the patch Pulumi's dynamic-provider serializer leaves on the pure-Python pickler.

``pulumi.dynamic``'s ``serialize_provider`` (pulumi 3.x, 3.272 here) replaces
``pickle._Pickler._batch_setitems`` with a sorting wrapper of whatever is there on every call and
never puts it back, so each dynamic resource serialized in a process adds one frame to every later
dict pickling. A process that serializes a thousand or so (a test run: program runs under mocks,
the provider host driven over RPC) ends in RecursionError in whatever pickles next. Every place
that serializes providers repeatedly in one process does it inside ``sdk_pickle_patch_undone``.
"""

from __future__ import annotations

import contextlib
import pickle
from collections.abc import Iterator
from typing import Any


@contextlib.contextmanager
def sdk_pickle_patch_undone() -> Iterator[None]:
    """Run the body, then give ``pickle._Pickler`` back the methods it had before."""
    pickler: Any = pickle._Pickler  # type: ignore[attr-defined,unused-ignore]
    saved = (pickler._batch_setitems, pickler.save_dict)
    try:
        yield
    finally:
        pickler._batch_setitems, pickler.save_dict = saved
