"""Property-based fuzzing: no malformed request or record ever produces a 5xx or a crash.

The AWS clients are stubs that check every call against the botocore service model, so a value
our validation lets through but the SDK (and so the service) would refuse also fails the test.
"""

from __future__ import annotations

import base64
import json
from typing import Any

import botocore.session  # type: ignore[import-untyped, unused-ignore]
import pytest
from botocore.validate import ParamValidator  # type: ignore[import-untyped, unused-ignore]
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from handlers import aws, catalog, forwarder, ingest, recommend
from local.lambda_events import LambdaContext
from tests.conftest import ITEMS_SCHEMA, USERS_SCHEMA

FUZZ = settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
_SESSION = botocore.session.get_session()


class ModelCheckedStub:
    """Answers like the service, after checking the call against botocore's model."""

    def __init__(self, service: str, answers: dict[str, Any]):
        self.model = _SESSION.get_service_model(service)
        self.answers = answers
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def __getattr__(self, name: str) -> Any:
        if name not in self.answers:
            raise AttributeError(name)

        def operation(**params: Any) -> Any:
            op = self.model.operation_model(_camel(name))
            report = ParamValidator().validate(params, op.input_shape)
            if report.has_errors():
                raise AssertionError(f"{name} got parameters the service refuses: {report}")
            self.calls.append((name, params))
            answer = self.answers[name]
            return answer(params) if callable(answer) else answer

        return operation


def _camel(name: str) -> str:
    return "".join(part.title() for part in name.split("_"))


@pytest.fixture
def stubs(monkeypatch: pytest.MonkeyPatch) -> dict[str, ModelCheckedStub]:
    created = {
        "personalize-runtime": ModelCheckedStub(
            "personalize-runtime",
            {
                "get_recommendations": {
                    "itemList": [{"itemId": "m1", "score": 0.5}, {"itemId": "m2"}],
                    "recommendationId": "RID-1",
                },
                "get_personalized_ranking": lambda p: {
                    "personalizedRanking": [{"itemId": i, "score": 0.1} for i in p["inputList"]],
                    "recommendationId": "RID-2",
                },
            },
        ),
        "personalize-events": ModelCheckedStub(
            "personalize-events", {"put_events": {}, "put_items": {}, "put_users": {}}
        ),
        "kinesis": ModelCheckedStub(
            "kinesis",
            {
                "put_records": lambda p: {
                    "FailedRecordCount": 0,
                    "Records": [
                        {"SequenceNumber": str(n), "ShardId": "shardId-0"}
                        for n in range(len(p["Records"]))
                    ],
                }
            },
        ),
        "sqs": ModelCheckedStub("sqs", {"send_message_batch": {"Successful": [], "Failed": []}}),
    }
    for service, stub in created.items():
        monkeypatch.setitem(aws._clients, service, stub)
    env = {
        "STREAM_NAME": "events",
        "TRACKING_ID": "tracking-1",
        "DLQ_URL": "https://sqs.us-east-1.amazonaws.com/123456789012/dlq",
        "RECOMMENDATIONS_CAMPAIGN_ARN": "arn:aws:personalize:us-east-1:123456789012:campaign/r",
        "RANKING_CAMPAIGN_ARN": "arn:aws:personalize:us-east-1:123456789012:campaign/k",
        "SIMILAR_ITEMS_CAMPAIGN_ARN": "arn:aws:personalize:us-east-1:123456789012:campaign/s",
        "FILTER_ARNS": json.dumps(
            {"by-genre": "arn:aws:personalize:us-east-1:123456789012:filter/g"}
        ),
        "ITEMS_DATASET_ARN": "arn:aws:personalize:us-east-1:123456789012:dataset/d/ITEMS",
        "USERS_DATASET_ARN": "arn:aws:personalize:us-east-1:123456789012:dataset/d/USERS",
        "ITEMS_SCHEMA": ITEMS_SCHEMA,
        "USERS_SCHEMA": USERS_SCHEMA,
        "CORS_ALLOW_ORIGIN": "*",
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return created


# ---- strategies --------------------------------------------------------------------------

edgy_text = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "",
            "0",
            "-1",
            "1",
            "25",
            "500",
            "501",
            "1e3",
            "2.5",
            " 7 ",
            "u1",
            "m1",
            "x" * 300,
            '"q"',
            "null",
            "\x00",
            "\u202e",
            "é",
            "\U0001d518",  # outside the BMP
        ]
    ),
)
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    edgy_text,
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(edgy_text, inner, max_size=4),
    max_leaves=12,
)


def shaped(keys: list[str], values: st.SearchStrategy[Any] = json_values) -> st.SearchStrategy:
    """Objects mostly made of the expected keys, with arbitrary values."""
    return st.dictionaries(st.sampled_from(keys) | edgy_text, values, max_size=len(keys) + 1)


