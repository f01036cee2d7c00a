"""Applying a parsed filter expression to candidate items at request time.

The language and its parser are in ``filters``; this module evaluates an expression against one
request's data: the Items rows, the user's recent event types and Users row, the current item.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInputException
from .filters import (
    COMPARISONS,
    INTERACTIONS,
    Condition,
    FilterExpression,
    Stage,
)

# Documented quota (adjustable): interactions filters consider this many of a user's most recent
# interactions per event type.
INTERACTIONS_PER_EVENT_TYPE = 100


def parse_filter_values(raw: str) -> list[Any]:
    """A filterValues entry: comma-separated, each quoted ("Action","Comedy") or a bare number."""
    values: list[Any] = []
    for match in re.finditer(r'\s*("(?:[^"\\]|\\.)*"|[^,]+)\s*(?:,|$)', raw):
        token = match.group(1).strip()
        if token.startswith('"') and token.endswith('"') and len(token) >= 2:
            values.append(token[1:-1].replace('\\"', '"'))
        else:
            try:
                values.append(float(token))
            except ValueError:
                values.append(token)
    return values


def field_named(fields: Sequence[str], written: str) -> str | None:
    """The schema field an expression names: identifiers are matched without regard to case."""
    if written in fields:
        return written
    wanted = written.upper()
    return next((f for f in fields if f.upper() == wanted), None)


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _matches_any(field_value: Any, candidates: list[Any]) -> bool:
    """Exact matching: categorical strings hold several values separated by "|"."""
    if field_value is None:
        return False
    if isinstance(field_value, str):
        parts = {p.strip() for p in field_value.split("|")}
        number = _as_number(field_value)
        return any(
            str(c) in parts or (number is not None and number == _as_number(c)) for c in candidates
        )
    number = _as_number(field_value)
    return any(number is not None and number == _as_number(c) for c in candidates)


@dataclass(frozen=True)
class Context:
    """What a request's filter sees.

    items: item id -> Items row; item_fields / user_fields: schema field names; user_row: the
    requesting user's Users row; current_item: the Items row of a related-items request's item;
    user_events: item id -> event types (lower case) of the user's recent interactions.
    """

    items: Mapping[str, Mapping[str, Any]]
    item_fields: Sequence[str]
    user_events: Mapping[str, set[str]]
    user_row: Mapping[str, Any] | None = None
    user_fields: Sequence[str] = ()
    current_item: Mapping[str, Any] | None = None


def compile_filter(
    expression: FilterExpression, filter_values: Mapping[str, str], context: Context
) -> Callable[[str], bool]:
    """A predicate over item ids: True when the item passes every stage.

    Parameter values are documented as required for INCLUDE stages; an EXCLUDE stage whose
    parameter has no value does not use that condition.
    """
    resolved = {name: parse_filter_values(raw) for name, raw in filter_values.items()}
    stages: list[Stage] = []
    for stage in expression.stages:
        missing = sorted(
            {v.param for c in _stage_conditions(stage) for v in c.values if v.param} - set(resolved)
        )
        if missing and stage.include:
            raise InvalidInputException(
                f"filterValues is missing values for parameters {missing} of an INCLUDE filter"
            )
        usable = _without_params(stage, set(missing)) if missing else stage
        if usable.clauses:
            stages.append(usable)

    def field_value(row: Mapping[str, Any] | None, fields: Sequence[str], name: str) -> Any:
        real = field_named(fields, name)
        return None if row is None or real is None else row.get(real)

    def values_of(cond: Condition) -> list[Any]:
        out: list[Any] = []
        for v in cond.values:
            if v.param is not None:
                out.extend(resolved[v.param])
            elif v.current_item is not None:
                found = field_value(context.current_item, context.item_fields, v.current_item)
                if isinstance(found, str):
                    out.extend(p.strip() for p in found.split("|"))
                elif found is not None:
                    out.append(found)
            else:
                out.append(v.literal)
        return out

    def compare(cond: Condition, left: Any) -> bool:
        values = values_of(cond)
        if cond.op == "IN":
            return _matches_any(left, values)
        if cond.op == "NOT IN":
            return left is not None and not _matches_any(left, values)
        a, b = _as_number(left), _as_number(values[0]) if values else None
        if a is None or b is None:
            # Comparison operators are documented for numerical data; = and != also compare
            # strings exactly, anything else on a non-number does not match.
            if cond.op in ("=", "!=") and left is not None and values:
                return (str(left) == str(values[0])) == (cond.op == "=")
            return False
        return COMPARISONS[cond.op](a, b)

    def holds(cond: Condition, item: str) -> bool:
        if cond.dataset == INTERACTIONS:
            # Amazon Personalize ignores case only when matching event types.
            wanted = {str(v).lower() for v in values_of(cond)}
            types = context.user_events.get(item, set())
            hit = bool(types) and ("*" in wanted or bool(types & wanted))
            return hit if cond.op == "IN" else not hit
        return compare(cond, field_value(context.items.get(item), context.item_fields, cond.field))

    def applies(stage: Stage) -> bool:
        return all(
            compare(c, field_value(context.user_row, context.user_fields, c.field))
            for c in stage.when
        )

    active = [s for s in stages if applies(s)]

    def passes(item: str) -> bool:
        for stage in active:
            matched = any(all(holds(c, item) for c in clause) for clause in stage.clauses)
            if matched != stage.include:
                return False
        return True

    return passes


def _stage_conditions(stage: Stage) -> list[Condition]:
    return [c for cl in stage.clauses for c in cl] + list(stage.when)


def _without_params(stage: Stage, missing: set[str]) -> Stage:
    def keep(c: Condition) -> bool:
        return not any(v.param in missing for v in c.values)

    clauses = tuple(
        kept for kept in (tuple(c for c in cl if keep(c)) for cl in stage.clauses) if kept
    )
    return Stage(stage.include, clauses, tuple(c for c in stage.when if keep(c)))


def recent_event_types(
    history: Sequence[tuple[str, str]], per_type: int = INTERACTIONS_PER_EVENT_TYPE
) -> dict[str, set[str]]:
    """item id -> event types (lower case) over a user's latest `per_type` events of each type.

    history: (item id, event type) oldest first.
    """
    counts: dict[str, int] = {}
    result: dict[str, set[str]] = {}
    for item, event_type in reversed(history):
        kind = event_type.lower()
        if counts.get(kind, 0) >= per_type:
            continue
        counts[kind] = counts.get(kind, 0) + 1
        result.setdefault(item, set()).add(kind)
    return result
