"""The account and credentials of the stack's AWS provider, for the Personalize providers.

The rest of the stack is deployed by pulumi-aws, configured by the stack's ``aws:`` settings. The
dynamic providers must land in the same account with the same credentials, so they read the same
settings: Pulumi hands a dynamic provider the whole stack configuration, namespaces kept, in
``configure()`` (pulumi/pulumi#17229, #17673). Nothing of this is an input: it is never pickled
with the provider, never stored in the state (no secret key there) and never causes a diff.

The keys are pulumi-aws v7's (``pulumi_aws/config/vars.py``): ``aws:profile``, ``aws:region``,
``aws:sharedConfigFiles``, ``aws:sharedCredentialsFiles``, ``aws:accessKey``, ``aws:secretKey``,
``aws:token``, ``aws:assumeRoles`` (a list; each role is assumed with the credentials of the
one before) and ``aws:allowedAccountIds`` / ``aws:forbiddenAccountIds`` (checked with STS
GetCallerIdentity before the first call), and the ``personalize`` and ``sts`` entries of
``aws:endpoints``. Unset, boto3's default chain applies, as it does for
pulumi-aws (AWS_PROFILE, the environment's keys, SSO, container and instance roles).

Deploys last hours (training). Credentials from a profile with ``role_arn``, ``credential_process``
or SSO, and every role of ``aws:assumeRoles``, are botocore refreshable credentials: renewed
before they expire, for as long as their source can renew them. Static keys and session tokens
cannot be renewed; see ``providers.sessions.credentials_failure``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

CONFIG_PREFIX = "aws:"
# Error codes AWS answers with when the request's credentials have expired.
EXPIRED_CODES = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
)
_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(h|m|s|ms)", re.ASCII)
_DURATION_UNITS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}


class CredentialsConfigError(Exception):
    """An ``aws:`` setting the providers cannot honour; the message names the key."""


@dataclass(frozen=True)
class AssumeRole:
    """One entry of ``aws:assumeRoles``, as AssumeRole parameters."""

    role_arn: str
    session_name: str | None = None
    external_id: str | None = None
    duration_seconds: int | None = None
    policy: str | None = None
    policy_arns: tuple[str, ...] = ()
    source_identity: str | None = None
    tags: tuple[tuple[str, str], ...] = ()
    transitive_tag_keys: tuple[str, ...] = ()

    def assume_role_args(self) -> dict[str, Any]:
        """STS AssumeRole's arguments besides RoleArn."""
        args: dict[str, Any] = {}
        if self.session_name:
            args["RoleSessionName"] = self.session_name
        if self.external_id:
            args["ExternalId"] = self.external_id
        if self.duration_seconds:
            args["DurationSeconds"] = self.duration_seconds
        if self.policy:
            args["Policy"] = self.policy
        if self.policy_arns:
            args["PolicyArns"] = [{"arn": arn} for arn in self.policy_arns]
        if self.source_identity:
            args["SourceIdentity"] = self.source_identity
        if self.tags:
            args["Tags"] = [{"Key": k, "Value": v} for k, v in self.tags]
        if self.transitive_tag_keys:
            args["TransitiveTagKeys"] = list(self.transitive_tag_keys)
        return args


@dataclass(frozen=True)
class AwsSettings:
    """The ``aws:`` settings that decide the account and credentials. Hashable: a cache key."""

    profile: str | None = None
    region: str | None = None
    shared_config_file: str | None = None
    shared_credentials_file: str | None = None
    access_key: str | None = field(default=None, repr=False)
    secret_key: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)
    assume_roles: tuple[AssumeRole, ...] = ()
    allowed_account_ids: tuple[str, ...] = ()
    forbidden_account_ids: tuple[str, ...] = ()
    # aws:endpoints, service name -> URL (only "personalize" and "sts" are used here).
    endpoints: tuple[tuple[str, str], ...] = ()

    def endpoint(self, service: str) -> str | None:
        return dict(self.endpoints).get(service)

    @classmethod
    def from_config(cls, get: Callable[[str], Any]) -> AwsSettings:
        """Read from the stack config (``get("aws:profile")`` ...); raise naming a bad key."""
        unsupported = {
            "aws:assumeRole": "pulumi-aws v7 reads aws:assumeRoles (a list of roles), not "
            "aws:assumeRole; move the role into aws:assumeRoles",
            "aws:assumeRoleWithWebIdentity": "the Personalize providers do not read it; set "
            "AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE instead, which both pulumi-aws and "
            "boto3 read",
        }
        for key, why in unsupported.items():
            if get(key) not in (None, ""):
                raise CredentialsConfigError(f"{key}: {why}")
        access_key = _text(get, "aws:accessKey")
        secret_key = _text(get, "aws:secretKey")
        if bool(access_key) != bool(secret_key):
            raise CredentialsConfigError(
                "aws:accessKey and aws:secretKey must be set together (or neither)"
            )
        return cls(
            profile=_text(get, "aws:profile"),
            region=_text(get, "aws:region"),
            shared_config_file=_one_file(get, "aws:sharedConfigFiles"),
            shared_credentials_file=_one_file(get, "aws:sharedCredentialsFiles"),
            access_key=access_key,
            secret_key=secret_key,
            token=_text(get, "aws:token"),
            assume_roles=_assume_roles(get),
            allowed_account_ids=_strings(get, "aws:allowedAccountIds"),
            forbidden_account_ids=_strings(get, "aws:forbiddenAccountIds"),
            endpoints=_endpoints(get),
        )


