"""Datasets: one per type (Interactions, Items, Users) in a dataset group."""

from __future__ import annotations

from typing import Any

from .. import avro
from ..errors import InvalidInputException, ResourceAlreadyExistsException, ResourceInUseException
from ..lifecycle import ACTIVE
from ..region import RegionBackend
from ..registry import operation, purges
from ..resources import Resource


@operation("CreateDataset")
def create_dataset(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    group = rb.get(p["datasetGroupArn"], "dataset-group", "dataset group")
    schema = rb.get(p["schemaArn"], "schema")
    dataset_type = p["datasetType"]
    canonical = {"interactions": "Interactions", "items": "Items", "users": "Users"}.get(
        dataset_type.lower()
    )
    if canonical is None:
        raise InvalidInputException(
            f"datasetType {dataset_type!r} is not supported; allowed: Interactions, Items, Users"
        )
    rb.require_active(group, "Dataset group")
    siblings = rb.children("dataset", "datasetGroupArn", group.arn)
    if any(d.state["type"] == canonical for d in siblings):
        raise ResourceAlreadyExistsException(
            f"Dataset group {group.arn} already has a {canonical} dataset"
        )
    rb.unique("dataset", p["name"], "Dataset", siblings)
    avro.check_dataset_type(schema.state["parsed"], canonical)
    arn = rb.arn("dataset", f"{group.name}/{canonical.upper()}")
    r = Resource(
        "dataset",
        arn,
        p["name"],
        rb.region,
        rb.lifecycle("dataset", p["name"], arn=arn),
        {"datasetGroupArn": group.arn, "datasetType": dataset_type, "schemaArn": schema.arn},
    )
    r.state.update(type=canonical, rows=[], records={}, record_times={})
    rb.add(r, p.get("tags"))
    return {"datasetArn": arn}


def dataset_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view: dict[str, Any] = {
        "name": r.name,
        "datasetArn": r.arn,
        "datasetType": r.attrs["datasetType"],
        **rb.times(r),
    }
    view.pop("failureReason", None)
    if summary:
        return view
    view.update(datasetGroupArn=r.attrs["datasetGroupArn"], schemaArn=r.attrs["schemaArn"])
    if "update" in r.state:
        view["latestDatasetUpdate"] = r.state["update"]
    if r.state["type"] == "Interactions":
        for tracker in rb.children("event-tracker", "datasetGroupArn", r.attrs["datasetGroupArn"]):
            view["trackingId"] = tracker.attrs["trackingId"]
    return view


@operation("DescribeDataset")
def describe_dataset(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    return {"dataset": dataset_view(rb, rb.get(p["datasetArn"], "dataset"))}


@operation("ListDatasets")
def list_datasets(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    found = rb.filtered("dataset", p, "datasetGroupArn")
    return rb.page([dataset_view(rb, r, True) for r in found], p, "datasets")


@operation("UpdateDataset")
def update_dataset(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["datasetArn"], "dataset")
    schema = rb.get(p["schemaArn"], "schema")
    rb.require_active(r, "Dataset")
    avro.check_dataset_type(schema.state["parsed"], r.state["type"])
    now = rb.now()
    r.attrs["schemaArn"] = schema.arn
    r.state["update"] = {
        "schemaArn": schema.arn,
        "status": ACTIVE,
        "creationDateTime": now,
        "lastUpdatedDateTime": now,
    }
    return {"datasetArn": r.arn}


@operation("DeleteDataset")
def delete_dataset(rb: RegionBackend, p: dict[str, Any]) -> None:
    r = rb.get(p["datasetArn"], "dataset")
    now = rb.now()
    for job in rb.children("dataset-import-job", "datasetArn", r.arn):
        if job.lifecycle and job.lifecycle.in_flight(now):
            raise ResourceInUseException(
                f"Cannot delete dataset {r.arn} while import job {job.arn} is in progress"
            )
    for solution in rb.children("solution", "datasetGroupArn", r.attrs["datasetGroupArn"]):
        for version in rb.children("solution-version", "solutionArn", solution.arn):
            if version.lifecycle and version.lifecycle.in_flight(now):
                raise ResourceInUseException(
                    f"Cannot delete dataset {r.arn} while solution version "
                    f"{version.arn} is training"
                )
    rb.start_delete(r, "Dataset")


@purges("dataset")
def purge_import_jobs(rb: RegionBackend, dataset: Resource) -> None:
    """Deleting a dataset removes its import jobs (which have no delete API)."""
    for job in rb.children("dataset-import-job", "datasetArn", dataset.arn):
        rb.purge(job)
