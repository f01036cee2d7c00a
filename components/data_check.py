"""Preflight check of dataset CSVs against their Avro schemas, run before any resource exists.

An import job that fails on a bad row costs a quarter of an hour and a stack left half-built; this
check finds the same problems at preview time and names the file, line and rule.

Streaming, with the standard library and the one Avro-subset parser (handlers.avro): rows are
read one at a time with `csv`, so memory grows with the number of distinct users and items (for
the minimums and the summary), never with the rows.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import math
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from components.csv_text import open_csv
from handlers import avro
from handlers.avro import INT_RANGE, LONG_RANGE
from providers.dataset import DATASET_TYPES

if TYPE_CHECKING:
    import _csv


# Fields Personalize requires per dataset type, and the Avro type each must have.
REQUIRED_FIELDS: dict[str, dict[str, str]] = {
    "Interactions": {"USER_ID": "string", "ITEM_ID": "string", "TIMESTAMP": "long"},
    "Items": {"ITEM_ID": "string"},
    "Users": {"USER_ID": "string"},
}

# Personalize's training minimums (limits page, https://docs.aws.amazon.com/personalize/latest/dg/
# limits.html): "For a custom solution, you must have this many records after any filtering by
# event type or event value before training", so they are counted per training.eventType too.
MIN_INTERACTIONS = 1000
MIN_ACTIVE_USERS = 25
MIN_EVENTS_PER_ACTIVE_USER = 2

# Schema rules of custom datasets (custom-datasets-and-schemas and limits pages): reserved fields
# and the Avro type each must have, how many metadata fields each dataset may have, and how long
# values may be.
RESERVED_FIELDS: dict[str, dict[str, tuple[str, bool]]] = {
    # name -> (type, may be nullable)
    "Interactions": {
        "EVENT_TYPE": ("string", False),
        "EVENT_VALUE": ("float", True),
        "IMPRESSION": ("string", True),
        "RECOMMENDATION_ID": ("string", True),
        "EVENT_ATTRIBUTION_SOURCE": ("string", True),
    },
    "Items": {"CREATION_TIMESTAMP": ("long", False)},
    "Users": {},
}
# Interactions: "The maximum number of metadata fields excluding reserved fields, such as
# IMPRESSION, is 5"; and EVENT_TYPE, EVENT_VALUE and custom metadata fields plus the number of
# distinct event types in the data are at most 10. Users 25, Items 100 (limits page).
MAX_METADATA_FIELDS = {"Interactions": 5, "Users": 25, "Items": 100}
MAX_INTERACTIONS_METADATA_AND_EVENT_TYPES = 10
MAX_TEXTUAL_FIELDS = 1  # Items only
ID_MAX_CHARS = 256  # USER_ID, ITEM_ID
CATEGORICAL_MAX_CHARS = 1000  # categorical values and impressions; any Items string
TEXTUAL_MAX_CHARS = 20_000

# Epoch seconds beyond this (year 2286) are almost surely milliseconds, which Personalize misreads.
MAX_EPOCH_SECONDS = 10_000_000_000
TIMESTAMP_FIELDS = ("TIMESTAMP", "CREATION_TIMESTAMP")

_INTEGER = re.compile(r"[+-]?[0-9]+")
_DECIMAL = re.compile(r"[+-]?([0-9]+\.?[0-9]*|\.[0-9]+)([eE][+-]?[0-9]+)?")
_BOOLEANS = {"true", "false"}

_TYPE_WORDS = {
    "string": "a string",
    "int": "an int (whole number)",
    "long": "a long (whole number)",
    "float": "a float (number)",
    "double": "a double (number)",
    "boolean": "a boolean (true or false)",
}


class DataCheckError(ValueError):
    """A dataset or schema file breaks a rule; the message names the file, the line and the rule."""


@dataclass(frozen=True)
class TrainingFilter:
    """The interactions one model trains on: only `event_type` (training.eventType), only event
    values >= `min_event_value` (solutionConfig.eventValueThreshold). `key` is the config key
    path of the model's training settings, for messages."""

    key: str
    event_type: str | None = None
    min_event_value: float | None = None

    def describe(self) -> str:
        parts = []
        if self.event_type is not None:
            parts.append(f"eventType {json.dumps(self.event_type)}")
        if self.min_event_value is not None:
            parts.append(f"solutionConfig.eventValueThreshold {self.min_event_value:g}")
        return " and ".join(parts)