def _parsed(get: Callable[[str], Any], key: str) -> Any:
    """A config value; structured values arrive as JSON text."""
    value = get(key)
    if isinstance(value, str) and value[:1] in "[{":
        try:
            return json.loads(value)
        except ValueError:
            raise CredentialsConfigError(f"{key} is not valid JSON: {value[:80]!r}") from None
    return value


def _text(get: Callable[[str], Any], key: str) -> str | None:
    value = get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise CredentialsConfigError(f"{key} must be a string, got {value!r}")
    return value


def _endpoints(get: Callable[[str], Any]) -> tuple[tuple[str, str], ...]:
    key = "aws:endpoints"
    value = _parsed(get, key)
    if value in (None, "", []):
        return ()
    if not isinstance(value, list) or not all(isinstance(e, dict) for e in value):
        raise CredentialsConfigError(f"{key} must be a list of {{<service>: <url>}} maps")
    found: dict[str, str] = {}
    for entry in value:
        for service, url in entry.items():
            if url:
                found[str(service)] = str(url)
    return tuple(sorted(found.items()))


def _strings(get: Callable[[str], Any], key: str) -> tuple[str, ...]:
    value = _parsed(get, key)
    if value in (None, "", []):
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str | int) for v in value):
        raise CredentialsConfigError(f"{key} must be a list of account ids, got {value!r}")
    return tuple(str(v) for v in value)


def _one_file(get: Callable[[str], Any], key: str) -> str | None:
    value = _parsed(get, key)
    if value in (None, "", []):
        return None
    files = [value] if isinstance(value, str) else value
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise CredentialsConfigError(f"{key} must be a list of file paths, got {value!r}")
    if len(files) > 1:
        # botocore reads one config file and one credentials file.
        raise CredentialsConfigError(
            f"{key}: the Personalize providers read one file, got {len(files)}: {files}"
        )
    return str(files[0])


def duration_seconds(text: str, key: str) -> int:
    """A Go-style duration ("1h", "90m", "1h30m", "3600s") in whole seconds."""
    parts = _DURATION_PART.findall(text)
    if not parts or "".join(n + u for n, u in parts) != text:
        raise CredentialsConfigError(
            f"{key} must be a duration such as '1h', '90m' or '1h30m', got {text!r}"
        )
    seconds = int(sum(float(n) * _DURATION_UNITS[u] for n, u in parts))
    # AssumeRole's DurationSeconds range (botocore model, shape roleDurationSecondsType).
    if not 900 <= seconds <= 43200:
        raise CredentialsConfigError(f"{key} must be between 15m and 12h, got {text!r}")
    return seconds


def _assume_roles(get: Callable[[str], Any]) -> tuple[AssumeRole, ...]:
    key = "aws:assumeRoles"
    value = _parsed(get, key)
    if value in (None, "", []):
        return ()
    if not isinstance(value, list) or not all(isinstance(r, dict) for r in value):
        raise CredentialsConfigError(f"{key} must be a list of roles ({{roleArn: ...}})")
    roles = []
    for index, raw in enumerate(value):
        where = f"{key}[{index}]"
        role_arn = raw.get("roleArn")
        if not role_arn:
            if len(value) == 1 and not any(raw.values()):
                return ()  # pulumi-aws's own empty default
            raise CredentialsConfigError(f"{where}.roleArn is required")
        tags = raw.get("tags") or {}
        duration = raw.get("duration")
        roles.append(
            AssumeRole(
                role_arn=str(role_arn),
                session_name=raw.get("sessionName") or None,
                external_id=raw.get("externalId") or None,
                duration_seconds=(
                    duration_seconds(str(duration), f"{where}.duration") if duration else None
                ),
                policy=raw.get("policy") or None,
                policy_arns=tuple(raw.get("policyArns") or ()),
                source_identity=raw.get("sourceIdentity") or None,
                tags=tuple(sorted((str(k), str(v)) for k, v in tags.items())),
                transitive_tag_keys=tuple(raw.get("transitiveTagKeys") or ()),
            )
        )
    return tuple(roles)
