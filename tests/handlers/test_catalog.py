"""POST /items and POST /users against the emulator: schema validation and per-record results."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError  # type: ignore[import-untyped, unused-ignore]

from handlers import aws, catalog
from handlers.avro import camel_case, parse_schema
from local.lambda_events import api_gateway_event as api_event
from tests.conftest import ITEMS_SCHEMA
from tests.handlers.conftest import Deployment, call


def post(path: str, body=None, **kwargs):
    return call(catalog.handler, api_event("POST", path, body=body, **kwargs))


def item(n: int, **fields):
    return {"ITEM_ID": f"new{n:04d}", "GENRES": "Comedy|Drama", "CREATION_TIMESTAMP": 1, **fields}


def put_items_calls(deployed: Deployment) -> int:
    return int(deployed.emulator.call_counts().get("PutItems", 0))


def test_items_are_written_in_chunks_of_ten(deployed: Deployment):
    before = put_items_calls(deployed)
    records = [item(n, YEAR=2000 + n) for n in range(25)]
    status, body, _ = post("/items", {"items": records})
    assert status == 200, body
    assert body["accepted"] == 25
    assert body["rejected"] == body["failed"] == 0
    assert [r["status"] for r in body["results"]] == ["accepted"] * 25
    assert [r["id"] for r in body["results"]] == [r["ITEM_ID"] for r in records]
    assert put_items_calls(deployed) - before == 3


def test_users(deployed: Deployment):
    users = [{"USER_ID": "new-user", "AGE_BAND": "25-34", "TIER": "gold"}]
    status, body, _ = post("/users", {"users": users})
    assert status == 200, body
    assert body["results"] == [{"index": 0, "id": "new-user", "status": "accepted"}]


def test_invalid_records_refuse_the_request_and_each_is_named(deployed: Deployment):
    records = [
        item(1),
        item(2, YEAR="nineteen"),
        item(3, YEAR=None),  # nullable
        {"GENRES": "Comedy", "CREATION_TIMESTAMP": 1},
        item(5, COLOUR="red"),
        "not an object",
        item(7, YEAR=2**31),
        item(8, CREATION_TIMESTAMP=True),
    ]
    before = put_items_calls(deployed)
    status, body, _ = post("/items", {"items": records})
    assert status == 400, body
    assert body["error"]["code"] == "InvalidRecords"
    by_index = {r["index"]: r for r in body["error"]["results"]}
    assert sorted(by_index) == [1, 3, 4, 5, 6, 7]  # only the invalid ones
    assert {r["status"] for r in by_index.values()} == {"rejected"}
    assert by_index[1]["error"]["field"] == "items[1].YEAR"
    assert "must be int" in by_index[1]["error"]["message"]
    assert by_index[3]["error"]["field"] == "items[3].ITEM_ID"
    assert by_index[4]["error"]["field"] == "items[4].COLOUR"
    assert by_index[4]["error"]["code"] == "UnknownField"
    assert by_index[5]["error"]["field"] == "items[5]"
    assert by_index[6]["error"]["field"] == "items[6].YEAR"
    assert by_index[7]["error"]["field"] == "items[7].CREATION_TIMESTAMP"
    assert put_items_calls(deployed) == before  # the valid ones were not written either


def test_all_records_rejected_is_400_with_results(deployed: Deployment):
    before = put_items_calls(deployed)
    status, body, _ = post("/items", {"items": [item(1, GENRES=None)]})
    assert status == 400
    assert body["error"]["code"] == "InvalidRecords"
    assert body["error"]["results"][0]["error"]["field"] == "items[0].GENRES"
    assert put_items_calls(deployed) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "items"),
        ({"items": {}}, "items"),
        ({"items": []}, "items"),
        ({"items": [item(1)] * 101}, "items"),
        ({"items": [item(1)], "users": []}, "users"),
    ],
)
def test_body_errors(deployed, body, field):
    status, result, _ = post("/items", body)
    assert status == 400, result
    assert result["error"]["field"] == field


def test_dataset_not_configured_is_404(deployed, monkeypatch):
    monkeypatch.delenv("USERS_DATASET_ARN")
    status, body, _ = post("/users", {"users": []})
    assert status == 404
    assert body["error"]["code"] == "NotConfigured"


def test_unusable_schema_is_a_server_error(deployed, monkeypatch):
    monkeypatch.setenv("ITEMS_SCHEMA", '{"type": "enum"}')
    status, body, _ = post("/items", {"items": [item(1)]})
    assert status == 500
    assert "ITEMS_SCHEMA" in body["error"]["message"]


def test_throttled_writes_are_reported_per_record(deployed: Deployment):
    deployed.emulator.fail_next("PutItems", 1, "ThrottlingException")
    records = [item(n) for n in range(15)]
    status, body, headers = post("/items", {"items": records})
    # The first chunk was throttled, so the rest was not sent: nothing stored, 429.
    assert status == 429
    assert headers["Retry-After"] == "1"
    assert {r["status"] for r in body["error"]["results"]} == {"failed"}


def test_upstream_failure_is_502_and_later_chunks_are_not_sent(deployed: Deployment):
    deployed.emulator.fail_next("PutUsers", 1, 500)
    users = [{"USER_ID": f"nu{n}", "AGE_BAND": "a", "TIER": "t"} for n in range(12)]
    before = deployed.emulator.call_counts().get("PutUsers", 0)
    status, body, _ = post("/users", {"users": users})
    assert status == 502
    assert body["error"]["requestId"]
    assert [r["status"] for r in body["error"]["results"]] == ["failed"] * 12
    assert "failed" not in body["error"]  # that name is the POST /events array in an error
    assert deployed.emulator.call_counts().get("PutUsers", 0) - before == 1


def test_dataset_not_ready_is_503(deployed: Deployment, monkeypatch):
    monkeypatch.setenv("ITEMS_DATASET_ARN", deployed.items_dataset_arn + "-missing")
    status, body, _ = post("/items", {"items": [item(1)]})
    assert status == 503
    assert body["error"]["results"][0]["status"] == "failed"


class RejectFirstChunk:
    """A PutItems that rejects calls containing a poisoned id, as the service rejects a chunk."""

    def __init__(self, real):
        self.real = real
        self.sizes: list[int] = []

    def put_items(self, datasetArn, items):  # noqa: N803
        self.sizes.append(len(items))
        if any(i["itemId"] == "new0003" for i in items):
            raise ClientError(
                {
                    "Error": {"Code": "InvalidInputException", "Message": "bad item new0003"},
                    "ResponseMetadata": {"HTTPStatusCode": 400},
                },
                "PutItems",
            )
        return self.real.put_items(datasetArn=datasetArn, items=items)


def test_a_chunk_the_service_rejects_is_retried_record_by_record(deployed, monkeypatch):
    stub = RejectFirstChunk(aws.client("personalize-events"))
    monkeypatch.setitem(aws._clients, "personalize-events", stub)
    status, body, _ = post("/items", {"items": [item(n) for n in range(12)]})
    assert status == 207, body
    assert stub.sizes == [10, *[1] * 10, 2]
    rejected = [r for r in body["results"] if r["status"] != "accepted"]
    assert rejected == [
        {
            "index": 3,
            "id": "new0003",
            "status": "rejected",
            "error": {
                "code": "InvalidInput",
                "message": "the items dataset rejected the request: bad item new0003",
            },
        }
    ]


def test_schema_helpers():
    schema = parse_schema(ITEMS_SCHEMA)
    assert [f.name for f in schema.fields if f.required] == [
        "ITEM_ID",
        "GENRES",
        "CREATION_TIMESTAMP",
    ]
    assert camel_case("CREATION_TIMESTAMP") == "creationTimestamp"
    assert camel_case("GENRES") == "genres"
    entry = catalog.to_entry(catalog.ITEMS, schema, item(1, YEAR=1999), "items[0]")
    assert entry == {
        "itemId": "new0001",
        "properties": json.dumps(
            {"genres": "Comedy|Drama", "year": 1999, "creationTimestamp": 1}, separators=(",", ":")
        ),
    }
