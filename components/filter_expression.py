"""Amazon Personalize filter expressions: one small parser, and the rules checked against schemas.

The grammar, from the developer guide's "Filter expression structure and elements"
(https://docs.aws.amazon.com/personalize/latest/dg/creating-filter-expressions.html):

    filter      := expression ("|" expression)*
    expression  := ("INCLUDE" | "EXCLUDE") target "WHERE" conditions ["IF" conditions]
    target      := "ItemID" | "ActionID" | "UserID"
    conditions  := condition (("AND" | "OR") condition)*
    condition   := Dataset.FIELD ("IN" | "NOT IN") "(" value ("," value)* ")"
                 | Dataset.FIELD ("IN" | "NOT IN") CurrentItem.FIELD
                 | Dataset.FIELD ("=" | "!=" | "<" | "<=" | ">" | ">=") value
    value       := "string" | number | $PARAMETER | CurrentItem.FIELD

Keywords, ItemID, dataset and field names are matched in any case, as AWS writes them: its
samples use `Interactions.event_type` and `ITEMS.CATEGORY_L1`, and the CreateFilter API reference
(as generated into the AWS SDKs) gives the format `EXCLUDE itemId WHERE INTERACTIONS.event_type
in ("EVENT_TYPE")`.
The rules `check` applies come from "Guidelines and requirements"
(https://docs.aws.amazon.com/personalize/latest/dg/filter-expression-guidelines-requirements.html)
and botocore's personalize-runtime model (filterValues: at most 25 keys matching
`[A-Za-z0-9_]+`, 50 characters each). Standard library only, so data tools and the emulator can
use it without the Pulumi SDK.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field

from handlers import avro

# botocore personalize FilterExpression: 1-2500 characters.
MAX_EXPRESSION_LENGTH = 2500
# botocore personalize-runtime FilterValues / FilterAttributeName.
MAX_PARAMETERS = 25
PARAMETER_NAME = re.compile(r"[A-Za-z0-9_]{1,50}")
# Guidelines: distinct dataset fields per filter, and across a dataset group's filters.
MAX_FIELDS_PER_FILTER = 10
MAX_FIELDS_PER_DATASET_GROUP = 20

COMPARISONS = ("=", "!=", "<", "<=", ">", ">=")
NUMERIC_TYPES = frozenset({"int", "long", "float", "double"})
# Canonical spelling of each dataset reference; matched in any case.
DATASETS = ("Items", "Interactions", "Users", "CurrentItem", "CurrentUser")

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<parameter>\$[A-Za-z0-9_]*)
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<operator>>=|<=|!=|=|>|<)
      | (?P<punct>[(),|])
      | (?P<word>[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)?)
    )""",
    # ASCII: \s and \d must not take other scripts' spaces and digits the service refuses.
    re.VERBOSE | re.ASCII,
)


class FilterSyntaxError(ValueError):
    """The expression does not follow the grammar; the message says where and what was expected."""


@dataclass(frozen=True)
class FieldRef:
    dataset: str  # canonical: one of DATASETS
    name: str  # as written

    def __str__(self) -> str:
        return f"{self.dataset}.{self.name}"


@dataclass(frozen=True)
class Value:
    literal: str | float | None = None
    parameter: str | None = None
    current_item: FieldRef | None = None


@dataclass(frozen=True)
class Condition:
    field: FieldRef
    operator: str  # "IN", "NOT IN" or one of COMPARISONS
    values: tuple[Value, ...]


@dataclass(frozen=True)
class Expression:
    include: bool
    target: str  # "ItemID", "ActionID" or "UserID"
    # WHERE part: a disjunction of conjunctions (AND binds tighter than OR).
    where: tuple[tuple[Condition, ...], ...]
    # IF part (CurrentUser conditions), joined with AND.
    if_conditions: tuple[Condition, ...] = ()

    def conditions(self) -> Iterator[Condition]:
        for clause in self.where:
            yield from clause
        yield from self.if_conditions


