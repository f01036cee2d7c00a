"""Dataset import jobs: read a CSV from S3 and check it against the dataset's schema."""

from __future__ import annotations

from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]

from .. import avro
from ..errors import InvalidInputException
from ..region import RegionBackend
from ..registry import operation, settles
from ..resources import Resource


@operation("CreateDatasetImportJob")
def create_dataset_import_job(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    dataset = rb.get(p["datasetArn"], "dataset")
    name = p["jobName"]
    rb.unique("dataset-import-job", name, "Dataset import job")
    location = p["dataSource"].get("dataLocation")
    if not location or not location.startswith("s3://"):
        raise InvalidInputException(
            f"dataSource.dataLocation must be an s3:// URL, got {location!r}"
        )
    rb.require_active(dataset, "Dataset")
    arn = rb.arn("dataset-import-job", name)
    attrs = {
        "datasetArn": dataset.arn,
        "dataSource": {"dataLocation": location},
        "importMode": p.get("importMode", "FULL"),
        "publishAttributionMetricsToS3": p.get("publishAttributionMetricsToS3", False),
    }
    if "roleArn" in p:
        attrs["roleArn"] = p["roleArn"]
    rb.add(
        Resource(
            "dataset-import-job",
            arn,
            name,
            rb.region,
            rb.lifecycle("dataset-import-job", name, arn=arn),
            attrs,
        ),
        p.get("tags"),
    )
    return {"datasetImportJobArn": arn}


def job_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view = {
        "jobName": r.name,
        "datasetImportJobArn": r.arn,
        **rb.times(r),
        "importMode": r.attrs["importMode"],
    }
    if not summary:
        view.update({k: v for k, v in r.attrs.items() if k != "importMode"})
    return view


@operation("DescribeDatasetImportJob")
def describe_dataset_import_job(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["datasetImportJobArn"], "dataset-import-job", "dataset import job")
    return {"datasetImportJob": job_view(rb, r)}


@operation("ListDatasetImportJobs")
def list_dataset_import_jobs(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    found = rb.filtered("dataset-import-job", p, "datasetArn")
    return rb.page([job_view(rb, r, True) for r in found], p, "datasetImportJobs")


def read_s3(rb: RegionBackend, region: str, location: str) -> list[tuple[str, str]]:
    bucket, _, key = location[len("s3://") :].partition("/")
    client = boto3.client("s3", region_name=region, endpoint_url=rb.shared.s3_endpoint_url)
    try:
        if key and not key.endswith("/"):
            body = client.get_object(Bucket=bucket, Key=key)["Body"].read()
            return [(location, body.decode("utf-8-sig"))]
        listing = client.list_objects_v2(Bucket=bucket, Prefix=key)
        keys = [o["Key"] for o in listing.get("Contents", []) if o["Key"].endswith(".csv")]
        if not keys:
            raise avro.ImportFailedError(f"No .csv files found at {location}")
        return [
            (
                f"s3://{bucket}/{k}",
                client.get_object(Bucket=bucket, Key=k)["Body"].read().decode("utf-8-sig"),
            )
            for k in keys
        ]
    except avro.ImportFailedError:
        raise
    except Exception as exc:
        raise avro.ImportFailedError(f"Failed to read input data from {location}: {exc}") from None


@settles("dataset-import-job")
def run_import(rb: RegionBackend, job: Resource) -> None:
    dataset = rb.resources[job.attrs["datasetArn"]]
    schema: avro.AvroSchema = rb.resources[dataset.attrs["schemaArn"]].state["parsed"]
    location = job.attrs["dataSource"]["dataLocation"]
    rows: list[dict[str, Any]] = []
    for name, body in read_s3(rb, job.region, location):
        rows.extend(
            avro.read_csv(
                schema,
                body,
                dataset.state["type"],
                name,
                strict_case=rb.shared.options.strict_csv_headers,
            )
        )
    full = job.attrs["importMode"] == "FULL"
    if (
        dataset.state["type"] == "Interactions"
        and full
        and len(rows) < avro.MIN_INTERACTIONS_PER_IMPORT
    ):
        raise avro.ImportFailedError(
            f"Input data must have at least {avro.MIN_INTERACTIONS_PER_IMPORT} interactions; "
            f"{location} has {len(rows)}"
        )
    dataset.state["rows"] = rows if full else dataset.state["rows"] + rows
    dataset.state.pop("history", None)
