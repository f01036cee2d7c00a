"""The functions' environment-variable names, stated once.

``components/`` sets these variables on the Lambda functions and ``handlers/`` reads them, so
both import the names from here; a rename cannot leave one side reading a variable the other no
longer sets. No imports: this module ships in every function and costs nothing at cold start.
"""

from __future__ import annotations

# recommend: one campaign ARN per route; a route whose variable is unset answers 404.
RECOMMENDATIONS_CAMPAIGN_ARN = "RECOMMENDATIONS_CAMPAIGN_ARN"
RANKING_CAMPAIGN_ARN = "RANKING_CAMPAIGN_ARN"
SIMILAR_ITEMS_CAMPAIGN_ARN = "SIMILAR_ITEMS_CAMPAIGN_ARN"
CAMPAIGN_ARN: dict[str, str] = {
    "recommendations": RECOMMENDATIONS_CAMPAIGN_ARN,
    "rankings": RANKING_CAMPAIGN_ARN,
    "similar-items": SIMILAR_ITEMS_CAMPAIGN_ARN,
}
FILTER_ARNS = "FILTER_ARNS"  # JSON {filter name: filter ARN}
FILTER_VALUE_KEYS = "FILTER_VALUE_KEYS"  # JSON {filter name: [placeholder keys]}
# NEW_ITEMS_PROMOTION is {name, percentPromotedItems, filterArn, cutoffParameter, maxAgeDays},
# METADATA_COLUMNS is {route: [Items columns]}; both written by components/model.py.
NEW_ITEMS_PROMOTION = "NEW_ITEMS_PROMOTION"
METADATA_COLUMNS = "METADATA_COLUMNS"

# catalog: per dataset (the route and body key), its ARN and its Avro schema text.
ITEMS_DATASET_ARN = "ITEMS_DATASET_ARN"
ITEMS_SCHEMA = "ITEMS_SCHEMA"
USERS_DATASET_ARN = "USERS_DATASET_ARN"
USERS_SCHEMA = "USERS_SCHEMA"
DATASET_ARN: dict[str, str] = {"items": ITEMS_DATASET_ARN, "users": USERS_DATASET_ARN}
DATASET_SCHEMA: dict[str, str] = {"items": ITEMS_SCHEMA, "users": USERS_SCHEMA}

# ingest
STREAM_NAME = "STREAM_NAME"

# forwarder
TRACKING_ID = "TRACKING_ID"
DLQ_URL = "DLQ_URL"

# every HTTP function (optional)
CORS_ALLOW_ORIGIN = "CORS_ALLOW_ORIGIN"
