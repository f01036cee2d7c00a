"""Wire protocol: model-driven validation, error codes as botocore's modeled exceptions, paging."""

from __future__ import annotations

import json
import urllib.request

import boto3  # type: ignore[import-untyped,unused-ignore]
import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

from local.personalize_emulator import run_emulator
from tests.conftest import REGION

from .conftest import NO_RETRY, Clients
from .helpers import INTERACTIONS_SCHEMA, RECIPE, wait_status


def test_name_pattern_length_and_enum_come_from_the_model(clients: Clients) -> None:
    pz = clients.pz
    # botocore's client validator lets these through; the service (and the emulator) refuse them.
    with pytest.raises(pz.exceptions.InvalidInputException, match="regular expression pattern"):
        pz.create_dataset_group(name="-starts-with-dash")
    with pytest.raises(pz.exceptions.InvalidInputException, match="less than or equal to 63"):
        pz.create_dataset_group(name="a" * 64)
    with pytest.raises(pz.exceptions.InvalidInputException, match="enum value set"):
        pz.create_dataset_group(name="ok", domain="GAMES")
    with pytest.raises(pz.exceptions.InvalidInputException, match="less than or equal to 100"):
        pz.list_dataset_groups(maxResults=101)
    assert pz.create_dataset_group(name="a" * 63)["datasetGroupArn"].endswith("a" * 63)


def test_error_codes_map_to_modeled_exceptions(clients: Clients) -> None:
    pz = clients.pz
    missing = "arn:aws:personalize:us-east-1:123456789012:dataset-group/nope"
    with pytest.raises(pz.exceptions.ResourceNotFoundException) as info:
        pz.describe_dataset_group(datasetGroupArn=missing)
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    pz.create_dataset_group(name="dup")
    with pytest.raises(pz.exceptions.ResourceAlreadyExistsException):
        pz.create_dataset_group(name="dup")
    pz.create_schema(name="dup-schema", schema=INTERACTIONS_SCHEMA)
    with pytest.raises(pz.exceptions.ResourceAlreadyExistsException):
        pz.create_schema(name="dup-schema", schema=INTERACTIONS_SCHEMA)
    with pytest.raises(pz.exceptions.InvalidInputException, match="not valid JSON"):
        pz.create_schema(name="bad-schema", schema="{not json")
    with pytest.raises(pz.exceptions.InvalidNextTokenException):
        pz.list_dataset_groups(nextToken="garbage")
    # REST-JSON services: the status comes from the model (404 for ResourceNotFoundException).
    with pytest.raises(clients.events.exceptions.ResourceNotFoundException) as rest:
        clients.events.put_items(
            datasetArn="arn:aws:personalize:us-east-1:123456789012:dataset/x/ITEMS",
            items=[{"itemId": "m1"}],
        )
    assert rest.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(clients.events.exceptions.InvalidInputException, match="trackingId"):
        clients.events.put_events(
            trackingId="unknown",
            sessionId="s",
            eventList=[{"eventType": "click", "itemId": "m1", "sentAt": 1}],
        )
    with pytest.raises(
        clients.events.exceptions.InvalidInputException, match="less than or equal to 10"
    ):
        clients.events.put_events(
            trackingId="unknown",
            sessionId="s",
            eventList=[{"eventType": "click", "sentAt": 1}] * 11,
        )
    with pytest.raises(clients.runtime.exceptions.ResourceNotFoundException):
        clients.runtime.get_recommendations(
            campaignArn="arn:aws:personalize:us-east-1:123456789012:campaign/none", userId="u1"
        )


