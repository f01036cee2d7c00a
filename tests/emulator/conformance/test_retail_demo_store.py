"""The retail demo store's pre-create code, replayed against the emulator.

Source: aws-samples/retail-demo-store,
src/aws-lambda/personalize-pre-create-resources/personalize_pre_create_resources.py. In one
ECOMMERCE dataset group it creates schemas with a domain (the Items schema has a textual field),
datasets with types in capitals, imports, two use-case recommenders, solutions trained on one
event type ("View") including an Item-Attribute-Affinity one without a campaign, campaigns without
minProvisionedTPS, an event tracker and filters written as `INTERACTIONS.event_type` and
`ITEMS.CATEGORY_L1`, chained with `|` and taking `$CATEGORIES`. It finds existing resources with
the List paginators and reads their status from the summaries.
"""

from __future__ import annotations

import csv
import functools
import io
from typing import Any

from ..conftest import BUCKET, Clients
from ..helpers import RECIPE, Synthetic, avro_schema, poll, wait_status

DOMAIN = "ECOMMERCE"
CATEGORIES = ["footwear", "salty snacks", "hot dispensed", "jewelry"]


SCHEMAS = {
    "INTERACTIONS": avro_schema(
        "Interactions",
        [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "USER_ID", "type": "string"},
            {"name": "EVENT_TYPE", "type": "string"},
            {"name": "TIMESTAMP", "type": "long"},
            {"name": "DISCOUNT", "type": "string", "categorical": True},
        ],
    ),
    "ITEMS": avro_schema(
        "Items",
        [
            {"name": "ITEM_ID", "type": "string"},
            {"name": "PRICE", "type": "float"},
            {"name": "CATEGORY_L1", "type": "string", "categorical": True},
            {"name": "PRODUCT_DESCRIPTION", "type": "string", "textual": True},
            {"name": "PROMOTED", "type": "string"},
        ],
    ),
    "USERS": avro_schema(
        "Users",
        [
            {"name": "USER_ID", "type": "string"},
            {"name": "AGE", "type": "int"},
            {"name": "GENDER", "type": "string", "categorical": True},
        ],
    ),
}


def _csv(rows: list[list[Any]]) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


def _files(data: Synthetic) -> dict[str, bytes]:
    """The synthetic store as the retail demo store's three CSV files (Views and Purchases)."""
    category = {item: CATEGORIES[c % len(CATEGORIES)] for item, c in data.item_cluster.items()}
    interactions: list[list[Any]] = [["ITEM_ID", "USER_ID", "EVENT_TYPE", "TIMESTAMP", "DISCOUNT"]]
    for n, (user, item, event, stamp) in enumerate(data.interactions):
        kind = "View" if event == "click" or n % 3 else "Purchase"
        interactions.append([item, user, kind, stamp, "Yes" if n % 4 == 0 else "No"])
    items: list[list[Any]] = [
        ["ITEM_ID", "PRICE", "CATEGORY_L1", "PRODUCT_DESCRIPTION", "PROMOTED"]
    ]
    for n, item in enumerate(sorted(category)):
        items.append(
            [
                item,
                9.5 + n,
                category[item],
                f"A {category[item]} item, no. {n}",
                "Y" if n % 7 == 0 else "N",
            ]
        )
    users: list[list[Any]] = [["USER_ID", "AGE", "GENDER"]]
    users += [
        [u, 20 + n % 40, "F" if n % 2 else "M"] for n, u in enumerate(sorted(data.user_cluster))
    ]
    return {"INTERACTIONS": _csv(interactions), "ITEMS": _csv(items), "USERS": _csv(users)}


def _find(pz: Any, operation: str, key: str, name: str, **params: Any) -> dict[str, Any] | None:
    for page in pz.get_paginator(operation).paginate(**params):
        for found in page[key]:
            if found.get("name", found.get("jobName")) == name:
                return dict(found)
    return None


def _job(pz: Any, kind: str, dataset: str) -> dict[str, Any]:
    """The import job as the sample finds it: by name, through the paginator."""
    job = _find(
        pz,
        "list_dataset_import_jobs",
        "datasetImportJobs",
        f"rds-{kind}-import",
        datasetArn=dataset,
    )
    return job or {"status": "missing"}


