"""Monitoring: alarms on the event flow and the API with thresholds from config, notifications
to a new encrypted topic or an existing one, and a dashboard of both."""

import json
from typing import Any

import pytest

from tests.stack_harness import (
    Registration,
    StackRun,
    run_program,
    shipped_only,
)

ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
DASHBOARD = "aws:cloudwatch/dashboard:Dashboard"
TOPIC = "aws:sns/topic:Topic"
SUBSCRIPTION = "aws:sns/topicSubscription:TopicSubscription"

PREFIX = {"dev": "personalize-realtime-dev", "prod": "reco-prod"}
# Pulumi.prod.yaml sets iteratorAgeMs and apiP99LatencyMs; everything else is the default.
THRESHOLDS = {
    "dev": {"iterator": 60_000, "p99": 1_000, "rate": 0.01, "errors": 1},
    "prod": {"iterator": 30_000, "p99": 500, "rate": 0.01, "errors": 1},
}
PROD_TOPIC = "arn:aws:sns:eu-west-1:123456789012:platform-alarms"


@pytest.fixture(scope="module")
def emailed() -> StackRun:
    return run_program(
        "dev",
        {
            "personalize-realtime:monitoring": {"alarmEmail": "oncall@example.com"},
            "personalize-realtime:archive": {"enabled": False},
        },
    )


@pytest.fixture(scope="module")
def quiet() -> StackRun:
    return run_program("dev", {"personalize-realtime:monitoring": {"dashboard": False}})


def alarm(run: StackRun, key: str) -> Registration:
    found = [a for a in run.of_type(ALARM) if a.inputs["name"] == f"{PREFIX[run.stack]}-{key}"]
    assert len(found) == 1, f"expected one alarm {key}"
    return found[0]


@shipped_only
def test_every_alarm_is_present(run: StackRun) -> None:
    names = sorted(a.inputs["name"] for a in run.of_type(ALARM))
    expected = [
        "api-5xx-rate",
        "api-p99-latency",
        "archive-delivery",
        "dlq-not-empty",
        "forwarder-errors",
        "iterator-age",
    ]
    assert names == [f"{PREFIX[run.stack]}-{k}" for k in expected]
    for registration in run.of_type(ALARM):
        assert registration.inputs["alarmDescription"]
        assert registration.inputs["treatMissingData"] == "notBreaching"


@shipped_only
def test_forwarder_errors(run: StackRun) -> None:
    inputs = alarm(run, "forwarder-errors").inputs
    forwarder = run.one("aws:lambda/function:Function", "forwarder")
    assert (inputs["namespace"], inputs["metricName"]) == ("AWS/Lambda", "Errors")
    assert inputs["dimensions"] == {"FunctionName": forwarder.inputs["name"]}
    assert inputs["statistic"] == "Sum"
    assert inputs["threshold"] == THRESHOLDS[run.stack]["errors"]
    assert inputs["comparisonOperator"] == "GreaterThanOrEqualToThreshold"


@shipped_only
def test_iterator_age(run: StackRun) -> None:
    inputs = alarm(run, "iterator-age").inputs
    stream = run.one("aws:kinesis/stream:Stream")
    assert (inputs["namespace"], inputs["metricName"]) == (
        "AWS/Kinesis",
        "GetRecords.IteratorAgeMilliseconds",
    )
    assert inputs["dimensions"] == {"StreamName": stream.inputs["name"]}
    assert inputs["statistic"] == "Maximum"
    assert inputs["threshold"] == THRESHOLDS[run.stack]["iterator"]
    assert inputs["comparisonOperator"] == "GreaterThanThreshold"


@shipped_only
def test_dead_letter_queue_above_zero(run: StackRun) -> None:
    inputs = alarm(run, "dlq-not-empty").inputs
    queue = run.one("aws:sqs/queue:Queue")
    assert (inputs["namespace"], inputs["metricName"]) == (
        "AWS/SQS",
        "ApproximateNumberOfMessagesVisible",
    )
    assert inputs["dimensions"] == {"QueueName": queue.inputs["name"]}
    assert inputs["threshold"] == 0
    assert inputs["comparisonOperator"] == "GreaterThanThreshold"


@shipped_only
def test_api_5xx_rate_is_errors_over_requests(run: StackRun) -> None:
    inputs = alarm(run, "api-5xx-rate").inputs
    queries = {q["id"]: q for q in inputs["metricQueries"]}
    dimensions = {"ApiName": f"{PREFIX[run.stack]}-api", "Stage": run.stack}
    assert queries["errors"]["metric"]["metricName"] == "5XXError"
    assert queries["requests"]["metric"]["metricName"] == "Count"
    for key in ("errors", "requests"):
        metric = queries[key]["metric"]
        assert metric["namespace"] == "AWS/ApiGateway"
        assert metric["dimensions"] == dimensions
        assert metric["stat"] == "Sum"
        assert queries[key]["returnData"] is False
    rate = queries["rate"]
    assert rate["returnData"] is True
    assert "errors / requests" in rate["expression"]
    assert inputs["threshold"] == THRESHOLDS[run.stack]["rate"]
    assert inputs["comparisonOperator"] == "GreaterThanThreshold"