@dataclass(frozen=True)
class Filter:
    expressions: tuple[Expression, ...]

    def conditions(self) -> Iterator[Condition]:
        for expression in self.expressions:
            yield from expression.conditions()

    @property
    def parameters(self) -> dict[str, Condition]:
        """Each placeholder parameter with the (first) condition it is used in."""
        found: dict[str, Condition] = {}
        for condition in self.conditions():
            for value in condition.values:
                if value.parameter is not None:
                    found.setdefault(value.parameter, condition)
        return found

    @property
    def datasets(self) -> set[str]:
        used = {c.field.dataset for c in self.conditions()}
        used |= {
            v.current_item.dataset
            for c in self.conditions()
            for v in c.values
            if v.current_item is not None
        }
        return used


@dataclass
class _Tokens:
    text: str
    items: list[tuple[str, str, int]] = field(default_factory=list)
    position: int = 0

    def peek(self) -> tuple[str, str, int] | None:
        return self.items[self.position] if self.position < len(self.items) else None

    def peek_word(self) -> str | None:
        token = self.peek()
        return token[1].upper() if token is not None and token[0] == "word" else None

    def take(self, expected: str) -> tuple[str, str, int]:
        token = self.peek()
        if token is None:
            raise FilterSyntaxError(f"expected {expected} at the end of the expression")
        self.position += 1
        return token

    def fail(self, token: tuple[str, str, int], expected: str) -> FilterSyntaxError:
        return FilterSyntaxError(
            f"expected {expected} at character {token[2] + 1}, found {token[1]!r}"
        )

    def keyword(self, *words: str) -> str:
        expected = " or ".join(words)
        token = self.take(expected)
        if token[0] != "word" or token[1].upper() not in words:
            raise self.fail(token, expected)
        return token[1].upper()


def _tokenize(text: str) -> _Tokens:
    tokens = _Tokens(text)
    position = 0
    while position < len(text):
        if text[position:].strip() == "":
            break
        match = _TOKEN.match(text, position)
        if match is None or match.lastgroup is None:
            start = len(text) - len(text[position:].lstrip())
            raise FilterSyntaxError(
                f"unexpected character {text[start]!r} at character {start + 1}"
            )
        kind = match.lastgroup
        tokens.items.append((kind, match.group(kind), match.start(kind)))
        position = match.end()
    return tokens


def _field_ref(tokens: _Tokens, token: tuple[str, str, int]) -> FieldRef:
    dataset, dot, name = token[1].partition(".")
    canonical = next((d for d in DATASETS if d.lower() == dataset.lower()), None)
    if not dot or canonical is None:
        raise tokens.fail(token, f"a dataset field ({', '.join(DATASETS)} followed by .FIELD)")
    return FieldRef(canonical, name)


def _value(tokens: _Tokens) -> Value:
    token = tokens.take("a value")
    kind, text, _ = token
    if kind == "string":
        return Value(literal=text[1:-1].replace('\\"', '"'))
    if kind == "number":
        return Value(literal=float(text))
    if kind == "parameter":
        if not PARAMETER_NAME.fullmatch(text[1:]):
            raise tokens.fail(
                token, "a parameter name after $ (1-50 letters, digits or underscores)"
            )
        return Value(parameter=text[1:])
    if kind == "word" and "." in text:
        reference = _field_ref(tokens, token)
        if reference.dataset == "CurrentItem":
            return Value(current_item=reference)
    raise tokens.fail(token, 'a value: "text", a number, $PARAMETER or CurrentItem.FIELD')


def _condition(tokens: _Tokens) -> Condition:
    token = tokens.take("a dataset field")
    if token[0] != "word":
        raise tokens.fail(token, "a dataset field such as Items.GENRES")
    reference = _field_ref(tokens, token)
    operator_token = tokens.take("IN, NOT IN or a comparison")
    kind, text, _ = operator_token
    if kind == "operator":
        return Condition(reference, text, (_value(tokens),))
    if kind == "word" and text.upper() in ("NOT", "IN"):
        tokens.position -= 1
        operator = tokens.keyword("NOT", "IN")
        if operator == "NOT":
            operator = "NOT " + tokens.keyword("IN")
    else:
        raise tokens.fail(operator_token, "IN, NOT IN or a comparison (=, !=, <, <=, >, >=)")
    following = tokens.peek()
    if following is not None and following[0] == "word":
        # AWS's samples write `ITEMS.CATEGORY_L1 IN CurrentItem.CATEGORY_L1`, no parentheses.
        return Condition(reference, operator, (_value(tokens),))
    opening = tokens.take("(")
    if opening[:2] != ("punct", "("):
        raise tokens.fail(opening, f"( after {operator}")
    values = [_value(tokens)]
    while True:
        token = tokens.take(") to close the list")
        if token[:2] == ("punct", ")"):
            break
        if token[:2] != ("punct", ","):
            raise tokens.fail(token, ", or ) in the value list")
        values.append(_value(tokens))
    return Condition(reference, operator, tuple(values))


