"""The subset of Avro that Personalize dataset schemas use, for validating catalog records.

A Personalize schema is a record of named fields whose types are primitives or ``["null", T]``
unions. A record sent to the API is checked field by field against it: every field known, each
value of its type and range, every non-nullable field without a default present.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from handlers.validation import ValidationError, describe, has_surrogates, to_float

INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)
PRIMITIVES = frozenset({"null", "boolean", "int", "long", "float", "double", "string"})


class SchemaError(ValueError):
    """The configured schema itself is unusable (a deployment mistake, not a client one)."""


@dataclass(frozen=True)
class Field:
    name: str
    types: frozenset[str]  # Avro primitive names; "null" when nullable
    has_default: bool

    @property
    def required(self) -> bool:
        return "null" not in self.types and not self.has_default


@dataclass(frozen=True)
class RecordSchema:
    fields: tuple[Field, ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(f.name for f in self.fields)

    def field(self, name: str) -> Field | None:
        return next((f for f in self.fields if f.name == name), None)


def parse_schema(text: str) -> RecordSchema:
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise SchemaError(f"schema is not JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "record":
        raise SchemaError("schema must be an Avro record")
    raw_fields = doc.get("fields")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise SchemaError("schema record must have fields")
    fields = []
    for raw in raw_fields:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise SchemaError("every schema field needs a name")
        fields.append(Field(raw["name"], _types(raw.get("type"), raw["name"]), "default" in raw))
    return RecordSchema(tuple(fields))


def _types(spec: Any, name: str) -> frozenset[str]:
    options = spec if isinstance(spec, list) else [spec]
    found = set()
    for option in options:
        kind = option.get("type") if isinstance(option, dict) else option
        if kind not in PRIMITIVES:
            raise SchemaError(f"field {name}: unsupported Avro type {kind!r}")
        found.add(str(kind))
    return frozenset(found)


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
