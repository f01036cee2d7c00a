"""A Python Lambda function from the `handlers/` package, with its role and its log group.

Every function of the stack is built the same way: the whole `handlers` package as its code (so
handler strings read `handlers.<module>.handler`), Powertools from the AWS-published layer, a role
that trusts only Lambda in this account, an inline policy of the caller's statements plus writing
its own logs, and a log group created up front with the stack's retention. The function depends
on the log group and on the policy, so Lambda never creates an unmanaged, never-expiring log group
and no event source or API route reaches the function before its permissions exist.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import PROJECT_ROOT, StackConfig

HANDLERS_DIR = PROJECT_ROOT / "handlers"
RUNTIME = "python3.11"
ARCHITECTURE = "x86_64"

# Powertools for AWS Lambda (Python) comes from the layer AWS publishes, for exactly the version
# the handlers' tests run against: the one pin in constraints.txt. Powertools publishes each
# layer's ARN, per region and partition, as a public SSM parameter named after architecture,
# runtime and version ("Using SSM Parameter Store",
# https://docs.aws.amazon.com/powertools/python/latest/getting-started/install/); the stack reads
# it in its own region at deploy time, so no layer number or account is hard-coded here.
CONSTRAINTS_FILE = PROJECT_ROOT / "constraints.txt"
POWERTOOLS_PACKAGE = "aws-lambda-powertools"
POWERTOOLS_LAYER_PARAMETER = "/aws/service/powertools/python/{architecture}/{runtime}/{version}"

LOG_LEVEL = "INFO"


def handlers_archive() -> pulumi.AssetArchive:
    """The handlers package as `handlers/<module>.py` entries.

    Source files only: bytecode caches differ between machines and would change the code hash
    (and so redeploy every function) on each `pulumi up` from a different checkout.
    """
    files = sorted(
        p
        for p in HANDLERS_DIR.rglob("*.py")
        if "__pycache__" not in p.parts and not p.name.startswith(".")
    )
    return pulumi.AssetArchive(
        {
            f"handlers/{p.relative_to(HANDLERS_DIR).as_posix()}": pulumi.FileAsset(str(p))
            for p in files
        }
    )


def lambda_trust_policy(account_id: pulumi.Input[str]) -> pulumi.Output[str]:
    """Trust for lambda.amazonaws.com, only on behalf of this account (confused deputy)."""
    return pulumi.Output.json_dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                    "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
                }
            ],
        }
    )


class PythonFunction(pulumi.ComponentResource):
    """One Lambda function running `handlers.<module>.handler`."""

    function: aws.lambda_.Function
    role: aws.iam.Role
    role_policy: aws.iam.RolePolicy
    log_group: aws.cloudwatch.LogGroup
    function_name: str

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        module: str,
        description: str,
        statements: Sequence[Mapping[str, Any]],
        environment: Mapping[str, pulumi.Input[str]],
        account_id: pulumi.Input[str],
        region: pulumi.Input[str],
        memory_size: int = 256,
        timeout: int = 30,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("personalize-realtime:lambda:PythonFunction", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(config.tags)
        # A fixed name lets the log group exist before the function does.
        self.function_name = config.name(module)

        self.log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/lambda/{self.function_name}",
            retention_in_days=config.log_retention_days,
            tags=tags,
            opts=child,
        )
        self.role = aws.iam.Role(
            f"{name}-role",
            name_prefix=f"{config.name_prefix}-{module}-"[:38],
            description=f"Runs the {self.function_name} Lambda function.",
            assume_role_policy=lambda_trust_policy(account_id),
            tags=tags,
            opts=child,
        )
        own_logs = {
            "Sid": "WriteOwnLogs",
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": pulumi.Output.concat(self.log_group.arn, ":*"),
        }
        self.role_policy = aws.iam.RolePolicy(
            f"{name}-policy",
            role=self.role.id,
            policy=pulumi.Output.json_dumps(
                {"Version": "2012-10-17", "Statement": [*statements, own_logs]}
            ),
            opts=child,
        )
        self.function = aws.lambda_.Function(
            f"{name}-function",
            name=self.function_name,
            description=description,
            role=self.role.arn,
            runtime=RUNTIME,
            architectures=[ARCHITECTURE],
            handler=f"handlers.{module}.handler",
            code=handlers_archive(),
            layers=[powertools_layer_arn(region)],
            memory_size=memory_size,
            timeout=timeout,
            environment={
                "variables": {
                    # Unique per stack: Powertools metrics use it as the service dimension.
                    "POWERTOOLS_SERVICE_NAME": self.function_name,
                    "POWERTOOLS_LOG_LEVEL": LOG_LEVEL,
                    **environment,
                }
            },
            logging_config={"log_format": "Text", "log_group": self.log_group.name},
            tags=tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.log_group, self.role_policy]),
        )
        self.register_outputs({"function_arn": self.function.arn, "log_group": self.log_group.name})


def _canonical(name: str) -> str:
    """Package names compare as PEP 503 says: case-insensitive, runs of -_. equal."""
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_version(package: str, constraints: Path = CONSTRAINTS_FILE) -> str:
    """The exact version `constraints` pins for `package` (a `name==version` line)."""
    for line in constraints.read_text().splitlines():
        name, pinned, version = line.split("#", 1)[0].partition("==")
        if pinned and _canonical(name.strip()) == _canonical(package):
            return version.strip()
    raise ValueError(
        f"{constraints}: no '{package}==<version>' line; the Powertools layer is resolved for the "
        "exact version the handlers are tested with, so it must be pinned there"
    )


def powertools_layer_parameter(constraints: Path = CONSTRAINTS_FILE) -> str:
    """The SSM parameter holding the layer ARN for this runtime, architecture and pinned version."""
    return POWERTOOLS_LAYER_PARAMETER.format(
        architecture=ARCHITECTURE,
        runtime=RUNTIME,
        version=pinned_version(POWERTOOLS_PACKAGE, constraints),
    )


def powertools_layer_arn(region: pulumi.Input[str]) -> pulumi.Output[str]:
    """The Powertools layer ARN in the stack's region (and so its partition), read at deploy time.

    A version AWS has not published a parameter for fails the preview (ParameterNotFound, naming
    the parameter). The value is a public, non-secret String parameter, so `insecure_value` keeps
    the ARN readable in diffs instead of masking it as a secret.
    """
    return aws.ssm.get_parameter_output(
        name=powertools_layer_parameter(), region=region
    ).insecure_value
