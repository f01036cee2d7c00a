"""GET /recommendations, POST /rankings, GET /similar-items against the Personalize emulator."""

from __future__ import annotations

import math

import pytest

from handlers import recommend
from local.lambda_events import api_gateway_event as api_event
from tests.handlers.conftest import Deployment, call, free_port


def get(query: dict, path: str = "/recommendations"):
    return call(recommend.handler, api_event("GET", path, query=query))


def rank(body: dict | None = None, **kwargs):
    return call(recommend.handler, api_event("POST", "/rankings", body=body, **kwargs))


def assert_error(status, body, expected_status: int, field: str | None = None):
    assert status == expected_status, body
    assert set(body) == {"error"}
    error = body["error"]
    assert error["code"]
    assert error["message"]
    assert error["requestId"]
    if field is not None:
        assert error["field"] == field, error


# ---- happy paths -------------------------------------------------------------------------


def test_recommendations_for_a_known_user(deployed: Deployment):
    status, body, headers = get({"userId": "u00001"})
    assert status == 200
    assert headers["Content-Type"] == "application/json"
    assert "Access-Control-Allow-Origin" not in headers
    assert len(body["recommendations"]) == 25  # default numResults
    assert body["recommendationId"]
    first = body["recommendations"][0]
    assert set(first) == {"itemId", "score"}
    assert first["itemId"] in deployed.data.items
    assert isinstance(first["score"], float)


def test_num_results_and_context(deployed: Deployment):
    status, body, _ = get({"userId": "u00002", "numResults": "7", "context[DEVICE]": "mobile"})
    assert status == 200
    assert len(body["recommendations"]) == 7
    status, body, _ = get({"userId": "u00002", "numResults": "500", "context.DEVICE": "tv"})
    assert status == 200
    # The catalogue has 120 items (the emulator leaves out ones the user already has).
    assert 25 < len(body["recommendations"]) <= len(deployed.data.items)


def test_unknown_user_gets_cold_start_recommendations(deployed: Deployment):
    status, body, _ = get({"userId": "someone-new", "numResults": "5"})
    assert status == 200
    assert len(body["recommendations"]) == 5


@pytest.mark.parametrize("param", ["filterValues[GENRE]", "filterValues.GENRE"])
def test_filter_with_values_is_quoted_for_the_service(deployed: Deployment, param: str):
    status, body, _ = get({"userId": "u00001", "filter": "by-genre", param: "Comedy"})
    assert status == 200, body
    genres = {deployed.data.items[r["itemId"]] for r in body["recommendations"]}
    assert genres == {"Comedy"}


def test_filter_with_several_values(deployed: Deployment):
    query = {"userId": "u00003", "filter": "by-genre", "filterValues[GENRE]": ["Drama", "Horror"]}
    status, body, _ = get({**query, "numResults": "100"})
    assert status == 200
    genres = {deployed.data.items[r["itemId"]] for r in body["recommendations"]}
    assert genres == {"Drama", "Horror"}


def test_quote_filter_values_pure():
    assert recommend.quote_filter_values({"GENRE": ["Comedy"]}) == {"GENRE": '"Comedy"'}
    assert recommend.quote_filter_values({"G": ["a", "b c"]}) == {"G": '"a","b c"'}


def test_rankings_reorder_the_input(deployed: Deployment):
    items = ["m00001", "m00002", "m00003", "m00004", "m00005"]
    status, body, _ = rank({"userId": "u00001", "itemIds": items, "context": {"DEVICE": "web"}})
    assert status == 200, body
    ranked = [r["itemId"] for r in body["recommendations"]]
    assert sorted(ranked) == sorted(items)
    assert math.isclose(sum(r["score"] for r in body["recommendations"]), 1.0, rel_tol=1e-6)
    assert body["recommendationId"]


def test_rankings_with_filter(deployed: Deployment):
    items = [
        "m00001",
        "m00002",
        "m00003",
        "m00005",
    ]  # genres by i % 5: Comedy, Drama, Horror, Action
    body = {"userId": "u00001", "itemIds": items, "filter": "by-genre"}
    status, result, _ = rank({**body, "filterValues": {"GENRE": ["Comedy", "Drama"]}})
    assert status == 200, result
    assert sorted(r["itemId"] for r in result["recommendations"]) == ["m00001", "m00002"]


def test_similar_items(deployed: Deployment):
    status, body, _ = get({"itemId": "m00001", "numResults": "5"}, "/similar-items")
    assert status == 200, body
    assert len(body["recommendations"]) == 5
    assert "m00001" not in {r["itemId"] for r in body["recommendations"]}


