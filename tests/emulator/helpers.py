"""Synthetic data and polling helpers shared by the emulator tests."""

from __future__ import annotations

import csv
import io
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

GENRES = ["Action", "Comedy", "Drama", "Horror", "Romance", "SciFi", "Family", "Thriller"]
BASE_TIME = 1_700_000_000
RECIPE = "arn:aws:personalize:::recipe/"

# The emulator tests keep their own schemas and data rather than the program's data/schemas/:
# they hold the emulator to the service's rules, whatever dataset fields the program deploys.


def avro_schema(name: str, fields: list[dict[str, Any]]) -> str:
    """A Personalize dataset schema: an Avro record of ``fields`` in Personalize's namespace."""
    return json.dumps(
        {
            "type": "record",
            "name": name,
            "namespace": "com.amazonaws.personalize.schema",
            "fields": fields,
            "version": "1.0",
        }
    )


INTERACTIONS_SCHEMA = avro_schema(
    "Interactions",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "EVENT_TYPE", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
)
ITEMS_SCHEMA = avro_schema(
    "Items",
    [
        {"name": "ITEM_ID", "type": "string"},
        {"name": "GENRES", "type": "string", "categorical": True},
        {"name": "YEAR", "type": ["null", "int"]},
        {"name": "CREATION_TIMESTAMP", "type": "long"},
    ],
)


@dataclass
class Synthetic:
    """Users in taste clusters, each cluster preferring one genre's items (a fixed seed)."""

    interactions: list[tuple[str, str, str, int]]
    items: list[tuple[str, str, int | None, int]]
    user_cluster: dict[str, int]
    item_cluster: dict[str, int] = field(default_factory=dict)

    def interactions_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"])
        writer.writerows(self.interactions)
        return out.getvalue()

    def items_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["ITEM_ID", "GENRES", "YEAR", "CREATION_TIMESTAMP"])
        writer.writerows(("" if v is None else v for v in row) for row in self.items)
        return out.getvalue()

    def items_of(self, cluster: int) -> list[str]:
        return [i for i, c in self.item_cluster.items() if c == cluster]


