"""Fixtures: moto S3 on a loopback port, a fresh emulator per test, boto3 clients aimed at both."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest
from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
from moto.server import ThreadedMotoServer

from local.personalize_emulator import EmulatorServer, run_emulator

from .helpers import Synthetic, synthetic

REGION = "us-east-1"
BUCKET = "emulator-test-data"
# No retries: a test that injects a fault sees exactly the failures it asked for.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="session", autouse=True)
def aws_credentials() -> Iterator[None]:
    saved = {
        k: os.environ.get(k)
        for k in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION")
    }
    os.environ.update(
        AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_DEFAULT_REGION=REGION
    )
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=url)
    s3.create_bucket(Bucket=BUCKET)
    yield url
    server.stop()


@pytest.fixture
def emulator(moto_url: str) -> Iterator[EmulatorServer]:
    with run_emulator(s3_endpoint_url=moto_url) as emu:
        yield emu


@dataclass
class Clients:
    pz: Any
    events: Any
    runtime: Any
    s3: Any


@pytest.fixture
def clients(emulator: EmulatorServer, moto_url: str) -> Clients:
    def make(service: str, url: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=url, config=NO_RETRY)

    return Clients(
        make("personalize", emulator.url),
        make("personalize-events", emulator.url),
        make("personalize-runtime", emulator.url),
        make("s3", moto_url),
    )


@pytest.fixture(scope="session")
def data() -> Synthetic:
    return synthetic()
