"""Schemas: Avro record schemas, without a lifecycle (ACTIVE at once, as the service)."""

from __future__ import annotations

from typing import Any

from .. import avro
from ..errors import ResourceInUseException
from ..region import RegionBackend
from ..registry import operation
from ..resources import Resource


@operation("CreateSchema")
def create_schema(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    name = p["name"]
    rb.unique("schema", name, "Schema")
    parsed = avro.parse_schema(p["schema"])
    arn = rb.arn("schema", name)
    r = Resource(
        "schema", arn, name, rb.region, None, {k: p[k] for k in ("schema", "domain") if k in p}
    )
    r.state["parsed"] = parsed
    r.state["created"] = rb.now()
    rb.add(r, None)
    return {"schemaArn": arn}


def schema_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view = {"name": r.name, "schemaArn": r.arn, **rb.times(r)}
    if not summary:
        view["schema"] = r.attrs["schema"]
    if "domain" in r.attrs:
        view["domain"] = r.attrs["domain"]
    return view


@operation("DescribeSchema")
def describe_schema(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    return {"schema": schema_view(rb, rb.get(p["schemaArn"], "schema"))}


@operation("ListSchemas")
def list_schemas(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    return rb.page([schema_view(rb, r, True) for r in rb.of_kind("schema")], p, "schemas")


@operation("DeleteSchema")
def delete_schema(rb: RegionBackend, p: dict[str, Any]) -> None:
    r = rb.get(p["schemaArn"], "schema")
    users = rb.children("dataset", "schemaArn", r.arn)
    if users:
        raise ResourceInUseException(
            f"Cannot delete schema {r.arn}: used by datasets {[d.arn for d in users]}"
        )
    rb.resources.pop(r.arn)
