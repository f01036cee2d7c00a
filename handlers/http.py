"""API Gateway REST API (v1 proxy integration) requests and JSON responses.

Each API module declares its routes as :class:`Route` values and hands the raw event to
:func:`dispatch`, which parses the request, picks the route, turns :class:`HttpError`,
:class:`~handlers.validation.ValidationError` and AWS errors into JSON error responses, and adds
the CORS header. Routes come from the operations ``handlers.contract`` declares.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from aws_lambda_powertools.utilities.data_classes import APIGatewayProxyEvent

from handlers import env
from handlers.contract import MAX_DEPTH, OPERATIONS, Operation, Param
from handlers.upstream import UpstreamError, classify
from handlers.validation import ValidationError, describe, has_surrogates

JSON_CONTENT_TYPE = "application/json"


class HttpError(Exception):
    """An error response: status, machine-readable code, human message, optional field."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        field: str | None = None,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})


@dataclass(frozen=True)
class JsonResponse:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    query: Mapping[str, list[str]]
    headers: Mapping[str, str]  # names lower-cased
    body: str | None
    is_base64: bool
    request_id: str

    def param(self, name: str) -> str | None:
        """The last value of a query parameter (API Gateway's single-value view)."""
        values = self.query.get(name)
        return values[-1] if values else None

    def prefixed(self, prefix: str) -> dict[str, list[str]]:
        """Parameters written ``prefix[KEY]=v`` (OpenAPI deepObject) or ``prefix.KEY=v``."""
        found: dict[str, list[str]] = {}
        for name, values in self.query.items():
            key = _deep_key(name, prefix)
            if key is not None:
                found.setdefault(key, []).extend(values)
        return found

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object, or a 4xx naming what is wrong with it."""
        content_type = self.headers.get("content-type", "")
        media = content_type.split(";", 1)[0].strip().lower()
        # A missing Content-Type is tolerated (curl -d sends form encoding only when told to);
        # anything else that is not JSON is refused.
        if media and media != JSON_CONTENT_TYPE and not media.endswith("+json"):
            raise HttpError(
                415,
                "UnsupportedMediaType",
                f"Content-Type must be {JSON_CONTENT_TYPE}, got {describe(media)}",
                field="Content-Type",
            )
        if self.body is None or self.body == "":
            raise HttpError(400, "MissingBody", "a JSON request body is required", field="body")
        text = self.body
        if self.is_base64:
            try:
                text = base64.b64decode(text, validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                raise HttpError(
                    400, "InvalidBody", "the request body is not valid base64 UTF-8", field="body"
                ) from None
        try:
            parsed = json.loads(
                text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys
            )
        except (ValueError, RecursionError) as exc:
            raise HttpError(
                400, "InvalidJson", f"the request body is not valid JSON: {exc}", field="body"
            ) from None
        _check_values(parsed)
        if not isinstance(parsed, dict):
            raise HttpError(
                400,
                "InvalidBody",
                f"the request body must be a JSON object, got {describe(parsed)}",
                field="body",
            )
        return parsed


@dataclass(frozen=True)
class Route:
    """An operation of the contract and the code that serves it."""

    operation: Operation
    call: Callable[[Request], JsonResponse]

    @property
    def method(self) -> str:
        return self.operation.method

    @property
    def path(self) -> str:
        return self.operation.path

    @property
    def query(self) -> tuple[Param, ...]:
        return self.operation.params

    def enabled(self) -> bool:
        variable = self.operation.enabled_by
        return variable is None or bool(os.environ.get(variable))


def routes(
    module: str, calls: Mapping[str, Callable[[Request], JsonResponse]]
) -> tuple[Route, ...]:
    """The routes of one handler module: every contract operation it serves, each with its code
    (``calls`` by operationId). A missing or extra entry is an import-time error."""
    declared = {o.operation_id: o for o in OPERATIONS if o.module == module}
    if set(declared) != set(calls):
        raise RuntimeError(
            f"handlers.{module} serves {sorted(calls)}, the contract declares {sorted(declared)}"
        )
    return tuple(Route(declared[name], call) for name, call in calls.items())


def dispatch(routes: Iterable[Route], event: Any, context: Any, logger: Any) -> dict[str, Any]:
    """Handle one API Gateway proxy event against ``routes``; always returns a proxy response."""
    request_id = _request_id(event, context)
    try:
        request = parse_event(event, request_id)
        route = _select(list(routes), request)
        if route is None:  # CORS preflight
            return _render(JsonResponse(204, None, _preflight_headers()))
        _check_query(route, request)
        return _render(route.call(request))
    except ValidationError as exc:
        return _render_error(HttpError(400, exc.code, exc.message, field=exc.field), request_id)
    except HttpError as exc:
        return _render_error(exc, request_id)
    except Exception as exc:
        upstream = classify(exc)
        if upstream is not None:
            logger.warning(
                "upstream call failed",
                extra={"code": upstream.code, "aws_request_id_upstream": upstream.aws_request_id},
            )
            return _render_error(upstream_http_error(upstream, "upstream"), request_id)
        logger.exception("unhandled error")
        return _render_error(
            HttpError(500, "InternalError", "internal error; quote the requestId when reporting"),
            request_id,
        )


def upstream_http_error(
    err: UpstreamError, resource: str, *, not_ready: str | None = None
) -> HttpError:
    """Map a classified AWS error to the response the client should see.

    ``not_ready`` replaces the 503 message for a resource that does not exist yet.
    """
    if err.kind == "throttled":
        return HttpError(
            429,
            "TooManyRequests",
            f"{resource} is throttling requests; retry after a short wait",
            headers={"Retry-After": "1"},
        )
    if err.kind == "not_found":
        return HttpError(
            503,
            "NotReady",
            not_ready or f"{resource} is not ready yet (still being created); retry later",
            headers={"Retry-After": "60"},
        )
    if err.kind == "in_use":
        return HttpError(
            503, "Busy", f"{resource} is busy; retry later", headers={"Retry-After": "30"}
        )
    if err.kind == "invalid_input":
        return HttpError(400, "InvalidInput", f"{resource} rejected the request: {err.message}")
    return HttpError(502, "UpstreamError", f"{resource} failed ({err.code}); retry later")


def ok(body: Any, status: int = 200) -> JsonResponse:
    return JsonResponse(status, body)


def parse_event(event: Any, request_id: str) -> Request:
    """The request in a REST API proxy event (payload format 1.0), read through Powertools'
    event source data class rather than by hand."""
    if not isinstance(event, dict):
        raise HttpError(400, "InvalidRequest", "the request event is not an object")
    proxy = APIGatewayProxyEvent(event)
    method = proxy.get("httpMethod")
    if not isinstance(method, str) or not method:
        raise HttpError(400, "InvalidRequest", "the request has no HTTP method")
    # `resource` is the route template API Gateway matched; `path` may carry a base path.
    path = _normalise_path(proxy.get("resource")) or _normalise_path(proxy.get("path")) or "/"
    # Header names are case-insensitive; read them lower-cased (the data class's own view
    # assumes every value is a string, which a hand-made event may break).
    raw_headers = proxy.get("headers")
    headers = {
        k.lower(): v
        for k, v in (raw_headers if isinstance(raw_headers, dict) else {}).items()
        if isinstance(k, str) and isinstance(v, str)
    }
    body = proxy.body
    return Request(
        method=method.upper(),
        path=path,
        query=_query(proxy),
        headers=headers,
        body=body if isinstance(body, str) else None,
        is_base64=proxy.get("isBase64Encoded") is True,
        request_id=request_id,
    )


def cors_headers() -> dict[str, str]:
    origin = os.environ.get(env.CORS_ALLOW_ORIGIN)
    return {"Access-Control-Allow-Origin": origin} if origin else {}


def _select(routes: list[Route], request: Request) -> Route | None:
    candidates = [r for r in routes if r.path == request.path]
    if not candidates:
        raise HttpError(404, "NotFound", f"no route {request.path}", field="path")
    live = [r for r in candidates if r.enabled()]
    if not live:
        raise HttpError(
            404, "NotConfigured", f"{request.path} is not configured in this deployment"
        )
    if request.method == "OPTIONS":
        return None
    for route in live:
        if route.method == request.method:
            return route
    allowed = ", ".join(sorted({r.method for r in live} | {"OPTIONS"}))
    raise HttpError(
        405,
        "MethodNotAllowed",
        f"{request.method} is not allowed on {request.path}; allowed: {allowed}",
        field="method",
        headers={"Allow": allowed},
    )


def _check_query(route: Route, request: Request) -> None:
    plain = {p.name for p in route.query if not p.deep_object}
    deep = [p.name for p in route.query if p.deep_object]
    for name in request.query:
        if name in plain or any(_deep_key(name, prefix) is not None for prefix in deep):
            continue
        allowed = sorted(plain | {f"{d}[KEY]" for d in deep})
        raise ValidationError(
            name,
            f"unknown query parameter {describe(name)} for {route.method} {route.path}; "
            f"allowed: {', '.join(allowed) or 'none'}",
            code="UnknownParameter",
        )


def _deep_key(name: str, prefix: str) -> str | None:
    if name.startswith(prefix + "[") and name.endswith("]") and len(name) > len(prefix) + 2:
        return name[len(prefix) + 1 : -1]
    if name.startswith(prefix + ".") and len(name) > len(prefix) + 1:
        return name[len(prefix) + 1 :]
    return None


def _query(proxy: APIGatewayProxyEvent) -> dict[str, list[str]]:
    """Every value of every query parameter: the multi-value view API Gateway gives, else the
    single-value one. (Not ``resolved_query_string_parameters``: without the multi-value view
    it splits values on commas, and a comma is a valid character in an id.)"""
    result: dict[str, list[str]] = {}
    for name, values in proxy.multi_value_query_string_parameters.items():
        kept = [v for v in values if isinstance(v, str)] if isinstance(values, list) else []
        if isinstance(name, str) and kept:
            result[name] = kept
    for name, value in proxy.query_string_parameters.items():
        if isinstance(name, str) and isinstance(value, str) and name not in result:
            result[name] = [value]
    return result


def _normalise_path(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return value.rstrip("/") or "/"


def _request_id(event: Any, context: Any) -> str:
    if isinstance(event, dict) and isinstance(event.get("requestContext"), dict):
        request_id = APIGatewayProxyEvent(event).request_context.request_id
        if isinstance(request_id, str):
            return request_id
    lambda_id = getattr(context, "aws_request_id", None)
    return lambda_id if isinstance(lambda_id, str) else "unknown"


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """RFC 8259 leaves duplicate names to the parser; taking the last silently would let two
    readers of one body disagree, so a repeated name is an error."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"duplicate key {describe(key)}")
        result[key] = value
    return result


