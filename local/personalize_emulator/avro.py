"""Avro dataset schemas: parsing, CSV import checks and PutItems/PutUsers record checks."""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInputException

PRIMITIVES = ("string", "int", "long", "float", "double", "boolean")

# Fields each dataset type must declare, with the types the service accepts for them.
REQUIRED_FIELDS: dict[str, dict[str, tuple[str, ...]]] = {
    "interactions": {"USER_ID": ("string",), "ITEM_ID": ("string",), "TIMESTAMP": ("long",)},
    "items": {"ITEM_ID": ("string",)},
    "users": {"USER_ID": ("string",)},
}

MIN_INTERACTIONS_PER_IMPORT = 1000


@dataclass(frozen=True)
class Field:
    name: str
    type: str
    nullable: bool
    categorical: bool


@dataclass(frozen=True)
class AvroSchema:
    name: str
    fields: tuple[Field, ...]

    def field(self, name: str) -> Field | None:
        for f in self.fields:
            if f.name == name:
                return f
        return None

    def lookup(self, name: str) -> Field | None:
        """The field a CSV header, filter or metadata column names, matched without regard to
        case (AWS's samples write headers and identifiers in other cases than the schema)."""
        exact = self.field(name)
        if exact is not None:
            return exact
        wanted = name.upper()
        return next((f for f in self.fields if f.name.upper() == wanted), None)

    @property
    def names(self) -> list[str]:
        return [f.name for f in self.fields]


