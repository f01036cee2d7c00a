"""docs/openapi.yaml is generated from the contract, and the handlers serve exactly the contract."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml  # type: ignore[import-untyped, unused-ignore]
from openapi_spec_validator import validate

from handlers import catalog, contract, ingest, recommend
from handlers.http import Route

SPEC_PATH = Path(__file__).resolve().parents[2] / "docs" / "openapi.yaml"
ROUTES: list[Route] = [*recommend.ROUTES, *ingest.ROUTES, *catalog.ROUTES]


@pytest.fixture(scope="module")
def spec() -> dict[str, Any]:
    return dict(yaml.safe_load(SPEC_PATH.read_text()))


def test_the_committed_document_is_the_generated_one() -> None:
    generated = contract.render_yaml(contract.sample_document())
    assert SPEC_PATH.read_text() == generated, (
        "docs/openapi.yaml differs from handlers/contract.py; run `make openapi`"
    )


def test_the_spec_is_valid_openapi(spec: dict[str, Any]) -> None:
    validate(spec)


@pytest.mark.parametrize("auth", ["apiKey", "iam", "none"])
def test_every_deployment_variant_is_valid_openapi(auth: str) -> None:
    validate(contract.document(auth=auth, filters={"by-genre": ["GENRE"]}, server="http://x"))


def test_the_handlers_serve_exactly_the_declared_operations() -> None:
    served = sorted(r.operation.operation_id for r in ROUTES)
    assert served == sorted(o.operation_id for o in contract.OPERATIONS)
    for route in ROUTES:
        module = route.operation.module
        assert (
            route in {"recommend": recommend, "ingest": ingest, "catalog": catalog}[module].ROUTES
        )


def test_a_handler_module_that_drifts_from_the_contract_fails_at_import() -> None:
    from handlers.http import routes

    with pytest.raises(RuntimeError, match="contract declares"):
        routes("ingest", {})
    with pytest.raises(RuntimeError, match="contract declares"):
        routes("ingest", {"postEvents": print, "deleteEvents": print})  # type: ignore[dict-item]


def test_parameters_are_the_routes_parameters(spec: dict[str, Any]) -> None:
    for route in ROUTES:
        op = spec["paths"][route.path][route.method.lower()]
        documented = {
            (p["name"], p["required"], p.get("style") == "deepObject")
            for p in op.get("parameters", [])
        }
        assert documented == {(q.name, q.required, q.deep_object) for q in route.query}
        assert ("requestBody" in op) is (route.operation.body is not None)


def test_gateway_responses_render_to_the_error_shape() -> None:
    for response in contract.GATEWAY_RESPONSES:
        body = contract.gateway_error(response, 'say "hi"', "req-1")
        assert body == {
            "error": {"code": response.code, "message": 'say "hi"', "requestId": "req-1"}
        }


def test_a_stack_document_names_only_the_columns_its_models_return() -> None:
    """metadataColumns narrows to the configured Items columns; a route whose model returns none
    does not offer it (the handler refuses it there)."""
    columns = {"recommendations": ["GENRES", "YEAR"]}
    doc = contract.document(metadata_columns=columns)
    validate(doc)
    params = {p["name"]: p for p in doc["paths"]["/recommendations"]["get"]["parameters"]}
    pattern = re.compile(params[contract.METADATA_COLUMNS.name]["schema"]["pattern"])
    assert pattern.match("GENRES,YEAR")
    assert not pattern.match("PRICE")
    assert not pattern.match("GENRES,")
    assert not pattern.match(",".join(["GENRES"] * (contract.METADATA_COLUMNS_MAX + 1)))
    ranking = doc["components"]["schemas"]["RankingRequest"]["properties"]
    assert contract.METADATA_COLUMNS.name not in ranking


def test_the_document_states_the_promotion_switch_as_a_boolean(spec: dict[str, Any]) -> None:
    params = spec["paths"]["/recommendations"]["get"]["parameters"]
    (switch,) = [p for p in params if p["name"] == contract.PROMOTE_NEW_ITEMS.name]
    assert switch["schema"]["type"] == "boolean"
