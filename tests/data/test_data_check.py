"""The preflight check: one test per rule, asserting the pieces of the message people read."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from components import data_check
from components.data_check import (
    DataCheckError,
    TrainingFilter,
    check_dataset_file,
    check_rows,
    load_schema,
)

SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "schemas"
INTERACTIONS = load_schema(SCHEMAS / "interactions.avsc")
ITEMS = load_schema(SCHEMAS / "items.avsc")
USERS = load_schema(SCHEMAS / "users.avsc")
HEADER = "USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP"


def _events(users: int = 50, per_user: int = 25) -> list[str]:
    """Valid interaction rows: `users` users with `per_user` events each."""
    return [
        f"u{u:03d},m{(u * 7 + n) % 90:03d},click,{1_700_000_000 + u * 1000 + n}"
        for u in range(users)
        for n in range(per_user)
    ]


def _write(tmp_path: Path, lines: list[str], name: str = "interactions.csv") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _items_schema(**types: object) -> dict:
    """An Items schema with extra fields of the given Avro types."""
    fields: list[dict[str, object]] = [{"name": "ITEM_ID", "type": "string"}]
    fields += [{"name": name, "type": kind} for name, kind in types.items()]
    return {"type": "record", "name": "Items", "fields": fields, "version": "1.0"}


def test_valid_interactions_give_a_summary(tmp_path):
    path = _write(tmp_path, [HEADER, *_events()])
    summary = check_dataset_file(path, INTERACTIONS, "Interactions")
    assert summary == data_check.DatasetSummary(
        path=path,
        dataset_type="Interactions",
        columns=("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"),
        rows=1250,
        users=50,
        items=90,
        users_with_2_plus=50,
    )


def test_column_order_is_free(tmp_path):
    rows = [",".join(reversed(r.split(","))) for r in _events()]
    path = _write(tmp_path, ["TIMESTAMP,EVENT_TYPE,ITEM_ID,USER_ID", *rows])
    assert check_dataset_file(path, INTERACTIONS, "Interactions").rows == 1250


def test_missing_column(tmp_path):
    path = _write(tmp_path, ["USER_ID,ITEM_ID,EVENT_TYPE", "u1,m1,click"])
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, INTERACTIONS, "Interactions")
    assert str(err.value) == f"{path} line 1: header is missing required column(s) TIMESTAMP"


def test_unknown_column(tmp_path):
    path = _write(tmp_path, [HEADER + ",RATING", "u1,m1,click,1700000000,5"])
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, INTERACTIONS, "Interactions")
    assert str(err.value) == (
        f'{path} line 1: unknown column "RATING"; the schema has fields '
        "USER_ID, ITEM_ID, EVENT_TYPE, TIMESTAMP"
    )


def test_header_must_match_the_schema_spelling(tmp_path):
    path = _write(tmp_path, ["user_id,ITEM_ID,EVENT_TYPE,TIMESTAMP", "u1,m1,click,1700000000"])
    with pytest.raises(
        DataCheckError,
        match=r'line 1: header column "user_id" must be written '
        r"exactly as the schema field USER_ID",
    ):
        check_dataset_file(path, INTERACTIONS, "Interactions")


def test_duplicate_column(tmp_path):
    path = _write(tmp_path, [HEADER + ",ITEM_ID"])
    with pytest.raises(DataCheckError, match="line 1: column ITEM_ID appears twice"):
        check_dataset_file(path, INTERACTIONS, "Interactions")


def test_bad_long(tmp_path):
    lines = [HEADER, *_events()]
    lines[16] = "u001,m001,click,abc"
    path = _write(tmp_path, lines)
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, INTERACTIONS, "Interactions")
    assert str(err.value) == f'{path} line 17: TIMESTAMP must be a long (whole number), got "abc"'


def test_milliseconds_are_not_epoch_seconds(tmp_path):
    path = _write(tmp_path, [HEADER, "u1,m1,click,1700000000000"])
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, INTERACTIONS, "Interactions")
    assert str(err.value) == (
        f'{path} line 2: TIMESTAMP must be epoch seconds, got "1700000000000" '
        "(it looks like milliseconds; divide by 1000)"
    )


@pytest.mark.parametrize("value", ["1995.0", "1_995", " 1995", "2147483648", "x", "1995\n"])
def test_bad_int(tmp_path, value):
    path = _write(
        tmp_path, ["ITEM_ID,GENRES,YEAR,CREATION_TIMESTAMP", f'm1,Drama,"{value}",1'], "items.csv"
    )
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, ITEMS, "Items")
    assert str(err.value).startswith(f"{path} line 2: YEAR must be an int (whole number)")
    assert f'got "{value}"' in str(err.value)


@pytest.mark.parametrize("value", ["abc", "nan", "inf", "1,5", "1e", "--1"])
def test_bad_float(tmp_path, value):
    path = _write(tmp_path, ["ITEM_ID,PRICE", f'm1,"{value}"'], "items.csv")
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, _items_schema(PRICE="float"), "Items")
    assert str(err.value) == f'{path} line 2: PRICE must be a float (number), got "{value}"'


def test_good_numbers_and_booleans(tmp_path):
    schema = _items_schema(PRICE="double", SCORE=["null", "float"], ADULT="boolean", RANK="long")
    path = _write(
        tmp_path,
        [
            "ITEM_ID,PRICE,SCORE,ADULT,RANK",
            "m1,1.5,,true,-3",
            "m2,-2e3,.5,False,+7",
            "m3,10,3.,TRUE,0",
        ],
        "items.csv",
    )
    assert check_dataset_file(path, schema, "Items").rows == 3


def test_range_edges(tmp_path):
    schema = _items_schema(YEAR="int", CREATION_TIMESTAMP="long", BIG="long")
    header = "ITEM_ID,YEAR,CREATION_TIMESTAMP,BIG"
    good = ["m1,2147483647,9999999999,9223372036854775807", "m2,-2147483648,0,-1"]
    path = _write(tmp_path, [header, *good], "items.csv")
    assert check_dataset_file(path, schema, "Items").rows == 2
    path = _write(tmp_path, [header, *good, "m3,1,1,9223372036854775808"], "items.csv")
    with pytest.raises(DataCheckError, match=r"line 4: BIG must be a long \(whole number\) in \["):
        check_dataset_file(path, schema, "Items")


def test_bad_boolean(tmp_path):
    path = _write(tmp_path, ["ITEM_ID,ADULT", "m1,yes"], "items.csv")
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, _items_schema(ADULT="boolean"), "Items")
    assert str(err.value) == f'{path} line 2: ADULT must be a boolean (true or false), got "yes"'


def test_empty_required_value(tmp_path):
    path = _write(
        tmp_path,
        ["ITEM_ID,GENRES,YEAR,CREATION_TIMESTAMP", "m1,Drama,1999,1", "m2,,1999,1"],
        "items.csv",
    )
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, ITEMS, "Items")
    assert str(err.value) == f"{path} line 3: GENRES is required and must not be empty"


def test_nullable_empty_is_fine(tmp_path):
    path = _write(
        tmp_path,
        ["ITEM_ID,GENRES,YEAR,CREATION_TIMESTAMP", "m1,Drama,,1", "m2,War,1999,2"],
        "items.csv",
    )
    summary = check_dataset_file(path, ITEMS, "Items")
    assert (summary.rows, summary.items, summary.users) == (2, 2, None)


def test_nullable_column_may_be_left_out(tmp_path):
    path = _write(tmp_path, ["ITEM_ID,GENRES,CREATION_TIMESTAMP", "m1,Drama,1"], "items.csv")
    assert check_dataset_file(path, ITEMS, "Items").columns == (
        "ITEM_ID",
        "GENRES",
        "CREATION_TIMESTAMP",
    )


def test_wrong_number_of_values(tmp_path):
    path = _write(tmp_path, ["USER_ID,AGE_BAND,TIER", "u1,18-24,free", "u2,18-24"], "users.csv")
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, USERS, "Users")
    assert str(err.value) == f"{path} line 3: expected 3 values (USER_ID, AGE_BAND, TIER), got 2"


def test_line_numbers_count_physical_lines(tmp_path):
    lines = ["USER_ID,AGE_BAND,TIER", '"u1","18\n24",free', "", "u3,,free"]
    path = _write(tmp_path, lines, "users.csv")
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, USERS, "Users")
    assert str(err.value) == f"{path} line 5: AGE_BAND is required and must not be empty"


def test_quoted_values_and_blank_lines(tmp_path):
    path = _write(
        tmp_path, ["USER_ID,AGE_BAND,TIER", '"u,1","18-24",free', "", "u2,55+,premium"], "users.csv"
    )
    summary = check_dataset_file(path, USERS, "Users")
    assert (summary.rows, summary.users) == (2, 2)


def test_too_few_interactions(tmp_path):
    path = _write(tmp_path, [HEADER, *_events(users=37, per_user=27)])
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, INTERACTIONS, "Interactions")
    assert str(err.value) == (
        f"{path}: Personalize needs at least 1000 interactions to train; found 999"
    )


def test_too_few_users_with_two_or_more(tmp_path):
    # 24 users with 2 events each, 952 users with one: 1000 rows, but only 24 active users.
    rows = _events(users=24, per_user=2)
    rows += [f"x{n:04d},m001,click,{1_700_000_000 + n}" for n in range(952)]
    path = _write(tmp_path, [HEADER, *rows])
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, INTERACTIONS, "Interactions")
    assert str(err.value) == (
        f"{path}: Personalize needs at least 25 users with 2 or more interactions each; "
        "found 24 (of 976 users)"
    )


def test_header_only_items_file(tmp_path):
    path = _write(tmp_path, ["ITEM_ID,GENRES,YEAR,CREATION_TIMESTAMP"], "items.csv")
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, ITEMS, "Items")
    assert str(err.value) == f"{path}: no data rows after the header"


def test_empty_file(tmp_path):
    path = tmp_path / "users.csv"
    path.write_text("")
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, USERS, "Users")
    assert str(err.value) == f"{path}: file is empty; expected a header row"


def test_missing_file(tmp_path):
    path = tmp_path / "nope" / "interactions.csv"
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, INTERACTIONS, "Interactions")
    assert str(err.value) == f"{path}: dataset file not found"


def test_not_utf8(tmp_path):
    path = tmp_path / "users.csv"
    path.write_bytes(b"USER_ID,AGE_BAND,TIER\nu1,\xff,free\n")
    with pytest.raises(DataCheckError, match=r"users\.csv: not UTF-8 text"):
        check_dataset_file(path, USERS, "Users")


def test_error_is_a_value_error():
    assert issubclass(DataCheckError, ValueError)


# --- schema files -------------------------------------------------------------------------------


def _schema_file(tmp_path: Path, schema: object) -> Path:
    path = tmp_path / "bad.avsc"
    path.write_text(schema if isinstance(schema, str) else json.dumps(schema))
    return path


def test_committed_schemas_load():
    assert [f["name"] for f in INTERACTIONS["fields"]] == [
        "USER_ID",
        "ITEM_ID",
        "EVENT_TYPE",
        "TIMESTAMP",
    ]
    assert ITEMS["name"] == "Items"
    assert USERS["name"] == "Users"


def test_schema_file_missing(tmp_path):
    with pytest.raises(DataCheckError) as err:
        load_schema(tmp_path / "none.avsc")
    assert str(err.value) == f"{tmp_path / 'none.avsc'}: schema file not found"


def test_schema_not_json(tmp_path):
    path = _schema_file(tmp_path, '{"type": "record",\n "fields": [}')
    with pytest.raises(DataCheckError, match=r"bad\.avsc line 2: not valid JSON"):
        load_schema(path)


@pytest.mark.parametrize(
    ("schema", "message"),
    [
        ({"type": "enum", "name": "Items"}, 'must be an Avro record: {"type": "record", ...}'),
        (
            {"type": "record", "fields": [{"name": "A", "type": "string"}]},
            "the record needs a name",
        ),
        ({"type": "record", "name": "Items", "fields": []}, "needs a non-empty list of fields"),
        (
            {"type": "record", "name": "X", "fields": [{"name": "1D", "type": "string"}]},
            'field name "1D" must match ^[A-Za-z_][A-Za-z0-9_]*$',
        ),
        (
            {"type": "record", "name": "X", "fields": [{"name": "A", "type": "string"}] * 2},
            "field A is declared twice",
        ),
        (
            {"type": "record", "name": "X", "fields": [{"name": "A", "type": "bytes"}]},
            'field A has type "bytes"; allowed: one of string, int, long',
        ),
        (
            {
                "type": "record",
                "name": "X",
                "fields": [{"name": "A", "type": ["null", "int", "long"]}],
            },
            'field A has type ["null", "int", "long"]',
        ),
        (
            {"type": "record", "name": "X", "fields": [{"name": "A"}]},
            "field 1 needs a name and a type",
        ),
    ],
)
def test_bad_schema_file(tmp_path, schema, message):
    path = _schema_file(tmp_path, schema)
    with pytest.raises(DataCheckError) as err:
        load_schema(path)
    assert str(err.value).startswith(f"{path}: ")
    assert message in str(err.value)


def test_schema_missing_a_required_field(tmp_path):
    schema = json.loads((SCHEMAS / "interactions.avsc").read_text())
    schema["fields"] = [f for f in schema["fields"] if f["name"] != "TIMESTAMP"]
    path = _schema_file(tmp_path, schema)
    with pytest.raises(DataCheckError) as err:
        load_schema(path)
    assert str(err.value) == f"{path}: Interactions schemas need a field TIMESTAMP of type long"


def test_schema_required_field_with_wrong_type(tmp_path):
    schema = {
        "type": "record",
        "name": "Users",
        "fields": [
            {"name": "USER_ID", "type": ["null", "string"]},
            {"name": "A", "type": "string"},
        ],
    }
    path = _schema_file(tmp_path, schema)
    with pytest.raises(DataCheckError) as err:
        load_schema(path)
    assert (
        str(err.value) == f'{path}: field USER_ID must be "string" (not nullable) in Users schemas'
    )


def test_dataset_type_argument_overrides_the_record_name(tmp_path):
    path = _schema_file(tmp_path, _items_schema(YEAR="int"))
    assert load_schema(path)["name"] == "Items"
    with pytest.raises(DataCheckError, match="Users schemas need a field USER_ID of type string"):
        load_schema(path, "Users")


def test_items_schema_needs_metadata(tmp_path):
    path = _schema_file(tmp_path, _items_schema())
    with pytest.raises(
        DataCheckError, match="Items schemas need at least one metadata field besides ITEM_ID"
    ):
        load_schema(path)


def test_unknown_dataset_type(tmp_path):
    path = _write(tmp_path, ["USER_ID,AGE_BAND,TIER", "u1,18-24,free"], "users.csv")
    with pytest.raises(
        DataCheckError, match="dataset type 'People' is not one of Interactions, Items, Users"
    ):
        check_dataset_file(path, USERS, "People")


# --- streaming ----------------------------------------------------------------------------------


def test_check_consumes_lines_lazily_and_stops_at_the_first_error():
    consumed = 0

    def lines() -> Iterator[str]:
        nonlocal consumed
        for line in [HEADER, "u1,m1,click,1700000000", "u1,m2,click,later"]:
            consumed += 1
            yield line + "\n"
        while True:  # an endless tail: the check must not try to read it all
            consumed += 1
            yield "u2,m3,click,1700000001\n"

    with pytest.raises(DataCheckError, match=r"big\.csv line 3: TIMESTAMP must be a long"):
        check_rows(lines(), INTERACTIONS, "Interactions", "big.csv")
    assert consumed == 3


class _IterateOnly:
    """A file handle that refuses whole-file reads, so only row-by-row iteration works."""

    def __init__(self, handle):
        self._handle = handle

    def __iter__(self):
        return self

    def __next__(self):
        return next(self._handle)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self._handle.close()

    def read(self, *args):
        raise AssertionError("the check must not read the whole file")

    def readlines(self, *args):
        raise AssertionError("the check must not read all lines")


def test_check_dataset_file_iterates_instead_of_reading_everything(tmp_path, monkeypatch):
    path = _write(tmp_path, [HEADER, *_events()])
    real_open = Path.open
    opened = []

    def iterate_only(self, *args, **kwargs):
        opened.append(_IterateOnly(real_open(self, *args, **kwargs)))
        return opened[-1]

    monkeypatch.setattr(Path, "open", iterate_only)
    assert check_dataset_file(path, INTERACTIONS, "Interactions").rows == 1250
    assert len(opened) == 1


# --- rules of the limits and custom-datasets-and-schemas pages -----------------------------------

KEY = "models[0].training"


def test_minimums_count_only_the_training_event_type(tmp_path):
    # 1250 interactions, but only 50 of them are "purchase": enough in all, too few to train on.
    rows = _events()
    rows = [r.replace(",click,", ",purchase,") if i % 25 == 0 else r for i, r in enumerate(rows)]
    path = _write(tmp_path, [HEADER, *rows])
    assert check_dataset_file(path, INTERACTIONS, "Interactions").rows == 1250
    clicks = TrainingFilter(KEY, event_type="click")
    assert check_dataset_file(path, INTERACTIONS, "Interactions", [clicks])
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(
            path, INTERACTIONS, "Interactions", [TrainingFilter(KEY, event_type="purchase")]
        )
    assert str(err.value).startswith(
        f'{path}: {KEY} trains on eventType "purchase", which leaves 50 interactions and 0 users'
    )
    assert "after filtering by event type or value" in str(err.value)


def test_minimums_count_only_values_at_the_threshold(tmp_path):
    schema = _interactions_schema({"name": "EVENT_VALUE", "type": ["null", "float"]})
    # Event values 0.0 .. 0.9 in turn: a threshold of 0.2 keeps 1000 of 1250, 0.95 keeps none.
    rows = [f"{r},{(i % 10) / 10}" for i, r in enumerate(_events())]
    path = _write(tmp_path, [f"{HEADER},EVENT_VALUE", *rows])
    most = TrainingFilter(KEY, min_event_value=0.2)
    assert check_dataset_file(path, schema, "Interactions", [most]).rows == 1250
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, schema, "Interactions", [TrainingFilter(KEY, "click", 0.95)])
    assert str(err.value).startswith(
        f'{path}: {KEY} trains on eventType "click" and solutionConfig.eventValueThreshold 0.95, '
        "which leaves 0 interactions"
    )


def test_event_filters_need_their_columns(tmp_path):
    schema = {
        "type": "record",
        "name": "Interactions",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
        ],
    }
    rows = [",".join(r.split(",")[:2] + r.split(",")[3:]) for r in _events()]
    path = _write(tmp_path, ["USER_ID,ITEM_ID,TIMESTAMP", *rows])
    with pytest.raises(DataCheckError, match="but the schema has no EVENT_TYPE field"):
        check_dataset_file(path, schema, "Interactions", [TrainingFilter(KEY, "click")])
    with pytest.raises(DataCheckError, match="but the schema has no EVENT_VALUE field"):
        check_dataset_file(path, schema, "Interactions", [TrainingFilter(KEY, None, 1.0)])


def _interactions_schema(*extra: dict) -> dict:
    fields = [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
        *extra,
    ]
    return {"type": "record", "name": "Interactions", "fields": fields}


@pytest.mark.parametrize(
    ("dataset_type", "field", "message"),
    [
        ("Interactions", {"name": "EVENT_VALUE", "type": "double"}, "EVENT_VALUE is a reserved"),
        ("Interactions", {"name": "EVENT_VALUE", "type": "string"}, '"float" or ["null", "float"]'),
        ("Interactions", {"name": "IMPRESSION", "type": "long"}, "IMPRESSION is a reserved"),
        ("Items", {"name": "CREATION_TIMESTAMP", "type": "int"}, 'must be "long"'),
        ("Items", {"name": "CREATION_TIMESTAMP", "type": ["null", "long"]}, 'must be "long"'),
    ],
)
def test_reserved_fields_have_their_types(dataset_type, field, message):
    schema = (
        _interactions_schema(field)
        if dataset_type == "Interactions"
        else _items_schema(YEAR="int") | {"fields": [*_items_schema(YEAR="int")["fields"], field]}
    )
    with pytest.raises(DataCheckError, match=re.escape(message)):
        data_check.validate_schema(schema, dataset_type, "s.avsc")


def test_reserved_fields_with_their_types_are_fine():
    schema = _interactions_schema(
        {"name": "EVENT_VALUE", "type": ["null", "float"]},
        {"name": "IMPRESSION", "type": ["null", "string"]},
    )
    assert len(data_check.validate_schema(schema, "Interactions", "s.avsc")) == 6


@pytest.mark.parametrize(("dataset_type", "limit"), [("Users", 25), ("Items", 100)])
def test_metadata_field_counts(dataset_type, limit):
    id_field = "USER_ID" if dataset_type == "Users" else "ITEM_ID"

    def schema(count: int) -> dict:
        fields = [{"name": id_field, "type": "string"}]
        fields += [{"name": f"F{i}", "type": "int"} for i in range(count)]
        return {"type": "record", "name": dataset_type, "fields": fields}

    assert data_check.validate_schema(schema(limit), dataset_type, "s.avsc")
    with pytest.raises(DataCheckError) as err:
        data_check.validate_schema(schema(limit + 1), dataset_type, "s.avsc")
    assert f"{dataset_type} schemas may have at most {limit} metadata fields" in str(err.value)


def test_interactions_metadata_excludes_reserved_fields():
    five = [{"name": f"F{i}", "type": "int"} for i in range(5)]
    reserved = {"name": "IMPRESSION", "type": ["null", "string"]}
    assert data_check.validate_schema(_interactions_schema(*five, reserved), "Interactions", "s")
    with pytest.raises(DataCheckError, match="at most 5 metadata fields"):
        data_check.validate_schema(
            _interactions_schema(*five, {"name": "F5", "type": "int"}), "Interactions", "s"
        )


def test_metadata_and_event_types_are_at_most_ten(tmp_path):
    # EVENT_TYPE counts as a field; 10 distinct event types make 11.
    rows = [r.replace(",click,", f",e{i % 10},") for i, r in enumerate(_events())]
    path = _write(tmp_path, [HEADER, *rows])
    with pytest.raises(DataCheckError, match="at most 10 metadata fields and distinct event types"):
        check_dataset_file(path, INTERACTIONS, "Interactions")


@pytest.mark.parametrize("dataset_type", ["Users", "Items", "Interactions"])
def test_string_metadata_must_say_categorical(dataset_type):
    plain = {"name": "COLOR", "type": "string"}
    if dataset_type == "Interactions":
        schema = _interactions_schema(plain)
    else:
        id_field = "USER_ID" if dataset_type == "Users" else "ITEM_ID"
        schema = {
            "type": "record",
            "name": dataset_type,
            "fields": [{"name": id_field, "type": "string"}, plain],
        }
    with pytest.raises(DataCheckError, match='string field COLOR needs "categorical": true'):
        data_check.validate_schema(schema, dataset_type, "s.avsc")
    schema["fields"][-1] = {**plain, "categorical": False}  # filters only: accepted
    assert data_check.validate_schema(schema, dataset_type, "s.avsc")


def test_only_items_take_one_textual_field():
    text = {"name": "DESCRIPTION", "type": "string", "textual": True}
    fields: list[dict] = [{"name": "ITEM_ID", "type": "string"}, text]
    items = {"type": "record", "name": "Items", "fields": fields}
    assert data_check.validate_schema(items, "Items", "s.avsc")
    fields.append({**text, "name": "SUMMARY"})
    with pytest.raises(DataCheckError, match="at most 1 textual field"):
        data_check.validate_schema(items, "Items", "s.avsc")
    users = {
        "type": "record",
        "name": "Users",
        "fields": [{"name": "USER_ID", "type": "string"}, text],
    }
    with pytest.raises(DataCheckError, match="only Items schemas may have textual fields"):
        data_check.validate_schema(users, "Users", "s.avsc")


def test_ids_are_at_most_256_characters(tmp_path):
    rows = _events()
    long_id = "u" * 257
    rows[7] = f"{long_id}," + rows[7].split(",", 1)[1]
    path = _write(tmp_path, [HEADER, *rows])
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, INTERACTIONS, "Interactions")
    assert str(err.value).startswith(
        f"{path} line 9: USER_ID may have at most 256 characters, got 257"
    )


def test_categorical_values_are_at_most_1000_characters(tmp_path):
    header = "ITEM_ID,GENRES,YEAR,CREATION_TIMESTAMP"
    fine = "m1," + "G" * 1000 + ",1999,1"
    path = _write(tmp_path, [header, fine, "m2," + "G" * 1001 + ",1999,1"], "items.csv")
    with pytest.raises(DataCheckError) as err:
        check_dataset_file(path, ITEMS, "Items")
    assert str(err.value).startswith(
        f"{path} line 3: GENRES may have at most 1000 characters, got 1001"
    )
