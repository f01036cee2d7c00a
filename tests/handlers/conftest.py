"""Fixtures for the handler tests.

Local AWS for the handlers: the session's moto server (tests/conftest.py) for S3, Kinesis and SQS,
and the project's Personalize emulator with a small trained deployment (campaigns for
recommendations, ranking and similar items, an event tracker, a genre filter, items and users
datasets) built once per session through the real control-plane API.
"""

from __future__ import annotations

import csv
import io
import json
import random
import socket
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest

from components.model import NEW_ITEMS_FILTER_EXPRESSION
from handlers import aws
from local.lambda_events import LambdaContext, kinesis_event
from tests.conftest import (
    ACCOUNT,
    AWS_ENV,
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    REGION,
    USERS_SCHEMA,
)

GENRES = ["Action", "Comedy", "Drama", "Horror", "Romance"]
RECIPE = "arn:aws:personalize:::recipe/"
BASE_TIME = 1_700_000_000


# The session's fake keys, given to the test's own clients explicitly.
CLIENT_ARGS = {
    "region_name": REGION,
    "aws_access_key_id": AWS_ENV["AWS_ACCESS_KEY_ID"],
    "aws_secret_access_key": AWS_ENV["AWS_SECRET_ACCESS_KEY"],
}


def call(handler: Callable[..., dict[str, Any]], event: dict[str, Any]) -> tuple[int, Any, dict]:
    """Invoke a handler; returns (status, parsed JSON body or None, headers)."""
    response = handler(event, LambdaContext())
    body = json.loads(response["body"]) if response["body"] else None
    return response["statusCode"], body, response["headers"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="session", autouse=True)
def _aws_credentials(aws_env: None) -> None:
    """Session-wide fake credentials: the emulator reads S3 with the default chain."""


@pytest.fixture(autouse=True)
def _aws_test_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fake credentials, one region, no SDK retries (a test sees exactly the faults it injects)."""
    for name, value in AWS_ENV.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "1")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "handlers-test")
    for name in (
        "CORS_ALLOW_ORIGIN",
        "STREAM_NAME",
        "TRACKING_ID",
        "DLQ_URL",
        "RECOMMENDATIONS_CAMPAIGN_ARN",
        "RANKING_CAMPAIGN_ARN",
        "SIMILAR_ITEMS_CAMPAIGN_ARN",
        "FILTER_ARNS",
        "ITEMS_DATASET_ARN",
        "USERS_DATASET_ARN",
        "ITEMS_SCHEMA",
        "USERS_SCHEMA",
    ):
        monkeypatch.delenv(name, raising=False)
    aws.reset_clients()
    yield
    aws.reset_clients()


@dataclass
class Catalogue:
    items: dict[str, str]  # item id -> genre
    users: list[str]
    interactions: list[tuple[str, str, str, int]]

    def csv(self, rows: list[tuple[Any, ...]], header: list[str]) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        return out.getvalue()


def catalogue() -> Catalogue:
    rng = random.Random(7)
    items = {f"m{i:05d}": GENRES[i % len(GENRES)] for i in range(1, 121)}
    users = [f"u{i:05d}" for i in range(1, 41)]
    interactions = []
    for n, user in enumerate(users):
        liked = GENRES[n % len(GENRES)]
        pool = [i for i, g in items.items() if g == liked]
        for k in range(30):
            item = rng.choice(pool if rng.random() < 0.8 else list(items))
            interactions.append((user, item, rng.choice(["click", "watch"]), BASE_TIME + k * 60))
    return Catalogue(items, users, interactions)


@dataclass
class Deployment:
    """The emulated Personalize resources the handlers are configured with."""

    emulator: Any
    moto_url: str
    dataset_group_arn: str
    recommendations_campaign_arn: str
    ranking_campaign_arn: str
    similar_items_campaign_arn: str
    tracking_id: str
    filter_arns: dict[str, str]
    items_dataset_arn: str
    users_dataset_arn: str
    data: Catalogue
    # The program's new-items filter (Items.CREATION_TIMESTAMP > $CUTOFF), for promotions.
    promotion_filter_arn: str = ""

    def put_events_calls(self) -> int:
        return int(self.emulator.call_counts().get("PutEvents", 0))

    def interactions(self) -> list[Any]:
        """Interactions the emulator received through PutEvents (deduplicated as the service)."""
        return list(self.emulator.backend.events.get(self.dataset_group_arn, []))


def _wait_active(emu: Any, ps: Any, kind: str, arn: str) -> None:
    """Poll Describe<Kind> until ACTIVE, moving the emulator's clock instead of sleeping."""
    operation = "".join(w.title() for w in kind.split("_"))
    key = operation[0].lower() + operation[1:]
    what = f"{kind} {arn}"
    for _ in range(400):
        view = getattr(ps, f"describe_{kind}")(**{f"{key}Arn": arn})[key]
        status = view["status"]
        if status == "ACTIVE":
            return
        if "FAILED" in status:
            raise AssertionError(f"{what} failed: {view.get('failureReason')}")
        emu.advance_time(0.5)
        time.sleep(0.005)
    raise AssertionError(f"{what} did not become ACTIVE")


