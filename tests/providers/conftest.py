"""One moto S3, one Personalize emulator and one provider host for the whole provider suite.

The host is a separate process started like the Pulumi CLI starts it; it reaches the emulator
through AWS_ENDPOINT_URL_PERSONALIZE and polls fast through PERSONALIZE_POLL_SCALE.
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import random
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest
from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]

from local.personalize_emulator import EmulatorServer, run_emulator
from local.provider_host import ProviderHost
from tests.conftest import ACCOUNT, AWS_ENV, REGION, ROOT

BUCKET = "provider-test-data"
INTERACTIONS_KEY = "interactions.csv"
ROLE_ARN = f"arn:aws:iam::{ACCOUNT}:role/personalize-test"
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
# Real defaults times 0.005: first poll after 25 ms, capped at 0.3 s; deletes give up after 18 s.
POLL_SCALE = "0.005"


def interactions_csv(users: int = 60, items: int = 80, per_user: int = 25) -> str:
    """Enough rows to train (>= 1000, >= 25 users with 2+ events), users preferring item groups."""
    rng = random.Random(7)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"])
    for u in range(users):
        liked = [i for i in range(items) if i % 4 == u % 4]
        for n in range(per_user):
            item = rng.choice(liked) if rng.random() < 0.8 else rng.randrange(items)
            event = "watch" if rng.random() < 0.5 else "click"
            writer.writerow([f"u{u:05d}", f"m{item:05d}", event, 1_700_000_000 + u * 1000 + n])
    return out.getvalue()


@pytest.fixture(scope="session", autouse=True)
def _aws_env(aws_env: None) -> None:
    """The session's fake credentials for every provider test (tests/conftest.py)."""


@pytest.fixture(scope="session")
def moto_url(moto_url: str) -> str:
    """The session's moto server, with the interactions the provider tests import."""
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=moto_url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=INTERACTIONS_KEY, Body=interactions_csv().encode())
    return moto_url


@pytest.fixture(scope="session")
def emulator(moto_url: str) -> Iterator[EmulatorServer]:
    with run_emulator(s3_endpoint_url=moto_url) as emu:
        yield emu


@pytest.fixture(scope="session")
def host(emulator: EmulatorServer) -> Iterator[ProviderHost]:
    with start_host(emulator) as running:
        yield running


def start_host(emulator: EmulatorServer) -> ProviderHost:
    """A provider host as the CLI starts it, aimed at the emulator, polling fast."""
    env = {
        **os.environ,
        **AWS_ENV,
        "AWS_ENDPOINT_URL_PERSONALIZE": emulator.url,
        "PERSONALIZE_POLL_SCALE": POLL_SCALE,
    }
    # No credentials or config files of the machine leak into the provider process.
    env.pop("AWS_PROFILE", None)
    return ProviderHost(ROOT, env=env, config={"aws:region": REGION})


@pytest.fixture(scope="session")
def pz(emulator: EmulatorServer) -> Any:
    """A boto3 client on the emulator for setting up and inspecting, without retries."""
    return boto3.client(
        "personalize",
        region_name=REGION,
        endpoint_url=emulator.url,
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )


_counter = itertools.count(1)


@pytest.fixture
def unique() -> str:
    """A name prefix no other test uses (one emulator serves the whole test run)."""
    return f"t{next(_counter):03d}"
