"""Schema: the Avro description of a dataset's columns (immutable; no status in the API)."""

from __future__ import annotations

import json
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure

from .base import ACTIVE, PersonalizeProvider, canonical_json, find_by_name, is_unknown


class SchemaProvider(PersonalizeProvider):
    kind = "schema"
    inputs: ClassVar[tuple[str, ...]] = ("name", "schema")
    required: ClassVar[tuple[str, ...]] = ("name", "schema")
    tagged: ClassVar[bool] = False
    updatable: ClassVar[tuple[str, ...]] = ()

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
        if len(text) > 10000:
            return [
                CheckFailure("schema", f"schema must be at most 10000 characters, got {len(text)}")
            ]
        return []

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        return str(client.create_schema(name=props["name"], schema=props["schema"])["schemaArn"])

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        return dict(client.describe_schema(schemaArn=arn)["schema"])

    def _status(self, _described: dict[str, Any]) -> str:
        # Schemas have no status: once described, they are usable.
        return ACTIVE

    def _delete(self, client: Any, arn: str) -> None:
        client.delete_schema(schemaArn=arn)

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        return find_by_name(client, "list_schemas", "schemas", "schemaArn", props["name"])

    def _mismatches(self, props: dict[str, Any], described: dict[str, Any]) -> list[str]:
        if canonical_json(props["schema"]) != canonical_json(described.get("schema", "")):
            return ["schema: the existing schema's Avro text differs"]
        return []

    def _live_inputs(self, described: dict[str, Any]) -> dict[str, Any]:
        return {"schema": described["schema"]} if "schema" in described else {}


class Schema(pulumi.dynamic.Resource, module="personalize", name="Schema"):
    """A Personalize schema. Any change replaces it (schemas are immutable)."""

    name: pulumi.Output[str]
    schema: pulumi.Output[str]
    region: pulumi.Output[str]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        schema: pulumi.Input[str],
        region: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {"name": name, "schema": schema, "region": region, "arn": None, "status": None}
        super().__init__(SchemaProvider(), resource_name, props, opts)
