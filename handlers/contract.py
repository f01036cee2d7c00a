"""The HTTP API contract, declared once: operations, parameters, bodies, responses, limits.

Everything else comes from this module:

- the handlers' route tables (``handlers.http.Route`` wraps an :class:`Operation` with its code)
  and the limits they enforce (imported from here, never restated);
- the API Gateway routes, their Lambda functions and the gateway responses (``components/api.py``
  reads :data:`OPERATIONS` and :data:`GATEWAY_RESPONSES`);
- the OpenAPI document: :func:`document` builds it, ``docs/openapi.yaml`` is its output for the
  sample data (``python -m handlers.contract > docs/openapi.yaml``), and each stack exports its
  own (its routes, filters and dataset schemas) as the ``openapi`` output.

A test regenerates ``docs/openapi.yaml`` and fails on any difference, and the contract fuzzer
(Schemathesis, ``tests/handlers/test_contract.py``) sends what the document allows and what it
forbids to the handlers behind a local API Gateway stand-in. To add a query parameter or a body
field, add it here (and read it in the handler); the document, the unknown-parameter check and
the fuzzer follow.

Only the standard library is imported at module level: this file ships in every function.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from handlers import env
from handlers.events import (
    IMPRESSION_MAX,
    PROPERTIES_KEY_MAX,
    PROPERTIES_KEYS,
    PROPERTIES_VALUE_MAX,
    RECOMMENDATION_ID_MAX,
    SENT_AT_MAX,
    SENT_AT_MIN,
    SENT_AT_PATTERN,
)
from handlers.validation import FIELD_NAME_PATTERN, FLOAT_MAX, ID_FORBIDDEN, ID_MAX, KEY_PATTERN

# ---- limits (the handlers import these) ----------------------------------------------------------

NUM_RESULTS_DEFAULT = 25
NUM_RESULTS_MAX = 500  # GetRecommendations numResults (botocore model)
RANKING_INPUT_MAX = 500  # GetPersonalizedRanking inputList
# With metadataColumns, numResults and inputList are at most 50, with at most 10 columns of up to
# 150 characters (GetRecommendations / GetPersonalizedRanking, botocore personalize-runtime).
WITH_METADATA_MAX = 50
METADATA_COLUMNS_MAX = 10
METADATA_COLUMN_MAX = 150
# Items columns are Avro field names.
COLUMN_NAME = FIELD_NAME_PATTERN

# The recommend function's settings for promotions and metadata, written by components/model.py:
# NEW_ITEMS_PROMOTION is {name, percentPromotedItems, filterArn, cutoffParameter, maxAgeDays},
# METADATA_COLUMNS is {route: [Items columns]} (what document(metadata_columns=...) takes).
NEW_ITEMS_PROMOTION_ENV = env.NEW_ITEMS_PROMOTION
METADATA_COLUMNS_ENV = env.METADATA_COLUMNS
CONTEXT_MAX = 150  # entries; keys <= 150 characters, values <= 1000 (botocore model)
CONTEXT_KEY_MAX = 150
FILTER_VALUES_MAX = 25  # entries; keys <= 50 characters, values <= 1000
FILTER_KEY_MAX = 50
MAP_VALUE_MAX = 1000
FILTER_NAME_MAX = 256
# Personalize takes a key's values quoted and comma-joined, at most MAP_VALUE_MAX characters:
# one value of up to FILTER_VALUE_MAX, or up to FILTER_LIST_MAX values of FILTER_LIST_VALUE_MAX.
FILTER_VALUE_MAX = MAP_VALUE_MAX - 2
FILTER_LIST_MAX = 10
FILTER_LIST_VALUE_MAX = (MAP_VALUE_MAX - (FILTER_LIST_MAX - 1)) // FILTER_LIST_MAX - 2
MAX_EVENTS = 10  # one request = at most one PutEvents call downstream
MAX_RECORDS = 100  # catalog records per request
# PutItems / PutUsers: a record's properties as JSON text (botocore model).
ITEMS_PROPERTIES_MAX = 32000
USERS_PROPERTIES_MAX = 24000
# Objects and arrays nested deeper than this are refused (no field of the contract needs more
# than a handful of levels; event properties are the deepest free-form value).
MAX_DEPTH = 32
# Ids: 1..256 characters without control characters.
ID_PATTERN = f"^[^{ID_FORBIDDEN}]*$"

# API Gateway REST API payload limit; larger requests never reach a function.
# https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-execution-service-limits-table.html
GATEWAY_PAYLOAD_MAX = 10 * 1024 * 1024
# Lambda's synchronous invocation payload limit (request and response), 6 MB.
# https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html
LAMBDA_PAYLOAD_MAX = 6 * 1024 * 1024

Schema = dict[str, Any]


def _ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


ID: Schema = {"type": "string", "minLength": 1, "maxLength": ID_MAX, "pattern": ID_PATTERN}


def _string_map(key_max: int, max_entries: int, value: Schema) -> Schema:
    return {
        "type": "object",
        "maxProperties": max_entries,
        "propertyNames": {"pattern": KEY_PATTERN, "minLength": 1, "maxLength": key_max},
        "additionalProperties": value,
    }


MAP_VALUE: Schema = {**ID, "maxLength": MAP_VALUE_MAX}
# Filter values are quoted for Personalize ("a","b"), so a value may not hold a double quote.
FILTER_VALUE: Schema = {
    **MAP_VALUE,
    "maxLength": FILTER_VALUE_MAX,
    "pattern": f'^[^"{ID_FORBIDDEN}]*$',
}
FILTER_LIST_VALUE: Schema = {**FILTER_VALUE, "maxLength": FILTER_LIST_VALUE_MAX}


# ---- declarations --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """A query parameter. ``deep_object`` parameters carry a map: ``name[KEY]=value``."""

    name: str
    description: str
    schema: Schema
    required: bool = False
    deep_object: bool = False


@dataclass(frozen=True)
class Operation:
    method: str
    path: str
    operation_id: str
    module: str  # handlers.<module>.handler serves it
    summary: str
    description: str
    # The route exists only when the function has this environment variable (optional models).
    enabled_by: str | None = None
    params: tuple[Param, ...] = ()
    body: Schema | None = None  # request body schema (application/json), required when set
    body_example: Any = None
    success: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # status -> (text, schema)
    error_schema: str = "Error"  # the schema of this operation's 4xx/5xx bodies


NUM_RESULTS = Param(
    "numResults",
    f"How many items to return, 1 to {NUM_RESULTS_MAX} (default {NUM_RESULTS_DEFAULT}); ASCII "
    "digits only.",
    {"type": "integer", "minimum": 1, "maximum": NUM_RESULTS_MAX, "default": NUM_RESULTS_DEFAULT},
)
FILTER = Param(
    "filter",
    "Name of a filter the deployment configures (e.g. `by-genre`).",
    {"type": "string", "minLength": 1, "maxLength": FILTER_NAME_MAX, "pattern": ID_PATTERN},
)
FILTER_VALUES = Param(
    "filterValues",
    "Values for the filter's placeholders: `filterValues[GENRE]=Comedy`; repeat the parameter "
    f"for an `IN` list (up to {FILTER_LIST_MAX} values of up to {FILTER_LIST_VALUE_MAX} "
    f"characters; a single value may have up to {FILTER_VALUE_MAX}). Needs `filter`, and exactly "
    "the keys of that filter's placeholders (`$GENRE` gives `GENRE`). Keys are letters, digits "
    f"and underscores (up to {FILTER_KEY_MAX} characters); the API quotes each value for "
    'Personalize, so send `Comedy`, not `"Comedy"`; values hold no double quotes.',
    _string_map(FILTER_KEY_MAX, FILTER_VALUES_MAX, FILTER_VALUE),
    deep_object=True,
)
CONTEXT = Param(
    "context",
    f"Contextual metadata, `context[DEVICE]=mobile`: up to {CONTEXT_MAX} keys of letters, digits "
    f"and underscores (up to {CONTEXT_KEY_MAX} characters), each given once, values up to "
    f"{MAP_VALUE_MAX} characters.",
    _string_map(CONTEXT_KEY_MAX, CONTEXT_MAX, MAP_VALUE),
    deep_object=True,
)

METADATA_COLUMNS_RULE = (
    f"at most {METADATA_COLUMNS_MAX} Items columns of those the deployment lets this model return "
    "(`models[].campaign.enableMetadata`; refused otherwise); {limit} is then at most "
    f"{WITH_METADATA_MAX}"
)
METADATA_COLUMNS = Param(
    "metadataColumns",
    "Items columns to return with each item as `metadata`, comma-separated "
    "(`metadataColumns=GENRES,YEAR`): " + METADATA_COLUMNS_RULE.format(limit="`numResults`") + ".",
    {
        "type": "string",
        "pattern": f"^{COLUMN_NAME}(,{COLUMN_NAME}){{0,{METADATA_COLUMNS_MAX - 1}}}$",
        "maxLength": METADATA_COLUMNS_MAX * (METADATA_COLUMN_MAX + 1) - 1,
    },
)
PROMOTE_NEW_ITEMS = Param(
    "promoteNewItems",
    "`false` leaves out the deployment's new-items promotion (`models[].promoteNewItems`) for "
    "this request; promoted items carry `promotionName`. Without a configured promotion it changes "
    "nothing.",
    {"type": "boolean", "default": True},
)

RECOMMENDATIONS_OK = {"200": ("Recommended or ranked items, best first.", "Recommendations")}
CATALOG_OK = {
    "200": ("Every record was written.", "CatalogResults"),
    "207": ("Some records were written; see each record's status.", "CatalogResults"),
}
CATALOG_DESCRIPTION = (
    "Records use the {dataset} dataset schema's field names and are checked against it: types, "
    "required fields, no unknown fields; JSON null only where the schema's type allows null; "
    "at most {properties_max} characters of properties as JSON. A request with any invalid "
    "record is refused whole (400, each bad record in `results`). Valid records are written in "
    "chunks of 10, each with its own result: a record the service refuses never blocks the "
    "others (207). 404 when the deployment has no {dataset} dataset."
)


def _catalog_body(key: str) -> Schema:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [key],
        "properties": {
            key: {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_RECORDS,
                "items": _ref(f"{key.capitalize()}Record"),
            }
        },
    }


OPERATIONS: tuple[Operation, ...] = (
    Operation(
        "GET",
        "/recommendations",
        "getRecommendations",
        "recommend",
        "Items recommended for a user",
        "An unknown user gets the model's cold-start recommendations (not an error).",
        enabled_by=env.RECOMMENDATIONS_CAMPAIGN_ARN,
        params=(
            Param("userId", "The user to recommend for.", ID, required=True),
            NUM_RESULTS,
            FILTER,
            FILTER_VALUES,
            CONTEXT,
            METADATA_COLUMNS,
            PROMOTE_NEW_ITEMS,
        ),
        success=RECOMMENDATIONS_OK,
    ),
    Operation(
        "POST",
        "/rankings",
        "postRankings",
        "recommend",
        "Re-rank a list of items for a user",
        "Available only when the deployment has a ranking model (404 otherwise).",
        enabled_by=env.RANKING_CAMPAIGN_ARN,
        body=_ref("RankingRequest"),
        body_example={"userId": "u00001", "itemIds": ["m00001", "m00002"]},
        success=RECOMMENDATIONS_OK,
    ),
    Operation(
        "GET",
        "/similar-items",
        "getSimilarItems",
        "recommend",
        "Items similar to an item",
        "Available only when the deployment has a similar-items model (404 otherwise).",
        enabled_by=env.SIMILAR_ITEMS_CAMPAIGN_ARN,
        params=(
            Param("itemId", "The item to find similar items for.", ID, required=True),
            NUM_RESULTS,
            FILTER,
            FILTER_VALUES,
        ),
        success=RECOMMENDATIONS_OK,
    ),
    Operation(
        "POST",
        "/events",
        "postEvents",
        "ingest",
        "Record interaction events",
        "Events are written to the event stream (partitioned by user, so one user's events stay "
        "in order) and reach the model within seconds. An event is reported accepted only once "
        "the stream has stored it. Resending a request with the same `eventId`s is safe. Keep the "
        "returned `sessionId` and send it with the user's next events.",
        body=_ref("EventsRequest"),
        body_example={
            "userId": "u00001",
            "sessionId": "3f1c9b1e-web",
            "events": [
                {
                    "itemId": "m00042",
                    "eventType": "watch",
                    "sentAt": "2026-01-15T10:00:00Z",
                    "eventValue": 4.5,
                }
            ],
        },
        success={
            "202": ("Every event was stored.", "EventsAccepted"),
            "207": (
                "Some events were stored, some were not; resend only those in `failed`.",
                "EventsAccepted",
            ),
        },
        error_schema="EventsError",
    ),
    Operation(
        "POST",
        "/items",
        "postItems",
        "catalog",
        "Add or update catalog items",
        CATALOG_DESCRIPTION.format(dataset="Items", properties_max=ITEMS_PROPERTIES_MAX),
        enabled_by=env.ITEMS_DATASET_ARN,
        body=_catalog_body("items"),
        success=CATALOG_OK,
        error_schema="CatalogError",
    ),
    Operation(
        "POST",
        "/users",
        "postUsers",
        "catalog",
        "Add or update users",
        CATALOG_DESCRIPTION.format(dataset="Users", properties_max=USERS_PROPERTIES_MAX),
        enabled_by=env.USERS_DATASET_ARN,
        body=_catalog_body("users"),
        success=CATALOG_OK,
        error_schema="CatalogError",
    ),
)


def filter_value_keys(expression: str) -> list[str]:
    """The ``$NAME`` placeholders of a Personalize filter expression: its filterValues keys."""
    return sorted(set(re.findall(r"\$([A-Za-z0-9_]+)", expression)))


def operation(operation_id: str) -> Operation:
    return next(o for o in OPERATIONS if o.operation_id == operation_id)


# ---- responses API Gateway itself sends ----------------------------------------------------------


@dataclass(frozen=True)
class GatewayResponse:
    """A gateway response type, customised to the API's error shape.

    Types and default status codes:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html
    The template keeps API Gateway's own message (``$context.error.messageString`` is already a
    quoted JSON string) and adds our code and the request id.
    """

    type: str
    status: int
    code: str
    when: str  # what makes API Gateway answer this, for the document
    retry_after: int | None = None


GATEWAY_RESPONSES: tuple[GatewayResponse, ...] = (
    GatewayResponse(
        "MISSING_AUTHENTICATION_TOKEN",
        403,
        "MissingAuthenticationToken",
        "a path or method the API does not declare (API Gateway answers 403, not 404 or 405, "
        "before any function runs), or an unsigned request when the API uses IAM auth",
    ),
    GatewayResponse(
        "INVALID_API_KEY", 403, "Forbidden", "a missing or unknown `x-api-key` (API key auth)"
    ),
    GatewayResponse("ACCESS_DENIED", 403, "AccessDenied", "IAM auth denied the caller"),
    GatewayResponse("INVALID_SIGNATURE", 403, "InvalidSignature", "a bad IAM signature"),
    GatewayResponse("EXPIRED_TOKEN", 403, "ExpiredToken", "expired IAM credentials"),
    GatewayResponse(
        "THROTTLED", 429, "TooManyRequests", "the stage or usage plan rate limit", retry_after=1
    ),
    GatewayResponse(
        "QUOTA_EXCEEDED", 429, "QuotaExceeded", "the usage plan's daily quota", retry_after=3600
    ),
    GatewayResponse(
        "REQUEST_TOO_LARGE",
        413,
        "PayloadTooLarge",
        f"a request over API Gateway's {GATEWAY_PAYLOAD_MAX // 1024 // 1024} MB payload limit",
    ),
    GatewayResponse(
        "INTEGRATION_FAILURE", 504, "IntegrationFailure", "the function could not be invoked"
    ),
    GatewayResponse(
        "INTEGRATION_TIMEOUT", 504, "IntegrationTimeout", "the function did not answer in time"
    ),
)
# Every other 4xx/5xx API Gateway produces keeps its status and takes the same shape, with the
# response type as its code.
GATEWAY_DEFAULTS = ("DEFAULT_4XX", "DEFAULT_5XX")
GATEWAY_DEFAULT_CODE = "$context.error.responseType"


def gateway_template(code: str) -> str:
    """The application/json body template of a gateway response. Gateway response templates are
    not VTL, only simple ``$context`` variable substitution; ``$context.error.messageString`` is
    substituted already quoted:
    https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-swagger-extensions-gateway-responses.responseTemplates.html
    """
    return (
        '{"error":{"code":"' + code + '","message":$context.error.messageString,'
        '"requestId":"$context.requestId"}}'
    )


def gateway_error(response: GatewayResponse, message: str, request_id: str) -> dict[str, Any]:
    """The body :func:`gateway_template` renders to (used by the local gateway stand-in)."""
    rendered = gateway_template(response.code)
    rendered = rendered.replace("$context.error.messageString", json.dumps(message))
    return dict(json.loads(rendered.replace("$context.requestId", request_id)))


# ---- the OpenAPI document ------------------------------------------------------------------------


def _catalog_record(name: str, avro_schema: str | None) -> Schema:
    """The JSON Schema of one catalog record, from the dataset's Avro schema when known."""
    if avro_schema is None:
        return {
            "type": "object",
            "description": "One record keyed by the dataset schema's field names.",
        }
    from handlers.avro import INT_RANGE, LONG_RANGE, parse_schema  # noqa: PLC0415

    types: dict[str, Schema] = {
        "string": {"type": "string"},
        "boolean": {"type": "boolean"},
        "int": {"type": "integer", "minimum": INT_RANGE[0], "maximum": INT_RANGE[1]},
        "long": {"type": "integer", "minimum": LONG_RANGE[0], "maximum": LONG_RANGE[1]},
        "float": {"type": "number", "minimum": -FLOAT_MAX, "maximum": FLOAT_MAX},
        "double": {"type": "number", "minimum": -FLOAT_MAX, "maximum": FLOAT_MAX},
        "null": {"type": "null"},
    }
    schema = parse_schema(avro_schema)
    properties: dict[str, Schema] = {}
    for spec in schema.fields:
        options = [types[t] for t in sorted(spec.types)]  # "null" -> {"type": "null"}
        properties[spec.name] = options[0] if len(options) == 1 else {"oneOf": options}
    id_field = "ITEM_ID" if name == "ItemsRecord" else "USER_ID"
    properties[id_field] = ID
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in schema.fields if f.required or f.name == id_field],
        "properties": properties,
    }


