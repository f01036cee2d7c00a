"""A useful subset of the Personalize filter expression language.

Supported (stages may be chained with ``|``; conditions joined with AND / OR, AND binding tighter):

    EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch", "click")   ("*" = any event type)
    INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)                        (values from filterValues)
    EXCLUDE ItemID WHERE Items.YEAR >= 2000                              (=, !=, <, <=, >, >=)
    INCLUDE ItemID WHERE Items.GENRES NOT IN ("Horror")

Anything else (Users./CurrentUser. conditions, IF clauses, ActionID/UserID filters) is refused at
CreateFilter, so a filter that is accepted is one this module really applies.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInputException

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*")|(?P<param>\$[A-Za-z0-9_]+)|(?P<number>-?\d+(?:\.\d+)?)'
    r"|(?P<op>>=|<=|!=|=|>|<)|(?P<punct>[(),|])|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
COMPARISONS = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}


@dataclass(frozen=True)
class Value:
    literal: Any = None
    param: str | None = None


@dataclass(frozen=True)
class Condition:
    dataset: str  # "Items" or "Interactions"
    field: str
    op: str  # "IN", "NOT IN" or a comparison
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Stage:
    include: bool
    # Disjunction of conjunctions.
    clauses: tuple[tuple[Condition, ...], ...]


@dataclass(frozen=True)
class FilterExpression:
    stages: tuple[Stage, ...]

    @property
    def parameters(self) -> set[str]:
        return {
            v.param
            for s in self.stages
            for clause in s.clauses
            for c in clause
            for v in c.values
            if v.param is not None
        }

    @property
    def item_fields(self) -> set[str]:
        return {
            c.field for s in self.stages for cl in s.clauses for c in cl if c.dataset == "Items"
        }


def _tokens(text: str) -> list[tuple[str, str]]:
    result: list[tuple[str, str]] = []
    pos = 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if match is None or match.end() == pos:
            raise InvalidInputException(
                f"Filter expression has an unexpected character at {pos}: {text[pos : pos + 20]!r}"
            )
        kind = match.lastgroup
        assert kind is not None
        result.append((kind, match.group(kind)))
        pos = match.end()
        while pos < len(text) and text[pos].isspace():
            pos += 1
    return result


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = _tokens(text)
        self.pos = 0

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise InvalidInputException("Filter expression ends too early")
        self.pos += 1
        return token

    def word(self, *expected: str) -> str:
        kind, text = self.take()
        if kind != "word" or (expected and text.upper() not in expected):
            raise InvalidInputException(
                f"Filter expression: expected {' or '.join(expected) or 'a name'}, got {text!r}"
            )
        return text

    def parse(self) -> FilterExpression:
        stages = [self.stage()]
        while self.peek() == ("punct", "|"):
            self.take()
            stages.append(self.stage())
        if self.peek() is not None:
            raise InvalidInputException(
                f"Filter expression: unsupported clause starting at {self.peek()[1]!r}"  # type: ignore[index]
            )
        return FilterExpression(tuple(stages))

    def stage(self) -> Stage:
        include = self.word("INCLUDE", "EXCLUDE").upper() == "INCLUDE"
        target = self.word()
        if target.lower() != "itemid":  # any case, as the CreateFilter reference writes itemId
            raise InvalidInputException(
                f"Filter expression: only ItemID filters are supported, got {target!r}"
            )
        self.word("WHERE")
        clauses = [[self.condition()]]
        while self.peek() is not None and self.peek()[0] == "word":  # type: ignore[index]
            joiner = self.word("AND", "OR").upper()
            if joiner == "AND":
                clauses[-1].append(self.condition())
            else:
                clauses.append([self.condition()])
        return Stage(include, tuple(tuple(c) for c in clauses))

    def condition(self) -> Condition:
        name = self.word()
        dataset, _, fname = name.partition(".")
        # Identifiers match in any case, as AWS's samples write them (Interactions.event_type).
        dataset = next(
            (d for d in ("Items", "Interactions") if d.lower() == dataset.lower()), dataset
        )
        fname = fname.upper() if dataset == "Interactions" else fname
        if dataset not in ("Items", "Interactions") or not fname:
            raise InvalidInputException(
                f"Filter expression: unsupported field {name!r}; use Items.<FIELD> or "
                "Interactions.EVENT_TYPE"
            )
        if dataset == "Interactions" and fname != "EVENT_TYPE":
            raise InvalidInputException(
                f"Filter expression: only Interactions.EVENT_TYPE is supported, got {name!r}"
            )
        kind, text = self.take()
        if kind == "op":
            if dataset == "Interactions":
                raise InvalidInputException("Interactions.EVENT_TYPE supports IN / NOT IN only")
            return Condition(dataset, fname, text, (self.value(),))
        if kind == "word" and text.upper() == "NOT":
            self.word("IN")
            op = "NOT IN"
        elif kind == "word" and text.upper() == "IN":
            op = "IN"
        else:
            raise InvalidInputException(
                f"Filter expression: expected IN or a comparison, got {text!r}"
            )
        if self.take() != ("punct", "("):
            raise InvalidInputException("Filter expression: expected ( after IN")
        values = [self.value()]
        while self.peek() == ("punct", ","):
            self.take()
            values.append(self.value())
        if self.take() != ("punct", ")"):
            raise InvalidInputException("Filter expression: expected ) to close the IN list")
        return Condition(dataset, fname, op, tuple(values))

    def value(self) -> Value:
        kind, text = self.take()
        if kind == "string":
            return Value(literal=text[1:-1].replace('\\"', '"'))
        if kind == "number":
            return Value(literal=float(text))
        if kind == "param":
            return Value(param=text[1:])
        raise InvalidInputException(f"Filter expression: expected a value, got {text!r}")


def parse(text: str) -> FilterExpression:
    """Parse an expression; InvalidInputException for anything outside the supported subset."""
    return _Parser(text).parse()


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


def _as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _matches_any(field_value: Any, candidates: list[Any]) -> bool:
    if field_value is None:
        return False
    if isinstance(field_value, str):
        # Categorical values hold several categories separated by "|".
        parts = {p.strip().lower() for p in field_value.split("|")}
        for c in candidates:
            if str(c).lower() in parts or (
                _as_number(c) is not None and _as_number(field_value) == _as_number(c)
            ):
                return True
        return False
    number = _as_number(field_value)
    return any(number is not None and number == _as_number(c) for c in candidates)


def compile_filter(
    expression: FilterExpression,
    filter_values: Mapping[str, str],
    items: Mapping[str, Mapping[str, Any]],
    user_events: Mapping[str, set[str]],
) -> Callable[[str], bool]:
    """A predicate over item ids: True when the item passes every stage.

    items: item id -> Items dataset row; user_events: item id -> event types of the current user.
    """
    missing = sorted(p for p in expression.parameters if p not in filter_values)
    if missing:
        raise InvalidInputException(f"filterValues is missing values for parameters {missing}")
    resolved = {name: parse_filter_values(raw) for name, raw in filter_values.items()}

    def values_of(cond: Condition) -> list[Any]:
        out: list[Any] = []
        for v in cond.values:
            out.extend(resolved[v.param] if v.param is not None else [v.literal])
        return out

    def holds(cond: Condition, item: str) -> bool:
        values = values_of(cond)
        if cond.dataset == "Interactions":
            types = user_events.get(item, set())
            # "Amazon Personalize ignores case only when matching event types."
            folded = {t.lower() for t in types}
            hit = bool(types) and ("*" in values or any(str(v).lower() in folded for v in values))
            return hit if cond.op == "IN" else not hit
        row = items.get(item)
        upper = cond.field.upper()
        field_value = next((v for k, v in (row or {}).items() if k.upper() == upper), None)
        if cond.op == "IN":
            return _matches_any(field_value, values)
        if cond.op == "NOT IN":
            return field_value is not None and not _matches_any(field_value, values)
        left, right = _as_number(field_value), _as_number(values[0]) if values else None
        if left is None or right is None:
            if field_value is None or not values:
                return False
            return bool(COMPARISONS[cond.op](str(field_value), str(values[0])))
        return bool(COMPARISONS[cond.op](left, right))

    def passes(item: str) -> bool:
        for stage in expression.stages:
            matched = any(all(holds(c, item) for c in clause) for clause in stage.clauses)
            if matched != stage.include:
                return False
        return True

    return passes
