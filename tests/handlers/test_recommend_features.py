"""New-items promotion and item metadata in the recommend handler, against botocore's own
personalize-runtime model: Stubber checks each request's shape (promotions, metadataColumns)
exactly as the SDK would send it."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest
from botocore.stub import Stubber

from handlers import aws, recommend
from local.lambda_events import api_gateway_event as api_event
from tests.handlers.conftest import call

CAMPAIGN = "arn:aws:personalize:us-east-1:123456789012:campaign/reco-recommendations"
RANKING = "arn:aws:personalize:us-east-1:123456789012:campaign/reco-ranking"
PROMO_FILTER = "arn:aws:personalize:us-east-1:123456789012:filter/reco-promo-recommendations"
NOW = 1_800_000_000
PROMOTION = {
    "name": "new-items",
    "percentPromotedItems": 20,
    "filterArn": PROMO_FILTER,
    "cutoffParameter": "CUTOFF",
    "maxAgeDays": 14,
}
COLUMNS = {"recommendations": ["GENRES", "YEAR"], "rankings": ["GENRES"]}


@pytest.fixture
def runtime(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    client = boto3.client(
        "personalize-runtime",
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    monkeypatch.setattr(aws, "client", lambda service: client)
    monkeypatch.setattr(recommend.time, "time", lambda: NOW + 0.5)
    monkeypatch.setenv("RECOMMENDATIONS_CAMPAIGN_ARN", CAMPAIGN)
    monkeypatch.setenv("RANKING_CAMPAIGN_ARN", RANKING)
    monkeypatch.setenv("NEW_ITEMS_PROMOTION", json.dumps(PROMOTION))
    monkeypatch.setenv("METADATA_COLUMNS", json.dumps(COLUMNS))
    with Stubber(client) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def get(query: dict[str, Any]) -> tuple[int, Any, dict]:
    return call(recommend.handler, api_event("GET", "/recommendations", query=query))


def rank(body: dict[str, Any]) -> tuple[int, Any, dict]:
    return call(recommend.handler, api_event("POST", "/rankings", body=body))


PROMOTED = {
    "name": "new-items",
    "percentPromotedItems": 20,
    "filterArn": PROMO_FILTER,
    "filterValues": {"CUTOFF": str(NOW - 14 * 86_400)},
}


def test_recommendations_carry_the_new_items_promotion(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations",
        {
            "itemList": [
                {"itemId": "m1", "score": 0.4},
                {"itemId": "m9", "promotionName": "new-items"},
            ],
            "recommendationId": "RID-1",
        },
        {"campaignArn": CAMPAIGN, "userId": "u1", "numResults": 25, "promotions": [PROMOTED]},
    )
    status, body, _ = get({"userId": "u1"})
    assert status == 200, body
    assert body["recommendations"] == [
        {"itemId": "m1", "score": 0.4},
        {"itemId": "m9", "score": None, "promotionName": "new-items"},
    ]


def test_a_client_may_leave_the_promotion_out(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations",
        {"itemList": [], "recommendationId": "RID-2"},
        {"campaignArn": CAMPAIGN, "userId": "u1", "numResults": 25},
    )
    status, body, _ = get({"userId": "u1", "promoteNewItems": "false"})
    assert status == 200, body


def test_promote_new_items_must_be_a_boolean(runtime: Stubber) -> None:
    status, body, _ = get({"userId": "u1", "promoteNewItems": "no"})
    assert status == 400
    assert body["error"]["field"] == "promoteNewItems"


def test_metadata_columns_reach_the_service_and_the_client(runtime: Stubber) -> None:
    runtime.add_response(
        "get_recommendations",
        {
            "itemList": [{"itemId": "m1", "score": 0.4, "metadata": {"GENRES": "Comedy"}}],
            "recommendationId": "RID-3",
        },
        {
            "campaignArn": CAMPAIGN,
            "userId": "u1",
            "numResults": 10,
            "promotions": [PROMOTED],
            "metadataColumns": {"ITEMS": ["GENRES", "YEAR"]},
        },
    )
    status, body, _ = get({"userId": "u1", "numResults": "10", "metadataColumns": "GENRES,YEAR"})
    assert status == 200, body
    assert body["recommendations"][0]["metadata"] == {"GENRES": "Comedy"}


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"metadataColumns": "PRICE"}, "unknown metadataColumns 'PRICE'; allowed: GENRES, YEAR"),
        ({"metadataColumns": "GENRES", "numResults": "51"}, "numResults"),
        ({"metadataColumns": ",".join(f"C{i}" for i in range(11))}, "at most 10 columns"),
    ],
)
def test_bad_metadata_requests_are_400(
    runtime: Stubber, query: dict[str, str], message: str
) -> None:
    status, body, _ = get({"userId": "u1", **query})
    assert status == 400, body
    assert message in body["error"]["message"]


def test_rankings_take_metadata_columns(runtime: Stubber) -> None:
    runtime.add_response(
        "get_personalized_ranking",
        {"personalizedRanking": [{"itemId": "m2", "metadata": {"GENRES": "Drama"}}]},
        {
            "campaignArn": RANKING,
            "userId": "u1",
            "inputList": ["m2"],
            "metadataColumns": {"ITEMS": ["GENRES"]},
        },
    )
    status, body, _ = rank({"userId": "u1", "itemIds": ["m2"], "metadataColumns": ["GENRES"]})
    assert status == 200, body
    assert body["recommendations"][0]["metadata"] == {"GENRES": "Drama"}


def test_rankings_with_metadata_take_at_most_50_items(runtime: Stubber) -> None:
    items = [f"m{i}" for i in range(51)]
    status, body, _ = rank({"userId": "u1", "itemIds": items, "metadataColumns": ["GENRES"]})
    assert status == 400
    assert body["error"]["field"] == "itemIds"


def test_metadata_is_refused_where_the_model_returns_none(
    runtime: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("METADATA_COLUMNS", json.dumps({"recommendations": ["GENRES"]}))
    status, body, _ = rank({"userId": "u1", "itemIds": ["m2"], "metadataColumns": ["GENRES"]})
    assert status == 400
    assert "campaign.enableMetadata" in body["error"]["message"]
