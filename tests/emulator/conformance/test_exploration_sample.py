"""The exploration sample's sequence of calls, end to end.

Source: aws-samples/amazon-personalize-samples,
next_steps/core_use_cases/user_personalization/user-personalization-with-exploration.ipynb: a
User-Personalization campaign with itemExplorationConfig given as strings, GetRecommendations'
recommendationId sent back with the impression, events for new items, an UPDATE training switched
into the campaign with UpdateCampaign (polled until DescribeCampaign shows it), a lower
explorationWeight set the same way, and a teardown that polls ListCampaigns, ListSolutions and
ListDatasets until they are empty.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..conftest import BUCKET, Clients
from ..helpers import Synthetic, click_first_shown, deploy, poll, wait_gone, wait_status


def _until(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.03)


def test_the_exploration_sample_runs(clients: Clients, data: Synthetic) -> None:
    pz, events, runtime = clients.pz, clients.events, clients.runtime
    config: dict[str, Any] = {
        "itemExplorationConfig": {"explorationWeight": "0.9", "explorationItemAgeCutOff": "7"}
    }
    stack = deploy(pz, clients.s3, BUCKET, data, prefix="explore", campaign_config=config)
    click_first_shown(clients, stack.campaign, stack.tracking_id, "u00101", "1")
    events.put_events(
        trackingId=stack.tracking_id,
        userId="u00101",
        sessionId="1",
        eventList=[
            {"sentAt": time.time(), "eventType": "click", "itemId": f"new-{n}"} for n in range(10)
        ],
    )
    updated = pz.create_solution_version(solutionArn=stack.solution, trainingMode="UPDATE")[
        "solutionVersionArn"
    ]
    wait_status(poll(pz.describe_solution_version, "solutionVersion", solutionVersionArn=updated))
    pz.update_campaign(campaignArn=stack.campaign, solutionVersionArn=updated)
    _until(
        lambda: (
            pz.describe_campaign(campaignArn=stack.campaign)["campaign"]["solutionVersionArn"]
            == updated
        )
    )
    assert runtime.get_recommendations(campaignArn=stack.campaign, userId="u00101")["itemList"]
    lower = {"itemExplorationConfig": {"explorationWeight": "0.1", "explorationItemAgeCutOff": "7"}}
    pz.update_campaign(campaignArn=stack.campaign, campaignConfig=lower)
    _until(
        lambda: (
            pz.describe_campaign(campaignArn=stack.campaign)["campaign"]["campaignConfig"][
                "itemExplorationConfig"
            ]["explorationWeight"]
            == "0.1"
        )
    )
    pz.delete_campaign(campaignArn=stack.campaign)
    _until(lambda: not pz.list_campaigns(solutionArn=stack.solution)["campaigns"])
    pz.delete_solution(solutionArn=stack.solution)
    _until(lambda: not pz.list_solutions(datasetGroupArn=stack.group)["solutions"])
    for dataset in pz.list_datasets(datasetGroupArn=stack.group)["datasets"]:
        pz.delete_dataset(datasetArn=dataset["datasetArn"])
    _until(lambda: not pz.list_datasets(datasetGroupArn=stack.group)["datasets"])
    pz.delete_event_tracker(eventTrackerArn=stack.tracker)
    # The sample deletes the dataset group right after DeleteEventTracker; DeleteDatasetGroup's
    # page asks for the tracker to be deleted first, and the emulator waits for it to be gone
    # (README, "Known differences").
    wait_gone(
        lambda: pz.describe_event_tracker(eventTrackerArn=stack.tracker),
        pz.exceptions.ResourceNotFoundException,
    )
    pz.delete_dataset_group(datasetGroupArn=stack.group)