@pytest.fixture(scope="session")
def deployment(moto_url: str) -> Iterator[Deployment]:
    from local.personalize_emulator import run_emulator

    s3 = boto3.client("s3", endpoint_url=moto_url, **CLIENT_ARGS)
    data = catalogue()
    s3.create_bucket(Bucket="handlers-data")
    s3.put_object(
        Bucket="handlers-data",
        Key="interactions.csv",
        Body=data.csv(data.interactions, ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"]),
    )
    item_rows = [(i, g, 1990 + n % 30, BASE_TIME) for n, (i, g) in enumerate(data.items.items())]
    s3.put_object(
        Bucket="handlers-data",
        Key="items.csv",
        Body=data.csv(item_rows, ["ITEM_ID", "GENRES", "YEAR", "CREATION_TIMESTAMP"]),
    )
    role = f"arn:aws:iam::{ACCOUNT}:role/personalize"
    with run_emulator(s3_endpoint_url=moto_url) as emu:
        ps = boto3.client("personalize", endpoint_url=emu.url, **CLIENT_ARGS)
        group = ps.create_dataset_group(name="handlers")["datasetGroupArn"]
        _wait_active(emu, ps, "dataset_group", group)
        datasets = {}
        for kind, schema in (
            ("Interactions", INTERACTIONS_SCHEMA),
            ("Items", ITEMS_SCHEMA),
            ("Users", USERS_SCHEMA),
        ):
            schema_arn = ps.create_schema(name=f"handlers-{kind.lower()}", schema=schema)[
                "schemaArn"
            ]
            arn = ps.create_dataset(
                name=f"handlers-{kind.lower()}",
                datasetGroupArn=group,
                datasetType=kind,
                schemaArn=schema_arn,
            )["datasetArn"]
            _wait_active(emu, ps, "dataset", arn)
            datasets[kind] = arn
        for kind, key in (("Interactions", "interactions.csv"), ("Items", "items.csv")):
            job = ps.create_dataset_import_job(
                jobName=f"handlers-{kind.lower()}",
                datasetArn=datasets[kind],
                dataSource={"dataLocation": f"s3://handlers-data/{key}"},
                roleArn=role,
            )["datasetImportJobArn"]
            _wait_active(emu, ps, "dataset_import_job", job)
        campaigns = {}
        for name, recipe in (
            ("recs", "aws-user-personalization"),
            ("rank", "aws-personalized-ranking"),
            ("sims", "aws-similar-items"),
        ):
            solution = ps.create_solution(
                name=f"handlers-{name}",
                datasetGroupArn=group,
                recipeArn=RECIPE + recipe,
                performAutoTraining=False,
            )["solutionArn"]
            _wait_active(emu, ps, "solution", solution)
            version = ps.create_solution_version(solutionArn=solution)["solutionVersionArn"]
            _wait_active(emu, ps, "solution_version", version)
            # Recommendations and rankings return Items metadata when asked (metadataColumns).
            metadata = {"enableMetadataWithRecommendations": name in ("recs", "rank")}
            campaign = ps.create_campaign(
                name=f"handlers-{name}",
                solutionVersionArn=version,
                minProvisionedTPS=1,
                campaignConfig=metadata,
            )["campaignArn"]
            _wait_active(emu, ps, "campaign", campaign)
            campaigns[name] = campaign
        tracker = ps.create_event_tracker(name="handlers-tracker", datasetGroupArn=group)
        _wait_active(emu, ps, "event_tracker", tracker["eventTrackerArn"])
        genre_filter = ps.create_filter(
            name="handlers-genre",
            datasetGroupArn=group,
            filterExpression="INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)",
        )["filterArn"]
        _wait_active(emu, ps, "filter", genre_filter)
        promotion_filter = ps.create_filter(
            name="handlers-promo",
            datasetGroupArn=group,
            filterExpression=NEW_ITEMS_FILTER_EXPRESSION,
        )["filterArn"]
        _wait_active(emu, ps, "filter", promotion_filter)
        yield Deployment(
            emulator=emu,
            moto_url=moto_url,
            dataset_group_arn=group,
            recommendations_campaign_arn=campaigns["recs"],
            ranking_campaign_arn=campaigns["rank"],
            similar_items_campaign_arn=campaigns["sims"],
            tracking_id=tracker["trackingId"],
            filter_arns={"by-genre": genre_filter},
            items_dataset_arn=datasets["Items"],
            users_dataset_arn=datasets["Users"],
            data=data,
            promotion_filter_arn=promotion_filter,
        )


@pytest.fixture
def deployed(deployment: Deployment, monkeypatch: pytest.MonkeyPatch) -> Deployment:
    """The environment the components give the handlers, aimed at the emulator and moto."""
    emu = deployment.emulator
    for name, value in emu.env().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_ENDPOINT_URL_KINESIS", deployment.moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", deployment.moto_url)
    monkeypatch.setenv("RECOMMENDATIONS_CAMPAIGN_ARN", deployment.recommendations_campaign_arn)
    monkeypatch.setenv("RANKING_CAMPAIGN_ARN", deployment.ranking_campaign_arn)
    monkeypatch.setenv("SIMILAR_ITEMS_CAMPAIGN_ARN", deployment.similar_items_campaign_arn)
    monkeypatch.setenv("FILTER_ARNS", json.dumps(deployment.filter_arns))
    monkeypatch.setenv("ITEMS_DATASET_ARN", deployment.items_dataset_arn)
    monkeypatch.setenv("ITEMS_SCHEMA", ITEMS_SCHEMA)
    monkeypatch.setenv("USERS_DATASET_ARN", deployment.users_dataset_arn)
    monkeypatch.setenv("USERS_SCHEMA", USERS_SCHEMA)
    monkeypatch.setenv("TRACKING_ID", deployment.tracking_id)
    aws.reset_clients()
    return deployment


