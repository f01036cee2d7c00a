"""Schemathesis hooks for the contract fuzzer: the rules OpenAPI cannot state as a schema.

OpenAPI cannot make one query parameter depend on another's value, so "filterValues needs
filter, with exactly the keys of that filter's placeholders" is stated in the parameters'
descriptions (and as ``dependentRequired`` in the POST /rankings body); nor can it say that the
events of one request have distinct `eventId`s (stated in the field's description). These hooks
keep the generated *positive* cases to those rules; negative cases are left as generated and
must be refused.
``API_FUZZ_FILTERS`` holds the deployment's filters: ``{name: [placeholder keys]}``.
"""

from __future__ import annotations

import json
import os
from typing import Any

import schemathesis

from handlers.contract import FILTER, FILTER_VALUES

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


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    """Drop positive cases that break the filter rule (every phase runs case hooks)."""
    meta = getattr(case, "meta", None)
    mode = getattr(getattr(meta, "generation", None), "mode", None)
    if mode is not None and not mode.is_positive:
        return True
    query = case.query if isinstance(case.query, dict) else {}
    if not _follows_the_filter_rule(query.get(FILTER.name), _query_keys(query)):
        return False
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("events"), list):  # POST /events
        ids = [e["eventId"] for e in body["events"] if isinstance(e, dict) and "eventId" in e]
        if len(ids) != len(set(map(str, ids))):
            return False
    if isinstance(body, dict) and "itemIds" in body:  # POST /rankings
        return _follows_the_filter_rule(body.get(FILTER.name), _keys(body.get(FILTER_VALUES.name)))
    return True
