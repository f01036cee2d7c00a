"""Concurrent clients, PutUsers, tags and region isolation."""

from __future__ import annotations

import threading

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest

from .conftest import BUCKET, NO_RETRY, Clients
from .helpers import Synthetic, avro_schema, deploy, poll, wait_status

USERS_SCHEMA = avro_schema(
    "Users",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "TIER", "type": "string", "categorical": True},
        {"name": "AGE", "type": ["null", "int"]},
    ],
)


def test_parallel_events_and_recommendations(clients: Clients, emulator, data: Synthetic) -> None:
    pz = clients.pz
    stack = deploy(pz, clients.s3, BUCKET, data, prefix="para")
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            events = boto3.client(
                "personalize-events",
                region_name="us-east-1",
                endpoint_url=emulator.url,
                config=NO_RETRY,
            )
            runtime = boto3.client(
                "personalize-runtime",
                region_name="us-east-1",
                endpoint_url=emulator.url,
                config=NO_RETRY,
            )
            user = f"new-user-{n}"
            for step in range(5):
                events.put_events(
                    trackingId=stack.tracking_id,
                    userId=user,
                    sessionId=user,
                    eventList=[
                        {
                            "eventType": "click",
                            "itemId": data.items_of(n % 8)[step],
                            "sentAt": 1_900_000_000 + step,
                        }
                    ],
                )
                items = runtime.get_recommendations(
                    campaignArn=stack.campaign, userId=user, numResults=10
                )["itemList"]
                assert len(items) == 10
            # A user unknown at training time is served from their events: their cluster leads.
            assert sum(data.item_cluster.get(i["itemId"]) == n % 8 for i in items) >= 5
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors, errors
    assert emulator.call_counts()["PutEvents"] == 30


def test_put_users_tags_and_regions(clients: Clients, emulator) -> None:
    pz = clients.pz
    group = pz.create_dataset_group(name="people", tags=[{"tagKey": "team", "tagValue": "recs"}])[
        "datasetGroupArn"
    ]
    wait_status(poll(pz.describe_dataset_group, "datasetGroup", datasetGroupArn=group))
    schema = pz.create_schema(name="people", schema=USERS_SCHEMA)["schemaArn"]
    users = pz.create_dataset(
        name="people", datasetGroupArn=group, datasetType="Users", schemaArn=schema
    )["datasetArn"]
    with pytest.raises(clients.events.exceptions.ResourceInUseException):
        clients.events.put_users(
            datasetArn=users, users=[{"userId": "u1", "properties": '{"tier": "free"}'}]
        )
    wait_status(poll(pz.describe_dataset, "dataset", datasetArn=users))
    clients.events.put_users(
        datasetArn=users, users=[{"userId": "u1", "properties": '{"tier": "free", "age": 30}'}]
    )
    with pytest.raises(clients.events.exceptions.InvalidInputException, match="tier"):
        clients.events.put_users(
            datasetArn=users, users=[{"userId": "u2", "properties": '{"age": 30}'}]
        )
    assert pz.list_tags_for_resource(resourceArn=group)["tags"] == [
        {"tagKey": "team", "tagValue": "recs"}
    ]
    pz.tag_resource(resourceArn=group, tags=[{"tagKey": "env", "tagValue": "dev"}])
    pz.untag_resource(resourceArn=group, tagKeys=["team"])
    assert pz.list_tags_for_resource(resourceArn=group)["tags"] == [
        {"tagKey": "env", "tagValue": "dev"}
    ]
    west = boto3.client(
        "personalize", region_name="eu-west-1", endpoint_url=emulator.url, config=NO_RETRY
    )
    with pytest.raises(west.exceptions.ResourceNotFoundException):
        west.describe_dataset_group(datasetGroupArn=group)
