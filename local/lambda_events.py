"""Events and context shaped as AWS Lambda delivers them, to run the handlers off AWS.

API Gateway's REST proxy integration (payload v1) and Kinesis event source mappings each have
one documented event shape; the rehearsal and the tests build them here so both invoke the
handlers exactly as Lambda would.
"""

from __future__ import annotations

import base64
import json
import uuid
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass
class LambdaContext:
    """The attributes of Lambda's context object that the handlers and Powertools read."""

    function_name: str = "local"
    memory_limit_in_mb: int = 256
    invoked_function_arn: str = "arn:aws:lambda:us-east-1:123456789012:function:local"
    aws_request_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    remaining_ms: int = 30_000

    def get_remaining_time_in_millis(self) -> int:
        return self.remaining_ms


def api_gateway_event(
    method: str,
    path: str,
    *,
    query: dict[str, str | list[str]] | None = None,
    body: Any = None,
    headers: dict[str, str] | None = None,
    raw_body: str | None = None,
    stage: str = "local",
) -> dict[str, Any]:
    """A REST API proxy integration event (payload format 1.0)."""
    multi = {k: v if isinstance(v, list) else [v] for k, v in (query or {}).items()}
    single = {k: v[-1] for k, v in multi.items()}
    all_headers = dict(headers or {})
    if body is not None and raw_body is None:
        raw_body = json.dumps(body)
        all_headers.setdefault("Content-Type", "application/json")
    return {
        "resource": path,
        "path": path,
        "httpMethod": method,
        "headers": all_headers or None,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()} or None,
        "queryStringParameters": single or None,
        "multiValueQueryStringParameters": multi or None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": path,
            "httpMethod": method,
            "requestId": f"local-{uuid.uuid4()}",
            "stage": stage,
        },
        "body": raw_body,
        "isBase64Encoded": False,
    }


def kinesis_event(
    records: list[dict[str, Any]],
    stream_arn: str,
    *,
    region: str = "us-east-1",
    role_arn: str = "arn:aws:iam::123456789012:role/forwarder",
) -> dict[str, Any]:
    """Records from Kinesis GetRecords, as an event source mapping hands them to a function."""

    def arrival(record: dict[str, Any]) -> float:
        value = record["ApproximateArrivalTimestamp"]
        return value.timestamp() if isinstance(value, datetime) else float(value)

    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["PartitionKey"],
                    "sequenceNumber": record["SequenceNumber"],
                    "data": base64.b64encode(record["Data"]).decode("ascii"),
                    "approximateArrivalTimestamp": arrival(record),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{record['SequenceNumber']}",
                "eventName": "aws:kinesis:record",
                "invokeIdentityArn": role_arn,
                "awsRegion": region,
                "eventSourceARN": stream_arn,
            }
            for record in records
        ]
    }
