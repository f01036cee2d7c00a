"""docs/openapi.yaml describes exactly the routes, parameters and limits the handlers implement."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]
from openapi_spec_validator import validate

from handlers import catalog, ingest, recommend
from handlers.http import Route

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
ROUTES: list[Route] = [*recommend.ROUTES, *ingest.ROUTES, *catalog.ROUTES]
METHODS = {"get", "post", "put", "patch", "delete", "head", "options"}


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return yaml.safe_load(SPEC_PATH.read_text())


def resolve(spec: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = spec
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def operation(spec: dict[str, Any], route: Route) -> dict[str, Any]:
    return spec["paths"][route.path][route.method.lower()]


def test_the_spec_is_valid_openapi(spec):
    validate(spec)


def test_paths_and_methods_match_the_route_table(spec):
    documented = {
        (path, method.upper())
        for path, item in spec["paths"].items()
        for method in item
        if method in METHODS
    }
    assert documented == {(r.path, r.method) for r in ROUTES}


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_each_operation_matches_its_route(spec, route: Route):
    op = operation(spec, route)
    assert op["operationId"] == route.operation_id
    params = [resolve(spec, p) for p in op.get("parameters", [])]
    assert all(p["in"] == "query" for p in params)
    documented = {
        (p["name"], p.get("required", False), p.get("style") == "deepObject") for p in params
    }
    assert documented == {(q.name, q.required, q.deep_object) for q in route.query}
    assert ("requestBody" in op) is route.body
    # Every error the dispatcher can produce for a client mistake is documented.
    assert {"400", "405"} <= set(op["responses"])
    if route.body:
        assert "415" in op["responses"]
    if route.enabled_by or route.path == "/recommendations":
        assert "404" in op["responses"]


def test_limits_match_the_handlers(spec):
    params = spec["components"]["parameters"]
    schemas = spec["components"]["schemas"]
    assert params["numResults"]["schema"]["maximum"] == recommend.NUM_RESULTS_MAX
    assert params["numResults"]["schema"]["default"] == recommend.NUM_RESULTS_DEFAULT
    assert params["filterValues"]["schema"]["maxProperties"] == recommend.FILTER_VALUES_MAX
    assert (
        schemas["RankingRequest"]["properties"]["itemIds"]["maxItems"]
        == recommend.RANKING_INPUT_MAX
    )
    assert set(schemas["RankingRequest"]["properties"]) == recommend.RANKING_FIELDS
    events = schemas["EventsRequest"]
    assert events["properties"]["events"]["maxItems"] == ingest.MAX_EVENTS
    assert set(events["properties"]) == ingest.BODY_FIELDS
    assert set(schemas["Event"]["properties"]) == ingest.EVENT_FIELDS
    for route in catalog.ROUTES:
        body = operation(spec, route)["requestBody"]["content"]["application/json"]["schema"]
        (key,) = body["properties"]
        assert f"/{key}" == route.path
        assert body["properties"][key]["maxItems"] == catalog.MAX_RECORDS
