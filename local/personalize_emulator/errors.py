"""Service errors, one class per error code the real service returns.

The protocol layer turns them into the wire shape botocore parses (``__type`` in the body and the
``x-amzn-ErrorType`` header), so callers get the modeled exception classes.
"""

# Class names are the service's error codes, which botocore matches on, hence no Error suffix.
# ruff: noqa: N818

from __future__ import annotations


class ServiceError(Exception):
    """An error the emulated service returns to the caller."""

    code = "InternalFailure"
    # Status for JSON 1.1 (control plane); REST-JSON takes the status from the botocore model.
    status = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class InvalidInputException(ServiceError):
    code = "InvalidInputException"


class ResourceNotFoundException(ServiceError):
    code = "ResourceNotFoundException"


class ResourceAlreadyExistsException(ServiceError):
    code = "ResourceAlreadyExistsException"


class ResourceInUseException(ServiceError):
    code = "ResourceInUseException"


class LimitExceededException(ServiceError):
    code = "LimitExceededException"


class InvalidNextTokenException(ServiceError):
    code = "InvalidNextTokenException"


class TooManyTagsException(ServiceError):
    code = "TooManyTagsException"


class UnknownOperationException(ServiceError):
    code = "UnknownOperationException"


class InjectedError(ServiceError):
    """A fault injected by a test: any code, any status (throttling or 5xx)."""

    def __init__(self, code: str, status: int, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.status = status


# Codes a test may ask for by name, and the HTTP status the real service uses for them.
INJECTABLE_STATUS: dict[str, int] = {
    "ThrottlingException": 400,
    "TooManyRequestsException": 429,
    "LimitExceededException": 400,
    "InternalFailure": 500,
    "InternalServerError": 500,
    "ServiceUnavailable": 503,
    "ServiceUnavailableException": 503,
    # A common error of every API (AWS Common Errors page): credentials that ran out.
    "ExpiredTokenException": 403,
}


def injected(error_code: str | int) -> InjectedError:
    """Build the error a fault rule raises; an int is taken as a 5xx status."""
    if isinstance(error_code, int) or str(error_code).isdigit():
        status = int(error_code)
        if not 400 <= status <= 599:
            raise ValueError(f"error status must be 4xx or 5xx, got {status}")
        code = "ServiceUnavailable" if status == 503 else "InternalFailure"
        return InjectedError(code, status, f"Injected fault (HTTP {status})")
    known = INJECTABLE_STATUS.get(error_code)
    if known is None:
        raise ValueError(
            f"error_code {error_code!r} is not injectable; use one of "
            f"{sorted(INJECTABLE_STATUS)} or an HTTP status 500-599"
        )
    message = "Rate exceeded" if known < 500 else "Injected fault"
    return InjectedError(error_code, known, message)