def test_the_retail_demo_store_pre_create_runs(clients: Clients, data: Synthetic) -> None:
    pz = clients.pz
    schemas = {
        kind: pz.create_schema(name=f"rds-{kind.lower()}", schema=body, domain=DOMAIN)["schemaArn"]
        for kind, body in SCHEMAS.items()
    }
    assert _find(pz, "list_schemas", "schemas", "rds-items") is not None
    group = pz.create_dataset_group(name="rds-products", domain=DOMAIN)["datasetGroupArn"]
    wait_status(poll(pz.describe_dataset_group, "datasetGroup", datasetGroupArn=group))
    datasets = {
        kind: pz.create_dataset(
            datasetType=kind, datasetGroupArn=group, schemaArn=schemas[kind], name=f"rds-{kind}"
        )["datasetArn"]
        for kind in SCHEMAS
    }
    for arn in datasets.values():
        found = pz.list_datasets(datasetGroupArn=group)["datasets"]
        assert any(d["datasetArn"] == arn for d in found)
        wait_status(poll(pz.describe_dataset, "dataset", datasetArn=arn))
    for kind, body in _files(data).items():
        clients.s3.put_object(Bucket=BUCKET, Key=f"rds/{kind.lower()}.csv", Body=body)
        pz.create_dataset_import_job(
            jobName=f"rds-{kind}-import",
            datasetArn=datasets[kind],
            dataSource={"dataLocation": f"s3://{BUCKET}/rds/{kind.lower()}.csv"},
            roleArn="arn:aws:iam::123456789012:role/personalize",
        )
    for kind in SCHEMAS:
        wait_status(functools.partial(_job, pz, kind, datasets[kind]))
    recommenders = {
        name: pz.create_recommender(datasetGroupArn=group, name=name, recipeArn=RECIPE + recipe)[
            "recommenderArn"
        ]
        for name, recipe in (
            ("rds-recommended-for-you", "aws-ecomm-recommended-for-you"),
            ("rds-popular-items", "aws-ecomm-popular-items-by-views"),
        )
    }
    versions: dict[str, str] = {}
    for name, recipe in (
        ("rds-related-items", "aws-similar-items"),
        ("rds-personalized-ranking", "aws-personalized-ranking"),
        ("rds-item-attribute-affinity", "aws-item-attribute-affinity"),
    ):
        params: dict[str, Any] = {
            "datasetGroupArn": group,
            "name": name,
            "recipeArn": RECIPE + recipe,
        }
        if recipe != "aws-item-attribute-affinity":
            params["eventType"] = "View"
        solution = pz.create_solution(**params)["solutionArn"]
        wait_status(poll(pz.describe_solution, "solution", solutionArn=solution))
        versions[name] = pz.create_solution_version(solutionArn=solution, trainingMode="FULL")[
            "solutionVersionArn"
        ]
    campaigns: dict[str, str] = {}
    for name in ("rds-related-items", "rds-personalized-ranking"):
        wait_status(
            poll(pz.describe_solution_version, "solutionVersion", solutionVersionArn=versions[name])
        )
        campaigns[name] = pz.create_campaign(name=name, solutionVersionArn=versions[name])[
            "campaignArn"
        ]
    tracker = pz.create_event_tracker(name="rds-event-tracker", datasetGroupArn=group)
    assert tracker["trackingId"]
    expressions = {
        "purchased": 'EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("Purchase")',
        "cstore": 'EXCLUDE ItemID WHERE ITEMS.CATEGORY_L1 NOT IN ("salty snacks", "hot dispensed")',
        "categories": 'EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("Purchase") '
        "| INCLUDE ItemID WHERE ITEMS.CATEGORY_L1 IN ($CATEGORIES)",
        "promoted": 'EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("Purchase") '
        '| INCLUDE ItemID WHERE ITEMS.PROMOTED IN ("Y") AND ITEMS.CATEGORY_L1 NOT IN '
        '("salty snacks", "hot dispensed")',
    }
    filters = {
        key: pz.create_filter(
            datasetGroupArn=group, name=f"rds-{key}", filterExpression=expression
        )["filterArn"]
        for key, expression in expressions.items()
    }
    for arn in (*filters.values(),):
        wait_status(poll(pz.describe_filter, "filter", filterArn=arn))
    for arn in recommenders.values():
        wait_status(poll(pz.describe_recommender, "recommender", recommenderArn=arn))
    for arn in campaigns.values():
        wait_status(poll(pz.describe_campaign, "campaign", campaignArn=arn))
    found = _find(
        pz,
        "list_campaigns",
        "campaigns",
        "rds-related-items",
        solutionArn=versions["rds-related-items"].rsplit("/", 1)[0],
    )
    assert found is not None
    assert found["status"] == "ACTIVE"

    runtime = clients.runtime
    picked = runtime.get_recommendations(
        recommenderArn=recommenders["rds-recommended-for-you"],
        userId="u00003",
        numResults=10,
        filterArn=filters["categories"],
        filterValues={"CATEGORIES": '"footwear","jewelry"'},
    )["itemList"]
    rows = {r[0]: r for r in csv.reader(io.StringIO(_files(data)["ITEMS"].decode()))}
    assert picked
    assert {rows[i["itemId"]][2] for i in picked} <= {"footwear", "jewelry"}
    related = runtime.get_recommendations(
        campaignArn=campaigns["rds-related-items"], itemId="m00001", numResults=5
    )["itemList"]
    assert len(related) == 5
    ranked = runtime.get_personalized_ranking(
        campaignArn=campaigns["rds-personalized-ranking"],
        userId="u00003",
        inputList=["m00001", "m00002", "m00003"],
        filterArn=filters["promoted"],
    )["personalizedRanking"]
    assert {i["itemId"] for i in ranked} <= {"m00001", "m00002", "m00003"}
