"""boto3 clients shared by every invocation of a container.

boto3 is imported on first use, not at module import: importing boto3 costs ~0.3 s, and keeping it
out of module import lets tooling (route tables, tests) load the handlers cheaply. Either way a cold
container pays it once; warm invocations reuse the cached client.

Endpoints come from the standard ``AWS_ENDPOINT_URL_<SERVICE>`` variables and the retry budget from
``AWS_MAX_ATTEMPTS`` (botocore reads both), so the same code runs against AWS and local servers.
"""

from __future__ import annotations

import threading
from typing import Any

# Timeouts sized for Lambda: a hung connection must fail well inside the function timeout (and the
# 29 s API Gateway limit) so the caller gets a mapped error instead of a timeout.
_TIMEOUTS: dict[str, tuple[float, float]] = {
    # service: (connect timeout, read timeout) in seconds
    "personalize-runtime": (2.0, 5.0),
    "personalize-events": (2.0, 10.0),
    "kinesis": (2.0, 5.0),
    "sqs": (2.0, 5.0),
}

_clients: dict[str, Any] = {}
_session: Any = None  # one boto3 session: its loader caches service models across clients
_lock = threading.Lock()


def client(service: str) -> Any:
    """Return the container's client for ``service``, creating it on first use."""
    found = _clients.get(service)
    if found is not None:
        return found
    with _lock:
        found = _clients.get(service)
        if found is None:
            found = _make_client(service)
            _clients[service] = found
        return found


def _make_client(service: str) -> Any:
    global _session  # noqa: PLW0603 - the container-wide cache this module exists for
    # Deferred on purpose, see the module docstring.
    import boto3  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415
    from botocore.config import Config  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415

    connect_timeout, read_timeout = _TIMEOUTS.get(service, (2.0, 5.0))
    config = Config(
        connect_timeout=connect_timeout,
        read_timeout=read_timeout,
        # "standard" retries throttling and 5xx with jittered backoff; the attempt count is left
        # to AWS_MAX_ATTEMPTS (default 3) so it can be tuned per function without a code change.
        retries={"mode": "standard"},
        max_pool_connections=10,
    )
    if _session is None:
        _session = boto3.session.Session()
    return _session.client(service, config=config)


def reset_clients() -> None:
    """Forget cached clients (tests point the handlers at fresh local endpoints)."""
    with _lock:
        _clients.clear()