def _expression(tokens: _Tokens) -> Expression:
    include = tokens.keyword("INCLUDE", "EXCLUDE") == "INCLUDE"
    target_token = tokens.take("ItemID, ActionID or UserID")
    target = next(
        (t for t in ("ItemID", "ActionID", "UserID") if t.lower() == target_token[1].lower()),
        None,
    )
    if target_token[0] != "word" or target is None:
        raise tokens.fail(target_token, "ItemID, ActionID or UserID")
    tokens.keyword("WHERE")
    where: list[list[Condition]] = [[_condition(tokens)]]
    while tokens.peek_word() in ("AND", "OR"):
        if tokens.keyword("AND", "OR") == "AND":
            where[-1].append(_condition(tokens))
        else:
            where.append([_condition(tokens)])
    if_conditions: list[Condition] = []
    if tokens.peek_word() == "IF":
        tokens.keyword("IF")
        if_conditions.append(_condition(tokens))
        while tokens.peek_word() == "AND":
            tokens.keyword("AND")
            if_conditions.append(_condition(tokens))
    return Expression(include, target, tuple(tuple(c) for c in where), tuple(if_conditions))


def parse(text: str) -> Filter:
    """Parse a filter expression; FilterSyntaxError says where it breaks the grammar."""
    if not text.strip():
        raise FilterSyntaxError("the expression is empty")
    if len(text) > MAX_EXPRESSION_LENGTH:
        raise FilterSyntaxError(
            f"the expression has {len(text)} characters; at most {MAX_EXPRESSION_LENGTH}"
        )
    tokens = _tokenize(text)
    expressions = [_expression(tokens)]
    while (token := tokens.peek()) is not None:
        if token[:2] != ("punct", "|"):
            raise tokens.fail(token, "| to chain another expression, or the end")
        tokens.take("|")
        expressions.append(_expression(tokens))
    return Filter(tuple(expressions))


@dataclass(frozen=True)
class SchemaField:
    """What the rules need to know of a dataset field."""

    name: str
    avro_type: str  # the primitive type, nulls stripped
    textual: bool = False


def schema_fields(schema: Mapping[str, object]) -> tuple[SchemaField, ...]:
    """The fields of a decoded Avro schema (already validated by the data check)."""
    return tuple(SchemaField(f.name, f.kind, f.textual) for f in avro.parse_record(schema).fields)


# Which configured dataset a reference reads: CurrentItem is the Items row of the item asked
# about, CurrentUser the Users row of the user asked about.
SOURCE_DATASET = {
    "Items": "Items",
    "Interactions": "Interactions",
    "Users": "Users",
    "CurrentItem": "Items",
    "CurrentUser": "Users",
}


def resolve_field(
    reference: FieldRef, schemas: Mapping[str, Sequence[SchemaField]]
) -> SchemaField | None:
    """The schema field a reference names, matched in any case; None when there is none."""
    fields = schemas.get(SOURCE_DATASET[reference.dataset]) or ()
    return next((f for f in fields if f.name.upper() == reference.name.upper()), None)


def check(
    parsed: Filter,
    schemas: Mapping[str, Sequence[SchemaField]],
    *,
    related_items_model: bool,
) -> list[str]:
    """Every rule the expression breaks for these datasets (type -> fields), as sentences.

    `related_items_model`: whether a model serves related items (the only place CurrentItem
    has a value).
    """
    problems: list[str] = []
    for index, expression in enumerate(parsed.expressions, start=1):
        where = f"expression {index}: " if len(parsed.expressions) > 1 else ""
        problems += [where + p for p in _check_structure(expression)]
        for condition in expression.conditions():
            problems += [where + p for p in _check_condition(condition, schemas)]
    if "CurrentItem" in parsed.datasets and not related_items_model:
        problems.append(
            "CurrentItem applies only to related-items recommendations, and no model serves "
            "them (recipe aws-similar-items or aws-sims)"
        )
    fields = {(SOURCE_DATASET[c.field.dataset], c.field.name.upper()) for c in parsed.conditions()}
    if len(fields) > MAX_FIELDS_PER_FILTER:
        problems.append(
            f"uses {len(fields)} distinct dataset fields; a filter may use at most "
            f"{MAX_FIELDS_PER_FILTER}"
        )
    if len(parsed.parameters) > MAX_PARAMETERS:
        problems.append(
            f"has {len(parsed.parameters)} parameters; a request can pass at most "
            f"{MAX_PARAMETERS} filter values"
        )
    return problems


