"""Monitoring: CloudWatch alarms on the event flow and the API, optional SNS topic, dashboard.

Alarms: forwarder errors, Kinesis iterator age (events waiting), dead-letter queue not empty,
API 5xx rate, API p99 latency, and archive delivery failures when the archive is on. Thresholds
come from the stack's `monitoring` config. Notifications go to a new encrypted topic with an email
subscription (`alarmEmail`), to an existing topic (`alarmTopicArn`), or nowhere (alarms still
show in the console and on the dashboard).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi_aws as aws

from components.api import Api
from components.arns import arn
from components.config import StackConfig
from components.streaming import Streaming

PERIOD = 60  # seconds; every metric used here is published at least once a minute

# Managing the alarm topic's key from this account; spelled out because policies here never use
# wildcard actions. Encrypt/Decrypt are not among them: only CloudWatch uses the key.
KEY_ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:DescribeKey",
    "kms:DisableKey",
    "kms:DisableKeyRotation",
    "kms:EnableKey",
    "kms:EnableKeyRotation",
    "kms:GetKeyPolicy",
    "kms:GetKeyRotationStatus",
    "kms:ListResourceTags",
    "kms:PutKeyPolicy",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:UpdateKeyDescription",
]


def alarm_key_policy(account_id: pulumi.Input[str], partition: str) -> pulumi.Output[str]:
    """The alarm topic's key: administered by this account, used by CloudWatch alarms.

    The AWS managed key for SNS (alias/aws/sns) cannot be used: its policy doesn't let CloudWatch
    encrypt, so alarm notifications to a topic encrypted with it are never delivered. In a key
    policy, Resource "*" means this key.
    """
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "AccountAdministersKey",
                    "Effect": "Allow",
                    "Principal": {"AWS": arn(partition, "iam", "", account_id, "root")},
                    "Action": KEY_ADMIN_ACTIONS,
                    "Resource": "*",
                },
                {
                    "Sid": "CloudWatchAlarmsPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": "cloudwatch.amazonaws.com"},
                    "Action": ["kms:Decrypt", "kms:GenerateDataKey"],
                    "Resource": "*",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                },
            ],
        }
    )


class Monitoring(pulumi.ComponentResource):
    """Alarms, their notification topic and the dashboard."""

    alarms: dict[str, aws.cloudwatch.MetricAlarm]
    topic: aws.sns.Topic | None
    dashboard: aws.cloudwatch.Dashboard | None

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        streaming: Streaming,
        api: Api,
        account_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("personalize-realtime:monitoring:Monitoring", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(config.tags)
        mon = config.monitoring
        self._config = config
        self._tags = tags

        self.topic = None
        actions: list[pulumi.Input[str]] = []
        if mon.alarm_email:
            key = aws.kms.Key(
                f"{name}-alarms-key",
                description="Encrypts the stack's alarm notifications; used by CloudWatch alarms.",
                enable_key_rotation=True,
                deletion_window_in_days=7,
                policy=alarm_key_policy(account_id, config.partition),
                tags=tags,
                opts=child,
            )
            self.topic = aws.sns.Topic(
                f"{name}-alarms",
                name=config.name("alarms"),
                kms_master_key_id=key.arn,
                tags=tags,
                opts=child,
            )
            aws.sns.TopicSubscription(
                f"{name}-alarms-email",
                topic=self.topic.arn,
                protocol="email",
                endpoint=mon.alarm_email,
                opts=child,
            )
            actions = [self.topic.arn]
        elif mon.alarm_topic_arn:
            actions = [mon.alarm_topic_arn]
        self._actions = actions

        api_name = api.rest_api.name
        stage = api.stage.stage_name
        api_dims = {"ApiName": api_name, "Stage": stage}
        stream_dims = {"StreamName": streaming.stream.name}
        forwarder_dims = {"FunctionName": streaming.forwarder.name}
        dlq_dims = {"QueueName": streaming.dlq.name}

        self.alarms = {}
        self._alarm(
            name,
            "forwarder-errors",
            "The forwarder function failed; events are being retried and may reach the DLQ.",
            namespace="AWS/Lambda",
            metric="Errors",
            dimensions=forwarder_dims,
            statistic="Sum",
            threshold=mon.forwarder_errors,
            comparison="GreaterThanOrEqualToThreshold",
        )
        self._alarm(
            name,
            "iterator-age",
            "Events wait on the stream longer than allowed: the forwarder is falling behind.",
            namespace="AWS/Kinesis",
            metric="GetRecords.IteratorAgeMilliseconds",
            dimensions=stream_dims,
            statistic="Maximum",
            threshold=mon.iterator_age_ms,
            comparison="GreaterThanThreshold",
            evaluation_periods=5,
            datapoints=3,
        )
        self._alarm(
            name,
            "dlq-not-empty",
            "Events reached the dead-letter queue: they were not delivered to Personalize.",
            namespace="AWS/SQS",
            metric="ApproximateNumberOfMessagesVisible",
            dimensions=dlq_dims,
            statistic="Maximum",
            threshold=0,
            comparison="GreaterThanThreshold",
        )
        self._ratio_alarm(
            name,
            "api-5xx-rate",
            "More API requests than allowed end in a 5xx error.",
            api_dims,
            threshold=mon.api_5xx_rate,
        )
        self._alarm(
            name,
            "api-p99-latency",
            "The API's 99th percentile latency is above the limit.",
            namespace="AWS/ApiGateway",
            metric="Latency",
            dimensions=api_dims,
            extended_statistic="p99",
            threshold=mon.api_p99_latency_ms,
            comparison="GreaterThanThreshold",
            evaluation_periods=5,
            datapoints=3,
        )
        if streaming.firehose is not None:
            self._alarm(
                name,
                "archive-delivery",
                "Firehose failed to deliver events to the archive bucket.",
                namespace="AWS/Firehose",
                metric="DeliveryToS3.Success",
                dimensions={"DeliveryStreamName": streaming.firehose.name},
                statistic="Minimum",
                threshold=1,
                comparison="LessThanThreshold",
                # Buffered delivery reports only when it flushes: quiet periods are not failures.
                # (CloudWatch periods above a minute are whole minutes.)
                period=max(300, -(-config.archive.buffer_seconds // 60) * 60),
                evaluation_periods=3,
                datapoints=2,
            )

        self.dashboard = None
        if mon.dashboard:
            self.dashboard = self._dashboard(name, streaming, api)

        self.register_outputs({"alarms": {k: a.arn for k, a in self.alarms.items()}})

    def _alarm(
        self,
        name: str,
        key: str,
        description: str,
        *,
        namespace: str,
        metric: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        threshold: float,
        comparison: str,
        statistic: str | None = None,
        extended_statistic: str | None = None,
        period: int = PERIOD,
        evaluation_periods: int = 1,
        datapoints: int = 1,
    ) -> aws.cloudwatch.MetricAlarm:
        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-{key}",
            name=self._config.name(key),
            alarm_description=description,
            namespace=namespace,
            metric_name=metric,
            dimensions=dimensions,
            statistic=statistic,
            extended_statistic=extended_statistic,
            period=period,
            evaluation_periods=evaluation_periods,
            datapoints_to_alarm=datapoints,
            threshold=threshold,
            comparison_operator=comparison,
            treat_missing_data="notBreaching",
            alarm_actions=self._actions,
            ok_actions=self._actions,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alarms[key] = alarm
        return alarm

    def _ratio_alarm(
        self,
        name: str,
        key: str,
        description: str,
        dimensions: Mapping[str, pulumi.Input[str]],
        threshold: float,
    ) -> aws.cloudwatch.MetricAlarm:
        """5XXError / Count over 5 minutes (metric math), so a quiet API with one error at night
        does not page like a busy one failing one request in a hundred."""

        def metric(metric_id: str, metric_name: str) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
            return aws.cloudwatch.MetricAlarmMetricQueryArgs(
                id=metric_id,
                return_data=False,
                metric=aws.cloudwatch.MetricAlarmMetricQueryMetricArgs(
                    namespace="AWS/ApiGateway",
                    metric_name=metric_name,
                    dimensions=dimensions,
                    period=300,
                    stat="Sum",
                ),
            )

        alarm = aws.cloudwatch.MetricAlarm(
            f"{name}-{key}",
            name=self._config.name(key),
            alarm_description=description,
            metric_queries=[
                metric("errors", "5XXError"),
                metric("requests", "Count"),
                aws.cloudwatch.MetricAlarmMetricQueryArgs(
                    id="rate",
                    expression="IF(requests > 0, errors / requests, 0)",
                    label="5xx rate",
                    return_data=True,
                ),
            ],
            evaluation_periods=1,
            datapoints_to_alarm=1,
            threshold=threshold,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
            alarm_actions=self._actions,
            ok_actions=self._actions,
            tags=self._tags,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.alarms[key] = alarm
        return alarm

    def _dashboard(self, name: str, streaming: Streaming, api: Api) -> aws.cloudwatch.Dashboard:
        config = self._config
        firehose_name: pulumi.Input[str | None] = (
            streaming.firehose.name if streaming.firehose is not None else None
        )
        body = pulumi.Output.all(
            region=streaming.stream.arn.apply(lambda arn: arn.split(":")[3]),
            api=api.rest_api.name,
            stage=api.stage.stage_name,
            stream=streaming.stream.name,
            forwarder=streaming.forwarder.name,
            dlq=streaming.dlq.name,
            firehose=firehose_name,
        ).apply(lambda v: json.dumps(dashboard_body(config, **v)))
        return aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=config.name("dashboard"),
            dashboard_body=body,
            opts=pulumi.ResourceOptions(parent=self),
        )


def dashboard_body(
    config: StackConfig,
    *,
    region: str,
    api: str,
    stage: str,
    stream: str,
    forwarder: str,
    dlq: str,
    firehose: str | None,
) -> dict[str, Any]:
    """Two rows: the event flow (API /events to Personalize and the archive), then the API."""
    mon = config.monitoring
    api_dims = ["ApiName", api, "Stage", stage]

    def widget(
        title: str,
        metrics: list[list[Any]],
        *,
        stat: str = "Sum",
        annotation: tuple[str, float] | None = None,
    ) -> dict[str, Any]:
        properties: dict[str, Any] = {
            "title": title,
            "region": region,
            "metrics": metrics,
            "stat": stat,
            "period": PERIOD,
            "view": "timeSeries",
        }
        if annotation is not None:
            properties["annotations"] = {
                "horizontal": [{"label": annotation[0], "value": annotation[1]}]
            }
        return {"type": "metric", "width": 8, "height": 6, "properties": properties}

    flow = [
        widget(
            "POST /events requests",
            [["AWS/ApiGateway", "Count", *api_dims, "Resource", "/events", "Method", "POST"]],
        ),
        widget(
            "Kinesis incoming records", [["AWS/Kinesis", "IncomingRecords", "StreamName", stream]]
        ),
        widget(
            "Kinesis iterator age (ms)",
            [["AWS/Kinesis", "GetRecords.IteratorAgeMilliseconds", "StreamName", stream]],
            stat="Maximum",
            annotation=("alarm", mon.iterator_age_ms),
        ),
        widget(
            "Forwarder invocations and errors",
            [
                ["AWS/Lambda", "Invocations", "FunctionName", forwarder],
                ["AWS/Lambda", "Errors", "FunctionName", forwarder],
            ],
        ),
        widget(
            "Dead-letter queue depth",
            [["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", dlq]],
            stat="Maximum",
        ),
    ]
    if firehose is not None:
        flow.append(
            widget(
                "Archive delivery",
                [
                    ["AWS/Firehose", "DeliveryToS3.Records", "DeliveryStreamName", firehose],
                    ["AWS/Firehose", "DeliveryToS3.Success", "DeliveryStreamName", firehose],
                ],
            )
        )
    api_row = [
        widget("API requests", [["AWS/ApiGateway", "Count", *api_dims]]),
        widget(
            "API errors",
            [
                ["AWS/ApiGateway", "4XXError", *api_dims],
                ["AWS/ApiGateway", "5XXError", *api_dims],
            ],
        ),
        widget(
            "API latency (ms)",
            [
                ["AWS/ApiGateway", "Latency", *api_dims, {"stat": "p50", "label": "p50"}],
                ["AWS/ApiGateway", "Latency", *api_dims, {"stat": "p99", "label": "p99"}],
            ],
            stat="p99",
            annotation=("p99 alarm", mon.api_p99_latency_ms),
        ),
    ]
    widgets: list[dict[str, Any]] = [
        {
            "type": "text",
            "width": 24,
            "height": 1,
            "properties": {"markdown": f"## {config.name_prefix}: event flow"},
        },
        *flow,
        {
            "type": "text",
            "width": 24,
            "height": 1,
            "properties": {"markdown": f"## {config.name_prefix}: API"},
        },
        *api_row,
    ]
    return {"widgets": widgets}