def _schemas(
    catalog: Mapping[str, str | None],
    filters: Mapping[str, Sequence[str]] | None,
    metadata_columns: Mapping[str, Sequence[str]] | None,
) -> Schema:
    filter_name: Schema = FILTER.schema
    filter_keys: Schema = {"pattern": KEY_PATTERN, "minLength": 1, "maxLength": FILTER_KEY_MAX}
    if filters is not None:
        filter_name = {"type": "string", "enum": sorted(filters)}
        filter_keys = {"enum": sorted({k for keys in filters.values() for k in keys})}
    ranking_columns: Schema = {
        "metadataColumns": {
            "type": "array",
            "minItems": 1,
            "maxItems": METADATA_COLUMNS_MAX,
            "items": {
                "type": "string",
                "pattern": f"^{COLUMN_NAME}$",
                "maxLength": METADATA_COLUMN_MAX,
            },
            "description": "Items columns to return with each item as `metadata`: "
            + METADATA_COLUMNS_RULE.format(limit="`itemIds`")
            + ".",
        }
    }
    if metadata_columns is not None:
        allowed = sorted(metadata_columns.get("rankings", []))
        ranking_columns = (
            {
                "metadataColumns": {
                    **ranking_columns["metadataColumns"],
                    "items": {"type": "string", "enum": allowed},
                }
            }
            if allowed
            else {}
        )
    error_fields: Schema = {
        "code": {"type": "string", "example": "InvalidParameter"},
        "message": {"type": "string"},
        "field": {
            "type": "string",
            "description": "The offending parameter or body field, e.g. `events[2].sentAt`.",
        },
        "requestId": {"type": "string", "description": "Quote it when reporting a problem."},
    }

    def error(extra: Schema) -> Schema:
        return {
            "type": "object",
            "additionalProperties": False,
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["code", "message", "requestId"],
                    "properties": {**error_fields, **extra},
                }
            },
        }

    return {
        "Error": error({}),
        "EventsError": error(
            {
                "accepted": {"type": "integer", "minimum": 0},
                "eventIds": {"type": "array", "items": {"type": "string"}},
                "failed": {"type": "array", "items": _ref("FailedEvent")},
            }
        ),
        "CatalogError": error({"results": {"type": "array", "items": _ref("RecordResult")}}),
        "Recommendations": {
            "type": "object",
            "additionalProperties": False,
            "required": ["recommendations", "recommendationId"],
            "properties": {
                "recommendations": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["itemId", "score"],
                        "properties": {
                            "itemId": {"type": "string"},
                            "score": {
                                "type": ["number", "null"],
                                "description": "null for models that do not score.",
                            },
                            "metadata": {
                                "type": "object",
                                "description": "The Items columns asked for as "
                                "`metadataColumns`, when the item has them.",
                                "additionalProperties": {"type": "string"},
                            },
                            "promotionName": {
                                "type": "string",
                                "description": "Set when a promotion placed the item.",
                            },
                        },
                    },
                },
                "recommendationId": {
                    "type": ["string", "null"],
                    "description": "Send it back as an event's `recommendationId`.",
                },
            },
        },
        "RankingRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["userId", "itemIds"],
            "description": "`filterValues` needs `filter`. With `metadataColumns`, `itemIds` "
            f"holds at most {WITH_METADATA_MAX} items.",
            "properties": {
                "userId": ID,
                "itemIds": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": RANKING_INPUT_MAX,
                    "items": ID,
                },
                "context": _string_map(CONTEXT_KEY_MAX, CONTEXT_MAX, MAP_VALUE),
                **ranking_columns,
                "filter": filter_name,
                "filterValues": {
                    **_string_map(
                        FILTER_KEY_MAX,
                        FILTER_VALUES_MAX,
                        {
                            "oneOf": [
                                FILTER_VALUE,
                                {
                                    "type": "array",
                                    "minItems": 1,
                                    "maxItems": FILTER_LIST_MAX,
                                    "items": FILTER_LIST_VALUE,
                                },
                            ]
                        },
                    ),
                    "propertyNames": filter_keys,
                    "description": "As the `filterValues` query parameter of GET "
                    "/recommendations: exactly the keys of the filter's placeholders.",
                },
            },
            "dependentRequired": {"filterValues": ["filter"]},
        },
        "EventsRequest": {
            "type": "object",
            "additionalProperties": False,
            "required": ["userId", "events"],
            "properties": {
                "userId": ID,
                "sessionId": {**ID, "description": "Generated (and returned) when absent."},
                "events": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": MAX_EVENTS,
                    "items": _ref("Event"),
                },
            },
        },
        "Event": {
            "type": "object",
            "additionalProperties": False,
            "required": ["itemId", "eventType"],
            "properties": {
                "eventId": {
                    **ID,
                    "description": "Your id for the event, unique within the request; a UUID "
                    "when absent. Resending an event with the same id does not count it twice.",
                },
                "itemId": ID,
                "eventType": {**ID, "example": "click"},
                "sentAt": {
                    "description": "When it happened (default now): epoch seconds from "
                    "2000-01-01 to 2100-01-01, or an RFC 3339 date-time with its offset in "
                    "years 2001 to 2098.",
                    "oneOf": [
                        {"type": "number", "minimum": SENT_AT_MIN, "maximum": SENT_AT_MAX},
                        {"type": "string", "format": "date-time", "pattern": SENT_AT_PATTERN},
                    ],
                },
                "eventValue": {"type": "number", "minimum": -FLOAT_MAX, "maximum": FLOAT_MAX},
                "properties": {
                    "type": "object",
                    "description": "Event metadata for PutEvents: property names (letters, "
                    "digits, underscores) to strings, numbers or booleans. A string holding "
                    "this object as JSON text is accepted too.",
                    "maxProperties": PROPERTIES_KEYS,
                    "propertyNames": {
                        "pattern": KEY_PATTERN,
                        "minLength": 1,
                        "maxLength": PROPERTIES_KEY_MAX,
                    },
                    "additionalProperties": {
                        "oneOf": [
                            {
                                "type": "string",
                                "maxLength": PROPERTIES_VALUE_MAX,
                                "pattern": ID_PATTERN,
                            },
                            {"type": "number", "minimum": -FLOAT_MAX, "maximum": FLOAT_MAX},
                            {"type": "boolean"},
                        ]
                    },
                },
                "recommendationId": {**ID, "maxLength": RECOMMENDATION_ID_MAX},
                "impression": {
                    "type": "array",
                    "minItems": 1,
                    "maxItems": IMPRESSION_MAX,
                    "items": ID,
                },
            },
        },
        "EventsAccepted": {
            "type": "object",
            "additionalProperties": False,
            "required": ["accepted", "eventIds", "sessionId"],
            "properties": {
                "accepted": {"type": "integer", "minimum": 0},
                "eventIds": {"type": "array", "items": {"type": "string"}},
                "sessionId": {"type": "string"},
                "failed": {"type": "array", "items": _ref("FailedEvent")},
            },
        },
        "FailedEvent": {
            "type": "object",
            "additionalProperties": False,
            "required": ["index", "eventId", "code", "message"],
            "properties": {
                "index": {"type": "integer"},
                "eventId": {"type": "string"},
                "code": {"type": "string"},
                "message": {"type": "string"},
            },
        },
        "CatalogResults": {
            "type": "object",
            "additionalProperties": False,
            "required": ["accepted", "rejected", "failed", "results"],
            "properties": {
                "accepted": {"type": "integer", "minimum": 0},
                "rejected": {"type": "integer", "minimum": 0},
                "failed": {"type": "integer", "minimum": 0},
                "results": {"type": "array", "items": _ref("RecordResult")},
            },
        },
        "RecordResult": {
            "type": "object",
            "additionalProperties": False,
            "required": ["index", "id", "status"],
            "properties": {
                "index": {"type": "integer"},
                "id": {"type": ["string", "null"]},
                "status": {"type": "string", "enum": ["accepted", "rejected", "failed"]},
                "error": {
                    "type": "object",
                    "additionalProperties": False,
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string"},
                        "message": {"type": "string"},
                        "field": {"type": "string"},
                    },
                },
            },
        },
        "ItemsRecord": _catalog_record("ItemsRecord", catalog.get("items")),
        "UsersRecord": _catalog_record("UsersRecord", catalog.get("users")),
    }


