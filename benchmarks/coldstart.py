"""One measured process for the API handler benchmark: ``python -m benchmarks.coldstart MODE NAME``.

MODE ``handler`` imports the handler module and serves its first request; MODE ``bare`` imports
boto3, creates the same client with the same settings and makes the same call; MODE ``resolver``
(recommend only) serves the same request with Powertools' REST resolver and its validation. In
all, the HTTP exchange is answered by a ``before-send`` hook on the real client, so request
serialization, signing and response parsing all run and only the socket is skipped. With
``--warm N`` the process then serves N more requests and reports per-request times. Prints one
``BENCH {json}`` line.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import json  # noqa: E402  (the clock starts before anything else is imported)
import os  # noqa: E402
import sys  # noqa: E402
import uuid  # noqa: E402
from collections.abc import Callable, Iterator  # noqa: E402
from dataclasses import dataclass, field  # noqa: E402
from typing import Any  # noqa: E402

REGION = "us-east-1"
ACCOUNT = "123456789012"
CAMPAIGN = f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/bench-recommendations"
ITEMS_DATASET = f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/bench/ITEMS"
ITEMS_SCHEMA = json.dumps(
    {
        "type": "record",
        "name": "Items",
        "namespace": "com.amazonaws.personalize.schema",
        "fields": [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "GENRES", "type": "string", "categorical": True},
            {"name": "YEAR", "type": ["null", "int"]},
            {"name": "CREATION_TIMESTAMP", "type": "long"},
        ],
        "version": "1.0",
    }
)
# The per-service settings handlers.aws uses, repeated so the bare script matches production.
TIMEOUTS = {
    "personalize-runtime": (2.0, 5.0),
    "personalize-events": (2.0, 10.0),
    "kinesis": (2.0, 5.0),
}


@dataclass(frozen=True)
class Spec:
    module: str
    env: dict[str, str]
    method: str
    path: str
    query: dict[str, str] | None
    body: Any
    service: str
    operation: str
    params: dict[str, Any]
    response: bytes
    content_type: str
    canned: dict[str, Any] = field(default_factory=dict)  # the parsed response, for warm runs


RECOMMENDATIONS = {
    "itemList": [{"itemId": f"m{n:05d}", "score": 0.04} for n in range(1, 26)],
    "recommendationId": "RID-bench",
}
PUT_RECORDS = {
    "FailedRecordCount": 0,
    "Records": [
        {
            "SequenceNumber": "49590338271490256608559692538361571095921575989136588898",
            "ShardId": "shardId-000000000000",
        }
    ],
}

SPECS = {
    "recommend": Spec(
        module="handlers.recommend",
        env={"RECOMMENDATIONS_CAMPAIGN_ARN": CAMPAIGN},
        method="GET",
        path="/recommendations",
        query={"userId": "u00001"},
        body=None,
        service="personalize-runtime",
        operation="get_recommendations",
        params={"campaignArn": CAMPAIGN, "userId": "u00001", "numResults": 25},
        response=json.dumps(RECOMMENDATIONS).encode(),
        content_type="application/json",
        canned=RECOMMENDATIONS,
    ),
    "ingest": Spec(
        module="handlers.ingest",
        env={"STREAM_NAME": "bench-events"},
        method="POST",
        path="/events",
        query=None,
        body={"userId": "u00001", "events": [{"eventType": "click", "itemId": "m00001"}]},
        service="kinesis",
        operation="put_records",
        params={
            "StreamName": "bench-events",
            "Records": [
                {
                    "Data": json.dumps({"userId": "u00001", "itemId": "m00001"}).encode(),
                    "PartitionKey": "u00001",
                }
            ],
        },
        response=json.dumps(PUT_RECORDS).encode(),
        content_type="application/x-amz-json-1.1",
        canned=PUT_RECORDS,
    ),
    "catalog": Spec(
        module="handlers.catalog",
        env={"ITEMS_DATASET_ARN": ITEMS_DATASET, "ITEMS_SCHEMA": ITEMS_SCHEMA},
        method="POST",
        path="/items",
        query=None,
        body={
            "items": [
                {
                    "ITEM_ID": "m00001",
                    "GENRES": "Comedy",
                    "YEAR": 1999,
                    "CREATION_TIMESTAMP": 1_700_000_000,
                }
            ]
        },
        service="personalize-events",
        operation="put_items",
        params={
            "datasetArn": ITEMS_DATASET,
            "items": [
                {
                    "itemId": "m00001",
                    "properties": '{"genres":"Comedy","year":1999,"creationTimestamp":1700000000}',
                }
            ],
        },
        response=b"",
        content_type="application/json",
        canned={},
    ),
}


class _Raw:
    """The part of a urllib3 response botocore reads the body from."""

    def __init__(self, data: bytes) -> None:
        self._data = data

    def stream(self, **_: Any) -> Iterator[bytes]:
        yield self._data


def answer(spec: Spec) -> Callable[..., Any]:
    """A before-send hook: the canned HTTP response instead of a network round trip."""

    def before_send(request: Any, **_: Any) -> Any:
        from botocore.awsrequest import AWSResponse  # already loaded by then

        headers = {"Content-Type": spec.content_type, "x-amzn-RequestId": "bench"}
        return AWSResponse(request.url, 200, headers, _Raw(spec.response))

    return before_send


@dataclass
class Context:
    function_name: str = "bench"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:bench"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def get_remaining_time_in_millis(self) -> int:
        return 30_000


def api_event(spec: Spec) -> dict[str, Any]:
    """An API Gateway REST (v1) proxy event for the spec's request."""
    headers = {"Content-Type": "application/json"} if spec.body is not None else {}
    query = spec.query or {}
    return {
        "resource": spec.path,
        "path": spec.path,
        "httpMethod": spec.method,
        "headers": headers or None,
        "multiValueHeaders": {k: [v] for k, v in headers.items()} or None,
        "queryStringParameters": query or None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": spec.path,
            "httpMethod": spec.method,
            "requestId": f"apigw-{uuid.uuid4()}",
            "stage": "bench",
        },
        "body": None if spec.body is None else json.dumps(spec.body),
        "isBase64Encoded": False,
    }


