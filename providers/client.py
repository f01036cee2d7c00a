"""The boto3 side: a Personalize client per call, error codes, pagination, credentials guard.

Every provider runs inside the dynamic provider host (`python -m pulumi.dynamic`), a separate
process that imports these modules again. So: no import-time side effects, boto3 imported lazily,
settings read from the environment at call time.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator, Mapping
from typing import Any, TypeVar

from .credentials import AwsSettings
from .polling import ENV_MAX_ATTEMPTS, PersonalizeProviderError, env_float
from .sessions import credentials_failure, is_credentials_failure, session_for


def personalize_client(region: str, settings: AwsSettings | None = None) -> Any:
    """A Personalize control-plane client for one call of a provider method.

    Built per call, since clients cannot be pickled, from a session kept per thread and per
    credentials settings (``providers.sessions.session_for``): sessions are not thread-safe
    (the host serves several RPCs at once), and a new session per call would load the service
    model again each time (~55 ms against ~2 ms). The read timeout bounds one HTTP request (not
    the wait), so a dead connection fails fast and is retried; standard-mode retries cover
    throttling and 5xx with backoff.
    """
    # Imported here: the provider host imports this module to unpickle providers, and the
    # program process never needs boto3 at all.
    from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415

    attempts = int(env_float(ENV_MAX_ATTEMPTS, 10))
    config = Config(
        region_name=region,
        connect_timeout=10,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": max(attempts, 1)},
        user_agent_extra="pulumi-personalize-provider",
    )
    settings = settings or AwsSettings()
    return session_for(settings, region).client(
        "personalize", config=config, endpoint_url=settings.endpoint("personalize")
    )


F = TypeVar("F", bound=Callable[..., Any])
RESUMES_DELETE = (
    "Personalize goes on deleting what it was asked to delete; run the command again to finish "
    "(a resource already gone counts as deleted)."
)


def credentials_guarded(method: F) -> F:
    """Turn credentials that ran out during a provider method into a message that says what
    goes on in Personalize and what the next `pulumi up` does (the provider's ``resumes``)."""

    @functools.wraps(method)
    def guarded(self: Any, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            cause = exc if is_credentials_failure(exc) else exc.__cause__
            if cause is None or not is_credentials_failure(cause):
                raise
            resumes = {
                "create": self.resumes,
                "update": self.resumes_update,
                "delete": RESUMES_DELETE,
            }.get(method.__name__, self.resumes)
            raise PersonalizeProviderError(
                credentials_failure(cause, f"{self.kind} ({method.__name__})", resumes)
            ) from exc

    return guarded  # type: ignore[return-value]


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message") or exc)
    return str(exc)


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) == "ResourceNotFoundException"


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item of a List* call, across pages (botocore's paginator follows nextToken)."""
    filters = {k: v for k, v in kwargs.items() if v is not None}
    for page in client.get_paginator(operation).paginate(**filters):
        yield from page.get(key, [])


def find_by_name(
    client: Any, operation: str, key: str, arn_key: str, name: str, **filters: Any
) -> str | None:
    """The ARN of the listed resource called `name`, if there is one."""
    for item in paginate(client, operation, key, **filters):
        if item.get("name") == name:
            return str(item[arn_key])
    return None


def api_tags(tags: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"tagKey": k, "tagValue": str(v)} for k, v in sorted((tags or {}).items())]