@dataclass(frozen=True)
class _Field(avro.Field):
    """A schema field with the longest string value Personalize imports for it."""

    max_chars: int | None = None


@dataclass(frozen=True)
class DatasetSummary:
    path: Path
    dataset_type: str
    columns: tuple[str, ...]
    rows: int
    users: int | None  # distinct USER_ID values, when the file has that column
    items: int | None  # distinct ITEM_ID values, when the file has that column
    users_with_2_plus: int | None  # Interactions only: users with 2 or more interactions


def _infer_dataset_type(schema: dict[str, Any]) -> str | None:
    name = str(schema.get("name", "")).lower()
    return next((t for t in DATASET_TYPES if t.lower() == name), None)


def validate_schema(
    schema: Any, dataset_type: str | None = None, source: str = "schema"
) -> tuple[_Field, ...]:
    """Check an Avro schema (already parsed) minimally; returns its fields. `source` names it."""
    if dataset_type is not None and dataset_type not in DATASET_TYPES:
        raise DataCheckError(
            f"{source}: dataset type {dataset_type!r} is not one of {', '.join(DATASET_TYPES)}"
        )
    try:
        record = avro.parse_record(schema, source)
    except avro.SchemaError as error:
        raise DataCheckError(str(error)) from None
    fields = [_Field(**dataclasses.asdict(f)) for f in record.fields]
    dataset_type = dataset_type or _infer_dataset_type(schema)
    if dataset_type is not None:
        _check_required(fields, dataset_type, source)
        fields = _check_personalize_rules(fields, dataset_type, source)
    return tuple(fields)


def _check_personalize_rules(fields: list[_Field], dataset_type: str, source: str) -> list[_Field]:
    """Reserved fields and their types, metadata field counts and string attributes, as the
    custom-datasets-and-schemas page states them; returns the fields with their value limits."""
    reserved = RESERVED_FIELDS[dataset_type]
    required = REQUIRED_FIELDS[dataset_type]
    for field in fields:
        rule = reserved.get(field.name)
        if rule is not None and (field.kind != rule[0] or (field.nullable and not rule[1])):
            allowed = f'"{rule[0]}"' + (' or ["null", "' + rule[0] + '"]' if rule[1] else "")
            raise DataCheckError(
                f"{source}: {field.name} is a reserved field of {dataset_type} schemas and must "
                f"be {allowed}"
            )
    metadata = [f for f in fields if f.name not in required and f.name not in reserved]
    limit = MAX_METADATA_FIELDS[dataset_type]
    if len(metadata) > limit:
        raise DataCheckError(
            f"{source}: {dataset_type} schemas may have at most {limit} metadata fields "
            f"(besides required and reserved ones), found {len(metadata)}: "
            f"{', '.join(f.name for f in metadata)}"
        )
    textual = [f.name for f in metadata if f.textual]
    if textual and dataset_type != "Items":
        raise DataCheckError(
            f'{source}: field {textual[0]} is "textual"; only Items schemas may have textual fields'
        )
    if len(textual) > MAX_TEXTUAL_FIELDS:
        raise DataCheckError(
            f"{source}: Items schemas may have at most {MAX_TEXTUAL_FIELDS} textual field, found "
            f"{', '.join(textual)}"
        )
    for field in metadata:
        if field.kind == "string" and field.categorical is None and not field.textual:
            kinds = '"categorical": true' + (
                ' or "textual": true' if dataset_type == "Items" else ""
            )
            raise DataCheckError(
                f"{source}: string field {field.name} needs {kinds}: Personalize does not train "
                f'on other string metadata (write "categorical": false to keep it for filters '
                f"only)"
            )
    return [dataclasses.replace(f, max_chars=_max_chars(f, dataset_type)) for f in fields]


def _max_chars(field: _Field, dataset_type: str) -> int | None:
    """Value length limits on the limits page: IDs 256; categorical values and impressions 1000;
    every Items string 1000 except a textual field (20,000)."""
    if field.kind != "string":
        return None
    if field.name in ("USER_ID", "ITEM_ID"):
        return ID_MAX_CHARS
    if field.textual:
        return TEXTUAL_MAX_CHARS
    if field.categorical or field.name == "IMPRESSION" or dataset_type == "Items":
        return CATEGORICAL_MAX_CHARS
    return None


