"""POST /items and POST /users: validate catalog records and write them with PutItems / PutUsers.

Environment: ITEMS_DATASET_ARN and ITEMS_SCHEMA (Avro JSON text) for /items, USERS_DATASET_ARN and
USERS_SCHEMA for /users; a route whose dataset ARN is unset answers 404. CORS_ALLOW_ORIGIN optional.

Records use the dataset schema's field names (``{"ITEM_ID": "m1", "GENRES": "Comedy"}``). A
request with any record that breaks the schema is refused whole (400, each bad record named);
once valid, each record gets its own result from the service, so one record the service refuses
never blocks its neighbours.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from handlers import aws, env
from handlers.avro import RecordSchema, SchemaError, camel_case, check_record, parse_schema
from handlers.contract import ITEMS_PROPERTIES_MAX, MAX_RECORDS, USERS_PROPERTIES_MAX
from handlers.http import (
    HttpError,
    JsonResponse,
    Request,
    dispatch,
    routes,
    upstream_http_error,
)
from handlers.upstream import UpstreamError, classify
from handlers.validation import ValidationError, describe, reject_unknown, require_str

logger = Logger()

CHUNK = 10  # PutItems / PutUsers take at most 10 records per call


@dataclass(frozen=True)
class Dataset:
    kind: str  # "items" | "users": the body key and the route
    id_field: str  # schema field holding the record id
    id_key: str  # PutItems/PutUsers key for the id
    arn_env: str
    schema_env: str
    operation: str
    list_key: str  # PutItems "items" / PutUsers "users"
    properties_max: int  # botocore model limit for the properties JSON text


ITEMS = Dataset(
    "items",
    "ITEM_ID",
    "itemId",
    env.ITEMS_DATASET_ARN,
    env.ITEMS_SCHEMA,
    "put_items",
    "items",
    ITEMS_PROPERTIES_MAX,
)
USERS = Dataset(
    "users",
    "USER_ID",
    "userId",
    env.USERS_DATASET_ARN,
    env.USERS_SCHEMA,
    "put_users",
    "users",
    USERS_PROPERTIES_MAX,
)


@dataclass
class Result:
    index: int
    id: str | None
    status: str  # accepted | rejected | failed
    error: dict[str, Any] | None = None
    upstream: UpstreamError | None = None

    def as_json(self) -> dict[str, Any]:
        body: dict[str, Any] = {"index": self.index, "id": self.id, "status": self.status}
        if self.error is not None:
            body["error"] = self.error
        return body


def to_entry(dataset: Dataset, schema: RecordSchema, record: Any, where: str) -> dict[str, Any]:
    """A validated PutItems/PutUsers entry from one API record."""
    clean = check_record(schema, record, where)
    record_id = require_str(clean.get(dataset.id_field), f"{where}.{dataset.id_field}")
    properties = {camel_case(k): v for k, v in clean.items() if k != dataset.id_field}
    entry: dict[str, Any] = {dataset.id_key: record_id}
    if properties:
        text = json.dumps(properties, separators=(",", ":"))
        if len(text) > dataset.properties_max:
            raise ValidationError(
                where,
                f"{where} is too large: {len(text)} characters of properties, "
                f"at most {dataset.properties_max}",
            )
        entry["properties"] = text
    return entry


def write(
    dataset: Dataset, arn: str, entries: list[tuple[int, dict[str, Any]]], put: Callable[..., Any]
) -> list[Result]:
    """Send valid entries in chunks of 10; isolate a chunk the service rejects record by record."""
    results: list[Result] = []
    stop: UpstreamError | None = None  # after a retryable failure, later chunks are not sent
    for start in range(0, len(entries), CHUNK):
        chunk = entries[start : start + CHUNK]
        if stop is None:
            error = _put(put, dataset, arn, [entry for _, entry in chunk])
            if error is None:
                results += [Result(i, e[dataset.id_key], "accepted") for i, e in chunk]
                continue
            if error.kind == "invalid_input" and len(chunk) > 1:
                results += _one_by_one(dataset, arn, chunk, put)
                continue
            if error.retryable:
                stop = error
            else:
                results += [_failed(i, e, dataset, error) for i, e in chunk]
                continue
        results += [_failed(i, e, dataset, stop) for i, e in chunk]
    return results


def _one_by_one(
    dataset: Dataset, arn: str, chunk: list[tuple[int, dict[str, Any]]], put: Callable[..., Any]
) -> list[Result]:
    results = []
    for index, entry in chunk:
        error = _put(put, dataset, arn, [entry])
        if error is None:
            results.append(Result(index, entry[dataset.id_key], "accepted"))
        else:
            results.append(_failed(index, entry, dataset, error))
    return results


def _put(
    put: Callable[..., Any], dataset: Dataset, arn: str, entries: list[dict[str, Any]]
) -> UpstreamError | None:
    try:
        put(datasetArn=arn, **{dataset.list_key: entries})
    except Exception as exc:
        upstream = classify(exc)
        if upstream is None:
            raise
        logger.warning(
            "catalog write failed",
            extra={"operation": dataset.operation, "code": upstream.code, "records": len(entries)},
        )
        return upstream
    return None


def _failed(index: int, entry: dict[str, Any], dataset: Dataset, error: UpstreamError) -> Result:
    mapped = upstream_http_error(error, f"the {dataset.kind} dataset")
    status = "rejected" if error.kind == "invalid_input" else "failed"
    return Result(
        index,
        entry[dataset.id_key],
        status,
        {"code": mapped.code, "message": mapped.message},
        error,
    )


@functools.lru_cache(maxsize=4)
def _schema(text: str) -> RecordSchema:
    return parse_schema(text)


def post_records(dataset: Dataset, request: Request) -> JsonResponse:
    arn = os.environ.get(dataset.arn_env, "")
    try:
        schema = _schema(os.environ.get(dataset.schema_env, ""))
    except SchemaError as exc:
        logger.error("dataset schema unusable", extra={"variable": dataset.schema_env})
        raise HttpError(
            500, "NotConfigured", f"the {dataset.kind} schema is not usable ({dataset.schema_env})"
        ) from exc
    if dataset.id_field not in schema.names:
        raise HttpError(
            500, "NotConfigured", f"{dataset.schema_env} has no {dataset.id_field} field"
        )
    body = request.json_object()
    reject_unknown(body, frozenset({dataset.kind}), "")
    records = body.get(dataset.kind)
    if not isinstance(records, list):
        if records is None:
            raise ValidationError(dataset.kind, f"{dataset.kind} is required", "MissingParameter")
        raise ValidationError(
            dataset.kind, f"{dataset.kind} must be an array, got {describe(records)}"
        )
    if not 1 <= len(records) <= MAX_RECORDS:
        raise ValidationError(
            dataset.kind,
            f"{dataset.kind} must have 1 to {MAX_RECORDS} records, got {len(records)}",
        )
    results: list[Result] = []
    valid: list[tuple[int, dict[str, Any]]] = []
    for index, record in enumerate(records):
        where = f"{dataset.kind}[{index}]"
        try:
            valid.append((index, to_entry(dataset, schema, record, where)))
        except ValidationError as exc:
            raw_id = record.get(dataset.id_field) if isinstance(record, dict) else None
            error = {"code": exc.code, "message": exc.message, "field": exc.field}
            results.append(
                Result(index, raw_id if isinstance(raw_id, str) else None, "rejected", error)
            )
    if results:
        # Records that break the schema are the request's mistake, as a bad event is in POST
        # /events: nothing is written, and the error lists each bad record.
        raise HttpError(
            400,
            "InvalidRecords",
            f"{len(results)} of {len(records)} {dataset.kind} records are invalid; "
            "nothing was written (see results)",
            field=dataset.kind,
            extra={"results": [r.as_json() for r in results]},
        )
    put = getattr(aws.client("personalize-events"), dataset.operation)
    results += write(dataset, arn, valid, put)
    results.sort(key=lambda r: r.index)
    return _respond(dataset, results)


def _respond(dataset: Dataset, results: list[Result]) -> JsonResponse:
    counts = {s: sum(r.status == s for r in results) for s in ("accepted", "rejected", "failed")}
    body = {**counts, "results": [r.as_json() for r in results]}
    if counts["accepted"] == len(results):
        return JsonResponse(200, body)
    if counts["accepted"]:
        return JsonResponse(207, body)
    upstream = next((r.upstream for r in results if r.status == "failed" and r.upstream), None)
    if upstream is not None:
        error = upstream_http_error(upstream, f"the {dataset.kind} dataset")
    else:
        error = HttpError(
            400,
            "InvalidRecords",
            f"no {dataset.kind} record was accepted; see results",
            field=dataset.kind,
        )
    # Only the per-record results: the counts' names (accepted/rejected/failed) would collide with
    # the error fields POST /events uses for arrays (`failed`), and each is implied by results.
    error.extra["results"] = body["results"]
    raise error


ROUTES = routes(
    "catalog",
    {
        "postItems": lambda request: post_records(ITEMS, request),
        "postUsers": lambda request: post_records(USERS, request),
    },
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dispatch(ROUTES, event, context, logger)
