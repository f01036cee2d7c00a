"""GET /recommendations, POST /rankings, GET /similar-items over Personalize campaigns.

Environment: RECOMMENDATIONS_CAMPAIGN_ARN (required), RANKING_CAMPAIGN_ARN (optional; without it
POST /rankings is 404), SIMILAR_ITEMS_CAMPAIGN_ARN (optional; likewise GET /similar-items),
FILTER_ARNS (optional JSON object {filter name: filter ARN}), FILTER_VALUE_KEYS (optional JSON
object {filter name: [placeholder keys]}), CORS_ALLOW_ORIGIN (optional), NEW_ITEMS_PROMOTION
(optional JSON {name, percentPromotedItems, filterArn, cutoffParameter, maxAgeDays}: promote
recently created items in GET /recommendations), METADATA_COLUMNS (optional JSON {route: [Items
columns]}: the columns clients may ask for as metadataColumns).

Campaign and filter ARNs come only from the environment; clients name a filter by its configured
name and never pass an ARN.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Mapping
from typing import Any

from aws_lambda_powertools import Logger
from aws_lambda_powertools.logging import correlation_paths

from handlers import aws, env
from handlers.contract import (
    CONTEXT_KEY_MAX,
    CONTEXT_MAX,
    FILTER_KEY_MAX,
    FILTER_LIST_MAX,
    FILTER_LIST_VALUE_MAX,
    FILTER_NAME_MAX,
    FILTER_VALUE_MAX,
    FILTER_VALUES_MAX,
    MAP_VALUE_MAX,
    METADATA_COLUMN_MAX,
    METADATA_COLUMNS_ENV,
    METADATA_COLUMNS_MAX,
    NEW_ITEMS_PROMOTION_ENV,
    NUM_RESULTS_DEFAULT,
    NUM_RESULTS_MAX,
    RANKING_INPUT_MAX,
    WITH_METADATA_MAX,
)
from handlers.http import (
    HttpError,
    JsonResponse,
    Request,
    dispatch,
    ok,
    routes,
    upstream_http_error,
)
from handlers.upstream import classify
from handlers.validation import (
    ValidationError,
    check_key,
    describe,
    parse_int,
    reject_nulls,
    reject_unknown,
    require_str,
    string_list,
    string_map,
)

logger = Logger()

MODEL = "the recommendation model"
# Runtime answers ResourceNotFoundException while the campaign is still being created/trained.
NOT_READY = "model not ready: the campaign is still being created or trained; retry later"
DAY_SECONDS = 86_400


def get_recommendations(request: Request) -> JsonResponse:
    columns = query_metadata_columns(request, "recommendations")
    params: dict[str, Any] = {
        "campaignArn": _campaign(env.RECOMMENDATIONS_CAMPAIGN_ARN),
        "userId": require_str(request.param("userId"), "userId"),
        "numResults": _num_results(request, with_metadata=bool(columns)),
    }
    context = query_context(request)
    if context:
        params["context"] = context
    params.update(query_filter(request))
    promotion = new_items_promotion(request.param("promoteNewItems"))
    if promotion is not None:
        params["promotions"] = [promotion]
    if columns:
        params["metadataColumns"] = {"ITEMS": columns}
    response = _call("get_recommendations", params)
    return ok(_items(response, "itemList"))


def new_items_promotion(opt_out: str | None) -> dict[str, Any] | None:
    """The deployment's new-items promotion for this request, or None when the deployment has
    none or the client sent promoteNewItems=false. The filter keeps items whose
    CREATION_TIMESTAMP is after now minus maxAgeDays. The value is an OpenAPI boolean, written
    exactly ``true`` or ``false``."""
    if opt_out is not None:
        if opt_out not in ("true", "false"):
            raise ValidationError(
                "promoteNewItems", f"promoteNewItems must be true or false, got {describe(opt_out)}"
            )
        if opt_out == "false":
            return None
    raw = os.environ.get(NEW_ITEMS_PROMOTION_ENV, "").strip()
    if not raw:
        return None
    setting = _parse_setting(NEW_ITEMS_PROMOTION_ENV, raw)
    try:
        cutoff = int(time.time()) - int(setting["maxAgeDays"]) * DAY_SECONDS
        return {
            "name": str(setting["name"]),
            "percentPromotedItems": int(setting["percentPromotedItems"]),
            "filterArn": str(setting["filterArn"]),
            # A bare number: the expression compares it with a long field.
            "filterValues": {str(setting["cutoffParameter"]): str(cutoff)},
        }
    except (KeyError, TypeError, ValueError):
        raise HttpError(500, "NotConfigured", "NEW_ITEMS_PROMOTION is malformed") from None


def query_metadata_columns(request: Request, route: str) -> list[str]:
    """``metadataColumns=GENRES,YEAR`` (or the parameter repeated). Every name is a column: an
    empty one (``GENRES,``) is refused like any other unknown column."""
    values = request.query.get("metadataColumns") or []
    names = [part for value in values for part in value.split(",")]
    return check_metadata_columns(names, route)


def check_metadata_columns(names: list[str], route: str) -> list[str]:
    """Columns of the Items dataset this route's model may return, in the order asked."""
    if not names:
        return []
    allowed = configured_metadata_columns().get(route)
    if not allowed:
        raise ValidationError(
            "metadataColumns",
            "metadataColumns is not available: this model's campaign does not return metadata "
            "(campaign.enableMetadata in the stack configuration)",
        )
    if len(names) > METADATA_COLUMNS_MAX:
        raise ValidationError(
            "metadataColumns",
            f"metadataColumns may name at most {METADATA_COLUMNS_MAX} columns, got {len(names)}",
        )
    unknown = [n for n in names if n not in allowed]
    if unknown:
        raise ValidationError(
            "metadataColumns",
            f"unknown metadataColumns {', '.join(map(describe, unknown))}; "
            f"allowed: {', '.join(allowed)}",
        )
    return list(dict.fromkeys(names))


