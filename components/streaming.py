"""Event layer: event tracker, Kinesis stream, forwarder function, dead-letter queue, archive.

Events written by the API land on an encrypted Kinesis stream. The forwarder function reads it in
batches and sends them to the dataset group's event tracker (PutEvents); records it cannot deliver
after bounded retries go to an encrypted SQS dead-letter queue. When the archive is enabled a
Firehose delivery stream also copies every raw event to the storage bucket under the archive
prefix, by day, for retraining and audit.

Nothing here waits for training: the tracker needs only the interactions dataset.
"""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import StackConfig
from components.lambda_function import PythonFunction
from components.storage import ARCHIVE_ERRORS_PREFIX, Storage
from handlers import env
from providers.event_tracker import EventTracker

DLQ_RETENTION_SECONDS = 14 * 24 * 3600  # SQS maximum: time to inspect and replay failures
# Kinesis encrypts with the AWS managed key: its key policy already lets principals of this
# account that may use the stream decrypt through Kinesis, so neither the forwarder nor Firehose
# needs a kms: statement.
KINESIS_KMS_KEY = "alias/aws/kinesis"
# "Grant Firehose access to an Amazon S3 destination": the role policy this one follows.
FIREHOSE_S3_ACCESS_PAGE = (
    "https://docs.aws.amazon.com/firehose/latest/dev/controlling-access.html#using-iam-s3"
)
DAY_PARTITION = "!{timestamp:yyyy}/!{timestamp:MM}/!{timestamp:dd}/"

# What a reader of this stream needs (Lambda's poller and Firehose), on the stream ARN only.
STREAM_READ_ACTIONS = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
]


