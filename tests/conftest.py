"""Fixtures and facts shared by every test directory.

The dataset schemas are the program's own files in data/schemas/, read here once, so a test and
the deployment can never disagree about a field. Local AWS (fake credentials, one moto server on
a loopback port) is started once per session for the directories that ask for it.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest

from local.pulumi_pickle import sdk_pickle_patch_undone

ROOT = Path(__file__).resolve().parents[1]
SCHEMAS = ROOT / "data" / "schemas"
REGION = "us-east-1"
ACCOUNT = "123456789012"
# Fake keys and one region: the SDK clients of the tests and of the emulator sign with these.
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def schema_text(name: str) -> str:
    """The Avro schema the program deploys for a dataset (``interactions``, ``items``, ``users``)."""
    return (SCHEMAS / f"{name}.avsc").read_text(encoding="utf-8")


INTERACTIONS_SCHEMA = schema_text("interactions")
ITEMS_SCHEMA = schema_text("items")
USERS_SCHEMA = schema_text("users")
# Expected values the tests state themselves rather than import from the code they check
# (components/config.py and local/rehearsal.py name the same sets), so a change there is caught.
# The metrics GetSolutionMetrics reports for a solution version; the API types them only as a
# map, the names are from
# https://docs.aws.amazon.com/personalize/latest/dg/working-with-training-metrics.html
SOLUTION_METRICS = frozenset(
    {
        "coverage",
        "mean_reciprocal_rank_at_25",
        "normalized_discounted_cumulative_gain_at_5",
        "normalized_discounted_cumulative_gain_at_10",
        "normalized_discounted_cumulative_gain_at_25",
        "precision_at_5",
        "precision_at_10",
        "precision_at_25",
    }
)
# The Personalize kinds the program declares as dynamic resources.
PERSONALIZE_KINDS = (
    "DatasetGroup",
    "Schema",
    "Dataset",
    "DatasetImportJob",
    "Solution",
    "SolutionVersion",
    "Campaign",
    "EventTracker",
    "Filter",
)


class JsonApi(BaseHTTPRequestHandler):
    """A quiet stand-in HTTP API that answers JSON; subclasses say what GET and POST do."""

    def do_GET(self) -> None:
        self.on_get()

    def do_POST(self) -> None:
        self.on_post()

    def on_get(self) -> None:
        self._answer(405, {"error": "GET"})

    def on_post(self) -> None:
        self._answer(405, {"error": "POST"})

    def _answer(self, status: int, body: Any) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def serving(server: HTTPServer) -> Iterator[str]:
    """Serve from ``server`` (bound to a loopback port) on a thread; yields its base URL."""
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(autouse=True)
def _pulumi_pickler_unwrapped() -> Iterator[None]:
    """Each test starts from the pickler's own methods: a program run under mocks serializes every
    dynamic resource it registers, and the SDK's serializer leaves a wrapper behind each time."""
    with sdk_pickle_patch_undone():
        yield


@pytest.fixture(scope="session")
def aws_env() -> Iterator[None]:
    """Fake credentials and region for the rest of the session (a directory's conftest opts in)."""
    with pytest.MonkeyPatch.context() as patch:
        for name, value in AWS_ENV.items():
            patch.setenv(name, value)
        yield


@pytest.fixture(scope="session")
def moto_url(aws_env: None) -> Iterator[str]:
    """One moto server for the session; each directory keeps to its own buckets and names."""
    # Imported here: the directories that never ask for moto do not pay for loading it.
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()