def parse_schema(text: str) -> AvroSchema:
    """Parse an Avro record schema as CreateSchema accepts it; InvalidInputException otherwise."""
    try:
        doc = json.loads(text)
    except ValueError as exc:
        raise InvalidInputException(f"Schema is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or doc.get("type") != "record":
        raise InvalidInputException('Schema must be an Avro record: {"type": "record", ...}')
    name = doc.get("name")
    raw_fields = doc.get("fields")
    if not isinstance(name, str) or not name:
        raise InvalidInputException("Schema record must have a name")
    if not isinstance(raw_fields, list) or not raw_fields:
        raise InvalidInputException("Schema record must have a non-empty list of fields")
    fields: list[Field] = []
    seen: set[str] = set()
    for raw in raw_fields:
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise InvalidInputException("Every schema field needs a name and a type")
        fname = raw["name"]
        if not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", fname):
            raise InvalidInputException(f"Field name {fname!r} is not a valid Avro name")
        if fname in seen:
            raise InvalidInputException(f"Field {fname!r} is declared twice")
        seen.add(fname)
        ftype, nullable = _field_type(fname, raw.get("type"))
        categorical = bool(raw.get("categorical", False))
        if categorical and ftype != "string":
            raise InvalidInputException(f"Field {fname!r}: only string fields can be categorical")
        fields.append(Field(fname, ftype, nullable, categorical))
    return AvroSchema(name, tuple(fields))


def _field_type(name: str, raw: Any) -> tuple[str, bool]:
    if isinstance(raw, str) and raw in PRIMITIVES:
        return raw, False
    if isinstance(raw, list):
        others = [t for t in raw if t != "null"]
        if len(others) == 1 and others[0] in PRIMITIVES and "null" in raw:
            return others[0], True
    raise InvalidInputException(
        f"Field {name!r} has unsupported type {raw!r}; allowed: {list(PRIMITIVES)} "
        'or a union with "null"'
    )


def check_dataset_type(schema: AvroSchema, dataset_type: str) -> None:
    """CreateDataset refuses a schema that lacks the fields its dataset type requires."""
    required = REQUIRED_FIELDS.get(dataset_type.lower())
    if required is None:
        return
    for fname, types in required.items():
        f = schema.field(fname)
        if f is None:
            raise InvalidInputException(
                f"Schema {schema.name!r} is missing required field {fname} "
                f"for a {dataset_type} dataset"
            )
        if f.type not in types or f.nullable:
            raise InvalidInputException(
                f"Field {fname} of a {dataset_type} dataset must be of type {types[0]} (not null)"
            )


class ImportFailedError(Exception):
    """An import job ends CREATE FAILED with this message as its failureReason."""


def _convert(f: Field, text: str) -> Any:
    if text == "":
        if f.nullable:
            return None
        raise ValueError("empty value for a field that is not nullable")
    if f.type == "string":
        return text
    if f.type in ("int", "long"):
        return int(text)
    if f.type in ("float", "double"):
        return float(text)
    lowered = text.lower()
    if lowered not in ("true", "false"):
        raise ValueError("not a boolean")
    return lowered == "true"


def read_csv(
    schema: AvroSchema, body: str, dataset_type: str, location: str, *, strict_case: bool = False
) -> list[dict[str, Any]]:
    """Rows of an import file checked against the schema; ImportFailedError names a problem."""
    reader = csv.reader(io.StringIO(body))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise ImportFailedError(f"Input file {location} is empty") from None
    fields = [schema.field(h) if strict_case else schema.lookup(h) for h in header]
    extra = [h for h, f in zip(header, fields, strict=True) if f is None]
    if extra:
        raise ImportFailedError(
            f"Input CSV {location} has columns not in the schema: {extra}; "
            f"schema fields are {schema.names}"
        )
    present = {f.name for f in fields if f is not None}
    missing = [f.name for f in schema.fields if not f.nullable and f.name not in present]
    if missing:
        raise ImportFailedError(f"Input CSV {location} is missing required columns: {missing}")
    rows: list[dict[str, Any]] = []
    for line_no, values in enumerate(reader, start=2):
        if not values:
            continue
        if len(values) != len(header):
            raise ImportFailedError(
                f"Row {line_no} of {location} has {len(values)} values, expected {len(header)}"
            )
        row: dict[str, Any] = {f.name: None for f in schema.fields}
        for f, text in zip(fields, values, strict=True):
            assert f is not None
            try:
                row[f.name] = _convert(f, text.strip())
            except ValueError as exc:
                raise ImportFailedError(
                    f"Row {line_no} of {location}, column {f.name}: value {text!r} is not a valid "
                    f"{f.type} ({exc})"
                ) from None
        rows.append(row)
    return rows


def camel(name: str) -> str:
    """A field as PutItems/PutUsers properties spell it: CREATION_TIMESTAMP -> creationTimestamp."""
    parts = name.lower().split("_")
    return parts[0] + "".join(p.capitalize() for p in parts[1:])


def check_record(
    schema: AvroSchema, id_field: str, record_id: str, properties: str | None
) -> dict[str, Any]:
    """A PutItems/PutUsers record as a row, or InvalidInputException naming the bad property."""
    row: dict[str, Any] = {f.name: None for f in schema.fields}
    row[id_field] = record_id
    props: dict[str, Any] = {}
    if properties is not None:
        try:
            parsed = json.loads(properties)
        except ValueError:
            raise InvalidInputException(
                f"properties of {record_id!r} must be a JSON object string"
            ) from None
        if not isinstance(parsed, dict):
            raise InvalidInputException(f"properties of {record_id!r} must be a JSON object")
        props = parsed
    by_key = {camel(f.name): f for f in schema.fields if f.name != id_field}
    by_key.update({f.name: f for f in schema.fields if f.name != id_field})
    for key, value in props.items():
        f = by_key.get(key)
        if f is None:
            allowed = sorted(camel(x.name) for x in schema.fields if x.name != id_field)
            raise InvalidInputException(
                f"Property {key!r} of {record_id!r} is not in the schema; allowed: {allowed}"
            )
        row[f.name] = _check_value(f, value, record_id)
    for f in schema.fields:
        if f.name != id_field and not f.nullable and row[f.name] is None:
            raise InvalidInputException(
                f"Record {record_id!r} is missing required property {camel(f.name)!r}"
            )
    return row


def _check_value(f: Field, value: Any, record_id: str) -> Any:
    if value is None:
        if f.nullable:
            return None
        raise InvalidInputException(f"Property {camel(f.name)!r} of {record_id!r} cannot be null")
    ok = {
        "string": isinstance(value, str),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "long": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "double": isinstance(value, int | float) and not isinstance(value, bool),
        "boolean": isinstance(value, bool),
    }[f.type]
    if not ok:
        raise InvalidInputException(
            f"Property {camel(f.name)!r} of {record_id!r} must be of type {f.type}, got {value!r}"
        )
    return value
