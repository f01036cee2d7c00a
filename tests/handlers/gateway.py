"""A local stand-in for API Gateway (REST API, Lambda proxy integration) in front of the handlers.

It serves HTTP on loopback the way the deployed stage does, so a contract fuzzer can drive the
real handlers over the wire:

- routes are the contract's operations (``handlers.contract.OPERATIONS``) enabled by the
  functions' environment, under ``/<stage>``; anything else is API Gateway's 403
  MISSING_AUTHENTICATION_TOKEN, checked before the API key, as API Gateway does;
- the API key (``x-api-key``) is required on every route (INVALID_API_KEY, 403);
- the payload limits: 10 MB for API Gateway (REQUEST_TOO_LARGE, 413) and 6 MB for the Lambda
  invocation (the same 413: no page says what API Gateway answers; see docs/aws-assumptions.md);
- an optional token bucket for stage throttling (THROTTLED, 429 with Retry-After);
- each gateway error rendered by the template the stack deploys (``contract.gateway_template``);
- each function invoked with its own environment (as the program sets it), with the payload
  format 1.0 proxy event, and its answer checked as API Gateway checks a proxy response (a
  malformed one, or an exception, is a 502 ``{"message": "Internal server error"}``).
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.serving import BaseWSGIServer, make_server

from handlers import aws, contract
from local.lambda_events import LambdaContext
from tests.conftest import serving

GATEWAY = {r.type: r for r in contract.GATEWAY_RESPONSES}
# API Gateway's own messages (what $context.error.messageString holds) for the types we emulate.
MESSAGES = {
    "MISSING_AUTHENTICATION_TOKEN": "Missing Authentication Token",
    "INVALID_API_KEY": "Forbidden",
    "THROTTLED": "Too Many Requests",
    "REQUEST_TOO_LARGE": "Request Too Long",
}


@dataclass
class Function:
    module: str
    environment: Mapping[str, str]
    handler: Callable[[dict[str, Any], Any], dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.handler = importlib.import_module(f"handlers.{self.module}").handler


@dataclass
class TokenBucket:
    rate: float
    burst: int
    tokens: float = 0.0
    stamp: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.tokens = float(self.burst)

    def take(self) -> bool:
        now = time.monotonic()
        self.tokens = min(self.burst, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens < 1:
            return False
        self.tokens -= 1
        return True


@dataclass
class Gateway:
    """The WSGI application: one stage of the REST API."""

    functions: Mapping[str, Function]  # by handlers module
    api_key: str
    stage: str = "local"
    throttle: TokenBucket | None = None
    log: list[tuple[str, str, int, Any]] = field(default_factory=list)  # method, path, status, body
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def routes(self) -> dict[tuple[str, str], contract.Operation]:
        found = {}
        for op in contract.OPERATIONS:
            function = self.functions.get(op.module)
            if function is None:
                continue
            if op.enabled_by is None or function.environment.get(op.enabled_by):
                found[(op.method, op.path)] = op
        return found

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            status, headers, body = self.handle(environ)
        reason = {200: "OK"}.get(status, "")
        start_response(f"{status} {reason}".strip(), list(headers.items()))
        return [body]

    def handle(self, environ: dict[str, Any]) -> tuple[int, dict[str, str], bytes]:
        request_id = str(uuid.uuid4())
        method = environ["REQUEST_METHOD"].upper()
        path = environ.get("PATH_INFO", "")
        length = int(environ.get("CONTENT_LENGTH") or 0)
        if length > contract.GATEWAY_PAYLOAD_MAX:
            return self.error("REQUEST_TOO_LARGE", request_id)
        raw = environ["wsgi.input"].read(length) if length else b""
        prefix = f"/{self.stage}"
        resource = path[len(prefix) :] if path.startswith(prefix + "/") else None
        if resource is not None:
            resource = resource.rstrip("/") or "/"
        operation = self.routes().get((method, resource or ""))
        if operation is None:
            return self.error("MISSING_AUTHENTICATION_TOKEN", request_id)
        if environ.get("HTTP_X_API_KEY") != self.api_key:
            return self.error("INVALID_API_KEY", request_id)
        if self.throttle is not None and not self.throttle.take():
            return self.error("THROTTLED", request_id)
        event = proxy_event(environ, operation, raw, self.stage, request_id)
        if len(json.dumps(event).encode()) > contract.LAMBDA_PAYLOAD_MAX:
            return self.error("REQUEST_TOO_LARGE", request_id)
        function = self.functions[operation.module]
        try:
            managed = {k for f in self.functions.values() for k in f.environment}
            with function_environment(function.environment, managed):
                answer = function.handler(event, LambdaContext())
            status, headers, body = proxy_response(answer)
        except Exception:  # API Gateway's answer to a failed invocation or bad proxy response
            status, headers = 502, {"Content-Type": "application/json"}
            body = b'{"message": "Internal server error"}'
        self.log.append((method, resource or path, status, _parse(body)))
        return status, headers, body

    def error(self, kind: str, request_id: str) -> tuple[int, dict[str, str], bytes]:
        response = GATEWAY[kind]
        body = contract.gateway_error(response, MESSAGES[kind], request_id)
        headers = {"Content-Type": "application/json", "x-amzn-ErrorType": kind}
        if response.retry_after is not None:
            headers["Retry-After"] = str(response.retry_after)
        return response.status, headers, json.dumps(body).encode()


def proxy_event(
    environ: Mapping[str, Any],
    operation: contract.Operation,
    raw: bytes,
    stage: str,
    request_id: str,
) -> dict[str, Any]:
    """The payload format 1.0 event API Gateway sends a Lambda proxy integration."""
    headers: dict[str, str] = {}
    for key, value in environ.items():
        if key.startswith("HTTP_"):
            headers[key[5:].replace("_", "-").title()] = value
    if environ.get("CONTENT_TYPE"):
        headers["Content-Type"] = environ["CONTENT_TYPE"]
    # Query strings are percent-decoded as UTF-8; invalid sequences become U+FFFD.
    query = urlsplit("?" + environ.get("QUERY_STRING", "")).query
    multi: dict[str, list[str]] = {}
    for name, value in parse_qsl(query, keep_blank_values=True, errors="replace"):
        multi.setdefault(name, []).append(value)
    body: str | None = None
    encoded = False
    if raw:
        try:
            body = raw.decode("utf-8")
        except UnicodeDecodeError:
            # Not text: handed over base64-encoded (the handlers then refuse it as not UTF-8).
            body, encoded = base64.b64encode(raw).decode(), True
    return {
        "resource": operation.path,
        "path": operation.path,
        "httpMethod": operation.method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": {k: v[-1] for k, v in multi.items()} or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": operation.path,
            "httpMethod": operation.method,
            "requestId": request_id,
            "stage": stage,
            "identity": {"apiKey": headers.get("X-Api-Key")},
        },
        "body": body,
        "isBase64Encoded": encoded,
    }


def proxy_response(answer: Any) -> tuple[int, dict[str, str], bytes]:
    """Check a function's answer as API Gateway does, and turn it into an HTTP response."""
    if not isinstance(answer, dict) or not isinstance(answer.get("statusCode"), int):
        raise ValueError("malformed Lambda proxy response")
    headers = answer.get("headers") or {}
    body = answer.get("body") or ""
    if not isinstance(headers, dict) or not isinstance(body, str):
        raise ValueError("malformed Lambda proxy response")
    data = base64.b64decode(body) if answer.get("isBase64Encoded") else body.encode("utf-8")
    if len(data) > contract.LAMBDA_PAYLOAD_MAX:
        raise ValueError("response over the Lambda payload limit")
    return int(answer["statusCode"]), {str(k): str(v) for k, v in headers.items()}, data


@contextlib.contextmanager
def function_environment(variables: Mapping[str, str], managed: set[str]) -> Iterator[None]:
    """Run with one function's environment: its variables set, every other function's unset.

    The rest of the process environment stays (loopback servers in this process read it).
    """
    saved = {k: os.environ.get(k) for k in managed | set(variables)}
    for key in managed:
        os.environ.pop(key, None)
    os.environ.update(variables)
    aws.reset_clients()
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        aws.reset_clients()


@contextlib.contextmanager
def serve(gateway: Gateway) -> Iterator[str]:
    """Serve ``gateway`` on a loopback port; yields the stage URL."""
    server: BaseWSGIServer = make_server("127.0.0.1", 0, gateway, threaded=False)
    with serving(server) as url:
        yield f"{url}/{gateway.stage}"


def _parse(body: bytes) -> Any:
    try:
        return json.loads(body) if body else None
    except ValueError:
        return body
