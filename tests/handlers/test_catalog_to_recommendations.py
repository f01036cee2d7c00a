"""A record put through POST /items reaches rankings, filters and recommendations at once.

The whole path as the API runs it: an API Gateway event into the catalog handler, PutItems into
the emulator's live catalogue, then the recommend handler answering POST /rankings and
GET /recommendations from the campaigns, with no retraining in between.
"""

from __future__ import annotations

import json
import time
import uuid
from typing import Any

from handlers import catalog, recommend
from local.lambda_events import api_gateway_event as api_event
from tests.conftest import ITEMS_SCHEMA
from tests.handlers.conftest import Deployment, call

# No item of the trained catalogue has this genre, so a filter on it selects only new items.
NEW_GENRE = "Documentary"
USER = "u00001"


def new_item_id() -> str:
    # The deployment is shared by the session: every test adds items nobody else knows.
    return f"fresh-{uuid.uuid4().hex[:8]}"


def post_items(records: list[dict[str, Any]]) -> tuple[int, Any]:
    status, body, _ = call(catalog.handler, api_event("POST", "/items", body={"items": records}))
    return status, body


def rank(item_ids: list[str], **extra: Any) -> list[str]:
    body = {"userId": USER, "itemIds": item_ids, **extra}
    status, answer, _ = call(recommend.handler, api_event("POST", "/rankings", body=body))
    assert status == 200, answer
    return [r["itemId"] for r in answer["recommendations"]]


def recommendations(**query: str | list[str]) -> list[dict[str, Any]]:
    event = api_event("GET", "/recommendations", query={"userId": USER, **query})
    status, answer, _ = call(recommend.handler, event)
    assert status == 200, answer
    items: list[dict[str, Any]] = answer["recommendations"]
    return items


def documentary(item_id: str) -> dict[str, Any]:
    # Created now, so it is within the campaign's exploration age cut-off.
    return {
        "ITEM_ID": item_id,
        "GENRES": f"{NEW_GENRE}|Biography",
        "YEAR": 2026,
        "CREATION_TIMESTAMP": int(time.time()),
    }


def test_new_item_is_ranked_and_matches_filters_once_posted(deployed: Deployment) -> None:
    item = new_item_id()
    known = list(deployed.data.items)[:5]
    by_genre = {"filter": "by-genre", "filterValues": {"GENRE": [NEW_GENRE]}}
    # Before: the filter knows nothing of the item, so it filters it out.
    assert rank([*known, item], **by_genre) == []

    status, body = post_items([documentary(item)])
    assert status == 200, body
    assert body["results"] == [{"index": 0, "id": item, "status": "accepted"}]

    # After: the filter on the new genre keeps exactly the new item, and an unfiltered
    # ranking of known and new items returns every one of them.
    assert rank([*known, item], **by_genre) == [item]
    assert sorted(rank([item, *known])) == sorted([item, *known])


def test_new_item_is_explored_in_recommendations_once_posted(deployed: Deployment) -> None:
    item = new_item_id()
    assert item not in {r["itemId"] for r in recommendations(numResults="50")}

    status, body = post_items([documentary(item)])
    assert status == 200, body

    # Exploration gives new items a share of the slots; scores still come with each one.
    listed = recommendations(numResults="50")
    explored = [r for r in listed if r["itemId"] == item]
    assert explored, [r["itemId"] for r in listed]
    assert 0.0 < explored[0]["score"] < 1.0
    assert len(listed) == 50
    # Filtered on the new genre, only new items are left to recommend.
    filtered = recommendations(**{"filter": "by-genre", "filterValues[GENRE]": NEW_GENRE})
    assert item in {r["itemId"] for r in filtered}
    assert not {r["itemId"] for r in filtered} & set(deployed.data.items)


def test_service_refusal_is_per_record_and_the_rest_reach_the_catalogue(
    deployed: Deployment, monkeypatch: Any
) -> None:
    # The function's schema has a field the dataset's schema lacks (a schema changed on one side
    # only): the handler lets RATING through, the dataset refuses that record alone.
    schema = json.loads(ITEMS_SCHEMA)
    schema["fields"].append({"name": "RATING", "type": ["null", "float"]})
    monkeypatch.setenv("ITEMS_SCHEMA", json.dumps(schema))
    good, bad = new_item_id(), new_item_id()
    status, body = post_items([documentary(good), {**documentary(bad), "RATING": 4.5}])
    assert status == 207, body
    by_id = {r["id"]: r for r in body["results"]}
    assert by_id[good]["status"] == "accepted"
    assert by_id[bad]["status"] == "rejected"
    assert by_id[bad]["error"]["code"] == "InvalidInput"
    assert "rating" in by_id[bad]["error"]["message"]

    by_genre = {"filter": "by-genre", "filterValues": {"GENRE": [NEW_GENRE]}}
    assert rank([good, bad], **by_genre) == [good]
