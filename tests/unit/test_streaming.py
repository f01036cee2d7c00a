"""Event layer: tracker, encrypted on-demand stream, forwarder with a safe event source mapping,
encrypted dead-letter queue, Firehose archive, and least-privilege roles for all of it."""

import json
from typing import Any

import pytest

from tests.stack_harness import (
    ACCOUNT_ID,
    Registration,
    StackRun,
    as_list,
    run_program,
    shipped_only,
    under,
)

STREAM = "aws:kinesis/stream:Stream"
QUEUE = "aws:sqs/queue:Queue"
FUNCTION = "aws:lambda/function:Function"
ESM = "aws:lambda/eventSourceMapping:EventSourceMapping"
FIREHOSE = "aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream"
ROLE = "aws:iam/role:Role"
ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"
TRACKER = "pulumi-python:dynamic/personalize:EventTracker"
DYNAMIC = "pulumi-python:dynamic/personalize:"

# What each stack file sets (Pulumi.<stack>.yaml), or the config defaults where it sets nothing.
EXPECTED: dict[str, dict[str, Any]] = {
    "dev": {
        "prefix": "personalize-realtime-dev",
        "region": "us-east-1",
        "retention": 24,
        "batch": 100,
        "window": 1,
        "retries": 5,
        "age": 3600,
        "buffer_seconds": 60,
        "buffer_mb": 5,
    },
    "prod": {
        "prefix": "reco-prod",
        "region": "eu-west-1",
        "retention": 168,
        "batch": 500,
        "window": 2,
        "retries": 10,
        "age": 21600,
        "buffer_seconds": 300,
        "buffer_mb": 64,
    },
}


@pytest.fixture(scope="module")
def no_archive() -> StackRun:
    return run_program("dev", {"personalize-realtime:archive": {"enabled": False}})


def statements(policy: str) -> list[dict[str, Any]]:
    return json.loads(policy)["Statement"]


def policy_of(run: StackRun, role: Registration) -> list[dict[str, Any]]:
    found = [p for p in run.of_type(ROLE_POLICY) if p.inputs["role"] == role.state["id"]]
    assert len(found) == 1, f"expected one inline policy on {role.name}"
    return statements(found[0].inputs["policy"])


def forwarder(run: StackRun) -> Registration:
    return run.one(FUNCTION, "forwarder")


@shipped_only
def test_stream_is_on_demand_encrypted_with_configured_retention(run: StackRun) -> None:
    expected = EXPECTED[run.stack]
    stream = run.one(STREAM)
    assert stream.inputs["name"] == f"{expected['prefix']}-events"
    assert stream.inputs["streamModeDetails"] == {"streamMode": "ON_DEMAND"}
    assert "shardCount" not in stream.inputs, "on-demand streams take no shard count"
    assert stream.inputs["encryptionType"] == "KMS"
    assert stream.inputs["kmsKeyId"] == "alias/aws/kinesis"
    assert stream.inputs["retentionPeriod"] == expected["retention"]


def test_provisioned_stream_uses_the_shard_count() -> None:
    run = run_program(
        "dev", {"personalize-realtime:events": {"streamMode": "PROVISIONED", "shardCount": 3}}
    )
    stream = run.one(STREAM)
    assert stream.inputs["streamModeDetails"] == {"streamMode": "PROVISIONED"}
    assert stream.inputs["shardCount"] == 3


@shipped_only
def test_event_tracker_waits_for_the_interactions_dataset_only(run: StackRun) -> None:
    tracker = run.one(TRACKER)
    assert tracker.inputs["name"] == f"{EXPECTED[run.stack]['prefix']}-tracker"
    datasets = run.waits_for(
        tracker,
        lambda r: r.typ == f"{DYNAMIC}Dataset" and r.inputs["dataset_type"] == "Interactions",
    )
    assert datasets, "PutEvents needs the interactions dataset: the tracker must wait for it"
    slow = run.waits_for(
        tracker,
        lambda r: (
            r.typ
            in {f"{DYNAMIC}DatasetImportJob", f"{DYNAMIC}SolutionVersion", f"{DYNAMIC}Campaign"}
        ),
    )
    assert slow == [], "the tracker must not wait for imports or training"