ERRORS: dict[str, str] = {
    "400": "A parameter or body field is invalid (`field` names it), the body is not valid JSON "
    "(or holds duplicate names, lone surrogates, or nesting deeper than "
    f"{MAX_DEPTH} levels), or a "
    "downstream service refused the value.",
    "403": "Sent by API Gateway before any function runs: "
    + "; ".join(f"`{r.code}` for {r.when}" for r in GATEWAY_RESPONSES if r.status == 403)
    + ".",
    "404": "A model or dataset this deployment does not configure.",
    "413": "Sent by API Gateway: "
    + "; ".join(f"{r.when}" for r in GATEWAY_RESPONSES if r.status == 413)
    + f". A request over Lambda's {LAMBDA_PAYLOAD_MAX // 1024 // 1024} MB invocation limit "
    "cannot reach the function either.",
    "415": "The body is not `application/json`.",
    "429": "Throttled: by API Gateway (stage or usage-plan rate, daily quota) or by Personalize "
    "or the stream. Retry after `Retry-After` seconds.",
    "500": "The deployment is misconfigured (never caused by the request); quote `requestId`.",
    "502": "An AWS service failed or could not be reached; quote `requestId`.",
    "503": "The model (campaign) or dataset is still being created or trained; retry after "
    "`Retry-After` seconds.",
    "504": "Sent by API Gateway: "
    + "; ".join(f"{r.when}" for r in GATEWAY_RESPONSES if r.status == 504)
    + ".",
}
RETRY_AFTER = {"429", "503"}