def _check_required(fields: list[_Field], dataset_type: str, source: str) -> None:
    by_name = {f.name: f for f in fields}
    for name, kind in REQUIRED_FIELDS[dataset_type].items():
        field = by_name.get(name)
        if field is None:
            raise DataCheckError(
                f"{source}: {dataset_type} schemas need a field {name} of type {kind}"
            )
        if field.kind != kind or field.nullable:
            raise DataCheckError(
                f'{source}: field {name} must be "{kind}" (not nullable) in {dataset_type} schemas'
            )
    if dataset_type in ("Items", "Users") and len(fields) < 2:
        raise DataCheckError(
            f"{source}: {dataset_type} schemas need at least one metadata field besides "
            f"{next(iter(REQUIRED_FIELDS[dataset_type]))}"
        )


def load_schema(path: Path, dataset_type: str | None = None) -> dict[str, Any]:
    """Read and minimally validate an .avsc file. Required fields are checked for `dataset_type`,
    or for the type the record's name says ("Interactions", "Items", "Users") when not given."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise DataCheckError(f"{path}: schema file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise DataCheckError(f"{path}: cannot read the schema file: {exc}") from None
    try:
        schema = json.loads(text)
    except json.JSONDecodeError as exc:
        raise DataCheckError(
            f"{path} line {exc.lineno}: not valid JSON ({exc.msg}); an .avsc file is a JSON object"
        ) from None
    validate_schema(schema, dataset_type, str(path))
    if not isinstance(schema, dict):  # pragma: no cover - validate_schema guarantees it
        raise DataCheckError(f"{path}: must be a JSON object")
    return schema


def _integer_error(field: _Field, value: str) -> str | None:
    if not _INTEGER.fullmatch(value):
        return f'{field.name} must be {_TYPE_WORDS[field.kind]}, got "{value}"'
    low, high = INT_RANGE if field.kind == "int" else LONG_RANGE
    number = int(value)
    if not low <= number <= high:
        return f'{field.name} must be {_TYPE_WORDS[field.kind]} in [{low}, {high}], got "{value}"'
    if field.name in TIMESTAMP_FIELDS and number >= MAX_EPOCH_SECONDS:
        return (
            f'{field.name} must be epoch seconds, got "{value}" '
            f"(it looks like milliseconds; divide by 1000)"
        )
    return None


def _decimal_error(field: _Field, value: str) -> str | None:
    if _DECIMAL.fullmatch(value) and math.isfinite(float(value)):
        return None
    return f'{field.name} must be {_TYPE_WORDS[field.kind]}, got "{value}"'


def _boolean_error(field: _Field, value: str) -> str | None:
    if value.lower() in _BOOLEANS:
        return None
    return f'{field.name} must be {_TYPE_WORDS[field.kind]}, got "{value}"'


_VALIDATORS: dict[str, Callable[[_Field, str], str | None]] = {
    "string": lambda _field, _value: None,
    "int": _integer_error,
    "long": _integer_error,
    "float": _decimal_error,
    "double": _decimal_error,
    "boolean": _boolean_error,
}


def _value_error(field: _Field, value: str) -> str | None:
    """Why `value` is not valid for `field`, or None when it is."""
    if value == "":
        return None if field.nullable else f"{field.name} is required and must not be empty"
    if field.max_chars is not None and len(value) > field.max_chars:
        return (
            f"{field.name} may have at most {field.max_chars} characters, got {len(value)} "
            "(the import job would fail)"
        )
    return _VALIDATORS[field.kind](field, value)


def _surely_valid(field: _Field) -> Callable[[str], bool]:
    """A cheap test that passes the common valid values; the rest go through _value_error.

    Big interaction files are mostly ids and plain digits, so this keeps the check near the speed
    of reading the CSV.
    """
    if field.kind == "string":
        limit = field.max_chars
        if limit is None:
            return (lambda _value: True) if field.nullable else bool
        if field.nullable:
            return lambda value: len(value) <= limit
        return lambda value: 0 < len(value) <= limit
    if field.kind in ("int", "long"):
        # Digit counts that are surely inside the type's range (and below MAX_EPOCH_SECONDS).
        if field.kind == "int":
            digits = 9
        elif field.name in TIMESTAMP_FIELDS:
            digits = len(str(MAX_EPOCH_SECONDS)) - 1
        else:
            digits = 18
        return lambda value: len(value) <= digits and value.isascii() and value.isdigit()
    return lambda _value: False


def _check_header(header: list[str], fields: tuple[_Field, ...], where: str) -> None:
    by_name = {f.name: f for f in fields}
    by_upper = {f.name.upper(): f.name for f in fields}
    seen: set[str] = set()
    for column in header:
        if column in seen:
            raise DataCheckError(f"{where} line 1: column {column} appears twice in the header")
        seen.add(column)
        if column in by_name:
            continue
        spelled = by_upper.get(column.strip().upper())
        if spelled is not None:
            raise DataCheckError(
                f'{where} line 1: header column "{column}" must be written exactly as the '
                f"schema field {spelled}"
            )
        raise DataCheckError(
            f'{where} line 1: unknown column "{column}"; the schema has fields {", ".join(by_name)}'
        )
    missing = [f.name for f in fields if f.name not in seen and not f.nullable]
    if missing:
        raise DataCheckError(
            f"{where} line 1: header is missing required column(s) {', '.join(missing)}"
        )


class _Tally:
    """What the rules and the summary need from the rows seen so far: counters, not rows."""

    def __init__(self, header: list[str], training: Iterable[TrainingFilter] = ()) -> None:
        self.rows = 0
        self.user_col = header.index("USER_ID") if "USER_ID" in header else None
        self.item_col = header.index("ITEM_ID") if "ITEM_ID" in header else None
        self.event_col = header.index("EVENT_TYPE") if "EVENT_TYPE" in header else None
        self.value_col = header.index("EVENT_VALUE") if "EVENT_VALUE" in header else None
        # Per-user counts saturate at the minimum: all the rule needs.
        self.users: dict[str, int] = {}
        self.items: set[str] = set()
        self.event_types: set[str] = set()
        # The same counts over the rows each model trains on (its TrainingFilter).
        self.filtered: list[tuple[TrainingFilter, _Tally]] = [(t, _Tally(header)) for t in training]

    def add(self, row: list[str]) -> None:
        self.rows += 1
        if self.user_col is not None:
            user = row[self.user_col]
            count = self.users.get(user, 0)
            if count < MIN_EVENTS_PER_ACTIVE_USER:
                self.users[user] = count + 1
        if self.item_col is not None:
            self.items.add(row[self.item_col])
        if self.event_col is not None:
            self.event_types.add(row[self.event_col])
        for training, sub in self.filtered:
            if self._kept(training, row):
                sub.add(row)

    def _kept(self, training: TrainingFilter, row: list[str]) -> bool:
        if training.event_type is not None and (
            self.event_col is None or row[self.event_col] != training.event_type
        ):
            return False
        if training.min_event_value is not None:
            value = row[self.value_col] if self.value_col is not None else ""
            return value != "" and float(value) >= training.min_event_value
        return True

    def active_users(self) -> int:
        return sum(1 for n in self.users.values() if n >= MIN_EVENTS_PER_ACTIVE_USER)


def _scan(
    reader: _csv.Reader,
    header: list[str],
    fields: tuple[_Field, ...],
    name: str,
    training: Iterable[TrainingFilter] = (),
) -> _Tally:
    by_name = {f.name: f for f in fields}
    columns = [(by_name[c], _surely_valid(by_name[c])) for c in header]
    width = len(columns)
    tally = _Tally(header, training)
    # A quoted value may span lines: report the line a row starts on.
    start = reader.line_num + 1
    for row in reader:
        if row:  # skip blank lines
            if len(row) != width:
                raise DataCheckError(
                    f"{name} line {start}: expected {width} values "
                    f"({', '.join(header)}), got {len(row)}"
                )
            for (field, fast), value in zip(columns, row, strict=True):
                if not fast(value):
                    problem = _value_error(field, value)
                    if problem is not None:
                        raise DataCheckError(f"{name} line {start}: {problem}")
            tally.add(row)
        start = reader.line_num + 1
    return tally


def _check_minimums(tally: _Tally, dataset_type: str, name: str) -> int | None:
    """Personalize's training minimums for interactions; returns the active-user count."""
    if dataset_type != "Interactions":
        if tally.rows == 0:
            raise DataCheckError(f"{name}: no data rows after the header")
        return None
    if tally.rows < MIN_INTERACTIONS:
        raise DataCheckError(
            f"{name}: Personalize needs at least {MIN_INTERACTIONS} interactions to train; "
            f"found {tally.rows}"
        )
    active = tally.active_users()
    if active < MIN_ACTIVE_USERS:
        raise DataCheckError(
            f"{name}: Personalize needs at least {MIN_ACTIVE_USERS} users with "
            f"{MIN_EVENTS_PER_ACTIVE_USER} or more interactions each; found {active} "
            f"(of {len(tally.users)} users)"
        )
    return active


