"""The API keeps its contract: Schemathesis, all checks, against the API served locally.

The stand-in gateway (tests/handlers/gateway.py) serves the contract's routes with an API key in
front of the real handlers, each function with its own environment, the Personalize emulator and
moto behind. Schemathesis reads the stack's OpenAPI document (built by the same function the
stack exports it with) and sends what it allows and what it forbids, with every check on: no
5xx, documented statuses, content types, headers and bodies, positive data accepted, negative
data rejected, auth enforced. Every event the API reports accepted must then be on the stream
exactly once.

``API_FUZZ_EXAMPLES`` sets the examples per operation (``make test`` keeps it small;
``make soak-api`` runs it long); ``API_FUZZ_SEED`` replays a run.
"""

from __future__ import annotations

import collections
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3  # type: ignore[import-untyped, unused-ignore]
import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]

from components.model import NEW_ITEMS_PROMOTION_NAME, PROMOTION_CUTOFF_PARAMETER
from handlers import contract
from tests.conftest import ITEMS_SCHEMA, REGION, USERS_SCHEMA
from tests.handlers.conftest import Deployment
from tests.handlers.gateway import Function, Gateway, TokenBucket, serve
from tests.stack_harness import run_program

ROOT = Path(__file__).resolve().parents[2]
MODELS = "personalize-realtime:models"
API_KEY = "local-test-key"
EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "20"))
SEED = os.environ.get("API_FUZZ_SEED")
FILTER_PLACEHOLDERS = {"by-genre": ["GENRE"]}  # the deployment's filter (conftest)
# The Items columns the recommendations and ranking models return (conftest's Items schema).
METADATA_COLUMNS = {"recommendations": ["GENRES", "YEAR"], "rankings": ["GENRES"]}


@dataclass
class LocalApi:
    url: str
    gateway: Gateway
    stream_name: str
    kinesis: Any
    document: dict[str, Any]

    def stream_event_ids(self) -> list[str]:
        shard = self.kinesis.list_shards(StreamName=self.stream_name)["Shards"][0]["ShardId"]
        iterator = self.kinesis.get_shard_iterator(
            StreamName=self.stream_name, ShardId=shard, ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        found: list[str] = []
        while iterator:
            page = self.kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            found += [json.loads(r["Data"])["eventId"] for r in page["Records"]]
            if not page["Records"]:
                break
            iterator = page.get("NextShardIterator")
        return found


def function_environments(deployment: Deployment, stream_name: str) -> dict[str, dict[str, str]]:
    """Each function's environment: what the program sets, aimed at the local services, plus
    what the Lambda runtime provides (credentials, region)."""
    runtime = {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_REGION": REGION,
        "POWERTOOLS_SERVICE_NAME": "api-contract",
        "CORS_ALLOW_ORIGIN": "https://app.example.com",
        "AWS_ENDPOINT_URL_KINESIS": deployment.moto_url,
        **deployment.emulator.env(),
    }
    return {
        "recommend": {
            **runtime,
            "RECOMMENDATIONS_CAMPAIGN_ARN": deployment.recommendations_campaign_arn,
            "RANKING_CAMPAIGN_ARN": deployment.ranking_campaign_arn,
            "SIMILAR_ITEMS_CAMPAIGN_ARN": deployment.similar_items_campaign_arn,
            "FILTER_ARNS": json.dumps(deployment.filter_arns),
            "FILTER_VALUE_KEYS": json.dumps(FILTER_PLACEHOLDERS),
            contract.METADATA_COLUMNS_ENV: json.dumps(METADATA_COLUMNS),
            # As the program writes it (components/model.py), over the program's filter.
            contract.NEW_ITEMS_PROMOTION_ENV: json.dumps(
                {
                    "name": NEW_ITEMS_PROMOTION_NAME,
                    "percentPromotedItems": 20,
                    "filterArn": deployment.promotion_filter_arn,
                    "cutoffParameter": PROMOTION_CUTOFF_PARAMETER,
                    "maxAgeDays": 14,
                }
            ),
        },
        "ingest": {**runtime, "STREAM_NAME": stream_name},
        "catalog": {
            **runtime,
            "ITEMS_DATASET_ARN": deployment.items_dataset_arn,
            "ITEMS_SCHEMA": ITEMS_SCHEMA,
            "USERS_DATASET_ARN": deployment.users_dataset_arn,
            "USERS_SCHEMA": USERS_SCHEMA,
        },
    }


@pytest.fixture(scope="module")
def local_api(deployment: Deployment) -> Iterator[LocalApi]:
    kinesis = boto3.client(
        "kinesis",
        endpoint_url=deployment.moto_url,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )
    stream_name = f"contract-{uuid.uuid4().hex[:10]}"
    kinesis.create_stream(StreamName=stream_name, ShardCount=1)
    environments = function_environments(deployment, stream_name)
    gateway = Gateway(
        functions={module: Function(module, env) for module, env in environments.items()},
        api_key=API_KEY,
    )
    with serve(gateway) as url:
        document = contract.document(
            filters=FILTER_PLACEHOLDERS,
            catalog_schemas={"items": ITEMS_SCHEMA, "users": USERS_SCHEMA},
            metadata_columns=METADATA_COLUMNS,
            auth="apiKey",
            server=url,
        )
        yield LocalApi(url, gateway, stream_name, kinesis, document)


def test_the_stand_in_gives_each_function_the_variables_the_program_gives_it() -> None:
    """The stand-in's configuration variables are the program's (prod serves every route and
    promotes new items; with metadata on its recommendations and ranking campaigns it sets every
    variable the handlers read)."""
    models = yaml.safe_load((ROOT / "Pulumi.prod.yaml").read_text())["config"][MODELS]
    for model in models:
        if model["name"] in ("recommendations", "ranking"):
            model.setdefault("campaign", {})["enableMetadata"] = True
    prod = run_program("prod", {MODELS: models})
    stand_in = function_environments(FAKE_DEPLOYMENT, "stream")
    for fn in prod.of_type("aws:lambda/function:Function"):
        module = fn.inputs["handler"].split(".")[1]
        if module not in stand_in:
            continue
        source = (ROOT / "handlers" / f"{module}.py").read_text()
        program = {k for k in fn.inputs["environment"]["variables"] if k in source}
        configured = {k for k in stand_in[module] if k in source}
        assert configured == program, module


def test_schemathesis_finds_no_contract_violation(local_api: LocalApi, tmp_path: Path) -> None:
    spec = tmp_path / "openapi.json"
    spec.write_text(json.dumps(local_api.document))
    command = [
        str(Path(sys.executable).with_name("schemathesis")),
        "run",
        str(spec),
        "--url",
        local_api.url,
        "--checks",
        "all",
        "--max-examples",
        str(EXAMPLES),
        "--header",
        f"x-api-key: {API_KEY}",
        "--workers",
        "1",
        "--request-timeout",
        "30",
        "--no-color",
    ]
    if SEED:
        command += ["--seed", SEED]
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": "tests.handlers.schemathesis_hooks",
        "API_FUZZ_FILTERS": json.dumps(FILTER_PLACEHOLDERS),
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run(
        command, capture_output=True, text=True, cwd=tmp_path, env=env, timeout=3600, check=False
    )
    assert result.returncode == 0, result.stdout[-20_000:] + result.stderr[-5_000:]
    statuses = collections.Counter(status for _, _, status, _ in local_api.gateway.log)
    assert not [s for s in statuses if s >= 500], statuses
    # The run reached the functions and had events accepted (not only refusals).
    assert statuses[202] > 0, statuses


def test_every_accepted_event_is_on_the_stream_exactly_once(local_api: LocalApi) -> None:
    accepted: collections.Counter[str] = collections.Counter()
    for method, path, status, body in local_api.gateway.log:
        if (method, path) == ("POST", "/events") and status in (202, 207):
            accepted.update(body["eventIds"])
    assert accepted, "the fuzz run must run first and have events accepted"
    assert collections.Counter(local_api.stream_event_ids()) == accepted


# ---- gateway behaviour the fuzzer does not reach ------------------------------------------------


def request(url: str, method: str = "GET", *, key: str | None = API_KEY, **kwargs: Any) -> Any:
    import requests  # type: ignore[import-untyped, unused-ignore]

    headers = dict(kwargs.pop("headers", {}))
    if key is not None:
        headers["x-api-key"] = key
    return requests.request(method, url, headers=headers, timeout=30, **kwargs)


def assert_gateway_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) == {"code", "message", "requestId"}
    assert body["error"]["code"] == code


