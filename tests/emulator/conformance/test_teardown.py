"""Teardown in the order AWS's own cleanup code uses, and the orderings the service enforces.

Source: aws-samples/retail-demo-store,
src/aws-lambda/personalize-pre-create-resources/delete_dataset_groups.py: list recommenders and
delete campaigns (found per solution through ListCampaigns), wait until they are gone, then
solutions, event trackers, filters (ListFilters answers "Filters"), datasets (schemas read from
DescribeDataset), the schemas (tolerating ResourceInUseException for shared ones), and last the
dataset group, waiting on ResourceNotFoundException after each step.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped,unused-ignore]

from local.personalize_emulator import EmulatorServer

from ..conftest import BUCKET, Clients
from ..helpers import Synthetic, deploy, poll, wait_gone, wait_status


def _wait_all_gone(describe: Callable[[str], Any], arns: Iterable[str], not_found: Any) -> None:
    for arn in arns:
        wait_gone(functools.partial(describe, arn), not_found)


def test_the_retail_demo_store_teardown_order(
    clients: Clients, emulator: EmulatorServer, data: Synthetic
) -> None:
    pz = clients.pz
    stack = deploy(pz, clients.s3, BUCKET, data, prefix="teardown")
    shared = pz.create_filter(
        name="teardown-filter",
        datasetGroupArn=stack.group,
        filterExpression='EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")',
    )["filterArn"]
    wait_status(poll(pz.describe_filter, "filter", filterArn=shared))
    missing = pz.exceptions.ResourceNotFoundException
    group = next(
        g["datasetGroupArn"]
        for page in pz.get_paginator("list_dataset_groups").paginate()
        for g in page["datasetGroups"]
        if g["name"] == "teardown-group"
    )
    solutions = [
        s["solutionArn"]
        for page in pz.get_paginator("list_solutions").paginate(datasetGroupArn=group)
        for s in page["solutions"]
    ]
    for page in pz.get_paginator("list_recommenders").paginate(datasetGroupArn=group):
        assert page["recommenders"] == []
    campaigns = [
        c
        for solution in solutions
        for page in pz.get_paginator("list_campaigns").paginate(solutionArn=solution)
        for c in page["campaigns"]
    ]
    assert [c["campaignArn"] for c in campaigns] == [stack.campaign]
    for campaign in campaigns:
        assert campaign["status"] in ("ACTIVE", "CREATE FAILED")
        pz.delete_campaign(campaignArn=campaign["campaignArn"])
    _wait_all_gone(lambda a: pz.describe_campaign(campaignArn=a), [stack.campaign], missing)
    for solution in solutions:
        pz.delete_solution(solutionArn=solution)
    _wait_all_gone(lambda a: pz.describe_solution(solutionArn=a), solutions, missing)
    trackers = [
        t["eventTrackerArn"]
        for page in pz.get_paginator("list_event_trackers").paginate(datasetGroupArn=group)
        for t in page["eventTrackers"]
    ]
    for tracker in trackers:
        pz.delete_event_tracker(eventTrackerArn=tracker)
    _wait_all_gone(lambda a: pz.describe_event_tracker(eventTrackerArn=a), trackers, missing)
    filters = pz.list_filters(datasetGroupArn=group, maxResults=100)["Filters"]
    for f in filters:
        pz.delete_filter(filterArn=f["filterArn"])
    _wait_all_gone(
        lambda a: pz.describe_filter(filterArn=a), [f["filterArn"] for f in filters], missing
    )
    datasets: list[str] = []
    schemas: list[str] = []
    for page in pz.get_paginator("list_datasets").paginate(datasetGroupArn=group):
        for dataset in page["datasets"]:
            schemas.append(
                pz.describe_dataset(datasetArn=dataset["datasetArn"])["dataset"]["schemaArn"]
            )
            pz.delete_dataset(datasetArn=dataset["datasetArn"])
            datasets.append(dataset["datasetArn"])
    _wait_all_gone(lambda a: pz.describe_dataset(datasetArn=a), datasets, missing)
    for schema in schemas:
        pz.delete_schema(schemaArn=schema)
    pz.delete_dataset_group(datasetGroupArn=group)
    wait_gone(lambda: pz.describe_dataset_group(datasetGroupArn=group), missing)
    assert emulator.live_resources() == []


def _code(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as caught:
        call()
    return str(caught.value.response["Error"]["Code"])


def test_out_of_order_deletes_are_refused(clients: Clients, data: Synthetic) -> None:
    """Deleting what something still uses is ResourceInUseException: a solution a campaign
    serves, a dataset group with children, a schema a dataset uses.

    Sources: the DeleteSolution, DeleteDatasetGroup and DeleteSchema API references
    (https://docs.aws.amazon.com/personalize/latest/dg/API_DeleteSolution.html: "You can't delete
    a solution if an associated SolutionVersion is in the CREATE PENDING or IN PROGRESS state";
    API_DeleteDatasetGroup.html: "you must delete ... event tracker, solutions, datasets";
    API_DeleteSchema.html: "A schema associated with a dataset can't be deleted"); the campaign
    rule is why AWS's teardown deletes campaigns and waits before it deletes solutions.
    """
    pz = clients.pz
    stack = deploy(pz, clients.s3, BUCKET, data, prefix="order")
    assert _code(lambda: pz.delete_solution(solutionArn=stack.solution)) == "ResourceInUseException"
    assert _code(lambda: pz.delete_dataset_group(datasetGroupArn=stack.group)) == (
        "ResourceInUseException"
    )
    assert _code(lambda: pz.delete_schema(schemaArn=stack.items_schema)) == "ResourceInUseException"