def configured_metadata_columns() -> dict[str, list[str]]:
    raw = os.environ.get(METADATA_COLUMNS_ENV, "").strip()
    if not raw:
        return {}
    parsed = _parse_setting(METADATA_COLUMNS_ENV, raw)
    if not all(isinstance(v, list) for v in parsed.values()):
        raise HttpError(500, "NotConfigured", "METADATA_COLUMNS is malformed")
    return {str(k): [str(c) for c in v] for k, v in parsed.items()}


@functools.lru_cache(maxsize=8)
def _parse_setting(variable: str, raw: str) -> dict[str, Any]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict):
        raise HttpError(500, "NotConfigured", f"{variable} must be a JSON object")
    return parsed


def get_similar_items(request: Request) -> JsonResponse:
    params: dict[str, Any] = {
        "campaignArn": _campaign(env.SIMILAR_ITEMS_CAMPAIGN_ARN),
        "itemId": require_str(request.param("itemId"), "itemId"),
        "numResults": _num_results(request),
    }
    params.update(query_filter(request))
    response = _call("get_recommendations", params)
    return ok(_items(response, "itemList"))


RANKING_FIELDS = frozenset(
    {"userId", "itemIds", "context", "filter", "filterValues", "metadataColumns"}
)


def parse_ranking_body(body: dict[str, Any]) -> dict[str, Any]:
    """GetPersonalizedRanking parameters (without the campaign) from a POST /rankings body."""
    reject_unknown(body, RANKING_FIELDS, "")
    reject_nulls(body, "")
    columns = check_metadata_columns(
        string_list(
            body["metadataColumns"],
            "metadataColumns",
            min_items=1,
            max_items=METADATA_COLUMNS_MAX,
            max_len=METADATA_COLUMN_MAX,
        )
        if "metadataColumns" in body
        else [],
        "rankings",
    )
    params: dict[str, Any] = {
        "userId": require_str(body.get("userId"), "userId"),
        "inputList": string_list(
            body.get("itemIds"),
            "itemIds",
            min_items=1,
            max_items=WITH_METADATA_MAX if columns else RANKING_INPUT_MAX,
        ),
    }
    if columns:
        params["metadataColumns"] = {"ITEMS": columns}
    if body.get("context") is not None:
        params["context"] = string_map(
            body["context"],
            "context",
            max_entries=CONTEXT_MAX,
            key_max=CONTEXT_KEY_MAX,
            value_max=MAP_VALUE_MAX,
        )
    values = body.get("filterValues")
    params.update(
        resolve_filter(body.get("filter"), None if values is None else _body_filter_values(values))
    )
    return params


