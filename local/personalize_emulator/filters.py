"""The Personalize filter expression language (parsing; ``filtering`` applies it).

Grammar (keywords, dataset names and field names in any case, as AWS's own samples write them):

    expression := stage ("|" stage)*
    stage      := (INCLUDE | EXCLUDE) ItemID WHERE condition ((AND | OR) condition)* [IF user]
                | (INCLUDE | EXCLUDE) UserID WHERE condition ((AND | OR) condition)*
    condition  := Items.<FIELD> (IN | NOT IN) (values) | Items.<FIELD> <op> value
                | Users.<FIELD> ... (UserID filters)
                | Interactions.EVENT_TYPE (IN | NOT IN) (values)      ("*" = any event type)
    user       := CurrentUser.<FIELD> <op> value (AND CurrentUser.<FIELD> <op> value)*
    value      := "string" | number | $PARAM | CurrentItem.<FIELD>
    op         := = | != | < | <= | > | >=

Rules from the filter-expression pages of the developer guide: AND / OR may only join conditions
on the dataset of the first condition (Interactions and Items stages are chained with ``|``);
``IF`` checks ``CurrentUser`` once, at the end; ``CurrentItem`` only works for related-items
recipes; case is ignored only when matching event types (item values match exactly); boolean
fields cannot be filtered on. UserID filters (for the user segments of batch segment jobs) are
parsed and kept, but no recommendation request can use them; ActionID filters (Actions datasets,
not emulated) are refused at CreateFilter.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInputException

_TOKEN = re.compile(
    r'\s*(?:(?P<string>"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\')|(?P<param>\$[A-Za-z0-9_]+)'
    r"|(?P<number>-?\d+(?:\.\d+)?)|(?P<op>>=|<=|!=|=|>|<)|(?P<punct>[(),|])"
    r"|(?P<word>[A-Za-z_][A-Za-z0-9_.]*))"
)
COMPARISONS: dict[str, Callable[[float, float], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
}
ITEMS = "Items"
USERS = "Users"
INTERACTIONS = "Interactions"
CURRENT_USER = "CurrentUser"
CURRENT_ITEM = "CurrentItem"
_DATASETS = {
    name.lower(): name for name in (ITEMS, USERS, INTERACTIONS, CURRENT_USER, CURRENT_ITEM)
}
ITEM_ID, USER_ID = "ItemID", "UserID"
# What each filter target's WHERE conditions may read.
_TARGETS = {
    ITEM_ID.upper(): (ITEM_ID, (ITEMS, INTERACTIONS)),
    USER_ID.upper(): (USER_ID, (USERS, INTERACTIONS)),
}


@dataclass(frozen=True)
class Value:
    literal: Any = None
    param: str | None = None
    current_item: str | None = None  # a field of the item the related-items request names


@dataclass(frozen=True)
class Condition:
    dataset: str  # ITEMS, INTERACTIONS or CURRENT_USER
    field: str  # as written; matched to schema fields without regard to case
    op: str  # "IN", "NOT IN" or a comparison
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Stage:
    include: bool
    # Disjunction of conjunctions (AND binds tighter than OR).
    clauses: tuple[tuple[Condition, ...], ...]
    # CurrentUser conditions (joined by AND): the stage applies only when they hold.
    when: tuple[Condition, ...] = ()


@dataclass(frozen=True)
class FilterExpression:
    stages: tuple[Stage, ...]
    # ItemID filters filter recommendations; UserID filters filter batch segment jobs' users.
    target: str = ITEM_ID

    def conditions(self) -> list[Condition]:
        return [c for s in self.stages for cl in s.clauses for c in cl] + [
            c for s in self.stages for c in s.when
        ]

    @property
    def parameters(self) -> set[str]:
        return {v.param for c in self.conditions() for v in c.values if v.param is not None}

    def fields(self, dataset: str) -> set[str]:
        """Fields of ITEMS or CURRENT_USER the expression reads (CurrentItem reads Items)."""
        found = {c.field for c in self.conditions() if c.dataset == dataset}
        if dataset == ITEMS:
            found |= {v.current_item for c in self.conditions() for v in c.values if v.current_item}
        return found

    @property
    def uses_current_item(self) -> bool:
        return any(v.current_item for c in self.conditions() for v in c.values)

    @property
    def includes_interactions(self) -> bool:
        """True when a stage keeps only items the user interacted with ("watch again")."""
        return any(
            s.include and any(c.dataset == INTERACTIONS for cl in s.clauses for c in cl)
            for s in self.stages
        )


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

    def peek_word(self) -> str | None:
        token = self.peek()
        return token[1].upper() if token is not None and token[0] == "word" else None

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
        target, first = self.stage()
        stages = [first]
        while self.peek() == ("punct", "|"):
            self.take()
            other, stage = self.stage()
            if other != target:
                raise InvalidInputException(
                    f"Filter expression: every stage must filter {target}, got {other}"
                )
            stages.append(stage)
        token = self.peek()
        if token is not None:
            raise InvalidInputException(
                f"Filter expression: unexpected {token[1]!r}; stages are joined with |"
            )
        return FilterExpression(tuple(stages), target)

    def stage(self) -> tuple[str, Stage]:
        include = self.word("INCLUDE", "EXCLUDE").upper() == "INCLUDE"
        written = self.word()
        if written.upper() not in _TARGETS:
            raise InvalidInputException(
                f"Filter expression: ItemID or UserID filters are emulated, got {written!r} "
                "(ActionID filters need an Actions dataset)"
            )
        target, datasets = _TARGETS[written.upper()]
        self.word("WHERE")
        first = self.condition(datasets)
        clauses = [[first]]
        while self.peek_word() in ("AND", "OR"):
            joiner = self.word().upper()
            condition = self.condition(datasets)
            if condition.dataset != first.dataset:
                raise InvalidInputException(
                    f"Filter expression: AND / OR can only join conditions on {first.dataset}; "
                    f"chain a {condition.dataset} condition as another stage with |"
                )
            if joiner == "AND":
                clauses[-1].append(condition)
            else:
                clauses.append([condition])
        when: list[Condition] = []
        if self.peek_word() == "IF":
            self.take()
            when.append(self.user_condition())
            while self.peek_word() == "AND":
                self.take()
                when.append(self.user_condition())
        if when and target != ITEM_ID:
            raise InvalidInputException("Filter expression: IF CurrentUser is for ItemID filters")
        return target, Stage(include, tuple(tuple(c) for c in clauses), tuple(when))

    def _dataset_field(self) -> tuple[str, str, str]:
        name = self.word()
        prefix, _, field = name.partition(".")
        dataset = _DATASETS.get(prefix.lower(), prefix)
        if not field or "." in field:
            raise InvalidInputException(
                f"Filter expression: expected <dataset>.<field>, got {name!r}"
            )
        return name, dataset, field

    def condition(self, datasets: tuple[str, ...]) -> Condition:
        name, dataset, field = self._dataset_field()
        if dataset not in datasets:
            raise InvalidInputException(
                f"Filter expression: unsupported field {name!r} after WHERE; use "
                f"{' or '.join(f'{d}.<FIELD>' for d in datasets if d != INTERACTIONS)} or "
                "Interactions.EVENT_TYPE (CurrentUser goes in an IF clause at the end)"
            )
        if dataset == INTERACTIONS and field.upper() != "EVENT_TYPE":
            raise InvalidInputException(
                f"Filter expression: interactions can only be filtered by EVENT_TYPE, got {name!r}"
            )
        op = self.operator()
        if dataset == INTERACTIONS and op not in ("IN", "NOT IN"):
            raise InvalidInputException("Interactions.EVENT_TYPE supports IN / NOT IN only")
        values = self.values() if op in ("IN", "NOT IN") else (self.value(),)
        star = any(v.literal == "*" for v in values)
        if star and dataset != INTERACTIONS:
            raise InvalidInputException('Filter expression: "*" only works for EVENT_TYPE')
        return Condition(dataset, field, op, values)

    def user_condition(self) -> Condition:
        name, dataset, field = self._dataset_field()
        if dataset != CURRENT_USER:
            raise InvalidInputException(
                f"Filter expression: an IF clause checks CurrentUser.<FIELD>, got {name!r}"
            )
        op = self.operator()
        values = self.values() if op in ("IN", "NOT IN") else (self.value(),)
        return Condition(CURRENT_USER, field, op, values)

    def operator(self) -> str:
        kind, text = self.take()
        if kind == "op":
            return text
        if kind == "word" and text.upper() == "NOT":
            self.word("IN")
            return "NOT IN"
        if kind == "word" and text.upper() == "IN":
            return "IN"
        raise InvalidInputException(f"Filter expression: expected IN or a comparison, got {text!r}")

    def values(self) -> tuple[Value, ...]:
        if self.peek() != ("punct", "("):
            # IN CurrentItem.<FIELD> needs no parentheses.
            return (self.value(),)
        self.take()
        values = [self.value()]
        while self.peek() == ("punct", ","):
            self.take()
            values.append(self.value())
        if self.take() != ("punct", ")"):
            raise InvalidInputException("Filter expression: expected ) to close the IN list")
        return tuple(values)

    def value(self) -> Value:
        kind, text = self.take()
        if kind == "string":
            quote = text[0]
            return Value(literal=text[1:-1].replace("\\" + quote, quote))
        if kind == "number":
            return Value(literal=float(text))
        if kind == "param":
            return Value(param=text[1:])
        if kind == "word":
            prefix, _, field = text.partition(".")
            if prefix.lower() == CURRENT_ITEM.lower() and field:
                return Value(current_item=field)
        raise InvalidInputException(f"Filter expression: expected a value, got {text!r}")


def parse(text: str) -> FilterExpression:
    """Parse an expression; InvalidInputException for anything the language does not allow."""
    return _Parser(text).parse()