@shipped_only
def test_event_source_mapping_settings(run: StackRun) -> None:
    expected = EXPECTED[run.stack]
    esm = run.one(ESM)
    inputs = esm.inputs
    assert inputs["eventSourceArn"] == run.one(STREAM).state["arn"]
    assert inputs["functionName"] == forwarder(run).state["arn"]
    assert inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
    assert inputs["bisectBatchOnFunctionError"] is True
    assert inputs["startingPosition"] == "TRIM_HORIZON"
    assert inputs["batchSize"] == expected["batch"]
    assert inputs["maximumBatchingWindowInSeconds"] == expected["window"]
    assert inputs["maximumRetryAttempts"] == expected["retries"]
    assert inputs["maximumRecordAgeInSeconds"] == expected["age"]
    assert inputs["parallelizationFactor"] == 1
    dlq = run.one(QUEUE)
    assert inputs["destinationConfig"] == {"onFailure": {"destinationArn": dlq.state["arn"]}}
    # Lambda checks the role can read the stream when the mapping is created.
    policy_urns = {p.urn for p in run.of_type(ROLE_POLICY) if "forwarder" in p.name}
    assert policy_urns <= {r.urn for r in run.ancestors(esm)}


@shipped_only
def test_dead_letter_queue_is_encrypted_and_keeps_14_days(run: StackRun) -> None:
    queue = run.one(QUEUE)
    assert queue.inputs["name"] == f"{EXPECTED[run.stack]['prefix']}-events-dlq"
    assert queue.inputs["sqsManagedSseEnabled"] is True
    assert queue.inputs["messageRetentionSeconds"] == 14 * 24 * 3600


@shipped_only
def test_forwarder_function(run: StackRun) -> None:
    expected = EXPECTED[run.stack]
    function = forwarder(run)
    inputs = function.inputs
    assert inputs["name"] == f"{expected['prefix']}-forwarder"
    assert inputs["handler"] == "handlers.forwarder.handler"
    assert inputs["runtime"] == "python3.11"
    assert inputs["architectures"] == ["x86_64"]
    # The layer is the one the SSM parameter names (tests/unit/test_lambda_layer.py).
    (layer,) = inputs["layers"]
    assert layer.startswith(f"arn:aws:lambda:{expected['region']}:017000801446:layer:")
    assert ":layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:" in layer
    variables = inputs["environment"]["variables"]
    assert variables["TRACKING_ID"] == run.one(TRACKER).state["tracking_id"]
    assert variables["DLQ_URL"] == run.one(QUEUE).state["url"]
    assert variables["POWERTOOLS_SERVICE_NAME"] == f"{expected['prefix']}-forwarder"
    assert variables["POWERTOOLS_LOG_LEVEL"] == "INFO"
    # Room for a whole batch of PutEvents calls (10 events each) with retries.
    assert inputs["timeout"] >= 60 + expected["batch"] // 10
    assert inputs["timeout"] <= 900


def test_function_code_is_the_handlers_package() -> None:
    from components.lambda_function import handlers_archive

    assets = handlers_archive().assets
    assert "handlers/forwarder.py" in assets
    assert "handlers/__init__.py" in assets
    assert not [k for k in assets if "__pycache__" in k or not k.endswith(".py")]


@shipped_only
def test_forwarder_log_group_exists_first_with_retention(run: StackRun) -> None:
    function = forwarder(run)
    group = run.one(LOG_GROUP, "forwarder")
    assert group.inputs["name"] == f"/aws/lambda/{function.inputs['name']}"
    retention = {"dev": 7, "prod": 90}[run.stack]
    assert group.inputs["retentionInDays"] == retention
    assert group.urn in function.dependencies