def post_rankings(request: Request) -> JsonResponse:
    params = parse_ranking_body(request.json_object())
    params["campaignArn"] = _campaign(env.RANKING_CAMPAIGN_ARN)
    response = _call("get_personalized_ranking", params)
    return ok(_items(response, "personalizedRanking"))


def query_context(request: Request) -> dict[str, str]:
    """``context[DEVICE]=mobile`` (or ``context.DEVICE=mobile``) query parameters."""
    raw = request.prefixed("context")
    if len(raw) > CONTEXT_MAX:
        raise ValidationError(
            "context", f"context may have at most {CONTEXT_MAX} entries, got {len(raw)}"
        )
    context: dict[str, str] = {}
    for key, values in raw.items():
        check_key(key, "context", CONTEXT_KEY_MAX)
        if len(values) != 1:
            raise ValidationError(f"context.{key}", f"context.{key} must be given once")
        context[key] = require_str(values[0], f"context.{key}", max_len=MAP_VALUE_MAX)
    return context


def query_filter(request: Request) -> dict[str, Any]:
    values = request.prefixed("filterValues")
    return resolve_filter(request.param("filter"), values or None)


def resolve_filter(name: Any, values: Mapping[str, list[str]] | None) -> dict[str, Any]:
    """filterArn / filterValues for GetRecommendations from a filter's configured name.

    With FILTER_VALUE_KEYS (the placeholders of each filter's expression) a request must give a
    value for each placeholder of its filter and no other key; Personalize refuses a filter
    with a placeholder left empty, and an unknown key would be silently ignored.
    """
    if name is None:
        if values:
            raise ValidationError("filterValues", "filterValues needs a filter")
        return {}
    name = require_str(name, "filter", max_len=FILTER_NAME_MAX)
    filters = configured_filters()
    arn = filters.get(name)
    if arn is None:
        known = ", ".join(sorted(filters)) or "none are configured"
        raise ValidationError("filter", f"unknown filter {describe(name)}; allowed: {known}")
    keys = configured_filter_keys().get(name)
    if keys is not None:
        given = set(values or {})
        unknown = sorted(given - set(keys))
        missing = sorted(set(keys) - given)
        if unknown or missing:
            field = f"filterValues.{(unknown or missing)[0]}"
            wanted = ", ".join(keys) or "none"
            raise ValidationError(
                field,
                f"filter {name!r} takes filterValues for exactly: {wanted}; "
                + (
                    f"unknown: {', '.join(unknown)}"
                    if unknown
                    else f"missing: {', '.join(missing)}"
                ),
            )
    result: dict[str, Any] = {"filterArn": arn}
    if values:
        result["filterValues"] = quote_filter_values(values)
    return result


def quote_filter_values(values: Mapping[str, list[str]]) -> dict[str, str]:
    """Personalize wants each value in double quotes, several joined by commas: "a","b".

    One value is at most FILTER_VALUE_MAX characters, a list at most FILTER_LIST_MAX values of
    FILTER_LIST_VALUE_MAX, so the quoted text always fits Personalize's 1000 characters.
    """
    if len(values) > FILTER_VALUES_MAX:
        raise ValidationError(
            "filterValues",
            f"filterValues may have at most {FILTER_VALUES_MAX} entries, got {len(values)}",
        )
    quoted: dict[str, str] = {}
    for key, items in values.items():
        check_key(key, "filterValues", FILTER_KEY_MAX)
        field = f"filterValues.{key}"
        if len(items) > FILTER_LIST_MAX:
            raise ValidationError(
                field, f"{field} may have at most {FILTER_LIST_MAX} values, got {len(items)}"
            )
        limit = FILTER_VALUE_MAX if len(items) == 1 else FILTER_LIST_VALUE_MAX
        parts = []
        for item in items:
            text = require_str(item, field, max_len=limit)
            if '"' in text:
                raise ValidationError(field, f"{field} values must not contain double quotes")
            parts.append(f'"{text}"')
        quoted[key] = ",".join(parts)
    return quoted