def test_optional_models_answer_404_when_not_configured(deployed, monkeypatch):
    monkeypatch.delenv("RANKING_CAMPAIGN_ARN")
    monkeypatch.delenv("SIMILAR_ITEMS_CAMPAIGN_ARN")
    status, body, _ = rank({"userId": "u1", "itemIds": ["m1"]})
    assert_error(status, body, 404)
    assert body["error"]["code"] == "NotConfigured"
    status, body, _ = get({"itemId": "m00001"}, "/similar-items")
    assert_error(status, body, 404)


def test_cors_header_and_preflight(deployed, monkeypatch):
    monkeypatch.setenv("CORS_ALLOW_ORIGIN", "https://shop.example")
    status, _, headers = get({"userId": "u00001", "numResults": "1"})
    assert status == 200
    assert headers["Access-Control-Allow-Origin"] == "https://shop.example"
    status, body, headers = get({"userId": ""})
    assert status == 400
    assert headers["Access-Control-Allow-Origin"] == "https://shop.example"
    status, body, headers = call(recommend.handler, api_event("OPTIONS", "/recommendations"))
    assert status == 204
    assert body is None
    assert "GET" in headers["Access-Control-Allow-Methods"]


# ---- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("query", "field", "fragment"),
    [
        ({}, "userId", "userId is required"),
        ({"userId": ""}, "userId", "1 to 256 characters"),
        ({"userId": "x" * 257}, "userId", "1 to 256 characters"),
        ({"userId": "a\nb"}, "userId", "control characters"),
        ({"userId": "u1", "numResults": "0"}, "numResults", "from 1 to 500, got '0'"),
        ({"userId": "u1", "numResults": "501"}, "numResults", "from 1 to 500"),
        ({"userId": "u1", "numResults": "ten"}, "numResults", "must be an integer"),
        ({"userId": "u1", "numResults": "2.5"}, "numResults", "must be an integer"),
        ({"userId": "u1", "filter": "nope"}, "filter", "allowed: by-genre"),
        ({"userId": "u1", "filterValues[GENRE]": "Comedy"}, "filterValues", "needs a filter"),
        (
            {"userId": "u1", "filter": "by-genre", "filterValues[GEN RE]": "x"},
            "filterValues",
            "letters, digits or underscores",
        ),
        (
            {"userId": "u1", "filter": "by-genre", "filterValues[GENRE]": 'Co"medy'},
            "filterValues.GENRE",
            "double quotes",
        ),
        (
            {"userId": "u1", "filter": "by-genre", "filterValues[GENRE]": "x" * 999},
            "filterValues.GENRE",
            "1 to 998 characters",
        ),
        ({"userId": "u1", "context[DEVICE]": ["a", "b"]}, "context.DEVICE", "given once"),
        ({"userId": "u1", "context[]": "x"}, "context[]", "unknown query parameter"),
        ({"userId": "u1", "numresults": "5"}, "numresults", "unknown query parameter"),
    ],
)
def test_recommendation_validation_errors(deployed, query, field, fragment):
    before = deployed.emulator.call_counts().get("GetRecommendations", 0)
    status, body, _ = get(query)
    assert_error(status, body, 400, field)
    assert fragment in body["error"]["message"]
    assert deployed.emulator.call_counts().get("GetRecommendations", 0) == before


def test_too_many_context_entries(deployed):
    query = {"userId": "u1", **{f"context[K{i}]": "v" for i in range(151)}}
    status, body, _ = get(query)
    assert_error(status, body, 400, "context")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"itemIds": ["m1"]}, "userId"),
        ({"userId": "u1"}, "itemIds"),
        ({"userId": "u1", "itemIds": []}, "itemIds"),
        ({"userId": "u1", "itemIds": ["m"] * 501}, "itemIds"),
        ({"userId": "u1", "itemIds": "m1"}, "itemIds"),
        ({"userId": "u1", "itemIds": ["m1", 2]}, "itemIds[1]"),
        ({"userId": "u1", "itemIds": ["m1"], "context": ["a"]}, "context"),
        ({"userId": "u1", "itemIds": ["m1"], "context": {"DEVICE": 1}}, "context.DEVICE"),
        ({"userId": "u1", "itemIds": ["m1"], "filter": "missing"}, "filter"),
        ({"userId": "u1", "itemIds": ["m1"], "filterValues": {"G": "x"}}, "filterValues"),
        ({"userId": "u1", "itemIds": ["m1"], "campaignArn": "arn:x"}, "campaignArn"),
    ],
)
def test_ranking_validation_errors(deployed, body, field):
    status, result, _ = rank(body)
    assert_error(status, result, 400, field)