def forwarder_timeout(batch_size: int) -> int:
    """Seconds for one invocation: PutEvents takes at most 10 events per call and one user per
    call, so a batch of N records can mean N/10..N calls, each retried with backoff. Allow about a
    second per 10 records on top of a minute, within Lambda's 15-minute ceiling."""
    return min(900, 60 + batch_size // 10)


def firehose_trust_policy(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust for firehose.amazonaws.com, only on behalf of this account (confused deputy).

    Firehose passes the delivery stream's account as sts:ExternalId when it assumes the role; that
    is the condition its documentation gives for this role.
    """
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "firehose.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"sts:ExternalId": account_id}},
                }
            ],
        }
    )


class Streaming(pulumi.ComponentResource):
    """Event tracker, stream, forwarder, dead-letter queue and (optionally) the archive."""

    event_tracker: EventTracker
    stream: aws.kinesis.Stream
    dlq: aws.sqs.Queue
    forwarder: aws.lambda_.Function
    forwarder_function: PythonFunction
    event_source_mapping: aws.lambda_.EventSourceMapping
    firehose: aws.kinesis.FirehoseDeliveryStream | None
    firehose_role: aws.iam.Role | None

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        dataset_group_arn: pulumi.Input[str],
        interactions_dataset: pulumi.Resource,
        storage: Storage,
        account_id: pulumi.Input[str],
        region: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("personalize-realtime:streaming:Streaming", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(config.tags)
        events = config.events

        # PutEvents is accepted only for a dataset group that has an interactions dataset.
        self.event_tracker = EventTracker(
            f"{name}-tracker",
            name=config.name("tracker"),
            dataset_group_arn=dataset_group_arn,
            region=region,
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[interactions_dataset]),
        )

        on_demand = events.stream_mode == "ON_DEMAND"
        self.stream = aws.kinesis.Stream(
            f"{name}-stream",
            name=config.name("events"),
            stream_mode_details={"stream_mode": events.stream_mode},
            shard_count=None if on_demand else events.shard_count,
            retention_period=events.retention_hours,
            encryption_type="KMS",
            kms_key_id=KINESIS_KMS_KEY,
            tags=tags,
            opts=child,
        )

        self.dlq = aws.sqs.Queue(
            f"{name}-dlq",
            name=config.name("events-dlq"),
            sqs_managed_sse_enabled=True,
            message_retention_seconds=DLQ_RETENTION_SECONDS,
            tags=tags,
            opts=child,
        )

        self.forwarder_function = PythonFunction(
            f"{name}-forwarder",
            config=config,
            module="forwarder",
            description="Forwards events from the Kinesis stream to the Personalize event tracker.",
            statements=self._forwarder_statements(),
            environment={
                env.TRACKING_ID: self.event_tracker.tracking_id,
                env.DLQ_URL: self.dlq.url,
            },
            account_id=account_id,
            region=region,
            memory_size=256,
            timeout=forwarder_timeout(events.batch_size),
            opts=child,
        )
        self.forwarder = self.forwarder_function.function

        self.event_source_mapping = aws.lambda_.EventSourceMapping(
            f"{name}-forwarder-source",
            event_source_arn=self.stream.arn,
            function_name=self.forwarder.arn,
            starting_position="TRIM_HORIZON",
            batch_size=events.batch_size,
            maximum_batching_window_in_seconds=events.batching_window_seconds,
            parallelization_factor=events.parallelization_factor,
            # The handler reports the records it could not deliver; Lambda retries from the first
            # of those, splitting the batch on errors so one bad record cannot block its shard.
            function_response_types=["ReportBatchItemFailures"],
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=events.max_retries,
            maximum_record_age_in_seconds=events.max_record_age_seconds,
            destination_config={"on_failure": {"destination_arn": self.dlq.arn}},
            tags=tags,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=[self.forwarder_function.role_policy]
            ),
        )

        self.firehose = None
        self.firehose_role = None
        if config.archive.enabled:
            self.firehose = self._archive(name, config, storage, account_id, tags)

        self.register_outputs(
            {
                "stream_name": self.stream.name,
                "dlq_url": self.dlq.url,
                "tracker_arn": self.event_tracker.arn,
            }
        )

    def _forwarder_statements(self) -> list[dict[str, Any]]:
        return [
            {
                "Sid": "ReadEventStream",
                "Effect": "Allow",
                "Action": STREAM_READ_ACTIONS,
                "Resource": self.stream.arn,
            },
            {
                # Lambda sends records that exhausted their retries here, with this role; the
                # handler also parks records it can never deliver (invalid events) with
                # SendMessageBatch, which SQS authorizes as sqs:SendMessage.
                "Sid": "SendToDeadLetterQueue",
                "Effect": "Allow",
                "Action": ["sqs:SendMessage"],
                "Resource": self.dlq.arn,
            },
            {
                # The request names the tracker only by trackingId, and the PutEvents API
                # reference says a Lambda execution role needs personalize:PutEvents on Resource
                # "*" (the copy of the Service Authorization Reference parliament ships lists no
                # resource type for it). This role has no other personalize action, and the only
                # tracking ID it is given is this stack's (TRACKING_ID).
                "Sid": "PutEventsToTracker",
                "Effect": "Allow",
                "Action": ["personalize:PutEvents"],
                "Resource": "*",
            },
        ]

    def _archive(
        self,
        name: str,
        config: StackConfig,
        storage: Storage,
        account_id: pulumi.Input[str],
        tags: dict[str, str],
    ) -> aws.kinesis.FirehoseDeliveryStream:
        archive = config.archive
        child = pulumi.ResourceOptions(parent=self)
        stream_name = config.name("archive")
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-archive-logs",
            name=f"/aws/kinesisfirehose/{stream_name}",
            retention_in_days=config.log_retention_days,
            tags=tags,
            opts=child,
        )
        log_stream = aws.cloudwatch.LogStream(
            f"{name}-archive-log-stream",
            name="DestinationDelivery",
            log_group_name=log_group.name,
            opts=child,
        )
        self.firehose_role = aws.iam.Role(
            f"{name}-archive-role",
            name_prefix=f"{config.name_prefix}-archive-"[:38],
            description="Lets Firehose copy the event stream into the archive prefix.",
            assume_role_policy=firehose_trust_policy(account_id),
            tags=tags,
            opts=child,
        )
        bucket_arn = storage.bucket.arn
        prefixes = [storage.archive_prefix, ARCHIVE_ERRORS_PREFIX]
        policy = aws.iam.RolePolicy(
            f"{name}-archive-policy",
            role=self.firehose_role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ReadEventStream",
                            "Effect": "Allow",
                            "Action": STREAM_READ_ACTIONS,
                            "Resource": self.stream.arn,
                        },
                        {
                            # Bucket-level actions as Firehose documents them, unconditioned
                            # (FIREHOSE_S3_ACCESS_PAGE); object actions below stay on the prefixes.
                            "Sid": "LocateBucket",
                            "Effect": "Allow",
                            "Action": [
                                "s3:GetBucketLocation",
                                "s3:ListBucket",
                                "s3:ListBucketMultipartUploads",
                            ],
                            "Resource": bucket_arn,
                        },
                        {
                            "Sid": "WriteArchivePrefixes",
                            "Effect": "Allow",
                            "Action": ["s3:PutObject", "s3:GetObject", "s3:AbortMultipartUpload"],
                            "Resource": [
                                pulumi.Output.concat(bucket_arn, "/", p, "*") for p in prefixes
                            ],
                        },
                        {
                            "Sid": "WriteDeliveryErrors",
                            "Effect": "Allow",
                            "Action": ["logs:PutLogEvents"],
                            "Resource": pulumi.Output.concat(
                                log_group.arn, ":log-stream:", log_stream.name
                            ),
                        },
                    ],
                }
            ),
            opts=child,
        )
        return aws.kinesis.FirehoseDeliveryStream(
            f"{name}-archive",
            name=stream_name,
            destination="extended_s3",
            # The source stream is already encrypted; Firehose rejects its own server-side
            # encryption for a Kinesis source, and the bucket encrypts objects by default.
            kinesis_source_configuration={
                "kinesis_stream_arn": self.stream.arn,
                "role_arn": self.firehose_role.arn,
            },
            extended_s3_configuration={
                "bucket_arn": bucket_arn,
                "role_arn": self.firehose_role.arn,
                "prefix": f"{storage.archive_prefix}{DAY_PARTITION}",
                "error_output_prefix": (
                    f"{ARCHIVE_ERRORS_PREFIX}!{{firehose:error-output-type}}/{DAY_PARTITION}"
                ),
                "compression_format": archive.compression,
                "buffering_interval": archive.buffer_seconds,
                "buffering_size": archive.buffer_mb,
                "cloudwatch_logging_options": {
                    "enabled": True,
                    "log_group_name": log_group.name,
                    "log_stream_name": log_stream.name,
                },
            },
            tags=tags,
            # Firehose checks its role's access to the stream and bucket when it is created.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