@pytest.mark.parametrize("key", [None, "wrong"])
def test_no_or_a_wrong_api_key_is_403_in_the_error_shape(local_api: LocalApi, key: Any) -> None:
    response = request(f"{local_api.url}/recommendations?userId=u00001", key=key)
    assert_gateway_error(response, 403, "Forbidden")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/events"),
        ("GET", "/events"),
        ("PUT", "/items"),
        ("GET", "/nowhere"),
        ("GET", ""),
    ],
)
def test_undeclared_methods_and_paths_are_403_missing_authentication_token(
    local_api: LocalApi, method: str, path: str
) -> None:
    for key in (API_KEY, None):  # checked before the key, as API Gateway does
        response = request(f"{local_api.url}{path}", method, key=key)
        assert_gateway_error(response, 403, "MissingAuthenticationToken")


def test_bodies_over_the_payload_limits_are_413(local_api: LocalApi) -> None:
    big = b'{"userId": "u1", "events": [], "x": "' + b"a" * contract.LAMBDA_PAYLOAD_MAX + b'"}'
    response = request(
        f"{local_api.url}/events", "POST", data=big, headers={"Content-Type": "application/json"}
    )
    assert_gateway_error(response, 413, "PayloadTooLarge")


def test_throttling_is_429_with_retry_after(local_api: LocalApi) -> None:
    local_api.gateway.throttle = TokenBucket(rate=0.001, burst=2)
    try:
        statuses = [
            request(f"{local_api.url}/recommendations?userId=u00001").status_code for _ in range(4)
        ]
        response = request(f"{local_api.url}/recommendations?userId=u00001")
    finally:
        local_api.gateway.throttle = None
    assert statuses[:2] == [200, 200]
    assert_gateway_error(response, 429, "TooManyRequests")
    assert response.headers["Retry-After"] == "1"


class _FakeEmulator:
    def env(self) -> dict[str, str]:
        return {"AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME": "http://x"}


FAKE_DEPLOYMENT: Any = Deployment(
    emulator=_FakeEmulator(),
    moto_url="http://x",
    dataset_group_arn="g",
    recommendations_campaign_arn="c1",
    ranking_campaign_arn="c2",
    similar_items_campaign_arn="c3",
    tracking_id="t",
    filter_arns={"by-genre": "f"},
    items_dataset_arn="d1",
    users_dataset_arn="d2",
    data=None,  # type: ignore[arg-type]
)