@shipped_only
def test_api_p99_latency(run: StackRun) -> None:
    inputs = alarm(run, "api-p99-latency").inputs
    assert (inputs["namespace"], inputs["metricName"]) == ("AWS/ApiGateway", "Latency")
    assert inputs["extendedStatistic"] == "p99"
    assert "statistic" not in inputs
    assert inputs["dimensions"] == {"ApiName": f"{PREFIX[run.stack]}-api", "Stage": run.stack}
    assert inputs["threshold"] == THRESHOLDS[run.stack]["p99"]


@shipped_only
def test_archive_delivery_failures(run: StackRun) -> None:
    inputs = alarm(run, "archive-delivery").inputs
    firehose = run.one("aws:kinesis/firehoseDeliveryStream:FirehoseDeliveryStream")
    assert (inputs["namespace"], inputs["metricName"]) == ("AWS/Firehose", "DeliveryToS3.Success")
    assert inputs["dimensions"] == {"DeliveryStreamName": firehose.inputs["name"]}
    assert inputs["threshold"] == 1
    assert inputs["comparisonOperator"] == "LessThanThreshold"
    assert inputs["period"] >= 300
    assert inputs["period"] % 60 == 0, "CloudWatch periods above a minute are whole minutes"


def test_no_archive_alarm_without_the_archive(emailed: StackRun) -> None:
    names = {a.inputs["name"] for a in emailed.of_type(ALARM)}
    assert "personalize-realtime-dev-archive-delivery" not in names
    assert len(names) == 5


def test_alarm_actions_follow_the_config(run: StackRun) -> None:
    expected = [PROD_TOPIC] if run.stack == "prod" else []
    assert run.of_type(TOPIC) == [], "no topic of our own without alarmEmail"
    for registration in run.of_type(ALARM):
        assert registration.inputs.get("alarmActions", []) == expected
        assert registration.inputs.get("okActions", []) == expected


def test_alarm_email_creates_an_encrypted_topic(emailed: StackRun) -> None:
    topic = emailed.one(TOPIC)
    key = emailed.one("aws:kms/key:Key")
    assert topic.inputs["kmsMasterKeyId"] == key.state["arn"], "alias/aws/sns can't take alarms"
    assert key.inputs["enableKeyRotation"] is True
    statements = {s["Sid"]: s for s in json.loads(key.inputs["policy"])["Statement"]}
    cloudwatch = statements["CloudWatchAlarmsPublish"]
    assert cloudwatch["Principal"] == {"Service": "cloudwatch.amazonaws.com"}
    assert sorted(cloudwatch["Action"]) == ["kms:Decrypt", "kms:GenerateDataKey"]
    assert cloudwatch["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    admin = statements["AccountAdministersKey"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    assert "kms:Decrypt" not in admin["Action"]
    subscription = emailed.one(SUBSCRIPTION)
    assert subscription.inputs["protocol"] == "email"
    assert subscription.inputs["endpoint"] == "oncall@example.com"
    assert subscription.inputs["topic"] == topic.state["arn"]
    for registration in emailed.of_type(ALARM):
        assert registration.inputs["alarmActions"] == [topic.state["arn"]]
        assert registration.inputs["okActions"] == [topic.state["arn"]]


def dashboard_metrics(run: StackRun) -> list[list[Any]]:
    body = json.loads(run.one(DASHBOARD).inputs["dashboardBody"])
    return [m for w in body["widgets"] if w["type"] == "metric" for m in w["properties"]["metrics"]]


@shipped_only
def test_dashboard_shows_the_event_flow_and_the_api(run: StackRun) -> None:
    dashboard = run.one(DASHBOARD)
    assert dashboard.inputs["dashboardName"] == f"{PREFIX[run.stack]}-dashboard"
    metrics = dashboard_metrics(run)
    shown = {(m[0], m[1]) for m in metrics}
    for expected in (
        ("AWS/ApiGateway", "Count"),
        ("AWS/Kinesis", "IncomingRecords"),
        ("AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds"),
        ("AWS/Lambda", "Invocations"),
        ("AWS/Lambda", "Errors"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
        ("AWS/Firehose", "DeliveryToS3.Success"),
        ("AWS/ApiGateway", "4XXError"),
        ("AWS/ApiGateway", "5XXError"),
        ("AWS/ApiGateway", "Latency"),
    ):
        assert expected in shown, expected
    events = [m for m in metrics if m[1] == "Count" and "/events" in m]
    assert events, "the event flow starts at POST /events"
    latency = [m[-1]["stat"] for m in metrics if m[1] == "Latency"]
    assert sorted(latency) == ["p50", "p99"]
    region = {"dev": "us-east-1", "prod": "eu-west-1"}[run.stack]
    body = json.loads(dashboard.inputs["dashboardBody"])
    assert {w["properties"]["region"] for w in body["widgets"] if w["type"] == "metric"} == {region}


def test_dashboard_can_be_turned_off(quiet: StackRun) -> None:
    assert quiet.of_type(DASHBOARD) == []
    assert len(quiet.of_type(ALARM)) == 6