def _check_structure(expression: Expression) -> list[str]:
    """Rules on the shape of one expression, whatever the schemas."""
    problems: list[str] = []
    if expression.target != "ItemID":
        problems.append(
            f"{expression.target} filters are for action recommendations and user segments; "
            "this stack's models recommend items, so use ItemID"
        )
    first = expression.where[0][0].field.dataset
    mixed = sorted({c.field.dataset for clause in expression.where for c in clause} - {first})
    if mixed:
        problems.append(
            f"conditions joined with AND/OR may only use the dataset of the first condition "
            f"({first}), not {', '.join(mixed)}; chain expressions with | instead"
        )
    for condition in expression.if_conditions:
        if condition.field.dataset != "CurrentUser":
            problems.append(
                f"IF conditions may only test CurrentUser fields, not {condition.field}"
            )
    for clause in expression.where:
        for condition in clause:
            if condition.field.dataset == "CurrentUser":
                problems.append(
                    f"CurrentUser fields may only appear after IF, not in WHERE ({condition.field})"
                )
            if condition.field.dataset == "CurrentItem":
                problems.append(
                    f"CurrentItem is a value (Items.FIELD IN (CurrentItem.FIELD)), "
                    f"not a field to test ({condition.field})"
                )
    return problems


def _check_condition(
    condition: Condition, schemas: Mapping[str, Sequence[SchemaField]]
) -> list[str]:
    reference = condition.field
    source = SOURCE_DATASET[reference.dataset]
    if source not in schemas:
        return [f"{reference} needs a {source} dataset, and the stack configures none"]
    found = resolve_field(reference, schemas)
    if found is None:
        known = ", ".join(f.name for f in schemas[source])
        return [f"{reference}: the {source} schema has no field {reference.name} (it has {known})"]
    problems: list[str] = []
    if source == "Interactions" and found.name.upper() != "EVENT_TYPE":
        problems.append(
            f"{reference}: interactions can be filtered by EVENT_TYPE only, not other fields"
        )
    if found.textual:
        problems.append(f"{reference} is a textual field; textual metadata cannot be filtered")
    if found.avro_type == "boolean":
        problems.append(
            f"{reference} is a boolean field, which filters cannot use; store it as a string "
            '("True"/"False") or an int (0/1)'
        )
    if condition.operator in COMPARISONS and found.avro_type not in NUMERIC_TYPES:
        problems.append(
            f"{reference} is {found.avro_type}; {condition.operator} compares numbers only "
            "(use IN for text)"
        )
    for value in condition.values:
        if value.parameter is not None and condition.operator == "NOT IN":
            problems.append(
                f"{reference} NOT IN cannot take a parameter (${value.parameter}); use IN and "
                "swap INCLUDE/EXCLUDE"
            )
        if value.current_item is not None and resolve_field(value.current_item, schemas) is None:
            known = ", ".join(f.name for f in schemas.get("Items") or ())
            problems.append(
                f"{value.current_item}: the Items schema has no field "
                f"{value.current_item.name} (it has {known})"
            )
    return problems


def check_dataset_group(filters: Mapping[str, Filter]) -> list[str]:
    """Rules over all of a dataset group's filters together."""
    fields = {
        (SOURCE_DATASET[c.field.dataset], c.field.name.upper())
        for parsed in filters.values()
        for c in parsed.conditions()
    }
    if len(fields) > MAX_FIELDS_PER_DATASET_GROUP:
        return [
            f"the filters use {len(fields)} distinct dataset fields together; a dataset group's "
            f"filters may use at most {MAX_FIELDS_PER_DATASET_GROUP}"
        ]
    return []