def _operation_doc(op: Operation) -> Schema:
    doc: Schema = {
        "operationId": op.operation_id,
        "summary": op.summary,
        "description": op.description,
    }
    if op.params:
        doc["parameters"] = [_param_doc(p) for p in op.params]
    if op.body is not None:
        content: Schema = {"schema": op.body}
        if op.body_example is not None:
            content["example"] = op.body_example
        doc["requestBody"] = {"required": True, "content": {"application/json": content}}
    responses: Schema = {}
    for status, (text, schema) in op.success.items():
        responses[status] = {
            "description": text,
            "content": {"application/json": {"schema": _ref(schema)}},
        }
    for status in ERRORS:
        if status == "415" and op.body is None:
            continue
        responses[status] = {"$ref": f"#/components/responses/{_error_response(status, op)}"}
    doc["responses"] = responses
    return doc


def _error_response(status: str, op: Operation) -> str:
    return f"{op.error_schema}{status}"


def _error_responses(operations: Sequence[Operation]) -> Schema:
    """The shared error responses the operations refer to, one per status and error shape."""
    found: Schema = {}
    for op in operations:
        for status, text in ERRORS.items():
            response: Schema = {
                "description": text,
                "content": {"application/json": {"schema": _ref(op.error_schema)}},
            }
            if status in RETRY_AFTER:
                retry = {"schema": {"type": "integer", "minimum": 0}}
                response["headers"] = {"Retry-After": retry}
            found[_error_response(status, op)] = response
    return dict(sorted(found.items()))


