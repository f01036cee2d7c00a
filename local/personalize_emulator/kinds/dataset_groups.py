"""Dataset groups: the container every other resource of a store belongs to."""

from __future__ import annotations

from typing import Any

from ..errors import ResourceInUseException
from ..region import RegionBackend
from ..registry import operation, purges
from ..resources import Resource


@operation("CreateDatasetGroup")
def create_dataset_group(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    name = p["name"]
    rb.unique("dataset-group", name, "Dataset group")
    arn = rb.arn("dataset-group", name)
    attrs: dict[str, Any] = {k: p[k] for k in ("roleArn", "kmsKeyArn", "domain") if k in p}
    rb.add(
        Resource(
            "dataset-group",
            arn,
            name,
            rb.region,
            rb.lifecycle("dataset-group", name, arn=arn),
            attrs,
        ),
        p.get("tags"),
    )
    out = {"datasetGroupArn": arn}
    if "domain" in p:
        out["domain"] = p["domain"]
    return out


def dataset_group_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view = {"name": r.name, "datasetGroupArn": r.arn, **rb.times(r)}
    keys = ("domain",) if summary else ("roleArn", "kmsKeyArn", "domain")
    view.update({k: r.attrs[k] for k in keys if k in r.attrs})
    return view


@operation("DescribeDatasetGroup")
def describe_dataset_group(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["datasetGroupArn"], "dataset-group", "dataset group")
    return {"datasetGroup": dataset_group_view(rb, r)}


@operation("ListDatasetGroups")
def list_dataset_groups(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    items = [dataset_group_view(rb, r, True) for r in rb.of_kind("dataset-group")]
    return rb.page(items, p, "datasetGroups")


@operation("DeleteDatasetGroup")
def delete_dataset_group(rb: RegionBackend, p: dict[str, Any]) -> None:
    r = rb.get(p["datasetGroupArn"], "dataset-group", "dataset group")
    for kind, label in (
        ("recommender", "recommenders"),
        ("event-tracker", "event trackers"),
        ("solution", "solutions"),
        ("filter", "filters"),
        ("dataset", "datasets"),
    ):
        found = rb.children(kind, "datasetGroupArn", r.arn)
        if found:
            raise ResourceInUseException(
                f"Cannot delete dataset group {r.arn}: it still has {label} "
                f"({', '.join(x.arn for x in found)}); delete them first"
            )
    rb.start_delete(r, "Dataset group")


@purges("dataset-group")
def purge_events(rb: RegionBackend, group: Resource) -> None:
    """A deleted dataset group's live events go with it."""
    rb.events.pop(group.arn, None)
    rb.event_keys.pop(group.arn, None)
