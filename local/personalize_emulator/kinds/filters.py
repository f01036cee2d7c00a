"""Filters: resources holding a filter expression (the language lives in ../filters.py)."""

from __future__ import annotations

from typing import Any

from .. import avro
from .. import filters as expressions
from ..errors import InvalidInputException
from ..region import RegionBackend
from ..registry import operation
from ..resources import Resource
from .data import schema_of


def _check_filter_fields(used: set[str], schema: avro.AvroSchema, dataset_type: str) -> None:
    """CreateFilter refuses fields the schema lacks (any case) and boolean fields (documented:
    filters cannot use boolean values; use a string field with "True" / "False")."""
    unknown = sorted(f for f in used if schema.lookup(f) is None)
    if unknown:
        raise InvalidInputException(
            f"Filter expression uses {dataset_type} fields {unknown} that the {dataset_type} "
            f"schema lacks; schema fields are {schema.names}"
        )
    boolean = sorted(f for f in used if (found := schema.lookup(f)) and found.type == "boolean")
    if boolean:
        raise InvalidInputException(
            f"Filter expression uses boolean {dataset_type} fields {boolean}; filters cannot use "
            'boolean values, use a string field with the values "True" and "False"'
        )


@operation("CreateFilter")
def create_filter(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    group = rb.get(p["datasetGroupArn"], "dataset-group", "dataset group")
    name = p["name"]
    rb.unique("filter", name, "Filter")
    expression = expressions.parse(p["filterExpression"])
    for dataset_type, datasets in (
        ("Items", (expressions.ITEMS,)),
        ("Users", (expressions.CURRENT_USER, expressions.USERS)),
    ):
        schema = schema_of(rb, group.arn, dataset_type)
        if schema is not None:
            used = set().union(*(expression.fields(d) for d in datasets))
            _check_filter_fields(used, schema, dataset_type)
    rb.require_active(group, "Dataset group")
    arn = rb.arn("filter", name)
    attrs = {"datasetGroupArn": group.arn, "filterExpression": p["filterExpression"]}
    r = Resource("filter", arn, name, rb.region, rb.lifecycle("filter", name, arn=arn), attrs)
    r.state["expression"] = expression
    rb.add(r, p.get("tags"))
    return {"filterArn": arn}


def filter_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view = {
        "name": r.name,
        "filterArn": r.arn,
        **rb.times(r),
        "datasetGroupArn": r.attrs["datasetGroupArn"],
    }
    if not summary:
        view["filterExpression"] = r.attrs["filterExpression"]
    return view


@operation("DescribeFilter")
def describe_filter(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    return {"filter": filter_view(rb, rb.get(p["filterArn"], "filter"))}


@operation("ListFilters")
def list_filters(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    found = rb.filtered("filter", p, "datasetGroupArn")
    return rb.page([filter_view(rb, r, True) for r in found], p, "Filters")


@operation("DeleteFilter")
def delete_filter(rb: RegionBackend, p: dict[str, Any]) -> None:
    rb.start_delete(rb.get(p["filterArn"], "filter"), "Filter")
