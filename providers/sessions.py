"""Sessions with the stack's AWS credentials, and what to say when they run out.

The settings come from ``providers.credentials``; this module turns them into boto3 sessions
(one per thread, settings and region) and explains a credentials failure in the middle of a
deploy.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Mapping
from typing import Any

from .credentials import EXPIRED_CODES, AwsSettings, CredentialsConfigError

_thread_sessions = threading.local()


def session_for(settings: AwsSettings, region: str) -> Any:
    """A boto3 session with these settings' credentials, one per thread, settings and region.

    Sessions are not thread-safe (the provider host serves several RPCs at once), and building
    one loads models and may call STS: kept per thread, built once. ``region`` (the resource's)
    is the session's region unless the settings name one: STS calls need a region.
    """
    cache: dict[tuple[AwsSettings, str], Any] = getattr(_thread_sessions, "cache", None) or {}
    _thread_sessions.cache = cache
    session = cache.get((settings, region))
    if session is None:
        session = cache[(settings, region)] = _build_session(settings, region)
    return session


def _botocore_session(settings: AwsSettings, region: str) -> Any:
    import botocore.session  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415

    session = botocore.session.Session()
    if settings.shared_config_file:
        session.set_config_variable("config_file", settings.shared_config_file)
    if settings.shared_credentials_file:
        session.set_config_variable("credentials_file", settings.shared_credentials_file)
    if settings.profile:
        # An explicit profile: botocore then skips the environment's keys, as for AWS_PROFILE.
        session.set_config_variable("profile", settings.profile)
    session.set_config_variable("region", settings.region or region)
    if settings.access_key and settings.secret_key:
        session.set_credentials(settings.access_key, settings.secret_key, settings.token)
    return session


def _build_session(settings: AwsSettings, region: str) -> Any:
    session = _credentials_session(settings, region)
    if settings.allowed_account_ids or settings.forbidden_account_ids:
        _check_account(session, settings)
    return session


def _check_account(session: Any, settings: AwsSettings) -> None:
    """Refuse an account the stack's AWS provider would refuse (aws:allowedAccountIds, ...)."""
    sts = session.client("sts", endpoint_url=settings.endpoint("sts"))
    account = str(sts.get_caller_identity()["Account"])
    if settings.allowed_account_ids and account not in settings.allowed_account_ids:
        raise CredentialsConfigError(
            f"aws:allowedAccountIds: the credentials are for account {account}, not one of "
            f"{', '.join(settings.allowed_account_ids)}"
        )
    if account in settings.forbidden_account_ids:
        raise CredentialsConfigError(
            f"aws:forbiddenAccountIds: the credentials are for account {account}, which is "
            "forbidden"
        )


def _credentials_session(settings: AwsSettings, region: str) -> Any:
    import boto3  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415
    from botocore.credentials import (  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415
        AssumeRoleCredentialFetcher,
        CredentialProvider,
        CredentialResolver,
        DeferredRefreshableCredentials,
    )

    base = _botocore_session(settings, region)
    if not settings.assume_roles:
        return boto3.session.Session(botocore_session=base)

    credentials = base.get_credentials()
    if credentials is None:
        raise CredentialsConfigError(
            "aws:assumeRoles is set but no credentials were found to assume the first role with "
            "(set aws:profile, or the environment's AWS credentials)"
        )
    for role in settings.assume_roles:
        # Each role is assumed with the credentials before it; botocore renews each one shortly
        # before it expires, from the (renewed) credentials before it.
        fetcher = AssumeRoleCredentialFetcher(
            client_creator=functools.partial(
                base.create_client, endpoint_url=settings.endpoint("sts")
            ),
            source_credentials=credentials,
            role_arn=role.role_arn,
            extra_args=role.assume_role_args(),
        )
        credentials = DeferredRefreshableCredentials(
            refresh_using=fetcher.fetch_credentials, method="assume-role"
        )

    final = credentials

    class AssumedRoles(CredentialProvider):  # type: ignore[misc,unused-ignore]
        METHOD = "pulumi-aws-assume-roles"
        CANONICAL_NAME = "custom-pulumi-aws-assume-roles"

        def load(self) -> Any:
            return final

    session = _botocore_session(settings, region)
    session.register_component("credential_provider", CredentialResolver([AssumedRoles()]))
    return boto3.session.Session(botocore_session=session)


# --------------------------------------------------------------------------------------------
# When credentials run out
# --------------------------------------------------------------------------------------------


def is_credentials_failure(exc: BaseException) -> bool:
    """Expired credentials, or credentials botocore could not (re)load."""
    from botocore import exceptions  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415

    response = getattr(exc, "response", None)
    if isinstance(response, Mapping):
        return response.get("Error", {}).get("Code") in EXPIRED_CODES
    return isinstance(
        exc,
        exceptions.NoCredentialsError
        | exceptions.CredentialRetrievalError
        | exceptions.TokenRetrievalError
        | exceptions.RefreshWithMFAUnsupportedError,
    )


def credentials_failure(exc: BaseException, doing: str, resumes: str) -> str:
    """The message for credentials that ran out while ``doing``; ``resumes`` says what happens."""
    return (
        f"{doing}: the AWS credentials expired or could not be renewed ({exc}). The work "
        f"already asked of Personalize goes on without us: {resumes} "
        "For deploys longer than your credentials last, use credentials botocore can renew: a "
        "profile with role_arn and source_profile, credential_process or SSO, or aws:assumeRoles."
    )
