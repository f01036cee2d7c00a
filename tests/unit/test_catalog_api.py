"""POST /items and POST /users exist only for the datasets a stack configures, with the same auth
as every other route, and the catalog function may put only into those datasets."""

import json

import pytest

from tests.stack_harness import StackRun, run_program
from tests.unit.test_api import (
    FUNCTION,
    METHOD,
    PERMISSION,
    RESOURCE,
    permissions,
    policy_of,
    routes,
)

DATASETS = "personalize-realtime:datasets"


@pytest.fixture(scope="module")
def users_only() -> StackRun:
    return run_program(
        "dev", {DATASETS: {"interactions": "data/interactions.csv", "users": "data/users.csv"}}
    )


@pytest.fixture(scope="module")
def interactions_only() -> StackRun:
    return run_program("dev", {DATASETS: {"interactions": "data/interactions.csv"}})


def catalog_function(run: StackRun) -> list[str]:
    return [
        f.inputs["name"]
        for f in run.of_type(FUNCTION)
        if f.inputs["handler"] == "handlers.catalog.handler"
    ]


def test_without_items_there_is_no_items_route(users_only: StackRun) -> None:
    found = routes(users_only)
    assert ("POST", "users", "catalog") in found
    assert not any(path == "items" for _, path, _ in found)
    assert "items" not in {r.inputs["pathPart"] for r in users_only.of_type(RESOURCE)}
    # The function knows only the users dataset and may only put users, into it.
    (name,) = catalog_function(users_only)
    function = next(f for f in users_only.of_type(FUNCTION) if f.inputs["name"] == name)
    variables = function.inputs["environment"]["variables"]
    assert not {"ITEMS_DATASET_ARN", "ITEMS_SCHEMA"} & set(variables)
    assert variables["USERS_DATASET_ARN"].endswith("/USERS")
    assert json.loads(variables["USERS_SCHEMA"])["name"] == "Users"
    granted = permissions(policy_of(users_only, "catalog"))
    assert granted.pop("personalize:PutUsers") == [variables["USERS_DATASET_ARN"]]
    assert sorted(granted) == ["logs:CreateLogStream", "logs:PutLogEvents"]
    # API Gateway may invoke it for POST /users only.
    sources = [
        p.inputs["sourceArn"]
        for p in users_only.of_type(PERMISSION)
        if p.inputs["function"] == name
    ]
    assert len(sources) == 1
    assert sources[0].endswith("/POST/users")


def test_without_items_and_users_there_is_no_catalog_api(interactions_only: StackRun) -> None:
    found = routes(interactions_only)
    assert not any(path in ("items", "users") for _, path, _ in found)
    assert catalog_function(interactions_only) == []
    examples = interactions_only.outputs["curlExamples"]
    assert "/events" in examples
    assert "/items" not in examples
    assert "/users" not in examples


def test_catalog_routes_need_the_api_key_like_the_others(dev: StackRun) -> None:
    paths = {r.state["id"]: r.inputs["pathPart"] for r in dev.of_type(RESOURCE)}
    catalog_methods = [
        m
        for m in dev.of_type(METHOD)
        if m.inputs["httpMethod"] == "POST" and paths[m.inputs["resourceId"]] in ("items", "users")
    ]
    assert len(catalog_methods) == 2
    for method in catalog_methods:
        assert method.inputs["apiKeyRequired"] is True
        assert method.inputs["authorization"] == "NONE"
