"""Security rules held for every stack file: least privilege, confused-deputy protection,
encryption, authentication on by default, and no secret in a plain output.

`*` as a resource is allowed only where the API has no resource-level permission; each case is
listed here and in the README's security section.
"""

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.stack_harness import SECURITY_VARIANTS, Registration, StackRun, as_list, run_variant

# (action, why) pairs that may use Resource "*".
STAR_RESOURCE_ALLOWED = {
    # PutEvents is authorized by the trackingId in the request; the API reference gives the
    # event-sending role Resource "*".
    "personalize:PutEvents",
}
# AWS managed policies a role may carry, with why.
MANAGED_POLICIES_ALLOWED = {
    # API Gateway's account-level role for access logs; it writes to any of the region's APIs' groups.
    "arn:aws:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs",
}
POLICY_INPUTS = ("policy", "assumeRolePolicy")


@pytest.fixture(scope="module", params=sorted(SECURITY_VARIANTS))
def run(request: pytest.FixtureRequest) -> StackRun:
    return run_variant(request.param)


def documents(run: StackRun) -> Iterator[tuple[Registration, dict[str, Any]]]:
    for resource in run.resources:
        for key in POLICY_INPUTS:
            value = resource.inputs.get(key)
            if isinstance(value, str) and value.lstrip().startswith("{"):
                yield resource, json.loads(value)


def test_there_are_policies_to_check(run: StackRun) -> None:
    assert sum(1 for _ in documents(run)) >= 10


def test_no_allow_statement_has_a_wildcard_action(run: StackRun) -> None:
    for resource, document in documents(run):
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow":
                continue
            for action in as_list(statement["Action"]):
                assert "*" not in action, f"{resource.name} allows {action}"


def test_star_resource_only_where_the_api_has_no_resource_permission(run: StackRun) -> None:
    for resource, document in documents(run):
        if resource.typ == "aws:kms/key:Key":
            continue  # in a key policy, Resource "*" is the key itself
        for statement in document["Statement"]:
            if statement["Effect"] != "Allow" or "Resource" not in statement:
                continue
            if "*" in as_list(statement["Resource"]):
                actions = set(as_list(statement["Action"]))
                assert actions <= STAR_RESOURCE_ALLOWED, f"{resource.name}: {actions} on *"


def test_only_known_managed_policies(run: StackRun) -> None:
    for attachment in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment"):
        assert attachment.inputs["policyArn"] in MANAGED_POLICIES_ALLOWED


def test_key_policies_scope_service_principals_to_this_account(run: StackRun) -> None:
    for key in run.of_type("aws:kms/key:Key"):
        for statement in json.loads(key.inputs["policy"])["Statement"]:
            if "Service" in statement["Principal"]:
                assert statement["Condition"]["StringEquals"]["aws:SourceAccount"] == "123456789012"


def test_every_service_trust_has_a_confused_deputy_condition(run: StackRun) -> None:
    roles = run.of_type("aws:iam/role:Role")
    assert roles
    for role in roles:
        for statement in json.loads(role.inputs["assumeRolePolicy"])["Statement"]:
            assert "Service" in statement["Principal"], role.name
            keys = {k for condition in statement["Condition"].values() for k in condition}
            assert keys & {"aws:SourceAccount", "aws:SourceArn", "sts:ExternalId"}, role.name
            for condition in statement["Condition"].values():
                for key, value in condition.items():
                    if key in ("aws:SourceAccount", "sts:ExternalId"):
                        assert value == "123456789012", (role.name, key, value)


def test_bucket_is_private_encrypted_and_tls_only(run: StackRun) -> None:
    (bucket,) = run.of_type("aws:s3/bucket:Bucket")
    attached = {
        r.typ.split(":")[-1] for r in run.resources if r.inputs.get("bucket") == bucket.state["id"]
    }
    assert {
        "BucketPublicAccessBlock",
        "BucketServerSideEncryptionConfiguration",
        "BucketPolicy",
    } <= attached
    policy = json.loads(run.one("aws:s3/bucketPolicy:BucketPolicy").inputs["policy"])
    assert any(
        s["Effect"] == "Deny" and s["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
        for s in policy["Statement"]
    )


def test_stream_queue_and_topics_are_encrypted(run: StackRun) -> None:
    for stream in run.of_type("aws:kinesis/stream:Stream"):
        assert stream.inputs["encryptionType"] == "KMS"
        assert stream.inputs["kmsKeyId"]
    queues = run.of_type("aws:sqs/queue:Queue")
    assert queues
    for queue in queues:
        assert queue.inputs.get("sqsManagedSseEnabled") or queue.inputs.get("kmsMasterKeyId"), (
            queue.name
        )
    for topic in run.of_type("aws:sns/topic:Topic"):
        assert topic.inputs.get("kmsMasterKeyId"), topic.name


def test_api_auth_is_on_for_every_method(run: StackRun) -> None:
    methods = [
        m
        for m in run.of_type("aws:apigateway/method:Method")
        if m.inputs["httpMethod"] != "OPTIONS"
    ]
    assert methods
    for method in methods:
        assert (
            method.inputs.get("apiKeyRequired") is True
            or method.inputs["authorization"] == "AWS_IAM"
        ), method.name


def test_no_secret_in_plain_outputs(run: StackRun) -> None:
    secrets = {"mock-api-key-value", "00000000-0000-0000-0000-000000000000"}
    for name, value in run.outputs.items():
        if name in run.secret_outputs:
            continue
        text = json.dumps(value, default=str)
        for secret in secrets:
            assert secret not in text, f"output {name} shows a secret in plain text"
    if "apiKey" in run.outputs:
        assert "apiKey" in run.secret_outputs