@pytest.mark.parametrize(
    ("raw", "headers", "expected", "code"),
    [
        ("{not json", {"Content-Type": "application/json"}, 400, "InvalidJson"),
        ("[1, 2]", {"Content-Type": "application/json"}, 400, "InvalidBody"),
        ('{"userId": NaN}', {"Content-Type": "application/json"}, 400, "InvalidJson"),
        ("", {"Content-Type": "application/json"}, 400, "MissingBody"),
        ("userId=u1", {"Content-Type": "application/x-www-form-urlencoded"}, 415, None),
        ("[" * 100_000, {}, 400, "InvalidJson"),
    ],
)
def test_ranking_bad_bodies(deployed, raw, headers, expected, code):
    status, body, _ = rank(raw_body=raw, headers=headers)
    assert_error(status, body, expected)
    if code:
        assert body["error"]["code"] == code


def test_base64_body(deployed):
    import base64
    import json

    event = api_event("POST", "/rankings", raw_body="")
    event["body"] = base64.b64encode(
        json.dumps({"userId": "u00001", "itemIds": ["m00001"]}).encode()
    ).decode()
    event["isBase64Encoded"] = True
    status, body, _ = call(recommend.handler, event)
    assert status == 200, body
    event["body"] = "%%%not-base64"
    status, body, _ = call(recommend.handler, event)
    assert_error(status, body, 400, "body")


def test_unknown_route_and_method(deployed):
    status, body, _ = call(recommend.handler, api_event("GET", "/nope"))
    assert_error(status, body, 404, "path")
    status, body, headers = call(recommend.handler, api_event("DELETE", "/recommendations"))
    assert_error(status, body, 405, "method")
    assert headers["Allow"] == "GET, OPTIONS"
    status, body, _ = call(recommend.handler, {"not": "an api event"})
    assert_error(status, body, 400)


# ---- upstream errors ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "code", ["ThrottlingException", "LimitExceededException", "TooManyRequestsException"]
)
def test_throttling_maps_to_429_with_retry_after(deployed, code):
    deployed.emulator.fail_next("GetRecommendations", 1, code)
    status, body, headers = get({"userId": "u00001"})
    assert_error(status, body, 429)
    assert headers["Retry-After"].isdigit()


@pytest.mark.parametrize("fault", [500, 503, "InternalFailure", "ServiceUnavailable"])
def test_server_errors_map_to_502_with_request_id(deployed, fault):
    deployed.emulator.fail_next("GetPersonalizedRanking", 1, fault)
    event = api_event("POST", "/rankings", body={"userId": "u00001", "itemIds": ["m00001"]})
    status, body, _ = call(recommend.handler, event)
    assert_error(status, body, 502)
    assert body["error"]["requestId"] == event["requestContext"]["requestId"]


def test_request_id_falls_back_to_the_lambda_request_id(deployed):
    from local.lambda_events import LambdaContext

    deployed.emulator.fail_next("GetRecommendations", 1, 500)
    event = api_event("GET", "/recommendations", query={"userId": "u00001"})
    del event["requestContext"]
    context = LambdaContext(aws_request_id="lambda-123")
    response = recommend.handler(event, context)
    assert response["statusCode"] == 502
    assert '"requestId":"lambda-123"' in response["body"]


def test_campaign_not_ready_maps_to_503(deployed, monkeypatch):
    not_yet = deployed.recommendations_campaign_arn.rsplit("/", 1)[0] + "/still-training"
    monkeypatch.setenv("RECOMMENDATIONS_CAMPAIGN_ARN", not_yet)
    status, body, headers = get({"userId": "u00001"})
    assert_error(status, body, 503)
    assert "model not ready" in body["error"]["message"]
    assert headers["Retry-After"].isdigit()


def test_unreachable_service_maps_to_502(deployed, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME", f"http://127.0.0.1:{free_port()}")
    status, body, _ = get({"itemId": "m00001"}, "/similar-items")
    assert_error(status, body, 502)


def test_bad_filter_config_is_a_server_error_not_a_crash(deployed, monkeypatch):
    monkeypatch.setenv("FILTER_ARNS", "{not json")
    status, body, _ = get({"userId": "u1", "filter": "by-genre"})
    assert_error(status, body, 500)
    assert "FILTER_ARNS" in body["error"]["message"]
