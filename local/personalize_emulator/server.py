"""HTTP front end: wire protocols, routing, admin endpoints and the in-process helpers.

One port serves all three APIs: JSON 1.1 control-plane calls carry ``X-Amz-Target:
AmazonPersonalize.<Operation>``; events and runtime calls are REST-JSON, routed by method and path
as the botocore models declare them. ``/_emulator/*`` is the test-control API.
"""

from __future__ import annotations

import json
import re
import threading
import urllib.request
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from . import spec
from .backend import DEFAULT_ACCOUNT, Backend
from .errors import InjectedError, ServiceError
from .lifecycle import KINDS, Steps, Timing
from .resources import Options

DEFAULT_REGION = "us-east-1"
_CREDENTIAL = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/")


def region_of(authorization: str | None) -> str:
    """The region from a SigV4 Authorization header's credential scope."""
    match = _CREDENTIAL.search(authorization or "")
    return match.group(1) if match else DEFAULT_REGION


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in separate writes; without this, delayed ACKs add ~40 ms a call.
    disable_nagle_algorithm = True
    server: _HTTPServer

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: tests read call counts from the admin API instead."""

    def do_GET(self) -> None:
        self._dispatch()

    def do_POST(self) -> None:
        self._dispatch()

    def do_PUT(self) -> None:
        self._dispatch()

    def do_DELETE(self) -> None:
        self._dispatch()

    def _send(
        self,
        status: int,
        body: dict[str, Any] | None,
        content_type: str,
        headers: Mapping[str, str] = {},
    ) -> None:
        payload = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(payload)))
        self.send_header("x-amzn-RequestId", str(uuid.uuid4()))
        for key, value in headers.items():
            self.send_header(key, value)
        self.end_headers()
        self.wfile.write(payload)

    def _error(self, error: ServiceError, service: str, content_type: str) -> None:
        status = error.status
        if service != spec.CONTROL and not isinstance(error, InjectedError):
            status = spec.error_status(service, error.code, error.status)
        body = {"__type": error.code, "message": error.message}
        if service != spec.CONTROL:
            body["code"] = error.code
        self._send(status, body, content_type, {"x-amzn-ErrorType": f"{error.code}:"})

    def _dispatch(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        if path.startswith("/_emulator/"):
            self._admin(path, raw)
            return
        target = self.headers.get("X-Amz-Target")
        if target:
            service, content_type = spec.CONTROL, "application/x-amz-json-1.1"
            operation = (
                target[len(spec.TARGET_PREFIX) :] if target.startswith(spec.TARGET_PREFIX) else ""
            )
        else:
            content_type = "application/json"
            route = spec.rest_routes().get((self.command, path))
            if route is None:
                self._send(
                    404,
                    {
                        "__type": "UnknownOperationException",
                        "message": f"No route for {self.command} {path}",
                    },
                    content_type,
                    {"x-amzn-ErrorType": "UnknownOperationException:"},
                )
                return
            service, operation = route
        try:
            params = json.loads(raw) if raw else {}
            if not isinstance(params, dict):
                raise ValueError("body must be a JSON object")
        except ValueError as exc:
            self._send(
                400,
                {
                    "__type": "SerializationException",
                    "message": f"Request body is not valid JSON: {exc}",
                },
                content_type,
                {"x-amzn-ErrorType": "SerializationException:"},
            )
            return
        region = region_of(self.headers.get("Authorization"))
        try:
            result = self.server.backend.handle(service, operation, params, region)
        except ServiceError as error:
            self._error(error, service, content_type)
            return
        except Exception as exc:  # an emulator bug must surface as a 500, not a hung client
            self._send(
                500,
                {"__type": "InternalFailure", "message": f"{type(exc).__name__}: {exc}"},
                content_type,
                {"x-amzn-ErrorType": "InternalFailure:"},
            )
            return
        self._send(200, result, content_type)

    def _admin(self, path: str, raw: bytes) -> None:
        backend = self.server.backend
        kind = "application/json"
        try:
            body = json.loads(raw) if raw else {}
            action = (self.command, path.rstrip("/"))
            if action == ("GET", "/_emulator/health"):
                self._send(200, {"status": "ok"}, kind)
            elif action == ("GET", "/_emulator/resources"):
                self._send(200, {"resources": backend.live_resources()}, kind)
            elif action == ("GET", "/_emulator/calls"):
                self._send(200, {"calls": backend.call_counts()}, kind)
            elif action == ("POST", "/_emulator/reset"):
                backend.reset()
                self._send(200, {}, kind)
            elif action == ("POST", "/_emulator/faults"):
                backend.fail_next(
                    body["operation"],
                    int(body.get("count", 1)),
                    body.get("errorCode", "ThrottlingException"),
                )
                self._send(200, {}, kind)
            elif action == ("POST", "/_emulator/creation-faults"):
                backend.fail_creation(body["target"], body.get("reason", "Injected failure"))
                self._send(200, {}, kind)
            elif action == ("POST", "/_emulator/time"):
                backend.advance_time(float(body["advance"]))
                self._send(200, {}, kind)
            else:
                self._send(404, {"message": f"unknown admin endpoint {self.command} {path}"}, kind)
        except (KeyError, ValueError, TypeError) as exc:
            self._send(400, {"message": f"bad admin request: {exc!r}"}, kind)


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, address: tuple[str, int], backend: Backend) -> None:
        super().__init__(address, _Handler)
        self.backend = backend


def make_timing(
    time_scale: float = 1.0,
    profile: str = "test",
    durations: Mapping[str, tuple[float, float] | Steps] | None = None,
) -> Timing:
    """A Timing from a profile, a scale and optional per-kind (pending, in_progress) seconds."""
    overrides = {
        k: v if isinstance(v, Steps) else Steps(float(v[0]), float(v[1]))
        for k, v in (durations or {}).items()
    }
    return Timing(profile=profile, time_scale=time_scale, overrides=overrides)


class EmulatorServer:
    """The emulator on a loopback port, with the test controls of its backend."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        time_scale: float = 1.0,
        profile: str = "test",
        durations: Mapping[str, tuple[float, float] | Steps] | None = None,
        account_id: str = DEFAULT_ACCOUNT,
        s3_endpoint_url: str | None = None,
        backend: Backend | None = None,
        options: Options | None = None,
    ) -> None:
        self.backend = backend or Backend(
            make_timing(time_scale, profile, durations),
            account_id=account_id,
            s3_endpoint_url=s3_endpoint_url,
            options=options,
        )
        self._httpd = _HTTPServer((host, port), self.backend)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def port(self) -> int:
        return int(self._httpd.server_address[1])

    def start(self) -> EmulatorServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="personalize-emulator",
            daemon=True,
        )
        self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._httpd.serve_forever()

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    # Test controls, delegated so tests need not reach into the backend.
    def fail_next(
        self, operation: str, count: int = 1, error_code: str | int = "ThrottlingException"
    ) -> None:
        self.backend.fail_next(operation, count, error_code)

    def fail_creation(self, target: str, reason: str = "Injected failure") -> None:
        self.backend.fail_creation(target, reason)

    def live_resources(self) -> list[str]:
        return self.backend.live_resources()

    def call_counts(self) -> dict[str, int]:
        return self.backend.call_counts()

    def reset(self) -> None:
        self.backend.reset()

    def advance_time(self, seconds: float) -> None:
        self.backend.advance_time(seconds)

    @contextmanager
    def step_durations(self, durations: Mapping[str, Steps]) -> Iterator[None]:
        """Within the block, resources of these kinds take these step durations.

        For a test that needs a training still running when it acts, or a chain of many
        deploys to pass in milliseconds; the previous durations come back afterwards.
        """
        unknown = set(durations) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds {sorted(unknown)}; kinds are {', '.join(KINDS)}")
        overrides = self.backend.timing.overrides
        saved = dict(overrides)
        overrides.update(durations)
        try:
            yield
        finally:
            overrides.clear()
            overrides.update(saved)

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3's three Personalize clients here."""
        return {
            "AWS_ENDPOINT_URL_PERSONALIZE": self.url,
            "AWS_ENDPOINT_URL_PERSONALIZE_EVENTS": self.url,
            "AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME": self.url,
        }


