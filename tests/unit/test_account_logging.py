"""API Gateway's account-level CloudWatch role: a region-wide singleton the stack leaves alone unless
`api.manageAccountLoggingRole` is set, while every stage keeps its access log."""

import json

import pytest

from components.config import ConfigError, load_stack_config
from tests.stack_harness import ACCOUNT_ID, StackRun, merged, run_program

ACCOUNT = "aws:apigateway/account:Account"
STAGE = "aws:apigateway/stage:Stage"
ROLE = "aws:iam/role:Role"
ATTACHMENT = "aws:iam/rolePolicyAttachment:RolePolicyAttachment"
LOG_GROUP = "aws:cloudwatch/logGroup:LogGroup"


@pytest.fixture(scope="module")
def managed() -> StackRun:
    return run_program("dev", merged("dev", "api", manageAccountLoggingRole=True))


def test_stacks_leave_the_region_setting_alone_by_default(run: StackRun) -> None:
    assert run.of_type(ACCOUNT) == []
    assert not [r for r in run.of_type(ROLE) if "cloudwatch" in r.name]
    assert run.of_type(ATTACHMENT) == []


def test_stage_keeps_its_access_log_without_the_setting(run: StackRun) -> None:
    # The account's own role (set by hand or by another stack) writes it; nothing to wait for.
    stage = run.one(STAGE)
    group = run.one(LOG_GROUP, "access-logs")
    assert stage.inputs["accessLogSettings"]["destinationArn"] == group.state["arn"]
    assert "$context.requestId" in stage.inputs["accessLogSettings"]["format"]


def test_managed_setting_points_the_region_at_a_role_of_the_stack(managed: StackRun) -> None:
    account = managed.one(ACCOUNT)
    assert account.urn in managed.one(STAGE).dependencies
    role = next(
        r for r in managed.of_type(ROLE) if r.state["arn"] == account.inputs["cloudwatchRoleArn"]
    )
    (trust,) = json.loads(role.inputs["assumeRolePolicy"])["Statement"]
    assert trust["Principal"] == {"Service": "apigateway.amazonaws.com"}
    assert trust["Condition"] == {"StringEquals": {"aws:SourceAccount": ACCOUNT_ID}}
    attachment = managed.one(ATTACHMENT, "cloudwatch")
    assert attachment.inputs["role"] == role.state["name"]
    assert attachment.inputs["policyArn"] == (
        "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs"
    )
    # The setting waits for the policy: API Gateway checks the role can write logs.
    assert attachment.urn in account.dependencies


@pytest.mark.parametrize(("value", "expected"), [(True, True), ("false", False), (None, False)])
def test_config_key_reads_a_boolean(value: object, expected: bool) -> None:
    values: dict[str, object] = {"datasets": {"interactions": "data/interactions.csv"}}
    if value is not None:
        values["api"] = {"manageAccountLoggingRole": value}
    config = load_stack_config("personalize-realtime", "t", values)
    assert config.api.manage_account_logging_role is expected


def test_config_key_refuses_anything_but_a_boolean() -> None:
    values = {
        "datasets": {"interactions": "data/interactions.csv"},
        "api": {"manageAccountLoggingRole": "yes"},
    }
    with pytest.raises(ConfigError) as raised:
        load_stack_config("personalize-realtime", "t", values)
    assert 'api.manageAccountLoggingRole must be true or false, got "yes"' in str(raised.value)