def test_forwarder_role_trusts_lambda_in_this_account_only(run: StackRun) -> None:
    role = run.one(ROLE, "forwarder")
    (trust,) = statements(role.inputs["assumeRolePolicy"])
    assert trust["Principal"] == {"Service": "lambda.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}


def test_forwarder_policy_is_scoped_to_this_stream_queue_and_log_group(run: StackRun) -> None:
    stream_arn = run.one(STREAM).state["arn"]
    dlq_arn = run.one(QUEUE).state["arn"]
    log_group_arn = run.one(LOG_GROUP, "forwarder").state["arn"]
    policy = policy_of(run, run.one(ROLE, "forwarder"))
    by_action: dict[str, list[Any]] = {}
    for statement in policy:
        assert statement["Effect"] == "Allow"
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"wildcard action {action}"
            by_action.setdefault(action, []).extend(as_list(statement["Resource"]))
    reads = (
        "kinesis:DescribeStream",
        "kinesis:DescribeStreamSummary",
        "kinesis:GetRecords",
        "kinesis:GetShardIterator",
        "kinesis:ListShards",
    )
    for action in reads:
        assert by_action.pop(action) == [stream_arn], action
    assert by_action.pop("sqs:SendMessage") == [dlq_arn]
    # PutEvents identifies the tracker by trackingId; AWS documents Resource "*" for it.
    assert by_action.pop("personalize:PutEvents") == ["*"]
    assert by_action.pop("logs:CreateLogStream") == [f"{log_group_arn}:*"]
    assert by_action.pop("logs:PutLogEvents") == [f"{log_group_arn}:*"]
    assert by_action == {}, f"unexpected permissions: {sorted(by_action)}"


@shipped_only
def test_firehose_archives_by_day_with_configured_compression_and_buffering(
    run: StackRun,
) -> None:
    expected = EXPECTED[run.stack]
    firehose = run.one(FIREHOSE)
    inputs = firehose.inputs
    assert inputs["name"] == f"{expected['prefix']}-archive"
    assert inputs["destination"] == "extended_s3"
    assert inputs["kinesisSourceConfiguration"]["kinesisStreamArn"] == run.one(STREAM).state["arn"]
    # Firehose refuses its own server-side encryption for a Kinesis source.
    assert "serverSideEncryption" not in inputs
    s3 = inputs["extendedS3Configuration"]
    bucket = run.one("aws:s3/bucket:Bucket")
    assert s3["bucketArn"] == bucket.state["arn"]
    assert s3["prefix"] == "events/!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/"
    assert s3["errorOutputPrefix"].startswith("errors/!{firehose:error-output-type}/")
    assert s3["compressionFormat"] == "GZIP"
    assert s3["bufferingInterval"] == expected["buffer_seconds"]
    assert s3["bufferingSize"] == expected["buffer_mb"]
    logging = s3["cloudwatchLoggingOptions"]
    assert logging["enabled"] is True
    group = run.one(LOG_GROUP, "archive")
    assert logging["logGroupName"] == group.inputs["name"]
    assert group.inputs["retentionInDays"] == {"dev": 7, "prod": 90}[run.stack]


@shipped_only
def test_firehose_role_reads_this_stream_and_writes_archive_prefixes_only(run: StackRun) -> None:
    role = run.one(ROLE, "archive")
    (trust,) = statements(role.inputs["assumeRolePolicy"])
    assert trust["Principal"] == {"Service": "firehose.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"sts:ExternalId": ACCOUNT_ID}}

    stream_arn = run.one(STREAM).state["arn"]
    bucket_arn = run.one("aws:s3/bucket:Bucket").state["arn"]
    policy = policy_of(run, role)
    for statement in policy:
        for action in as_list(statement["Action"]):
            assert "*" not in action, f"wildcard action {action}"
        assert "*" not in as_list(statement["Resource"]), statement
    kinesis = [s for s in policy if as_list(s["Action"])[0].startswith("kinesis:")]
    assert [s["Resource"] for s in kinesis] == [stream_arn]
    objects = next(s for s in policy if "s3:PutObject" in s["Action"])
    assert sorted(objects["Resource"]) == [f"{bucket_arn}/errors/*", f"{bucket_arn}/events/*"]
    # Bucket-level actions as Firehose documents them: on the bucket, no condition.
    listing = next(s for s in policy if "s3:ListBucket" in s["Action"])
    assert listing["Resource"] == bucket_arn
    assert "Condition" not in listing
    assert "s3:PutObject" not in listing["Action"]
    s3_resources = {
        r
        for s in policy
        if any(a.startswith("s3:") for a in as_list(s["Action"]))
        for r in as_list(s["Resource"])
    }
    assert s3_resources == {bucket_arn, f"{bucket_arn}/errors/*", f"{bucket_arn}/events/*"}
    assert not any("datasets/" in r for r in s3_resources), "Firehose never touches datasets"


def test_archive_disabled_means_no_firehose(no_archive: StackRun) -> None:
    assert no_archive.of_type(FIREHOSE) == []
    assert not [r for r in no_archive.of_type(ROLE) if "archive" in r.name]
    assert no_archive.one(STREAM)  # the stream and forwarder stay


@shipped_only
def test_nothing_in_streaming_waits_for_training(run: StackRun) -> None:
    resources = under(run, "personalize-realtime:streaming:Streaming")
    assert len(resources) > 10
    for resource in resources:
        waits = run.waits_for(
            resource,
            lambda r: r.typ in {f"{DYNAMIC}SolutionVersion", f"{DYNAMIC}Campaign"},
        )
        assert waits == [], f"{resource.name} waits for {waits}"
