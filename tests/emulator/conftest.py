"""Fixtures: the session's moto S3, a fresh emulator per test, boto3 clients aimed at both."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest
from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]

from local.personalize_emulator import EmulatorServer, run_emulator
from tests.conftest import REGION

from .helpers import Synthetic, synthetic

BUCKET = "emulator-test-data"
# No retries: a test that injects a fault sees exactly the failures it asked for.
NO_RETRY = Config(retries={"total_max_attempts": 1, "mode": "standard"})


@pytest.fixture(scope="session", autouse=True)
def _aws_env(aws_env: None) -> None:
    """The session's fake credentials (tests/conftest.py): the emulator reads S3 with them."""


@pytest.fixture(scope="session")
def moto_url(moto_url: str) -> str:
    """The session's moto server, with the bucket the emulator tests import from."""
    boto3.client("s3", region_name=REGION, endpoint_url=moto_url).create_bucket(Bucket=BUCKET)
    return moto_url


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


def make_clients(emulator_url: str, moto_url: str) -> Clients:
    """The three Personalize clients on an emulator and S3 on moto, none of them retrying."""

    def make(service: str, url: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=url, config=NO_RETRY)

    return Clients(
        make("personalize", emulator_url),
        make("personalize-events", emulator_url),
        make("personalize-runtime", emulator_url),
        make("s3", moto_url),
    )


@pytest.fixture
def clients(emulator: EmulatorServer, moto_url: str) -> Clients:
    return make_clients(emulator.url, moto_url)


@pytest.fixture(scope="session")
def data() -> Synthetic:
    return synthetic()
