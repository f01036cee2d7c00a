"""Storage layer: the dataset bucket, the uploaded dataset files, and the role Personalize assumes.

One private bucket holds two prefixes with different readers: `datasets/` (read by Personalize
for import jobs) and the event archive prefix (written by Firehose). Personalize never sees the
archive, Firehose never sees the datasets.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

import pulumi
import pulumi_aws as aws

from components.arns import arn
from components.config import DatasetConfig, StackConfig

DATASETS_PREFIX = "datasets/"
# The role policy and bucket policy Personalize documents for dataset imports.
PERSONALIZE_S3_ACCESS_PAGE = (
    "https://docs.aws.amazon.com/personalize/latest/dg/granting-personalize-s3-access.html"
)
ARCHIVE_ERRORS_PREFIX = "errors/"


def file_sha256(path: str | pulumi.FileAsset) -> str:
    with open(str(path), "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def personalize_trust_policy(
    account_id: pulumi.Input[str], region: pulumi.Input[str], partition: str
) -> pulumi.Output[str]:
    """Trust for personalize.amazonaws.com, limited to this account's Personalize resources.

    The aws:SourceAccount / aws:SourceArn conditions stop another account's Personalize from
    using this role (the confused-deputy problem).
    """
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "personalize.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {
                        "StringEquals": {"aws:SourceAccount": account_id},
                        "ArnLike": {
                            "aws:SourceArn": arn(partition, "personalize", region, account_id, "*")
                        },
                    },
                }
            ],
        }
    )


class Storage(pulumi.ComponentResource):
    """The dataset bucket, its dataset objects and the Personalize import role."""

    bucket: aws.s3.Bucket
    role: aws.iam.Role
    dataset_objects: dict[str, aws.s3.BucketObjectv2]
    fingerprints: dict[str, str]
    archive_prefix: str

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        account_id: pulumi.Input[str],
        region: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("personalize-realtime:storage:Storage", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(config.tags)
        self.archive_prefix = config.archive.prefix

        # force_destroy: `pulumi destroy` must remove the bucket even with archived events and
        # old object versions in it; the README says so under teardown.
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket",
            bucket_prefix=f"{config.name_prefix}-"[:37].lower(),
            force_destroy=True,
            tags=tags,
            opts=child,
        )
        public_access = aws.s3.BucketPublicAccessBlock(
            f"{name}-public-access",
            bucket=self.bucket.id,
            block_public_acls=True,
            block_public_policy=True,
            ignore_public_acls=True,
            restrict_public_buckets=True,
            opts=child,
        )
        aws.s3.BucketOwnershipControls(
            f"{name}-ownership",
            bucket=self.bucket.id,
            rule={"object_ownership": "BucketOwnerEnforced"},
            opts=child,
        )
        aws.s3.BucketServerSideEncryptionConfiguration(
            f"{name}-encryption",
            bucket=self.bucket.id,
            rules=[
                {
                    "apply_server_side_encryption_by_default": {"sse_algorithm": "AES256"},
                    "bucket_key_enabled": True,
                }
            ],
            opts=child,
        )
        aws.s3.BucketVersioning(
            f"{name}-versioning",
            bucket=self.bucket.id,
            versioning_configuration={"status": "Enabled"},
            opts=child,
        )
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                {
                    "id": "expire-noncurrent-versions",
                    "status": "Enabled",
                    "filter": {},
                    "noncurrent_version_expiration": {"noncurrent_days": 30},
                    "abort_incomplete_multipart_upload": {"days_after_initiation": 7},
                }
            ],
            opts=child,
        )
        self.bucket_policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=self._bucket_policy(),
            # S3 refuses a bucket policy while the public access block is being applied.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[public_access]),
        )

        self.fingerprints = {}
        self.dataset_objects = {}
        for dataset in config.datasets:
            self.dataset_objects[dataset.key] = self._upload(name, dataset, tags, child)

        self.role = aws.iam.Role(
            f"{name}-personalize-role",
            name_prefix=f"{config.name_prefix}-personalize-"[:38],
            description="Lets Amazon Personalize read this stack's dataset files.",
            assume_role_policy=personalize_trust_policy(account_id, region, config.partition),
            tags=tags,
            opts=child,
        )
        # The documented service-role policy ("Attaching an Amazon S3 policy to your Amazon
        # Personalize service role", PERSONALIZE_S3_ACCESS_PAGE): s3:ListBucket on the bucket
        # with no condition (no page shows an s3:prefix condition working for import jobs) and
        # s3:GetObject on objects, here only those under the dataset prefix (an object ARN's key
        # prefix is how S3 scopes object actions).
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-personalize-read",
            role=self.role.id,
            policy=pulumi.Output.json_dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "ListDatasetBucket",
                            "Effect": "Allow",
                            "Action": ["s3:ListBucket"],
                            "Resource": self.bucket.arn,
                        },
                        {
                            "Sid": "ReadDatasetFiles",
                            "Effect": "Allow",
                            "Action": ["s3:GetObject"],
                            "Resource": pulumi.Output.concat(
                                self.bucket.arn, "/", DATASETS_PREFIX, "*"
                            ),
                        },
                    ],
                }
            ),
            opts=child,
        )

        self.register_outputs(
            {
                "bucket": self.bucket.bucket,
                "role_arn": self.role.arn,
                "fingerprints": self.fingerprints,
            }
        )

    def _upload(
        self,
        name: str,
        dataset: DatasetConfig,
        tags: Mapping[str, str],
        child: pulumi.ResourceOptions,
    ) -> aws.s3.BucketObjectv2:
        digest = file_sha256(str(dataset.file))
        self.fingerprints[dataset.key] = digest
        # source_hash puts the file's content into the diff: a changed CSV updates the object,
        # and the import job, named after the same hash, is replaced and runs again.
        return aws.s3.BucketObjectv2(
            f"{name}-{dataset.key}-csv",
            bucket=self.bucket.id,
            key=f"{DATASETS_PREFIX}{dataset.key}.csv",
            source=pulumi.FileAsset(str(dataset.file)),
            source_hash=digest,
            content_type="text/csv",
            tags=dict(tags),
            opts=child,
        )

    def dataset_location(self, dataset_key: str) -> pulumi.Output[str]:
        """The s3:// URL an import job reads for the given dataset."""
        return pulumi.Output.concat(
            "s3://", self.bucket.bucket, "/", self.dataset_objects[dataset_key].key
        )

    def _bucket_policy(self) -> pulumi.Output[str]:
        """TLS only, and Personalize's read access as its documentation gives it.

        The service-principal statement has no condition: the documented bucket policy
        (PERSONALIZE_S3_ACCESS_PAGE) has none, and no page shows an import job succeeding with
        aws:SourceAccount on it; docs/aws-assumptions.md says how to try the tighter form.
        """
        bucket_arn = self.bucket.arn
        return pulumi.Output.json_dumps(
            {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Sid": "DenyInsecureTransport",
                        "Effect": "Deny",
                        "Principal": "*",
                        "Action": "s3:*",
                        "Resource": [bucket_arn, pulumi.Output.concat(bucket_arn, "/*")],
                        "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                    },
                    {
                        "Sid": "PersonalizeReadsDatasets",
                        "Effect": "Allow",
                        "Principal": {"Service": "personalize.amazonaws.com"},
                        "Action": ["s3:GetObject", "s3:ListBucket"],
                        "Resource": [
                            bucket_arn,
                            pulumi.Output.concat(bucket_arn, "/", DATASETS_PREFIX, "*"),
                        ],
                    },
                ],
            }
        )
