"""Facts that cross the components/handlers boundary are stated once and agree."""

from __future__ import annotations

from components.config import DATASET_TYPES, ROUTES
from handlers import contract, env


def test_each_model_route_is_an_operation_enabled_by_its_campaign_variable() -> None:
    enabled_by = {op.path.lstrip("/"): op.enabled_by for op in contract.OPERATIONS}
    assert set(env.CAMPAIGN_ARN) == set(ROUTES)
    for route in ROUTES:
        assert enabled_by[route] == env.CAMPAIGN_ARN[route]


def test_each_catalog_route_is_a_dataset_enabled_by_its_arn_variable() -> None:
    enabled_by = {op.path.lstrip("/"): op.enabled_by for op in contract.OPERATIONS}
    assert set(env.DATASET_ARN) == set(env.DATASET_SCHEMA)
    for route in env.DATASET_ARN:
        assert route.capitalize() in DATASET_TYPES
        assert enabled_by[route] == env.DATASET_ARN[route]