def _body_filter_values(value: Any) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise ValidationError(
            "filterValues", f"filterValues must be an object, got {describe(value)}"
        )
    reject_nulls(value, "filterValues")
    result: dict[str, list[str]] = {}
    for key, item in value.items():
        field = f"filterValues.{key}"
        if isinstance(item, list):
            result[key] = string_list(
                item, field, min_items=1, max_items=FILTER_LIST_MAX, max_len=FILTER_LIST_VALUE_MAX
            )
        else:
            result[key] = [require_str(item, field, max_len=FILTER_VALUE_MAX)]
    return result


@functools.lru_cache(maxsize=4)
def _parse_filters(raw: str) -> dict[str, str]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parsed.items()
    ):
        raise HttpError(
            500, "NotConfigured", f"{env.FILTER_ARNS} must be a JSON object of filter name to ARN"
        )
    return parsed


@functools.lru_cache(maxsize=4)
def _parse_filter_keys(raw: str) -> dict[str, list[str]]:
    try:
        parsed = json.loads(raw)
    except ValueError:
        parsed = None
    if not isinstance(parsed, dict) or not all(
        isinstance(v, list) and all(isinstance(k, str) for k in v) for v in parsed.values()
    ):
        raise HttpError(
            500, "NotConfigured", "FILTER_VALUE_KEYS must be a JSON object of filter name to keys"
        )
    return parsed


def configured_filter_keys() -> dict[str, list[str]]:
    raw = os.environ.get(env.FILTER_VALUE_KEYS, "").strip()
    return _parse_filter_keys(raw) if raw else {}


def configured_filters() -> dict[str, str]:
    raw = os.environ.get(env.FILTER_ARNS, "").strip()
    return _parse_filters(raw) if raw else {}


def _num_results(request: Request, *, with_metadata: bool = False) -> int:
    raw = request.param("numResults")
    if raw is None:
        return NUM_RESULTS_DEFAULT
    high = WITH_METADATA_MAX if with_metadata else NUM_RESULTS_MAX
    return parse_int(raw, "numResults", low=1, high=high)


def _campaign(variable: str) -> str:
    arn = os.environ.get(variable)
    if not arn:
        raise HttpError(404, "NotConfigured", f"this model is not configured ({variable})")
    return arn


def _call(operation: str, params: dict[str, Any]) -> dict[str, Any]:
    try:
        result: dict[str, Any] = getattr(aws.client("personalize-runtime"), operation)(**params)
    except Exception as exc:
        upstream = classify(exc)
        if upstream is None:
            raise
        logger.warning(
            "personalize runtime call failed",
            extra={"operation": operation, "code": upstream.code, "kind": upstream.kind},
        )
        raise upstream_http_error(upstream, MODEL, not_ready=NOT_READY) from exc
    return result


def _items(response: Mapping[str, Any], key: str) -> dict[str, Any]:
    return {
        "recommendations": [_item(item) for item in response.get(key) or []],
        "recommendationId": response.get("recommendationId"),
    }


def _item(item: Mapping[str, Any]) -> dict[str, Any]:
    out = {"itemId": item.get("itemId"), "score": item.get("score")}
    # Present only when asked for (metadataColumns) or when a promotion placed the item.
    if item.get("metadata") is not None:
        out["metadata"] = item["metadata"]
    if item.get("promotionName"):
        out["promotionName"] = item["promotionName"]
    return out


ROUTES = routes(
    "recommend",
    {
        "getRecommendations": get_recommendations,
        "postRankings": post_rankings,
        "getSimilarItems": get_similar_items,
    },
)


@logger.inject_lambda_context(correlation_id_path=correlation_paths.API_GATEWAY_REST)
def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    return dispatch(ROUTES, event, context, logger)
