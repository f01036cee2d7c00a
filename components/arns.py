"""ARNs the program writes itself, in the stack's own partition.

ARNs start with `arn:<partition>:`, and the partition follows the region (`aws`, `aws-cn`,
`aws-us-gov`, ...): https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html. Every
ARN built here takes `StackConfig.partition`, never a literal.

Why the config's partition and not `aws.get_partition`: the config derives it at preview from the
stack's region through botocore's endpoint data, the same data that decides whether the region has
Personalize at all, so the fact lives in one place, is a plain string before any invoke runs, and a
test can ask for any region's partition without mocking the provider. The provider resolves the
same region -> partition mapping, so both give the same answer whenever the program sees the
region. The one case where they could differ, a region the provider reads from an AWS profile that
the program cannot see when it reads its config, is closed by `provider_region`: every resource
takes the provider's region through it, and it refuses a region whose partition is not the one
the config derived (or that has no Personalize), so the preview fails instead of writing ARNs that
name nothing.
"""

from __future__ import annotations

import pulumi
import pulumi_aws as aws

from components.config import StackConfig, check_provider_region


def arn_text(partition: str, service: str, region: str, account: str, resource: str) -> str:
    """`arn:<partition>:<service>:<region>:<account>:<resource>`; region and account may be ""."""
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def arn(
    partition: str,
    service: str,
    region: pulumi.Input[str],
    account: pulumi.Input[str],
    resource: pulumi.Input[str],
) -> pulumi.Output[str]:
    """`arn_text` of values that may not be known yet (a region or account from the provider)."""
    return pulumi.Output.all(region, account, resource).apply(
        lambda parts: arn_text(partition, service, parts[0], parts[1], parts[2])
    )


def recipe_arn(partition: str, recipe: str) -> str:
    """A recipe's ARN: recipes are AWS-owned, so it names no region or account. A plain string,
    because the solution's name carries a hash of it (components/model.py:solution_settings)."""
    return arn_text(partition, "personalize", "", "", f"recipe/{recipe}")


def provider_region(config: StackConfig) -> pulumi.Output[str]:
    """The AWS provider's region (wherever the provider found it), checked against the config:
    Personalize must exist there and its partition must be the one every ARN is built with."""
    return aws.get_region_output().region.apply(
        lambda region: check_provider_region(config, region)
    )
