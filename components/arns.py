"""ARNs the program writes itself, in the stack's own partition.

ARNs start with `arn:<partition>:`, and the partition follows the region (`aws`, `aws-cn`,
`aws-us-gov`, ...): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html. The
partition comes from the AWS provider (`aws.get_partition`), never from a literal, so every ARN
built here matches the account the stack deploys to.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws


def partition() -> pulumi.Output[str]:
    """The partition of the stack's AWS provider (its region decides it)."""
    return aws.get_partition_output().partition


def arn(
    service: str,
    region: pulumi.Input[str],
    account: pulumi.Input[str],
    resource: pulumi.Input[str],
) -> pulumi.Output[str]:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`; region and account may be ""."""
    return pulumi.Output.concat(
        "arn:", partition(), ":", service, ":", region, ":", account, ":", resource
    )
