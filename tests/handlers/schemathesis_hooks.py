"""Schemathesis hooks for the contract fuzzer: the rules OpenAPI cannot state as a schema.

OpenAPI cannot make one query parameter depend on another's value, so "filterValues needs
filter, with exactly the keys of that filter's placeholders" is stated in the parameters'
descriptions (and as ``dependentRequired`` in the POST /rankings body); nor can it say that the
events of one request have distinct `eventId`s (stated in the field's description), nor that
with `metadataColumns` `numResults` / `itemIds` hold at most 50 (stated in the descriptions and
checked by the handlers). These hooks
keep the generated *positive* cases to those rules; negative cases are left as generated and
must be refused.
``API_FUZZ_FILTERS`` holds the deployment's filters: ``{name: [placeholder keys]}``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

from handlers.contract import (
    FILTER,
    FILTER_VALUES,
    METADATA_COLUMNS,
    NUM_RESULTS,
    WITH_METADATA_MAX,
)

FILTERS: dict[str, list[str]] = json.loads(os.environ.get("API_FUZZ_FILTERS", "{}"))


def _follows_the_filter_rule(name: Any, keys: set[str]) -> bool:
    if name is None:
        return not keys
    return not isinstance(name, str) or name not in FILTERS or keys == set(FILTERS[name])


def _keys(values: Any) -> set[str]:
    return {str(k) for k in values} if isinstance(values, dict) else set()


def _query_keys(query: dict[str, Any]) -> set[str]:
    keys = _keys(query.get(FILTER_VALUES.name))
    prefix = FILTER_VALUES.name + "["
    return keys | {n[len(prefix) : -1] for n in query if n.startswith(prefix) and n.endswith("]")}


def _at_most(value: Any, high: int) -> bool:
    """numResults absent or at most ``high`` (it may arrive as a number or as text)."""
    try:
        return value is None or int(value) <= high
    except (TypeError, ValueError):
        return True  # not a number: the schema decides


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Drop positive cases that break a rule above (every phase runs case hooks)."""
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if mode is not None and not mode.is_positive:
        return True
    query = case.query if isinstance(case.query, dict) else {}
    if not _follows_the_filter_rule(query.get(FILTER.name), _query_keys(query)):
        return False
    if query.get(METADATA_COLUMNS.name) and not _at_most(
        query.get(NUM_RESULTS.name), WITH_METADATA_MAX
    ):
        return False
    return _body_follows_the_rules(case.body)


def _body_follows_the_rules(body: Any) -> bool:
    if not isinstance(body, dict):
        return True
    if isinstance(body.get("events"), list):  # POST /events
        ids = [e["eventId"] for e in body["events"] if isinstance(e, dict) and "eventId" in e]
        return len(ids) == len(set(map(str, ids)))
    if "itemIds" in body:  # POST /rankings
        items = body["itemIds"]
        if (
            METADATA_COLUMNS.name in body
            and isinstance(items, list)
            and len(items) > WITH_METADATA_MAX
        ):
            return False
        return _follows_the_filter_rule(body.get(FILTER.name), _keys(body.get(FILTER_VALUES.name)))
    return True
