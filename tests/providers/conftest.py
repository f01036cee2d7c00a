"""One moto S3, one Personalize emulator and one provider host for the whole provider suite.

The host is a separate process started like the Pulumi CLI starts it; it reaches the emulator
through AWS_ENDPOINT_URL_PERSONALIZE and polls fast through PERSONALIZE_POLL_SCALE.
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import random
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest
from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]
from moto.server import ThreadedMotoServer

from local.personalize_emulator import EmulatorServer, run_emulator
from local.provider_host import ProviderHost

ROOT = Path(__file__).resolve().parents[2]
REGION = "us-east-1"
BUCKET = "provider-test-data"
INTERACTIONS_KEY = "interactions.csv"
ROLE_ARN = "arn:aws:iam::123456789012:role/personalize-test"
RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}
# Real defaults times 0.005: first poll after 25 ms, capped at 0.3 s; deletes give up after 18 s.
POLL_SCALE = "0.005"

INTERACTIONS_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Interactions",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "USER_ID", "type": "string"},
            {"name": "ITEM_ID", "type": "string"},
            {"name": "EVENT_TYPE", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
        ],
        "version": "1.0",
    }
)


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
def aws_env() -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in AWS_ENV}
    os.environ.update(AWS_ENV)
    yield
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture(scope="session")
def moto_url(aws_env: None) -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    url = f"http://{host}:{port}"
    s3 = boto3.client("s3", region_name=REGION, endpoint_url=url)
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key=INTERACTIONS_KEY, Body=interactions_csv().encode())
    yield url
    server.stop()


@pytest.fixture(scope="session")
def emulator(moto_url: str) -> Iterator[EmulatorServer]:
    with run_emulator(s3_endpoint_url=moto_url) as emu:
        yield emu


@pytest.fixture(scope="session")
def host(emulator: EmulatorServer) -> Iterator[ProviderHost]:
    env = {
        **os.environ,
        **AWS_ENV,
        "AWS_ENDPOINT_URL_PERSONALIZE": emulator.url,
        "PERSONALIZE_POLL_SCALE": POLL_SCALE,
    }
    # No credentials or config files of the machine leak into the provider process.
    env.pop("AWS_PROFILE", None)
    with ProviderHost(ROOT, env=env, config={"aws:region": REGION}) as running:
        yield running


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