def per_request(call: Callable[[], Any], count: int, rounds: int = 10) -> float:
    """Median seconds per call over ``rounds`` timed loops of ``count // rounds`` calls."""
    size = max(count // rounds, 1)
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(size):
            call()
        times.append((time.perf_counter() - start) / size)
    times.sort()
    return times[len(times) // 2]


def run_handler(spec: Spec, warm: int) -> dict[str, float]:
    import importlib

    module = importlib.import_module(spec.module)
    imported = time.perf_counter()
    from handlers import aws

    make_client = aws._make_client

    def stubbed_client(service: str) -> Any:
        client = make_client(service)
        client.meta.events.register("before-send", answer(spec))
        return client

    aws._make_client = stubbed_client
    response = module.handler(api_event(spec), Context())
    served = time.perf_counter()
    if response["statusCode"] >= 300:
        raise RuntimeError(f"{spec.module} answered {response['statusCode']}: {response['body']}")
    result = {"import": imported - START, "cold": served - START}
    if warm:
        result["warm_total"] = per_request(lambda: module.handler(api_event(spec), Context()), warm)
        # The AWS call replaced by its parsed answer: what remains is the handler's own work.
        setattr(aws.client(spec.service), spec.operation, lambda **_: spec.canned)
        result["warm_overhead"] = per_request(
            lambda: module.handler(api_event(spec), Context()), warm
        )
        result["event_only"] = per_request(lambda: api_event(spec), warm)
    return result


def run_bare(spec: Spec, warm: int) -> dict[str, float]:
    import boto3
    from botocore.config import Config

    imported = time.perf_counter()
    connect, read = TIMEOUTS[spec.service]
    config = Config(
        connect_timeout=connect,
        read_timeout=read,
        retries={"mode": "standard"},
        max_pool_connections=10,
    )
    client = boto3.session.Session().client(spec.service, config=config)
    client.meta.events.register("before-send", answer(spec))
    operation = getattr(client, spec.operation)
    operation(**spec.params)
    served = time.perf_counter()
    result = {"import": imported - START, "cold": served - START}
    if warm:
        result["warm_total"] = per_request(lambda: operation(**spec.params), warm)
    return result


def run_resolver(spec: Spec, warm: int) -> dict[str, float]:
    """The same route served by Powertools' REST resolver with its request validation (the
    candidate replacement for handlers.http's dispatcher), making the same stubbed call."""
    from typing import Annotated

    import boto3
    from aws_lambda_powertools.event_handler import APIGatewayRestResolver
    from aws_lambda_powertools.event_handler.openapi.params import Query
    from botocore.config import Config

    imported = time.perf_counter()
    connect, read = TIMEOUTS[spec.service]
    config = Config(connect_timeout=connect, read_timeout=read, retries={"mode": "standard"})
    client = boto3.session.Session().client(spec.service, config=config)
    client.meta.events.register("before-send", answer(spec))
    app = APIGatewayRestResolver(enable_validation=True)

    def serve(userId: str, numResults: int = 25) -> dict[str, Any]:  # noqa: N803
        answer = getattr(client, spec.operation)(
            campaignArn=CAMPAIGN, userId=userId, numResults=numResults
        )
        return {"recommendations": answer.get("itemList", [])}

    # Real objects, not the strings `from __future__ import annotations` leaves: the resolver's
    # validation reads these to build its pydantic models.
    serve.__annotations__ = {
        "userId": Annotated[str, Query(min_length=1, max_length=256)],
        "numResults": Annotated[int, Query(ge=1, le=500)],
        "return": dict,
    }
    app.get(spec.path)(serve)

    response = app.resolve(api_event(spec), Context())  # type: ignore[arg-type]
    served = time.perf_counter()
    if response["statusCode"] >= 300:
        raise RuntimeError(f"resolver answered {response['statusCode']}: {response['body']}")
    return {"import": imported - START, "cold": served - START}


def main(argv: list[str]) -> None:
    mode, name = argv[0], argv[1]
    warm = int(argv[3]) if len(argv) > 3 and argv[2] == "--warm" else 0
    spec = SPECS[name]
    os.environ.update(spec.env)
    runners = {"handler": run_handler, "bare": run_bare, "resolver": run_resolver}
    result = runners[mode](spec, warm)
    sys.stdout.write("BENCH " + json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv[1:])