def synthetic(users: int = 160, items: int = 240, per_user: int = 30, seed: int = 42) -> Synthetic:
    rng = np.random.default_rng(seed)
    clusters = len(GENRES)
    item_ids = [f"m{n:05d}" for n in range(1, items + 1)]
    item_cluster = {item: n % clusters for n, item in enumerate(item_ids)}
    # Within a cluster some items are more popular than others (Zipf-like weights).
    weight = {item: 1.0 / (1 + n // clusters) ** 0.7 for n, item in enumerate(item_ids)}
    item_rows = [
        (
            item,
            GENRES[item_cluster[item]] + ("|Family" if n % 5 == 0 else ""),
            None if n % 17 == 0 else 1980 + n % 40,
            BASE_TIME - 400 * 86400,
        )
        for n, item in enumerate(item_ids)
    ]
    rows: list[tuple[str, str, str, int]] = []
    user_cluster: dict[str, int] = {}
    for u in range(1, users + 1):
        user = f"u{u:05d}"
        cluster = u % clusters
        user_cluster[user] = cluster
        own = [i for i in item_ids if item_cluster[i] == cluster]
        own_p = np.array([weight[i] for i in own])
        all_p = np.array([weight[i] for i in item_ids])
        chosen: list[str] = []
        for _ in range(per_user):
            pool, p = (own, own_p) if rng.random() < 0.85 else (item_ids, all_p)
            chosen.append(pool[int(rng.choice(len(pool), p=p / p.sum()))])
        for n, item in enumerate(chosen):
            event = "watch" if rng.random() < 0.4 else "click"
            rows.append((user, item, event, BASE_TIME + u * 10 + n * 1000))
    return Synthetic(rows, item_rows, user_cluster, item_cluster)


def wait_status(
    describe: Callable[[], dict[str, Any]],
    wanted: tuple[str, ...] = ("ACTIVE",),
    timeout: float = 20.0,
    failed: tuple[str, ...] = ("CREATE FAILED", "CREATE STOPPED"),
) -> dict[str, Any]:
    """Poll a describe function returning the resource dict until its status is wanted."""
    deadline = time.monotonic() + timeout
    while True:
        resource = describe()
        status = resource["status"]
        if status in wanted:
            return resource
        if status in failed:
            raise AssertionError(f"resource ended {status}: {resource.get('failureReason')}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {wanted}; last status {status}")
        time.sleep(0.03)


def wait_gone(
    describe: Callable[[], Any], not_found: type[Exception], timeout: float = 20.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            describe()
        except not_found:
            return
        time.sleep(0.03)
    raise AssertionError("timed out waiting for deletion")


@dataclass
class Stack:
    """ARNs of a deployed chain."""

    group: str
    interactions_schema: str
    items_schema: str
    interactions: str
    items: str
    solution: str
    version: str
    campaign: str
    tracker: str
    tracking_id: str


def poll(call: Callable[..., Any], key: str, **kwargs: Any) -> Callable[[], dict[str, Any]]:
    """A no-argument describe for wait_status: call(**kwargs)[key]."""

    def describe() -> dict[str, Any]:
        result: dict[str, Any] = call(**kwargs)[key]
        return result

    return describe


def click_first_shown(
    clients: Any, campaign: str, tracking_id: str, user: str, session: str, **event: Any
) -> tuple[dict[str, Any], list[str]]:
    """Recommend to ``user``, then send a click on the first item shown, naming the
    recommendationId and the impression as the service asks; returns the response and the items
    shown. ``clients`` is a Clients; ``event`` adds fields to the click."""
    response: dict[str, Any] = clients.runtime.get_recommendations(
        campaignArn=campaign, userId=user, **event.pop("recommend", {})
    )
    shown = [i["itemId"] for i in response["itemList"]]
    click = {
        "sentAt": time.time(),
        "eventType": "click",
        "itemId": shown[0],
        "recommendationId": response["recommendationId"],
        "impression": shown,
        **event,
    }
    clients.events.put_events(
        trackingId=tracking_id, userId=user, sessionId=session, eventList=[click]
    )
    return response, shown


def deploy(
    pz: Any,
    s3: Any,
    bucket: str,
    data: Synthetic,
    *,
    prefix: str = "t",
    recipe: str = "aws-user-personalization",
    campaign_config: dict[str, Any] | None = None,
) -> Stack:
    """Create a whole chain through the API and wait for each step, as a deployer would."""
    s3.put_object(
        Bucket=bucket, Key=f"{prefix}/interactions.csv", Body=data.interactions_csv().encode()
    )
    s3.put_object(Bucket=bucket, Key=f"{prefix}/items.csv", Body=data.items_csv().encode())
    group = pz.create_dataset_group(name=f"{prefix}-group")["datasetGroupArn"]
    wait_status(lambda: pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    i_schema = pz.create_schema(name=f"{prefix}-interactions", schema=INTERACTIONS_SCHEMA)[
        "schemaArn"
    ]
    m_schema = pz.create_schema(name=f"{prefix}-items", schema=ITEMS_SCHEMA)["schemaArn"]
    interactions = pz.create_dataset(
        name=f"{prefix}-interactions",
        datasetGroupArn=group,
        datasetType="Interactions",
        schemaArn=i_schema,
    )["datasetArn"]
    items = pz.create_dataset(
        name=f"{prefix}-items", datasetGroupArn=group, datasetType="Items", schemaArn=m_schema
    )["datasetArn"]
    for arn in (interactions, items):
        wait_status(poll(pz.describe_dataset, "dataset", datasetArn=arn))
    jobs = [
        pz.create_dataset_import_job(
            jobName=f"{prefix}-{kind}-import",
            datasetArn=arn,
            dataSource={"dataLocation": f"s3://{bucket}/{prefix}/{kind}.csv"},
            roleArn="arn:aws:iam::123456789012:role/personalize",
        )["datasetImportJobArn"]
        for kind, arn in (("interactions", interactions), ("items", items))
    ]
    for job in jobs:
        wait_status(
            poll(pz.describe_dataset_import_job, "datasetImportJob", datasetImportJobArn=job)
        )
    created = pz.create_event_tracker(name=f"{prefix}-tracker", datasetGroupArn=group)
    solution = pz.create_solution(
        name=f"{prefix}-solution",
        datasetGroupArn=group,
        recipeArn=RECIPE + recipe,
        performAutoTraining=False,
    )["solutionArn"]
    wait_status(lambda: pz.describe_solution(solutionArn=solution)["solution"])
    version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    wait_status(lambda: pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"])
    kwargs: dict[str, Any] = {"campaignConfig": campaign_config} if campaign_config else {}
    campaign = pz.create_campaign(
        name=f"{prefix}-campaign", solutionVersionArn=version, minProvisionedTPS=1, **kwargs
    )["campaignArn"]
    wait_status(lambda: pz.describe_campaign(campaignArn=campaign)["campaign"])
    wait_status(
        lambda: pz.describe_event_tracker(eventTrackerArn=created["eventTrackerArn"])[
            "eventTracker"
        ]
    )
    return Stack(
        group,
        i_schema,
        m_schema,
        interactions,
        items,
        solution,
        version,
        campaign,
        created["eventTrackerArn"],
        created["trackingId"],
    )