@dataclass
class Streams:
    """A fresh single-shard stream and DLQ in moto for one test."""

    stream_name: str
    stream_arn: str
    queue_url: str
    kinesis: Any
    sqs: Any

    def read_all(self) -> list[dict[str, Any]]:
        """Every record in the shard, oldest first (as Kinesis returns them)."""
        shard = self.kinesis.list_shards(StreamName=self.stream_name)["Shards"][0]["ShardId"]
        iterator = self.kinesis.get_shard_iterator(
            StreamName=self.stream_name, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        records: list[dict[str, Any]] = []
        while iterator:
            page = self.kinesis.get_records(ShardIterator=iterator, Limit=1000)
            records += page["Records"]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
        return records

    def lambda_event(self, records: list[dict[str, Any]]) -> dict[str, Any]:
        """Shape Kinesis records as Lambda's event source mapping delivers them."""
        role = f"arn:aws:iam::{ACCOUNT}:role/forwarder"
        return kinesis_event(records, self.stream_arn, region=REGION, role_arn=role)

    def dlq_messages(self) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        for _ in range(20):
            page = self.sqs.receive_message(
                QueueUrl=self.queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0
            )
            messages = page.get("Messages", [])
            if not messages:
                break
            for message in messages:
                found.append(json.loads(message["Body"]))
                self.sqs.delete_message(
                    QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"]
                )
        return found


@pytest.fixture
def streams(moto_url: str, monkeypatch: pytest.MonkeyPatch) -> Streams:
    kinesis = boto3.client("kinesis", endpoint_url=moto_url, **CLIENT_ARGS)
    sqs = boto3.client("sqs", endpoint_url=moto_url, **CLIENT_ARGS)
    name = f"events-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=name, ShardCount=1)
    arn = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]["StreamARN"]
    queue_url = sqs.create_queue(QueueName=f"dlq-{uuid.uuid4().hex[:10]}")["QueueUrl"]
    monkeypatch.setenv("AWS_ENDPOINT_URL_KINESIS", moto_url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", moto_url)
    monkeypatch.setenv("STREAM_NAME", name)
    monkeypatch.setenv("DLQ_URL", queue_url)
    aws.reset_clients()
    return Streams(name, arn, queue_url, kinesis, sqs)