@contextmanager
def run_emulator(
    host: str = "127.0.0.1",
    port: int = 0,
    *,
    time_scale: float = 1.0,
    profile: str = "test",
    durations: Mapping[str, tuple[float, float] | Steps] | None = None,
    account_id: str = DEFAULT_ACCOUNT,
    s3_endpoint_url: str | None = None,
    options: Options | None = None,
) -> Iterator[EmulatorServer]:
    """Serve the emulator on a free loopback port for the duration of a with-block."""
    server = EmulatorServer(
        host,
        port,
        time_scale=time_scale,
        profile=profile,
        durations=durations,
        account_id=account_id,
        s3_endpoint_url=s3_endpoint_url,
        options=options,
    ).start()
    try:
        yield server
    finally:
        server.stop()


class RemoteEmulator:
    """The same test controls for an emulator running in another process, over /_emulator/*."""

    def __init__(self, url: str, timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(
            f"{self.url}/_emulator/{path}",
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=self.timeout) as response:
            result: dict[str, Any] = json.loads(response.read() or b"{}")
            return result

    def fail_next(
        self, operation: str, count: int = 1, error_code: str | int = "ThrottlingException"
    ) -> None:
        self._call(
            "POST", "faults", {"operation": operation, "count": count, "errorCode": error_code}
        )

    def fail_creation(self, target: str, reason: str = "Injected failure") -> None:
        self._call("POST", "creation-faults", {"target": target, "reason": reason})

    def live_resources(self) -> list[str]:
        return list(self._call("GET", "resources")["resources"])

    def call_counts(self) -> dict[str, int]:
        return dict(self._call("GET", "calls")["calls"])

    def reset(self) -> None:
        self._call("POST", "reset", {})

    def advance_time(self, seconds: float) -> None:
        self._call("POST", "time", {"advance": seconds})

    def healthy(self) -> bool:
        try:
            return self._call("GET", "health").get("status") == "ok"
        except OSError:
            return False