event_fields = sorted(ingest.EVENT_FIELDS)
item_fields = ["ITEM_ID", "GENRES", "YEAR", "CREATION_TIMESTAMP"]
user_fields = ["USER_ID", "AGE_BAND", "TIER"]
bodies = st.one_of(
    json_values,
    shaped(
        ["userId", "sessionId", "events"],
        json_values | st.lists(shaped(event_fields, scalars | st.lists(scalars)), max_size=12),
    ),
    shaped(["userId", "itemIds", "context", "filter", "filterValues"]),
    shaped(["items"], st.lists(shaped(item_fields, scalars), max_size=12)),
    shaped(["users"], st.lists(shaped(user_fields, scalars), max_size=12)),
)
query_names = st.sampled_from(
    [
        "userId",
        "itemId",
        "numResults",
        "filter",
        "filterValues[GENRE]",
        "filterValues.G",
        "filterValues[]",
        "filterValues.",
        "context[DEVICE]",
        "context.K",
        "context[a b]",
    ]
) | st.text(max_size=10)
queries = st.none() | st.dictionaries(query_names, st.lists(edgy_text, max_size=3), max_size=5)
headers = st.none() | st.dictionaries(
    st.sampled_from(["Content-Type", "content-type", "Accept", "X-Api-Key"]) | st.text(max_size=8),
    st.sampled_from(
        [
            "application/json",
            "application/json; charset=utf-8",
            "text/plain",
            "application/vnd.api+json",
            "",
        ]
    )
    | st.text(max_size=20),
    max_size=3,
)
methods = st.sampled_from(["GET", "POST", "PUT", "DELETE", "OPTIONS", "get", ""]) | st.text(
    max_size=6
)
paths = st.sampled_from(
    [
        "/recommendations",
        "/rankings",
        "/similar-items",
        "/events",
        "/items",
        "/users",
        "/",
        "/recommendations/",
        "/nope",
    ]
) | st.text(max_size=15)


@st.composite
def api_events(draw: st.DrawFn) -> Any:
    if draw(st.integers(0, 20)) == 0:
        return draw(json_values)  # not even an API Gateway event
    query = draw(queries)
    body = draw(st.none() | bodies.map(json.dumps) | st.text(max_size=40))
    base64_body = draw(st.booleans()) and draw(st.booleans())
    if base64_body and body is not None and draw(st.booleans()):
        body = base64.b64encode(body.encode("utf-8", "surrogatepass")).decode()
    return {
        "resource": draw(paths),
        "path": draw(paths),
        "httpMethod": draw(methods),
        "headers": draw(headers),
        "queryStringParameters": None
        if query is None
        else {k: v[-1] for k, v in query.items() if v},
        "multiValueQueryStringParameters": query,
        "requestContext": draw(st.none() | st.just({"requestId": "req-1"})),
        "body": body,
        "isBase64Encoded": base64_body,
    }


def check_response(response: dict[str, Any]) -> None:
    event(f"HTTP {response['statusCode']}")  # shown by --hypothesis-show-statistics
    assert 200 <= response["statusCode"] < 500, response
    if response["body"]:
        body = json.loads(response["body"])
        if response["statusCode"] >= 400:
            assert set(body) == {"error"}
            assert body["error"]["code"]
            assert body["error"]["message"]


@pytest.mark.parametrize("module", [recommend, ingest, catalog], ids=lambda m: m.__name__)
@FUZZ
@given(event=api_events())
def test_api_handlers_never_answer_5xx(stubs, module, event):
    check_response(module.handler(event, LambdaContext()))


# Targeted: near-valid bodies for each route, so validation is exercised deeply.
ROUTE_BODIES = [
    ("/events", ingest, bodies),
    ("/rankings", recommend, bodies),
    ("/items", catalog, shaped(["items"], st.lists(shaped(item_fields, scalars), max_size=12))),
    ("/users", catalog, shaped(["users"], st.lists(shaped(user_fields, scalars), max_size=12))),
]


@pytest.mark.parametrize(("path", "module", "strategy"), ROUTE_BODIES, ids=lambda v: str(v)[:12])
@FUZZ
@given(data=st.data())
def test_post_bodies_never_answer_5xx(stubs, path, module, strategy, data):
    body = data.draw(strategy)
    event = {
        "resource": path,
        "path": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(body),
        "requestContext": {"requestId": "req-1"},
    }
    check_response(module.handler(event, LambdaContext()))