def _param_doc(param: Param) -> Schema:
    doc: Schema = {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": param.description,
        "schema": param.schema,
    }
    if param.deep_object:
        doc.update(style="deepObject", explode=True)
    return doc


def document(
    operations: Sequence[Operation] = OPERATIONS,
    *,
    filters: Mapping[str, Sequence[str]] | None = None,
    catalog_schemas: Mapping[str, str | None] | None = None,
    metadata_columns: Mapping[str, Sequence[str]] | None = None,
    auth: str = "apiKey",
    server: str | None = None,
) -> Schema:
    """The OpenAPI 3.1 document of ``operations`` (3.1 for full JSON Schema: propertyNames,
    dependentRequired, null types).

    ``filters`` (name -> placeholder keys) narrows ``filter`` and ``filterValues`` to what the
    deployment configures; ``catalog_schemas`` (``items``/``users`` -> Avro schema text) gives
    the catalog records' fields; ``metadata_columns`` (route -> Items columns, as the
    METADATA_COLUMNS variable holds them) narrows ``metadataColumns`` to those columns and drops
    it where the route's model returns none; ``auth`` is the stack's ``api.auth``.
    """
    schemas = _schemas(catalog_schemas or {}, filters, metadata_columns)
    paths: Schema = {}
    for op in operations:
        item = _operation_doc(op)
        if filters is not None:
            item = _narrow_filters(item, filters)
        if metadata_columns is not None:
            item = _narrow_metadata_columns(item, metadata_columns.get(op.path.lstrip("/"), []))
        paths.setdefault(op.path, {})[op.method.lower()] = item
    doc: Schema = {
        "openapi": "3.1.0",
        "info": {
            "title": "Personalize real-time recommendations API",
            "version": "1.0",
            "description": INFO,
        },
    }
    if server is not None:
        doc["servers"] = [{"url": server}]
    security = {
        "apiKey": {"apiKey": {"type": "apiKey", "in": "header", "name": "x-api-key"}},
        "iam": {
            "sigv4": {
                "type": "apiKey",
                "in": "header",
                "name": "Authorization",
                "description": "AWS Signature Version 4 (service `execute-api`).",
            }
        },
        "none": {},
    }[auth]
    if security:
        doc["security"] = [{name: []} for name in security]
    doc["paths"] = paths
    components: Schema = {"schemas": schemas, "responses": _error_responses(operations)}
    if security:
        components = {"securitySchemes": security, **components}
    doc["components"] = components
    return doc


