"""`make emulator` is self-contained: a user imports a dataset with boto3 from the lines it prints."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest

from local.program import ROOT


@pytest.fixture
def printed_environment() -> Iterator[dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "local.offline_aws", "--port", "0", "--s3-port", "0"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        found: dict[str, str] = {}
        while "AWS_ENDPOINT_URL_S3" not in found:  # the last line printed
            line = process.stdout.readline()
            assert line, process.stderr.read() if process.stderr else "no output"
            if line.startswith("export "):
                key, _, value = line.removeprefix("export ").strip().partition("=")
                found[key] = value
        yield found
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_a_dataset_imports_with_only_the_printed_environment(
    printed_environment: dict[str, str],
) -> None:
    env = printed_environment
    assert set(env) >= {
        "AWS_ENDPOINT_URL_PERSONALIZE",
        "AWS_ENDPOINT_URL_PERSONALIZE_EVENTS",
        "AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME",
        "AWS_ENDPOINT_URL_S3",
    }
    session = boto3.Session(
        aws_access_key_id=env["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"],
        region_name=env["AWS_DEFAULT_REGION"],
    )
    s3 = session.client("s3", endpoint_url=env["AWS_ENDPOINT_URL_S3"])
    personalize = session.client("personalize", endpoint_url=env["AWS_ENDPOINT_URL_PERSONALIZE"])
    s3.create_bucket(Bucket="data")
    s3.upload_file(str(ROOT / "data/interactions.csv"), "data", "interactions.csv")

    schema = personalize.create_schema(
        name="interactions",
        schema=(ROOT / "data/schemas/interactions.avsc").read_text(),
    )["schemaArn"]
    group = personalize.create_dataset_group(name="mine")["datasetGroupArn"]
    wait(lambda: personalize.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    dataset = personalize.create_dataset(
        name="interactions",
        schemaArn=schema,
        datasetGroupArn=group,
        datasetType="Interactions",
    )["datasetArn"]
    wait(lambda: personalize.describe_dataset(datasetArn=dataset)["dataset"])
    job = personalize.create_dataset_import_job(
        jobName="first-import",
        datasetArn=dataset,
        dataSource={"dataLocation": "s3://data/interactions.csv"},
        roleArn="arn:aws:iam::123456789012:role/personalize",
    )["datasetImportJobArn"]
    done = wait(
        lambda: personalize.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]
    )
    assert done["status"] == "ACTIVE", done


def wait(describe: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    deadline = time.monotonic() + 60
    while True:
        found = describe()
        if found["status"] in ("ACTIVE", "CREATE FAILED") or time.monotonic() > deadline:
            return found
        time.sleep(0.2)