# Mutations of valid bodies: every field in turn gets a hostile value while the rest stays valid.
VALID: dict[str, tuple[Any, dict[str, Any], str | None, list[str]]] = {
    "/events": (
        ingest,
        {"userId": "u1", "events": [{"itemId": "m1", "eventType": "click", "sentAt": 1.7e9}]},
        "events",
        event_fields,
    ),
    "/rankings": (
        recommend,
        {"userId": "u1", "itemIds": ["m1", "m2"], "filter": "by-genre"},
        None,
        [],
    ),
    "/items": (
        catalog,
        {"items": [{"ITEM_ID": "m1", "GENRES": "A|B", "YEAR": 1999, "CREATION_TIMESTAMP": 1}]},
        "items",
        item_fields,
    ),
    "/users": (
        catalog,
        {"users": [{"USER_ID": "u1", "AGE_BAND": "18-24", "TIER": "gold"}]},
        "users",
        user_fields,
    ),
}


@st.composite
def mutated(draw: st.DrawFn, valid: dict[str, Any], list_key: str | None, keys: list[str]) -> Any:
    hostile = json_values | st.sampled_from(["Comedy", 5, 1.7e9, ["m1"], {}])
    body = json.loads(json.dumps(valid))
    if list_key:
        records = [dict(valid[list_key][0]) for _ in range(draw(st.integers(1, 11)))]
        for _ in range(draw(st.integers(0, 3))):
            record = records[draw(st.integers(0, len(records) - 1))]
            key = draw(st.sampled_from(keys) | edgy_text)
            if key in record and draw(st.booleans()):
                del record[key]
            else:
                record[key] = draw(hostile)
        body[list_key] = records
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from(list(valid)) | edgy_text)
        if key in body and draw(st.booleans()):
            del body[key]
        else:
            body[key] = draw(hostile)
    return body


@pytest.mark.parametrize("path", sorted(VALID))
@FUZZ
@given(data=st.data())
def test_mutated_valid_bodies_never_answer_5xx(stubs, path, data):
    module, valid, list_key, keys = VALID[path]
    event = {
        "resource": path,
        "httpMethod": "POST",
        "headers": {"Content-Type": "application/json"},
        "body": json.dumps(data.draw(mutated(valid, list_key, keys))),
        "requestContext": {"requestId": "req-1"},
    }
    check_response(module.handler(event, LambdaContext()))


query_values = st.lists(
    edgy_text | st.sampled_from(["5", "by-genre", "Comedy", "mobile"]), min_size=1, max_size=3
)


@FUZZ
@given(extra=st.dictionaries(query_names, query_values, max_size=4), drop=st.booleans())
def test_recommendation_queries_never_answer_5xx(stubs, extra, drop):
    for path, base in (("/recommendations", "userId"), ("/similar-items", "itemId")):
        query = {} if drop else {base: ["u1"]}
        event = {
            "resource": path,
            "httpMethod": "GET",
            "multiValueQueryStringParameters": {**query, **extra},
            "requestContext": {"requestId": "req-1"},
        }
        check_response(recommend.handler(event, LambdaContext()))


stream_fields = sorted(forwarder.validate_stream_event.__globals__["STREAM_FIELDS"])
record_data = st.one_of(
    st.binary(max_size=40),
    shaped(stream_fields, scalars | st.lists(scalars, max_size=3)).map(
        lambda d: json.dumps(d).encode()
    ),
    st.builds(
        lambda user, n: json.dumps(
            {
                "userId": user,
                "sessionId": "s",
                "eventId": f"e{n}",
                "eventType": "click",
                "itemId": "m1",
                "sentAt": 1_700_000_000 + n,
            }
        ).encode(),
        st.sampled_from(["a", "b", "c"]),
        st.integers(0, 10_000),
    ),
)


@FUZZ
@given(datas=st.lists(record_data, max_size=30))
def test_forwarder_accounts_for_every_record(stubs, datas):
    stubs["personalize-events"].calls.clear()
    stubs["sqs"].calls.clear()
    event = {
        "Records": [
            {
                "kinesis": {
                    "sequenceNumber": str(1000 + n),
                    "partitionKey": "p",
                    "data": base64.b64encode(data).decode(),
                },
                "eventSourceARN": "arn:aws:kinesis:us-east-1:123456789012:stream/s",
            }
            for n, data in enumerate(datas)
        ]
    }
    response = forwarder.handler(event, LambdaContext())
    assert response == {"batchItemFailures": []}  # the stubs never fail, so nothing is retried
    sent = sum(len(p["eventList"]) for _, p in stubs["personalize-events"].calls)
    dead = sum(len(p["Entries"]) for _, p in stubs["sqs"].calls)
    assert sent + dead == len(datas)
    assert all(len(p["eventList"]) <= 10 for _, p in stubs["personalize-events"].calls)