def _narrow_filters(item: Schema, filters: Mapping[str, Sequence[str]]) -> Schema:
    keys = sorted({k for placeholders in filters.values() for k in placeholders})
    params = []
    for param in item.get("parameters", []):
        narrowed = param
        if param["name"] == FILTER.name:
            narrowed = {**param, "schema": {"type": "string", "enum": sorted(filters)}}
        elif param["name"] == FILTER_VALUES.name:
            schema = dict(param["schema"])
            schema["propertyNames"] = {"enum": keys}
            narrowed = {**param, "schema": schema}
        params.append(narrowed)
    if params:
        item = {**item, "parameters": params}
    return item


def _narrow_metadata_columns(item: Schema, columns: Sequence[str]) -> Schema:
    """The query parameter's pattern names only ``columns``; without any, the parameter goes."""
    name = f"(?:{'|'.join(re.escape(c) for c in sorted(columns))})"
    params = []
    for param in item.get("parameters", []):
        if param["name"] == METADATA_COLUMNS.name:
            if not columns:
                continue
            pattern = f"^{name}(,{name}){{0,{METADATA_COLUMNS_MAX - 1}}}$"
            params.append({**param, "schema": {**param["schema"], "pattern": pattern}})
        else:
            params.append(param)
    if "parameters" in item:
        item = {**item, "parameters": params}
    return item


