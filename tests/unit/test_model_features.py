"""Model-layer use of the recipe features the config allows: exploration, promotions, metadata."""

from __future__ import annotations

import json

import pytest
from botocore.session import get_session
from botocore.validate import validate_parameters

from components.config import CampaignConfig, ModelConfig
from components.model import (
    METADATA_COLUMNS_ENV,
    NEW_ITEMS_FILTER_EXPRESSION,
    NEW_ITEMS_PROMOTION_ENV,
    campaign_config,
)
from handlers import recommend
from tests.stack_harness import StackRun, run_program
from tests.unit.test_api import permissions, policy_of

DYNAMIC = "pulumi-python:dynamic/personalize:"
EXPLORING = CampaignConfig(exploration_weight=0.3, exploration_item_age_cut_off=30)


def recommend_env(run: StackRun) -> dict[str, str]:
    recommend = next(
        f for f in run.of_type("aws:lambda/function:Function") if "recommend" in f.name
    )
    variables: dict[str, str] = recommend.inputs["environment"]["variables"]
    return variables


@pytest.mark.parametrize(
    "recipe", ["aws-user-personalization-v2", "aws-popularity-count", "aws-sims"]
)
def test_no_campaign_but_user_personalization_v1_gets_exploration(recipe: str) -> None:
    # CampaignConfig API reference: itemExplorationConfig only for the User-Personalization recipe.
    model = ModelConfig("m", recipe, campaign=EXPLORING)
    assert "itemExplorationConfig" not in campaign_config(model)


def test_user_personalization_v1_gets_exploration_as_strings() -> None:
    model = ModelConfig("m", "aws-user-personalization", campaign=EXPLORING)
    assert campaign_config(model)["itemExplorationConfig"] == {
        "explorationWeight": "0.3",
        "explorationItemAgeCutOff": "30",
    }


@pytest.fixture(scope="module")
def promoting() -> StackRun:
    return run_program(
        "dev",
        {
            "personalize-realtime:models": [
                {
                    "name": "recommendations",
                    "recipe": "aws-user-personalization-v2",
                    "promoteNewItems": {"percent": 25, "maxAgeDays": 10},
                    "campaign": {"enableMetadata": True},
                }
            ]
        },
    )


def test_promotion_filter_is_created_on_creation_timestamp(promoting: StackRun) -> None:
    promo = promoting.one(DYNAMIC + "Filter", "promo")
    assert promo.inputs["name"] == "personalize-realtime-dev-promo-recommendations"
    assert promo.inputs["filter_expression"] == (
        "INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > $CUTOFF"
    )
    assert promo.inputs["filter_expression"] == NEW_ITEMS_FILTER_EXPRESSION


def test_recommend_function_gets_the_promotion_and_metadata_columns(promoting: StackRun) -> None:
    env = recommend_env(promoting)
    assert json.loads(env[NEW_ITEMS_PROMOTION_ENV]) == {
        "name": "new-items",
        "percentPromotedItems": 25,
        "filterArn": "arn:aws:personalize:us-east-1:123456789012:filter/"
        "personalize-realtime-dev-promo-recommendations",
        "cutoffParameter": "CUTOFF",
        "maxAgeDays": 10,
    }
    assert json.loads(env[METADATA_COLUMNS_ENV]) == {
        "recommendations": ["GENRES", "YEAR", "CREATION_TIMESTAMP"]
    }


def test_without_the_features_the_function_gets_neither() -> None:
    dev = run_program("dev")
    env = recommend_env(dev)
    assert NEW_ITEMS_PROMOTION_ENV not in env
    assert METADATA_COLUMNS_ENV not in env
    assert not [f for f in dev.of_type(DYNAMIC + "Filter") if "promo" in f.name]


def test_the_function_may_read_through_the_promotion_filter(promoting: StackRun) -> None:
    granted = permissions(policy_of(promoting, "recommend"))
    promo_arn = json.loads(recommend_env(promoting)[NEW_ITEMS_PROMOTION_ENV])["filterArn"]
    assert promo_arn in granted["personalize:GetRecommendations"]


def test_the_handler_reads_what_the_model_layer_writes(
    promoting: StackRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = recommend_env(promoting)
    monkeypatch.setenv(NEW_ITEMS_PROMOTION_ENV, env[NEW_ITEMS_PROMOTION_ENV])
    monkeypatch.setenv(METADATA_COLUMNS_ENV, env[METADATA_COLUMNS_ENV])
    promotion = recommend.new_items_promotion(None)
    assert promotion is not None
    columns = recommend.check_metadata_columns(["GENRES"], "recommendations")
    request = {
        "campaignArn": env["RECOMMENDATIONS_CAMPAIGN_ARN"],
        "userId": "u00001",
        "promotions": [promotion],
        "metadataColumns": {"ITEMS": columns},
    }
    shape = (
        get_session()
        .get_service_model("personalize-runtime")
        .operation_model("GetRecommendations")
        .input_shape
    )
    validate_parameters(request, shape)  # raises ParamValidationError on a wrong shape


def test_arns_the_program_derives_carry_the_partition_of_the_region() -> None:
    china = run_program("dev", {"aws:region": "cn-north-1"})
    env = recommend_env(china)
    assert env["RECOMMENDATIONS_CAMPAIGN_ARN"].startswith("arn:aws-cn:personalize:cn-north-1:")
    assert all(arn.startswith("arn:aws-cn:") for arn in json.loads(env["FILTER_ARNS"]).values())
    solution = china.one(DYNAMIC + "Solution")
    assert solution.inputs["recipe_arn"].startswith("arn:aws-cn:personalize:::recipe/")


def test_the_promotion_filter_keeps_items_newer_than_the_cutoff(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The emulator's filter grammar reads the expression and the value as the handler sends it.
    from local.personalize_emulator import filtering, filters

    monkeypatch.setenv(
        NEW_ITEMS_PROMOTION_ENV,
        json.dumps(
            {
                "name": "new-items",
                "percentPromotedItems": 10,
                "filterArn": "arn:aws:personalize:us-east-1:123456789012:filter/p",
                "cutoffParameter": "CUTOFF",
                "maxAgeDays": 7,
            }
        ),
    )
    monkeypatch.setattr(recommend.time, "time", lambda: 1_700_000_000)
    promotion = recommend.new_items_promotion(None)
    assert promotion is not None
    keep = filtering.compile_filter(
        filters.parse(NEW_ITEMS_FILTER_EXPRESSION),
        promotion["filterValues"],
        filtering.Context(
            items={
                "new": {"CREATION_TIMESTAMP": 1_700_000_000 - 6 * 86_400},
                "old": {"CREATION_TIMESTAMP": 1_700_000_000 - 8 * 86_400},
            },
            item_fields=["ITEM_ID", "CREATION_TIMESTAMP"],
            user_events={},
        ),
    )
    assert keep("new")
    assert not keep("old")