def _check_training_data(
    tally: _Tally, fields: tuple[_Field, ...], training: Iterable[TrainingFilter], name: str
) -> None:
    """Interactions rules that depend on what each model trains on: the minimums count only the
    rows left after its event type and event value filters, and metadata fields plus distinct
    event types are at most 10 (limits page)."""
    for wanted, sub in tally.filtered:
        for column, needed in (
            ("EVENT_TYPE", wanted.event_type is not None),
            ("EVENT_VALUE", wanted.min_event_value is not None),
        ):
            if needed and column not in {f.name for f in fields}:
                raise DataCheckError(
                    f"{name}: {wanted.key} trains on {wanted.describe()}, but the schema has no "
                    f"{column} field"
                )
        active = sub.active_users()
        if sub.rows < MIN_INTERACTIONS or active < MIN_ACTIVE_USERS:
            raise DataCheckError(
                f"{name}: {wanted.key} trains on {wanted.describe()}, which leaves {sub.rows} "
                f"interactions and {active} users with {MIN_EVENTS_PER_ACTIVE_USER} or more of "
                f"them; Personalize needs at least {MIN_INTERACTIONS} and {MIN_ACTIVE_USERS} "
                f"after filtering by event type or value (event types are matched exactly; "
                f"found {', '.join(sorted(tally.event_types)[:10]) or 'none'})"
            )
    counted = [
        f.name
        for f in fields
        if f.name not in REQUIRED_FIELDS["Interactions"]
        and f.name not in ("IMPRESSION", "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE")
    ]
    total = len(counted) + len(tally.event_types)
    if total > MAX_INTERACTIONS_METADATA_AND_EVENT_TYPES:
        raise DataCheckError(
            f"{name}: Personalize allows at most {MAX_INTERACTIONS_METADATA_AND_EVENT_TYPES} "
            f"metadata fields and distinct event types together; found {len(counted)} fields "
            f"({', '.join(counted)}) and {len(tally.event_types)} event types"
        )


