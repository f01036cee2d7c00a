"""The full lifecycle through boto3: create, import from S3, train, serve, events, tear down."""

from __future__ import annotations

import pytest

from local.personalize_emulator import Steps

from .conftest import BUCKET, Clients
from .helpers import INTERACTIONS_SCHEMA, RECIPE, Synthetic, wait_gone, wait_status


def test_full_lifecycle(clients: Clients, emulator, data: Synthetic) -> None:
    # Imports take a little longer here so the refused delete below is not a race.
    emulator.backend.timing.overrides["dataset-import-job"] = Steps(0.1, 0.4)
    pz, s3 = clients.pz, clients.s3
    s3.put_object(Bucket=BUCKET, Key="life/interactions.csv", Body=data.interactions_csv().encode())

    group = pz.create_dataset_group(name="life-group")["datasetGroupArn"]
    assert group == "arn:aws:personalize:us-east-1:123456789012:dataset-group/life-group"
    # Observable steps: right after Create the group is never ACTIVE, and statuses only advance.
    order = ["CREATE PENDING", "CREATE IN_PROGRESS", "ACTIVE"]
    seen = [pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"]]
    while seen[-1] != "ACTIVE":
        seen.append(pz.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"])
    assert seen[0] != "ACTIVE"
    assert [order.index(s) for s in seen] == sorted(order.index(s) for s in seen)

    schema = pz.create_schema(name="life-interactions", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = pz.create_dataset(
        name="life-interactions",
        datasetGroupArn=group,
        datasetType="Interactions",
        schemaArn=schema,
    )["datasetArn"]
    assert dataset.endswith(":dataset/life-group/INTERACTIONS")
    wait_status(lambda: pz.describe_dataset(datasetArn=dataset)["dataset"])
    job = pz.create_dataset_import_job(
        jobName="life-import",
        datasetArn=dataset,
        dataSource={"dataLocation": f"s3://{BUCKET}/life/interactions.csv"},
        roleArn="arn:aws:iam::123456789012:role/personalize",
        importMode="FULL",
    )["datasetImportJobArn"]
    # Deleting a dataset while its import runs is refused.
    with pytest.raises(pz.exceptions.ResourceInUseException):
        pz.delete_dataset(datasetArn=dataset)
    wait_status(lambda: pz.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"])

    tracker = pz.create_event_tracker(name="life-tracker", datasetGroupArn=group)
    with pytest.raises(pz.exceptions.ResourceAlreadyExistsException):
        pz.create_event_tracker(name="life-tracker-2", datasetGroupArn=group)
    solution = pz.create_solution(
        name="life-solution",
        datasetGroupArn=group,
        recipeArn=RECIPE + "aws-user-personalization",
        performAutoTraining=False,
    )["solutionArn"]
    wait_status(lambda: pz.describe_solution(solutionArn=solution)["solution"])
    version = pz.create_solution_version(solutionArn=solution, trainingMode="FULL", name="life-v1")[
        "solutionVersionArn"
    ]
    assert version.startswith(solution + "/")
    with pytest.raises(pz.exceptions.ResourceInUseException):
        pz.delete_solution(solutionArn=solution)
    described = wait_status(
        lambda: pz.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    )
    assert described["trainingMode"] == "FULL"
    metrics = pz.get_solution_metrics(solutionVersionArn=version)["metrics"]
    assert 0 < metrics["precision_at_25"] <= 1

    campaign = pz.create_campaign(
        name="life-campaign", solutionVersionArn=version, minProvisionedTPS=1
    )["campaignArn"]
    wait_status(lambda: pz.describe_campaign(campaignArn=campaign)["campaign"])
    wait_status(
        lambda: pz.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])[
            "eventTracker"
        ]
    )

    user = "u00003"
    before = clients.runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=20)[
        "itemList"
    ]
    assert len(before) == 20
    history = {row[1] for row in data.interactions if row[0] == user}
    assert not history & {i["itemId"] for i in before}
    # Events towards another taste cluster change this user's recommendations at once.
    other = (data.user_cluster[user] + 4) % 8
    targets = data.items_of(other)[:10]
    clients.events.put_events(
        trackingId=tracker["trackingId"],
        userId=user,
        sessionId="s-1",
        eventList=[
            {"eventType": "watch", "itemId": item, "sentAt": 1_800_000_000 + n}
            for n, item in enumerate(targets)
        ],
    )
    after = clients.runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=20)[
        "itemList"
    ]
    assert [i["itemId"] for i in after] != [i["itemId"] for i in before]
    shifted = sum(1 for i in after if data.item_cluster.get(i["itemId"]) == other)
    assert shifted > sum(1 for i in before if data.item_cluster.get(i["itemId"]) == other)
    assert not set(targets) & {i["itemId"] for i in after}

    # Teardown in the required order; every out-of-order delete is refused first.
    with pytest.raises(pz.exceptions.ResourceInUseException):
        pz.delete_dataset_group(datasetGroupArn=group)
    with pytest.raises(pz.exceptions.ResourceInUseException):
        pz.delete_solution(solutionArn=solution)
    with pytest.raises(pz.exceptions.ResourceInUseException):
        pz.delete_schema(schemaArn=schema)
    pz.delete_campaign(campaignArn=campaign)
    deleting = pz.describe_campaign(campaignArn=campaign)["campaign"]["status"]
    assert deleting in ("DELETE PENDING", "DELETE IN_PROGRESS")
    wait_gone(
        lambda: pz.describe_campaign(campaignArn=campaign), pz.exceptions.ResourceNotFoundException
    )
    pz.delete_solution(solutionArn=solution)
    pz.delete_event_tracker(eventTrackerArn=tracker["eventTrackerArn"])
    with pytest.raises(pz.exceptions.ResourceInUseException):
        pz.delete_dataset_group(datasetGroupArn=group)
    wait_gone(
        lambda: pz.describe_solution(solutionArn=solution), pz.exceptions.ResourceNotFoundException
    )
    with pytest.raises(pz.exceptions.ResourceNotFoundException):
        pz.describe_solution_version(solutionVersionArn=version)
    pz.delete_dataset(datasetArn=dataset)
    wait_gone(
        lambda: pz.describe_dataset(datasetArn=dataset), pz.exceptions.ResourceNotFoundException
    )
    with pytest.raises(pz.exceptions.ResourceNotFoundException):
        pz.describe_dataset_import_job(datasetImportJobArn=job)
    pz.delete_schema(schemaArn=schema)
    wait_gone(
        lambda: pz.describe_event_tracker(eventTrackerArn=tracker["eventTrackerArn"]),
        pz.exceptions.ResourceNotFoundException,
    )
    pz.delete_dataset_group(datasetGroupArn=group)
    wait_gone(
        lambda: pz.describe_dataset_group(datasetGroupArn=group),
        pz.exceptions.ResourceNotFoundException,
    )

    assert emulator.live_resources() == []
    counts = emulator.call_counts()
    assert counts["CreateDatasetGroup"] == 1
    assert counts["GetRecommendations"] == 2
