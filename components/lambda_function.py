"""A Python Lambda function from the `handlers/` package, with its role and its log group.

Every function of the stack is built the same way: the whole `handlers` package as its code (so
handler strings read `handlers.<module>.handler`), Powertools from the AWS-published layer, a role
that trusts only Lambda in this account, an inline policy of the caller's statements plus writing
its own logs, and a log group created up front with the stack's retention. The function depends
on the log group and on the policy, so Lambda never creates an unmanaged, never-expiring log group
and no event source or API route reaches the function before its permissions exist.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
import pulumi_aws as aws

from components.config import PROJECT_ROOT, StackConfig

HANDLERS_DIR = PROJECT_ROOT / "handlers"
RUNTIME = "python3.11"
ARCHITECTURE = "x86_64"

# Powertools for AWS Lambda (Python) v3, published by AWS in account 017000801446, one layer per
# Python version and architecture; must match RUNTIME and ARCHITECTURE above. Version 27 is the
# layer the project's documentation lists for the current v3 release (docs/index.md "Lambda
# Layer" table, aws-powertools/powertools-lambda-python). Bump it when the handlers need a newer
# Powertools; the handlers' tests run against aws-lambda-powertools 3.x from requirements.
POWERTOOLS_LAYER_ARN = (
    "arn:aws:lambda:{region}:017000801446:layer:AWSLambdaPowertoolsPythonV3-python311-x86_64:27"
)

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
            layers=[pulumi.Output.from_input(region).apply(powertools_layer_arn)],
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


def powertools_layer_arn(region: str) -> str:
    return POWERTOOLS_LAYER_ARN.format(region=region)