INFO = """\
Recommendations, rankings and similar items from Amazon Personalize campaigns, interaction events
into the real-time stream, and catalog updates. The deployment configures which models, filters
and datasets exist; campaign, filter and tracking identifiers are never taken from the client.

Errors, from the functions and from API Gateway alike, have the shape
`{"error": {"code", "message", "field"?, "requestId"}}`. A client mistake is a 4xx, never a 5xx.
Unknown query parameters, unknown body fields, JSON null for a declared field and repeated names
in a JSON object are refused (400), so mistakes are not silently ignored. Strings are Unicode
text: a lone UTF-16 surrogate is refused. Every response carries `Access-Control-Allow-Origin`
when the deployment sets a CORS origin.
"""


def sample_document() -> Schema:
    """The document for the sample data (``data/schemas``): ``docs/openapi.yaml``."""
    from pathlib import Path  # noqa: PLC0415

    root = Path(__file__).resolve().parent.parent / "data" / "schemas"
    catalog = {k: (root / f"{k}.avsc").read_text() for k in ("items", "users")}
    return document(catalog_schemas=catalog)


def render_yaml(doc: Schema) -> str:
    import yaml  # type: ignore[import-untyped, unused-ignore]  # noqa: PLC0415

    header = (
        "# Generated from handlers/contract.py by `make openapi`; do not edit by hand.\n"
        "# Each stack exports its own document (its routes, filters and datasets) as `openapi`.\n"
    )

    class Dumper(yaml.SafeDumper):
        pass

    def text(dumper: yaml.SafeDumper, value: str) -> yaml.Node:
        style = "|" if "\n" in value else None  # multi-line prose as a literal block
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)

    Dumper.add_representer(str, text)
    return header + yaml.dump(doc, Dumper=Dumper, sort_keys=False, allow_unicode=True, width=100)


if __name__ == "__main__":
    sys.stdout.write(render_yaml(sample_document()))
