"""The botocore service models: the single source of truth for shapes and routes."""

from __future__ import annotations

import functools

import botocore.session  # type: ignore[import-untyped,unused-ignore]
from botocore.model import (  # type: ignore[import-untyped,unused-ignore]
    OperationModel,
    ServiceModel,
)

CONTROL = "personalize"
EVENTS = "personalize-events"
RUNTIME = "personalize-runtime"
TARGET_PREFIX = "AmazonPersonalize."


@functools.cache
def service_model(name: str) -> ServiceModel:
    """Load a service model shipped with botocore (cached; loading is slow)."""
    return botocore.session.get_session().get_service_model(name)


@functools.cache
def rest_routes() -> dict[tuple[str, str], tuple[str, str]]:
    """(method, path) -> (service, operation) for the two REST-JSON services."""
    routes: dict[tuple[str, str], tuple[str, str]] = {}
    for service in (EVENTS, RUNTIME):
        model = service_model(service)
        for name in model.operation_names:
            http = model.operation_model(name).http
            routes[(http["method"], http["requestUri"])] = (service, name)
    return routes


def operation(service: str, name: str) -> OperationModel | None:
    """The operation model, or None when the service has no such operation."""
    model = service_model(service)
    if name not in model.operation_names:
        return None
    return model.operation_model(name)


def error_status(service: str, code: str, default: int) -> int:
    """HTTP status the model declares for an error code (REST-JSON), else the default."""
    try:
        shape = service_model(service).shape_for(code)
    except Exception:
        return default
    status = shape.metadata.get("error", {}).get("httpStatusCode")
    return int(status) if status else default
