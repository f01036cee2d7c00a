"""The subset of Avro that Personalize dataset schemas use, parsed in one place.

A Personalize schema is a record of named fields whose types are primitives or ``["null", T]``
unions (custom-datasets-and-schemas page). :func:`parse_record` reads that subset; the preview
data check (``components/data_check.py``) adds Personalize's rules per dataset type on top, and
the catalog handler checks records sent to the API against it field by field: every field known,
each value of its type and range, every non-nullable field without a default present.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from handlers.validation import (
    FIELD_NAME_PATTERN,
    ValidationError,
    describe,
    has_surrogates,
    to_float,
)

INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)
# The primitive types a field may have (alone or in a union with "null"), in the order messages
# list them.
PRIMITIVE_TYPES = ("string", "int", "long", "float", "double", "boolean")
# Always used with fullmatch, so a trailing newline never slips through "$".
FIELD_NAME = re.compile(f"^{FIELD_NAME_PATTERN}$")


class SchemaError(ValueError):
    """The schema itself is unusable: at preview a stack-file mistake, in a function a deployment
    one (never a client's). The message starts with the schema's source."""


@dataclass(frozen=True)
class Field:
    name: str
    kind: str  # one of PRIMITIVE_TYPES
    nullable: bool  # the type is ["null", kind]
    has_default: bool = False
    categorical: bool | None = None  # the schema's "categorical" attribute, None when absent
    textual: bool = False

    @property
    def types(self) -> frozenset[str]:
        """Avro type names a value may have; "null" when nullable."""
        return frozenset({self.kind, "null"} if self.nullable else {self.kind})

    @property
    def required(self) -> bool:
        return not self.nullable and not self.has_default


@dataclass(frozen=True)
class RecordSchema:
    name: str
    fields: tuple[Field, ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def parse_schema(text: str, source: str = "schema") -> RecordSchema:
    """Parse an Avro schema's JSON text; `source` names it in messages."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise SchemaError(f"{source}: not valid JSON ({exc})") from None
    return parse_record(doc, source)


def parse_record(doc: Any, source: str = "schema") -> RecordSchema:
    """The record an already-decoded Avro schema declares; `source` names it in messages."""
    if not isinstance(doc, dict) or doc.get("type") != "record":
        raise SchemaError(f'{source}: must be an Avro record: {{"type": "record", ...}}')
    if not isinstance(doc.get("name"), str) or not doc["name"]:
        raise SchemaError(f"{source}: the record needs a name")
    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise SchemaError(f"{source}: the record needs a non-empty list of fields")
    fields: list[Field] = []
    seen: set[str] = set()
    for position, raw in enumerate(raw_fields, start=1):
        if not isinstance(raw, dict) or "name" not in raw or "type" not in raw:
            raise SchemaError(f"{source}: field {position} needs a name and a type")
        name = raw["name"]
        if not isinstance(name, str) or not FIELD_NAME.fullmatch(name):
            raise SchemaError(
                f"{source}: field name {json.dumps(name)} must match {FIELD_NAME.pattern}"
            )
        if name in seen:
            raise SchemaError(f"{source}: field {name} is declared twice")
        seen.add(name)
        kind, nullable = _field_type(name, raw["type"], source)
        categorical = raw.get("categorical")
        fields.append(
            Field(
                name,
                kind,
                nullable,
                has_default="default" in raw,
                categorical=categorical if isinstance(categorical, bool) else None,
                textual=raw.get("textual") is True,
            )
        )
    return RecordSchema(doc["name"], tuple(fields))


def _field_type(name: str, avro_type: Any, source: str) -> tuple[str, bool]:
    """(primitive kind, nullable) of a field's Avro type; only what Personalize accepts."""
    if isinstance(avro_type, dict):
        avro_type = avro_type.get("type")
    if isinstance(avro_type, str) and avro_type in PRIMITIVE_TYPES:
        return avro_type, False
    if isinstance(avro_type, list):
        others = [t for t in avro_type if t != "null"]
        if len(others) == 1 and len(avro_type) == 2 and others[0] in PRIMITIVE_TYPES:
            return others[0], True
    allowed = ", ".join(PRIMITIVE_TYPES)
    raise SchemaError(
        f"{source}: field {name} has type {json.dumps(avro_type)}; allowed: one of {allowed}, "
        f'or a union of "null" with one of them'
    )


def check_record(schema: RecordSchema, record: Any, where: str) -> dict[str, Any]:
    """Validate one record; returns it with only non-null values kept."""
    if not isinstance(record, dict):
        raise ValidationError(where, f"{where} must be a JSON object, got {describe(record)}")
    for key in record:
        if schema.field(key) is None:
            raise ValidationError(
                f"{where}.{key}",
                f"unknown field {describe(key)} in {where}; allowed: "
                + ", ".join(f.name for f in schema.fields),
                code="UnknownField",
            )
    clean: dict[str, Any] = {}
    for spec in schema.fields:
        location = f"{where}.{spec.name}"
        if spec.name not in record:
            if spec.required:
                raise ValidationError(location, f"{location} is required", code="MissingParameter")
            continue
        value = record[spec.name]
        if value is None and "null" in spec.types:
            continue  # JSON null only where the schema's type is a union with "null"
        _check_value(spec, value, location)
        # JSON (and JSON Schema) has one number type: 7.0 is the integer 7.
        integral = _integral(value) if spec.types & {"int", "long"} else None
        clean[spec.name] = (
            integral if integral is not None and not isinstance(value, bool) else value
        )
    return clean


def _check_value(spec: Field, value: Any, location: str) -> None:
    allowed = spec.types - {"null"}
    for kind in allowed:
        if _matches(kind, value):
            return
    wanted = " or ".join(sorted(allowed))
    raise ValidationError(location, f"{location} must be {wanted}, got {describe(value)}")


def _matches(kind: str, value: Any) -> bool:
    if kind == "string":
        return isinstance(value, str) and not has_surrogates(value)
    if kind == "boolean":
        return isinstance(value, bool)
    if isinstance(value, bool):  # bool is an int subclass; never a number here
        return False
    if kind in ("int", "long"):
        low, high = INT_RANGE if kind == "int" else LONG_RANGE
        return _integral(value) is not None and low <= value <= high
    return (
        kind in ("float", "double")
        and isinstance(value, int | float)
        and to_float(value) is not None
    )


def _integral(value: Any) -> int | None:
    """``value`` as an int when it is a JSON number with no fractional part, else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return None


def camel_case(name: str) -> str:
    """Schema field name to its PutItems/PutUsers key: CREATION_TIMESTAMP -> creationTimestamp."""
    words = [w for w in name.split("_") if w]
    if not words:
        return name
    return words[0].lower() + "".join(w[:1].upper() + w[1:].lower() for w in words[1:])
