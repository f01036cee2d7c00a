"""Fault injection and inspection, in-process and over the admin HTTP API."""

from __future__ import annotations

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest
from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

from local.personalize_emulator import RemoteEmulator
from tests.conftest import REGION

from .conftest import BUCKET, Clients
from .helpers import Synthetic, deploy, wait_status


def test_throttling_then_success(clients: Clients, emulator) -> None:
    emulator.fail_next("CreateDatasetGroup", 2, "ThrottlingException")
    for _ in range(2):
        with pytest.raises(ClientError) as info:
            clients.pz.create_dataset_group(name="throttled")
        assert info.value.response["Error"]["Code"] == "ThrottlingException"
    assert clients.pz.create_dataset_group(name="throttled")["datasetGroupArn"]
    assert emulator.call_counts()["CreateDatasetGroup"] == 3


def test_server_errors_and_botocore_retries(emulator) -> None:
    emulator.fail_next("ListDatasetGroups", 1, 503)
    plain = boto3.client(
        "personalize",
        region_name=REGION,
        endpoint_url=emulator.url,
        config=Config(retries={"total_max_attempts": 1, "mode": "standard"}),
    )
    with pytest.raises(ClientError) as info:
        plain.list_dataset_groups()
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    # A client with retries rides over transient 5xx faults; the call counts show the attempts.
    emulator.fail_next("ListDatasetGroups", 2, "InternalFailure")
    retrying = boto3.client(
        "personalize",
        region_name=REGION,
        endpoint_url=emulator.url,
        config=Config(retries={"total_max_attempts": 3, "mode": "standard"}),
    )
    assert retrying.list_dataset_groups()["datasetGroups"] == []
    assert emulator.call_counts()["ListDatasetGroups"] == 4
    with pytest.raises(ValueError, match="not injectable"):
        emulator.fail_next("ListDatasetGroups", 1, "NoSuchCode")
    with pytest.raises(ValueError, match="not a Personalize operation"):
        emulator.fail_next("ListBuckets", 1)


def test_creation_failure_by_kind_and_by_arn(clients: Clients, emulator, data: Synthetic) -> None:
    pz = clients.pz
    group = pz.create_dataset_group(name="doomed")["datasetGroupArn"]
    emulator.fail_creation(group, "KMS key is not accessible")
    failed = wait_status(
        lambda: pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"],
        wanted=("CREATE FAILED",),
        failed=(),
    )
    assert failed["failureReason"] == "KMS key is not accessible"
    # A failed resource can be deleted.
    pz.delete_dataset_group(datasetGroupArn=group)

    stack = deploy(pz, clients.s3, BUCKET, data, prefix="faulty")
    emulator.fail_creation("solution-version", "Internal training error")
    version = pz.create_solution_version(solutionArn=stack.solution)["solutionVersionArn"]
    described = wait_status(
        lambda: pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"],
        wanted=("CREATE FAILED",),
        failed=(),
    )
    assert described["failureReason"] == "Internal training error"
    solution = pz.describe_solution(solutionArn=stack.solution)["solution"]
    assert solution["latestSolutionVersion"]["status"] == "CREATE FAILED"
    with pytest.raises(pz.exceptions.ResourceInUseException):
        pz.get_solution_metrics(solutionVersionArn=version)


def test_admin_http_api(emulator, clients: Clients) -> None:
    remote = RemoteEmulator(emulator.url)
    assert remote.healthy()
    remote.fail_next("DescribeDatasetGroup", 1, "ThrottlingException")
    arn = clients.pz.create_dataset_group(name="remote")["datasetGroupArn"]
    with pytest.raises(ClientError, match="ThrottlingException"):
        clients.pz.describe_dataset_group(datasetGroupArn=arn)
    assert remote.live_resources() == [arn]
    assert remote.call_counts() == {"CreateDatasetGroup": 1, "DescribeDatasetGroup": 1}
    remote.fail_creation("remote-2", "quota")
    second = clients.pz.create_dataset_group(name="remote-2")["datasetGroupArn"]
    remote.advance_time(5)
    assert (
        clients.pz.describe_dataset_group(datasetGroupArn=second)["datasetGroup"]["failureReason"]
        == "quota"
    )
    remote.reset()
    assert remote.live_resources() == []
    assert remote.call_counts() == {}


def test_real_profile_with_clock_advance(moto_url: str) -> None:
    from local.personalize_emulator import run_emulator

    with run_emulator(profile="real", time_scale=1.0, s3_endpoint_url=moto_url) as emu:
        pz = boto3.client("personalize", region_name=REGION, endpoint_url=emu.url)
        arn = pz.create_dataset_group(name="slow")["datasetGroupArn"]
        emu.advance_time(30)
        assert (
            pz.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]
            == "CREATE IN_PROGRESS"
        )
        emu.advance_time(31)
        assert pz.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "ACTIVE"
