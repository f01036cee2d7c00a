"""Schema: the Avro description of a dataset's columns (immutable; no status in the API)."""

from __future__ import annotations

import json
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure

from .checks import is_unknown
from .declaration import NAME, Field, Kind
from .polling import ACTIVE
from .provider import PersonalizeProvider
from .resource import KindResource

SCHEMA = Kind(
    label="schema",
    noun="schema",
    fields={
        "name": NAME,
        "schema": Field("schema", required=True, max_length=10000, live=True, json_text=True),
    },
    tagged=False,
)


class SchemaProvider(PersonalizeProvider):
    declaration = SCHEMA

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        text = inputs.get("schema")
        if text is None or is_unknown(text):
            return []
        if not isinstance(text, str):
            return [CheckFailure("schema", "schema must be Avro JSON text (a string)")]
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            return [CheckFailure("schema", f"schema is not valid JSON: {exc}")]
        if (
            not isinstance(parsed, dict)
            or parsed.get("type") != "record"
            or not isinstance(parsed.get("fields"), list)
        ):
            return [
                CheckFailure(
                    "schema", 'schema must be an Avro record: {"type": "record", "fields": [...]}'
                )
            ]
        return []

    def _status(self, _described: dict[str, Any]) -> str:
        # Schemas have no status: once described, they are usable.
        return ACTIVE


class Schema(KindResource, module="personalize", name="Schema"):
    """A Personalize schema. Any change replaces it (schemas are immutable)."""

    provider_class = SchemaProvider
    name: pulumi.Output[str]
    schema: pulumi.Output[str]
