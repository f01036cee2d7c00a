"""Classify errors from AWS calls once, for both the API handlers and the forwarder.

The API handlers turn a classification into an HTTP status; the forwarder turns it into "retry
this record" or "dead-letter it". Unknown errors count as retryable: for the forwarder a retry
keeps the data, while dead-lettering a record because of our own outage would lose it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from botocore.exceptions import (  # type: ignore[import-untyped, unused-ignore]
    BotoCoreError,
    ClientError,
    ParamValidationError,
)

Kind = Literal["throttled", "not_found", "in_use", "invalid_input", "unavailable"]

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "ThrottledException",
        "LimitExceededException",
        "TooManyRequestsException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
        "KMSThrottlingException",
    }
)
# The request itself is wrong: sending it again can never succeed.
INVALID_INPUT_CODES = frozenset(
    {
        "InvalidInputException",
        "ValidationException",
        "InvalidParameterValueException",
        "InvalidArgumentException",
        "SerializationException",
    }
)


@dataclass(frozen=True)
class UpstreamError:
    kind: Kind
    code: str
    message: str
    http_status: int | None
    aws_request_id: str | None

    @property
    def retryable(self) -> bool:
        return self.kind != "invalid_input"


def classify(exc: BaseException) -> UpstreamError | None:
    """Describe an AWS SDK error, or return None when ``exc`` is not one."""
    if isinstance(exc, ClientError):
        error = exc.response.get("Error") or {}
        meta = exc.response.get("ResponseMetadata") or {}
        code = str(error.get("Code") or "Unknown")
        status = meta.get("HTTPStatusCode")
        status = status if isinstance(status, int) else None
        message = str(error.get("Message") or code)
        request_id = meta.get("RequestId")
        return UpstreamError(_kind(code, status), code, message, status, request_id or None)
    if isinstance(exc, ParamValidationError):
        # botocore's own parameter check: our validation should have caught it first.
        return UpstreamError("invalid_input", "ParamValidation", str(exc), None, None)
    if isinstance(exc, BotoCoreError):  # connection refused/reset, timeouts, no credentials
        return UpstreamError("unavailable", type(exc).__name__, str(exc), None, None)
    return None


def _kind(code: str, status: int | None) -> Kind:
    if code in THROTTLING_CODES or status == 429:
        return "throttled"
    if code == "ResourceNotFoundException":
        return "not_found"
    if code == "ResourceInUseException":
        return "in_use"
    if code in INVALID_INPUT_CODES:
        return "invalid_input"
    return "unavailable"
