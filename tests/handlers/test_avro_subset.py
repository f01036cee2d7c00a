"""One Avro-subset parser: the preview data check and the catalog function read a schema alike."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components import data_check
from handlers import avro

FIELDS: list[dict[str, Any]] = [
    {"name": "ITEM_ID", "type": "string"},
    {"name": "GENRES", "type": ["null", "string"], "categorical": True},
]
UNUSABLE: dict[str, Any] = {
    "union of two types": {"name": "YEAR", "type": ["null", "int", "string"]},
    "null alone": {"name": "YEAR", "type": "null"},
    "not a field name": {"name": "YEAR-1", "type": "int"},
    "declared twice": {"name": "GENRES", "type": "string"},
    "no type": {"name": "YEAR"},
}


@pytest.mark.parametrize("mistake", sorted(UNUSABLE))
def test_a_schema_the_data_check_refuses_the_catalog_function_refuses_too(mistake: str) -> None:
    schema = {"type": "record", "name": "Items", "fields": [*FIELDS, UNUSABLE[mistake]]}
    with pytest.raises(data_check.DataCheckError) as at_preview:
        data_check.validate_schema(schema, "Items", "items.avsc")
    with pytest.raises(avro.SchemaError) as in_function:
        avro.parse_schema(json.dumps(schema), "items.avsc")
    assert str(in_function.value) == str(at_preview.value)


def test_both_read_the_same_fields() -> None:
    schema = {"type": "record", "name": "Items", "fields": FIELDS}
    checked = data_check.validate_schema(schema, "Items", "items.avsc")
    parsed = avro.parse_schema(json.dumps(schema)).fields
    assert [(f.name, f.kind, f.nullable, f.categorical) for f in checked] == [
        (f.name, f.kind, f.nullable, f.categorical) for f in parsed
    ]
    assert parsed[1].types == {"null", "string"}
    assert not parsed[1].required
