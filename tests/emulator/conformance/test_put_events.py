"""PutEvents in every shape AWS's documentation and samples send it.

Sources: the developer guide's recording-events page
(https://docs.aws.amazon.com/personalize/latest/dg/recording-events.html), the Event shape of the
PutEvents API (https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_Event.html) and the
exploration sample (aws-samples/amazon-personalize-samples,
next_steps/core_use_cases/user_personalization/user-personalization-with-exploration.ipynb).
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from ..helpers import click_first_shown
from .conftest import Store


def _events(store: Store) -> list[Any]:
    return list(store.emu.backend.events.get(store.stack.group, []))


def _watch_again(store: Store, user: str, event_type: str) -> list[str]:
    arn = store.make_filter(f'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("{event_type}")')
    return store.recommend(userId=user, numResults=50, filterArn=arn)


def test_item_sent_in_properties_is_an_interaction(store: Store) -> None:
    """The item of an event may travel in properties ({"itemId": ...}) instead of itemId; the
    event counts as the user's interaction with that item.

    Source: recording-events page, Python example ('properties': "{\\"itemId\\": ...}") and its
    note that properties keys are the camelCase names of the Interactions schema's fields.
    """
    user = "new-user-props"
    store.clients.events.put_events(
        trackingId=store.stack.tracking_id,
        userId=user,
        sessionId="s-props",
        eventList=[
            {
                "sentAt": time.time(),
                "eventType": "bookmark",
                "properties": json.dumps({"itemId": "m00042"}),
            }
        ],
    )
    assert _watch_again(store, user, "bookmark") == ["m00042"]


def test_event_value_sent_in_properties_is_recorded(store: Store) -> None:
    """eventValue may also travel in properties, with other fields of the Interactions schema,
    and events carry an eventId; sentAt may be given as epoch seconds in a string.

    Source: recording-events page, second Python example (eventId, 'properties':
    json.dumps({'itemId', 'eventValue', 'numRatings'}), sentAt '1553631760').
    """
    store.clients.events.put_events(
        trackingId=store.stack.tracking_id,
        userId="rater",
        sessionId="s-rate",
        eventList=[
            {
                "eventId": "event1",
                "sentAt": "1553631760",
                "eventType": "rating",
                "properties": json.dumps({"itemId": "m00043", "eventValue": 4, "numRatings": 0}),
            },
            {
                "eventId": "event2",
                "sentAt": "1553631782",
                "eventType": "rating",
                "properties": json.dumps({"itemId": "m00044", "eventValue": "3"}),
            },
        ],
    )
    got = {(i.item_id, i.event_value, i.timestamp) for i in _events(store) if i.user_id == "rater"}
    assert got == {("m00043", 4.0, 1553631760.0), ("m00044", 3.0, 1553631782.0)}


def test_impressions_and_recommendation_id_are_accepted(store: Store) -> None:
    """A click on a recommended item carries the recommendationId GetRecommendations returned
    and the impression (the items shown), next to the top-level itemId.

    Source: the exploration sample (GetRecommendations' recommendationId and itemList passed back
    as recommendationId and impression); the Event shape (impression: 1-25 item ids,
    recommendationId up to 40 characters).
    """
    response, shown = click_first_shown(
        store.clients,
        store.campaigns["user"],
        store.stack.tracking_id,
        "u00031",
        "s-impression",
        recommend={"numResults": 10},
        eventValue=1.0,
    )
    recorded = [i for i in _events(store) if i.user_id == "u00031"]
    assert [(i.item_id, i.recommendation_id, list(i.impression)) for i in recorded] == [
        (shown[0], response["recommendationId"], shown)
    ]
    assert shown[0] not in store.recommend(userId="u00031", numResults=25)


def test_metric_attribution_source_is_accepted(store: Store) -> None:
    """Events may name the source they are attributed to (metricAttribution with
    eventAttributionSource).

    Source: the Event shape, metricAttribution
    (https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_MetricAttribution.html).
    """
    store.clients.events.put_events(
        trackingId=store.stack.tracking_id,
        userId="attributed",
        sessionId="s-attr",
        eventList=[
            {
                "sentAt": time.time(),
                "eventType": "click",
                "itemId": "m00050",
                "metricAttribution": {"eventAttributionSource": "campaign-a"},
            }
        ],
    )
    assert [i.item_id for i in _events(store) if i.user_id == "attributed"] == ["m00050"]


def test_identical_events_are_kept_once(store: Store) -> None:
    """Two events with the same timestamp and identical properties are recorded once.

    Source: recording-events page ("If you record two events with exactly the same timestamp and
    identical properties, Amazon Personalize keeps only one of the events").
    """
    event = {"sentAt": 1_700_000_000, "eventType": "click", "itemId": "m00060"}
    for _ in range(2):
        store.clients.events.put_events(
            trackingId=store.stack.tracking_id,
            userId="twice",
            sessionId="s-twice",
            eventList=[event, dict(event)],
        )
    assert len([i for i in _events(store) if i.user_id == "twice"]) == 1


def test_event_list_limits_and_properties_shape(store: Store) -> None:
    """An event list holds 1 to 10 events; properties is a JSON object in a string.

    Source: PutEvents API (eventList 1-10 items) and the Event shape (properties: "A string map of
    event-specific data", 1-1024 characters)
    https://docs.aws.amazon.com/personalize/latest/dg/API_UBS_PutEvents.html.
    """
    events = store.clients.events
    one = {"sentAt": time.time(), "eventType": "click", "itemId": "m00070"}
    with pytest.raises(events.exceptions.InvalidInputException):
        events.put_events(
            trackingId=store.stack.tracking_id, sessionId="s", eventList=[dict(one)] * 11
        )
    with pytest.raises(events.exceptions.InvalidInputException, match="properties"):
        events.put_events(
            trackingId=store.stack.tracking_id,
            sessionId="s",
            eventList=[{**one, "properties": "not json"}],
        )