def test_lifecycle_is_observable_and_refuses_early_use(moto_url: str) -> None:
    # The documented durations scaled down 100x: a dataset group takes 0.1 s + 0.5 s.
    with run_emulator(profile="real", time_scale=0.01, s3_endpoint_url=moto_url) as emu:
        pz = boto3.client("personalize", region_name=REGION, endpoint_url=emu.url, config=NO_RETRY)
        events = boto3.client(
            "personalize-events", region_name=REGION, endpoint_url=emu.url, config=NO_RETRY
        )
        group = pz.create_dataset_group(name="early")["datasetGroupArn"]
        assert (
            pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"]
            == "CREATE PENDING"
        )
        schema = pz.create_schema(name="early-schema", schema=INTERACTIONS_SCHEMA)["schemaArn"]
        with pytest.raises(pz.exceptions.ResourceInUseException, match="not ACTIVE"):
            pz.create_dataset(
                name="early-ds", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
            )
        with pytest.raises(pz.exceptions.ResourceInUseException):
            pz.delete_dataset_group(datasetGroupArn=group)
        emu.advance_time(0.2)
        assert (
            pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"]
            == "CREATE IN_PROGRESS"
        )
        emu.advance_time(0.5)
        described = pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]
        assert described["status"] == "ACTIVE"
        assert described["lastUpdatedDateTime"] > described["creationDateTime"]
        tracker = pz.create_event_tracker(name="early-tracker", datasetGroupArn=group)
        assert len(tracker["trackingId"]) == 36
        # A tracking ID works only once the tracker is ACTIVE.
        with pytest.raises(events.exceptions.InvalidInputException, match="not ACTIVE"):
            events.put_events(
                trackingId=tracker["trackingId"],
                userId="u1",
                sessionId="s",
                eventList=[{"eventType": "click", "itemId": "m1", "sentAt": 1}],
            )
        with pytest.raises(pz.exceptions.InvalidInputException, match="Interactions dataset"):
            pz.create_solution(
                name="early-sol", datasetGroupArn=group, recipeArn=RECIPE + "aws-sims"
            )
        items_schema = json.dumps(
            {"type": "record", "name": "I", "fields": [{"name": "ITEM_ID", "type": "string"}]}
        )
        arn = pz.create_schema(name="items-only", schema=items_schema)["schemaArn"]
        with pytest.raises(
            pz.exceptions.InvalidInputException, match="missing required field USER_ID"
        ):
            pz.create_dataset(
                name="wrong", datasetGroupArn=group, datasetType="Interactions", schemaArn=arn
            )


def test_list_paging_and_filters(clients: Clients) -> None:
    pz = clients.pz
    groups = [pz.create_dataset_group(name=f"page-{n:02d}")["datasetGroupArn"] for n in range(7)]
    first = pz.list_dataset_groups(maxResults=3)
    assert len(first["datasetGroups"]) == 3
    assert "nextToken" in first
    paged = [
        g["datasetGroupArn"]
        for page in pz.get_paginator("list_dataset_groups").paginate(
            PaginationConfig={"PageSize": 2}
        )
        for g in page["datasetGroups"]
    ]
    assert paged == groups
    wait_status(lambda: pz.describe_dataset_group(datasetGroupArn=groups[0])["datasetGroup"])
    wait_status(lambda: pz.describe_dataset_group(datasetGroupArn=groups[1])["datasetGroup"])
    schema = pz.create_schema(name="page-schema", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    for group in groups[:2]:
        pz.create_dataset(
            name="interactions", datasetGroupArn=group, datasetType="Interactions", schemaArn=schema
        )
    listed = pz.list_datasets(datasetGroupArn=groups[1])["datasets"]
    assert [d["datasetArn"] for d in listed] == [
        "arn:aws:personalize:us-east-1:123456789012:dataset/page-01/INTERACTIONS"
    ]
    assert isinstance(listed[0]["creationDateTime"].year, int)


def test_region_comes_from_the_signature(emulator) -> None:
    west = boto3.client(
        "personalize", region_name="eu-west-1", endpoint_url=emulator.url, config=NO_RETRY
    )
    east = boto3.client(
        "personalize", region_name="us-east-1", endpoint_url=emulator.url, config=NO_RETRY
    )
    arn = west.create_dataset_group(name="regional")["datasetGroupArn"]
    assert arn.startswith("arn:aws:personalize:eu-west-1:123456789012:")
    assert east.list_dataset_groups()["datasetGroups"] == []
    # Same name in another region is fine.
    east.create_dataset_group(name="regional")


def test_unknown_route_and_operation(emulator, clients: Clients) -> None:
    request = urllib.request.Request(f"{emulator.url}/nowhere", data=b"{}", method="POST")
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(request, timeout=5)
    assert info.value.code == 404
    with pytest.raises(ClientError) as unsupported:
        clients.pz.create_batch_inference_job(
            jobName="batch",
            solutionVersionArn="arn:aws:personalize:us-east-1:123456789012:solution/s/v",
            jobInput={"s3DataSource": {"path": "s3://bucket/in.json"}},
            jobOutput={"s3DataDestination": {"path": "s3://bucket/out/"}},
            roleArn="arn:aws:iam::123456789012:role/personalize",
        )
    assert unsupported.value.response["Error"]["Code"] == "UnknownOperationException"


def test_recipes(clients: Clients) -> None:
    recipe = clients.pz.describe_recipe(recipeArn=RECIPE + "aws-user-personalization-v2")["recipe"]
    assert recipe["recipeType"] == "USER_PERSONALIZATION"
    names = {r["name"] for r in clients.pz.list_recipes()["recipes"]}
    assert {"aws-sims", "aws-personalized-ranking", "aws-popularity-count"} <= names
    with pytest.raises(clients.pz.exceptions.ResourceNotFoundException):
        clients.pz.describe_recipe(recipeArn=RECIPE + "aws-nope")
