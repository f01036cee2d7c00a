"""Every IAM document of every stack file, linted with parliament (core and community auditors).

A finding of severity LOW or above fails the test unless it is allowed below, by finding id and
resource, with the reason. test_security.py holds the project's own rules; the linter adds what
a rule list forgets: unknown actions, actions that cannot apply to the ARNs given, condition
operators and keys that do not exist, needless `*` resources, risky action combinations.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import parliament  # type: ignore[import-untyped]
import pytest

from tests.stack_harness import ACCOUNT_ID, SECURITY_VARIANTS, StackRun, run_variant

SEVERITIES = ("MUTE", "INFO", "LOW", "MEDIUM", "HIGH", "CRITICAL")
FAIL_AT = "LOW"
COMMUNITY_CONFIG = Path(parliament.__file__).parent / "community_auditors" / "config_override.yaml"

# Where each kind of document sits: resource type -> input holding the JSON.
IDENTITY = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:iam/userPolicy:UserPolicy": "policy",
    "aws:iam/groupPolicy:GroupPolicy": "policy",
}
RESOURCE = {
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sns/topic:Topic": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:sqs/queue:Queue": "policy",
    "aws:kms/key:Key": "policy",
}
TRUST = {"aws:iam/role:Role": "assumeRolePolicy"}

SERVICE_ROLES = (
    "storage-personalize-role",
    "streaming-forwarder-role",
    "streaming-archive-role",
    "api-recommend-role",
    "api-ingest-role",
    "api-catalog-role",
    "api-cloudwatch-role",
)
# (finding id, resource name, what was flagged) -> why it is not a problem.
ALLOWED = {
    ("CREDENTIALS_EXPOSURE", role, "sts:assumerole"): (
        "a trust policy exists to let one service principal assume its role; the community "
        "auditor flags sts:AssumeRole in any Allow, not knowing the document is a trust policy"
    )
    for role in SERVICE_ROLES
} | {
    ("PERMISSIONS_MANAGEMENT_ACTIONS", "monitoring-alarms-key", "kms:putkeypolicy"): (
        "a key policy must let the account manage the policy itself, or the key can never be "
        "changed again; it is granted to the account root, which defers to IAM"
    ),
}


@dataclass(frozen=True)
class Document:
    kind: str  # identity | resource | trust
    resource: str  # the Pulumi resource name
    text: str  # as the linter reads it


@dataclass(frozen=True)
class Finding:
    issue: str
    severity: str
    resource: str
    flagged: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.issue, self.resource, self.flagged)


@pytest.fixture(scope="module", autouse=True)
def community_severities() -> None:
    # The community auditors' findings have their severities in their own file.
    parliament.override_config(COMMUNITY_CONFIG)


@pytest.fixture(scope="module", params=sorted(SECURITY_VARIANTS))
def run(request: pytest.FixtureRequest) -> StackRun:
    return run_variant(request.param)


def as_trust_resource_policy(text: str, role_name: str) -> str:
    """A trust policy as IAM evaluates it: a resource policy whose resource is the role.

    IAM forbids a Resource element in a trust policy, and parliament stops at a statement
    without one; giving it the role it guards lets it check principal, action and conditions.
    """
    document = json.loads(text)
    for statement in document["Statement"]:
        assert "Resource" not in statement, f"{role_name}: a trust policy takes no Resource"
        statement["Resource"] = f"arn:aws:iam::{ACCOUNT_ID}:role/{role_name}"
    return json.dumps(document)


def as_key_policy(text: str, key_arn: str) -> str:
    """A key policy as KMS evaluates it: Resource "*" there means the key itself."""
    document = json.loads(text)
    for statement in document["Statement"]:
        assert statement["Resource"] == "*", "a key policy names no other resource"
        statement["Resource"] = key_arn
    return json.dumps(document)


def documents(run: StackRun) -> Iterator[Document]:
    for registration in run.resources:
        for kind, table in (("identity", IDENTITY), ("resource", RESOURCE), ("trust", TRUST)):
            key = table.get(registration.typ)
            value = registration.inputs.get(key) if key else None
            if not isinstance(value, str) or not value.lstrip().startswith("{"):
                continue
            if kind == "trust":
                role = registration.inputs.get("name") or registration.inputs.get("namePrefix")
                value = as_trust_resource_policy(value, str(role or registration.name))
            if registration.typ == "aws:kms/key:Key":
                value = as_key_policy(value, registration.state["arn"])
            yield Document(kind, registration.name, value)


def flagged(finding: Any) -> str:
    """What a finding points at, compactly: the actions, or the detail."""
    location = finding.location if isinstance(finding.location, dict) else {}
    if "actions" in location:
        return ",".join(sorted(location["actions"]))
    detail = finding.detail
    return detail if isinstance(detail, str) else json.dumps(detail, sort_keys=True, default=str)


def lint(document: Document) -> list[Finding]:
    policy = parliament.analyze_policy_string(document.text, include_community_auditors=True)
    found = []
    for raw in policy.findings:
        enhanced = parliament.enhance_finding(raw)
        found.append(Finding(raw.issue, enhanced.severity, document.resource, flagged(raw)))
    return found


def at_or_above(severity: str, floor: str = FAIL_AT) -> bool:
    return SEVERITIES.index(severity) >= SEVERITIES.index(floor)


def test_every_policy_document_is_linted(run: StackRun) -> None:
    linted = {(d.kind, d.resource) for d in documents(run)}
    kinds = {kind for kind, _ in linted}
    assert kinds == {"identity", "resource", "trust"}
    assert len(linted) >= 10
    # Nothing that looks like a policy escapes the tables above.
    for registration in run.resources:
        for key, value in registration.inputs.items():
            if isinstance(value, str) and '"Statement"' in value:
                assert any(r == registration.name for _, r in linted), (
                    f"{registration.typ} {registration.name}.{key} holds a policy nobody lints"
                )


def test_no_finding_at_or_above_the_floor_except_the_allowed(run: StackRun) -> None:
    problems = [
        finding
        for document in documents(run)
        for finding in lint(document)
        if at_or_above(finding.severity) and finding.key not in ALLOWED
    ]
    assert problems == []


def test_every_allowance_is_still_needed(run: StackRun) -> None:
    present = {r.name for r in run.resources}
    expected = {key for key in ALLOWED if key[1] in present}
    seen = {finding.key for document in documents(run) for finding in lint(document)}
    assert expected <= seen, f"no longer reported, remove: {expected - seen}"


def test_star_resources_are_actions_without_resource_types(run: StackRun) -> None:
    # The linter's copy of the IAM service authorization reference: an action whose
    # resource-types column is empty can only be granted on "*" (personalize:PutEvents is
    # authorized by the trackingId in the request, not by an ARN).
    reference = {service["prefix"]: service for service in parliament.iam_definition}
    starred = set()
    for document in documents(run):
        for statement in json.loads(document.text)["Statement"]:
            resources = statement.get("Resource", [])
            if statement["Effect"] == "Allow" and "*" in (
                resources if isinstance(resources, list) else [resources]
            ):
                actions = statement["Action"]
                starred.update(actions if isinstance(actions, list) else [actions])
    assert starred == {"personalize:PutEvents"}
    for action in starred:
        prefix, name = action.split(":")
        (privilege,) = [
            p for p in reference[prefix]["privileges"] if p["privilege"].lower() == name.lower()
        ]
        assert [t["resource_type"] for t in privilege["resource_types"]] == [""], privilege


# ---- the linter is wired in: known mistakes are reported ----------------------------------


def _identity(statement: dict[str, Any]) -> Document:
    return Document(
        "identity", "example", json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    )


@pytest.mark.parametrize(
    ("document", "issue"),
    [
        (
            _identity(
                {
                    "Effect": "Allow",
                    "Action": "personalize:PutEvent",
                    "Resource": "*",
                }
            ),
            "UNKNOWN_ACTION",
        ),
        (
            _identity(
                {
                    "Effect": "Allow",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::bucket",
                }
            ),
            "RESOURCE_MISMATCH",
        ),
        (
            _identity({"Effect": "Allow", "Action": "kinesis:PutRecords", "Resource": "*"}),
            "RESOURCE_STAR",
        ),
        (
            Document(
                "trust",
                "example-role",
                as_trust_resource_policy(
                    json.dumps(
                        {
                            "Version": "2012-10-17",
                            "Statement": [
                                {
                                    "Effect": "Allow",
                                    "Principal": {"Service": "lambda.amazonaws.com"},
                                    "Action": "sts:AssumeRole",
                                    "Condition": {"StringEqual": {"aws:SourceAccount": "1"}},
                                }
                            ],
                        }
                    ),
                    "example-role",
                ),
            ),
            "UNKNOWN_OPERATOR",
        ),
    ],
    ids=["typo-in-action", "object-action-on-bucket", "needless-star", "bad-operator-in-trust"],
)
def test_the_linter_reports_known_mistakes(document: Document, issue: str) -> None:
    found = lint(document)
    assert issue in {f.issue for f in found}
    assert any(at_or_above(f.severity) for f in found if f.issue == issue)