def _check_values(document: Any) -> None:
    """Refuse what JSON can carry but the API cannot pass on: nesting deeper than MAX_DEPTH, and
    strings (values or names) holding unpaired UTF-16 surrogates (``"\\ud800"``), which no UTF-8
    encoder accepts and which would otherwise fail later, in the stream or service write."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth > MAX_DEPTH:
                raise HttpError(
                    400,
                    "InvalidBody",
                    f"the request body nests deeper than {MAX_DEPTH} levels",
                    field="body",
                )
            children = value.items() if isinstance(value, dict) else enumerate(value)
            for key, child in children:
                if isinstance(key, str) and has_surrogates(key):
                    raise _surrogate_error()
                stack.append((child, depth + 1))
        elif isinstance(value, str) and has_surrogates(value):
            raise _surrogate_error()


def _surrogate_error() -> HttpError:
    return HttpError(
        400,
        "InvalidBody",
        "the request body holds a string with an unpaired UTF-16 surrogate (not valid Unicode)",
        field="body",
    )


def _preflight_headers() -> dict[str, str]:
    headers = {
        "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
        "Access-Control-Allow-Headers": "Content-Type, Authorization, X-Api-Key",
        "Access-Control-Max-Age": "600",
    }
    return headers if cors_headers() else {}


def _render(response: JsonResponse) -> dict[str, Any]:
    headers = {"Content-Type": JSON_CONTENT_TYPE, **cors_headers(), **response.headers}
    body = "" if response.body is None else json.dumps(response.body, separators=(",", ":"))
    return {"statusCode": response.status, "headers": headers, "body": body}


def _render_error(err: HttpError, request_id: str) -> dict[str, Any]:
    detail: dict[str, Any] = {"code": err.code, "message": err.message}
    if err.field is not None:
        detail["field"] = err.field
    detail["requestId"] = request_id
    detail.update(err.extra)
    return _render(JsonResponse(err.status, {"error": detail}, err.headers))