def check_rows(
    lines: Iterable[str],
    schema: dict[str, Any],
    dataset_type: str,
    name: str,
    training: Sequence[TrainingFilter] = (),
) -> DatasetSummary:
    """Check CSV text given as an iterable of lines (a file object, a generator, ...).

    `name` is what messages call the file. `training` lists what each model trains on when it
    filters interactions (see TrainingFilter). Raises DataCheckError at the first problem.
    """
    training = list(training) if dataset_type == "Interactions" else []
    fields = validate_schema(schema, dataset_type, f"{name} (schema)")
    reader = csv.reader(lines, strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise DataCheckError(f"{name}: file is empty; expected a header row")
        if header and header[0].startswith("\ufeff"):
            header[0] = header[0][1:]  # tolerate a UTF-8 byte order mark
        _check_header(header, fields, name)
        tally = _scan(reader, header, fields, name, training)
    except csv.Error as exc:
        raise DataCheckError(f"{name} line {reader.line_num}: malformed CSV ({exc})") from None
    active = _check_minimums(tally, dataset_type, name)
    if dataset_type == "Interactions":
        _check_training_data(tally, fields, training, name)
    return DatasetSummary(
        path=Path(name),
        dataset_type=dataset_type,
        columns=tuple(header),
        rows=tally.rows,
        users=len(tally.users) if tally.user_col is not None else None,
        items=len(tally.items) if tally.item_col is not None else None,
        users_with_2_plus=active,
    )


def check_dataset_file(
    path: Path,
    schema: dict[str, Any],
    dataset_type: str,
    training: Sequence[TrainingFilter] = (),
) -> DatasetSummary:
    """Check one dataset CSV against its schema and Personalize's rules, streaming row by row.

    `training`: see check_rows. Raises DataCheckError naming the file, the line and the rule
    at the first problem.
    """
    path = Path(path)
    try:
        handle = open_csv(path)
    except FileNotFoundError:
        raise DataCheckError(f"{path}: dataset file not found") from None
    except OSError as exc:
        raise DataCheckError(f"{path}: cannot open the dataset file: {exc}") from None
    with handle:
        try:
            summary = check_rows(handle, schema, dataset_type, str(path), training)
        except UnicodeDecodeError as exc:
            raise DataCheckError(f"{path}: not UTF-8 text ({exc.reason})") from None
    return dataclasses.replace(summary, path=path)
