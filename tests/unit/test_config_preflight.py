"""Preflight rules that keep a deploy from failing hours in: recipe features, datasets a setting
needs, regions and physical names. Each rule is refused at preview with its key path."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.config import (
    NAME_PATTERN,
    RESERVED_BUCKET_PREFIXES,
    ConfigError,
    StackConfig,
    check_provider_region,
    load_stack_config,
    personalize_regions,
    training_filters,
)
from components.data_check import DataCheckError, TrainingFilter
from providers.solution import SETTINGS_ID_LENGTH
from tests.stack_harness import ROOT

ALL_DATASETS = {
    "interactions": "data/interactions.csv",
    "items": "data/items.csv",
    "users": "data/users.csv",
}
# The longest suffix the components append to the prefix: a solution's, `-<model>-<settings id>`
# (components/model.py:solution_name), longer than a filter's or a promotion filter's.
LONGEST_SUFFIX = "-" + "m" * 20 + "-" + "0" * SETTINGS_ID_LENGTH
# S3 general purpose bucket naming rules (lower case letters, digits, dots and dashes).
BUCKET_NAME = re.compile(r"^[a-z0-9][a-z0-9.\-]{1,61}[a-z0-9]$")


def load(region: str | None = "us-east-1", stack: str = "test", **values: Any) -> StackConfig:
    values.setdefault("datasets", ALL_DATASETS)
    return load_stack_config("personalize-realtime", stack, values, root=ROOT, region=region)


def problems(region: str | None = "us-east-1", **values: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load(region=region, **values)
    return raised.value.problems


def model(recipe: str, **settings_: Any) -> list[dict[str, Any]]:
    entry = {"name": "m", "recipe": recipe, **settings_}
    if recipe.startswith(("aws-personalized-ranking", "aws-sims", "aws-similar-items")):
        return [entry, {"name": "recs", "recipe": "aws-user-personalization"}]
    return [entry]


# --- exploration: User-Personalization (v1) only -------------------------------------------------


@pytest.mark.parametrize("key", ["explorationWeight", "explorationItemAgeCutOff"])
def test_exploration_on_v2_is_refused_by_key(key: str) -> None:
    found = problems(
        models=model("aws-user-personalization-v2", campaign={key: 1}),
    )
    assert any(
        p.startswith(f"models[0].campaign.{key} applies only to recipe aws-user-personalization")
        and "models[0].promoteNewItems" in p
        for p in found
    ), found


def test_exploration_on_v1_reaches_the_model() -> None:
    config = load(
        models=model(
            "aws-user-personalization",
            campaign={"explorationWeight": 0.3, "explorationItemAgeCutOff": 30},
        )
    )
    assert config.models[0].campaign.exploration_weight == 0.3


# --- HPO and eventsConfig ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "recipe",
    [
        "aws-popularity-count",
        "aws-trending-now",
        "aws-user-personalization-v2",
        "aws-personalized-ranking-v2",
    ],
)
def test_hpo_is_refused_where_nothing_can_be_tuned(recipe: str) -> None:
    found = problems(models=model(recipe, training={"hpo": True}))
    assert any(
        p.startswith("models[0].training.hpo applies only to recipes with tunable") for p in found
    ), found


@pytest.mark.parametrize(
    "recipe", ["aws-user-personalization", "aws-personalized-ranking", "aws-sims"]
)
def test_hpo_is_accepted_where_documented(recipe: str) -> None:
    assert load(models=model(recipe, training={"hpo": True})).models[0].training.hpo


EVENTS_CONFIG = {"eventsConfig": {"eventParametersList": [{"eventType": "watch", "weight": 1}]}}


@pytest.mark.parametrize("recipe", ["aws-user-personalization", "aws-sims", "aws-trending-now"])
def test_events_config_is_refused_outside_v2(recipe: str) -> None:
    found = problems(models=model(recipe, training={"solutionConfig": EVENTS_CONFIG}))
    assert any(
        p.startswith("models[0].training.solutionConfig.eventsConfig applies only to recipes")
        for p in found
    ), found


def test_events_config_is_accepted_on_v2() -> None:
    config = load(
        models=model("aws-user-personalization-v2", training={"solutionConfig": EVENTS_CONFIG})
    )
    assert "eventsConfig" in config.models[0].training.solution_config


# --- promoting new items -------------------------------------------------------------------------


def test_promotion_of_new_items_is_read() -> None:
    config = load(
        models=model(
            "aws-user-personalization-v2", promoteNewItems={"percent": 20, "maxAgeDays": 7}
        )
    )
    promotion = config.models[0].promote_new_items
    assert promotion is not None
    assert (promotion.percent, promotion.max_age_days) == (20, 7)


@pytest.mark.parametrize(
    ("promotion", "expected"),
    [
        ({"percent": 0, "maxAgeDays": 7}, "models[0].promoteNewItems.percent must be an integer"),
        ({"percent": 101, "maxAgeDays": 7}, "models[0].promoteNewItems.percent must be"),
        ({"percent": 20}, "models[0].promoteNewItems.maxAgeDays is required"),
        ({"percent": 20, "maxAgeDays": 7, "days": 1}, "models[0].promoteNewItems.days is not"),
    ],
)
def test_promotion_values_are_checked(promotion: dict[str, Any], expected: str) -> None:
    found = problems(models=model("aws-user-personalization-v2", promoteNewItems=promotion))
    assert any(p.startswith(expected) for p in found), found


def test_promotion_needs_an_items_dataset() -> None:
    found = problems(
        datasets={"interactions": "data/interactions.csv"},
        models=model(
            "aws-user-personalization-v2", promoteNewItems={"percent": 20, "maxAgeDays": 7}
        ),
    )
    assert any(p.startswith("models[0].promoteNewItems filters on the Items") for p in found)


def test_promotion_needs_a_creation_timestamp(tmp_path: Path) -> None:
    schema = tmp_path / "items.avsc"
    schema.write_text(
        json.dumps(
            {
                "type": "record",
                "name": "Items",
                "fields": [
                    {"name": "ITEM_ID", "type": "string"},
                    {"name": "GENRES", "type": "string", "categorical": True},
                ],
            }
        )
    )
    found = problems(
        datasets={
            "interactions": "data/interactions.csv",
            "items": {"file": "data/items.csv", "schema": str(schema)},
        },
        models=model(
            "aws-user-personalization-v2", promoteNewItems={"percent": 20, "maxAgeDays": 7}
        ),
    )
    assert any("needs a CREATION_TIMESTAMP field of type long" in p for p in found), found


@pytest.mark.parametrize("recipe", ["aws-personalized-ranking-v2", "aws-personalized-ranking"])
def test_promotion_is_refused_where_the_recipe_takes_none(recipe: str) -> None:
    found = problems(models=model(recipe, promoteNewItems={"percent": 20, "maxAgeDays": 7}))
    assert any(p.startswith("models[0].promoteNewItems applies only to recipes") for p in found)


def test_promotion_is_refused_off_the_recommendations_route() -> None:
    found = problems(models=model("aws-sims", promoteNewItems={"percent": 20, "maxAgeDays": 7}))
    assert any("is applied by GET /recommendations" in p for p in found), found


# --- metadata in recommendations -----------------------------------------------------------------


def test_metadata_needs_an_items_dataset() -> None:
    found = problems(
        datasets={"interactions": "data/interactions.csv"},
        models=model("aws-user-personalization-v2", campaign={"enableMetadata": True}),
    )
    assert any(p.startswith("models[0].campaign.enableMetadata") for p in found), found


# --- regions and partitions ----------------------------------------------------------------------


def test_a_region_without_personalize_is_refused() -> None:
    # us-west-1 has no Personalize endpoint in botocore's endpoint data.
    assert "us-west-1" not in personalize_regions()
    found = problems(region="us-west-1")
    assert any(
        p.startswith('aws:region "us-west-1" has no Amazon Personalize endpoint; choose one of')
        and "us-east-1" in p
        for p in found
    ), found


def test_the_partition_follows_the_region() -> None:
    # The one partition every ARN is built with (components/arns.py); that recipe, dataset,
    # campaign and policy ARNs carry it is held by test_model_features and test_partition.
    china = next(r for r, partition in personalize_regions().items() if partition == "aws-cn")
    assert load(region=china).partition == "aws-cn"
    assert load(region="eu-west-1").partition == "aws"


def test_an_unknown_region_is_left_to_the_provider() -> None:
    config = load(region=None)
    assert config.partition == "aws"
    assert check_provider_region(config, "eu-west-1") == "eu-west-1"


def test_a_provider_region_the_config_cannot_see_is_held_to_its_partition() -> None:
    # The provider may read its region from an AWS profile, which the config never sees.
    unseen = load(region=None)
    with pytest.raises(ConfigError) as raised:
        check_provider_region(unseen, "cn-north-1")
    assert raised.value.problems == [
        'the AWS provider\'s region "cn-north-1" is in partition "aws-cn", but no aws:region, '
        "AWS_REGION or AWS_DEFAULT_REGION names it, so the stack's ARNs would be built for "
        '"aws"; set aws:region to "cn-north-1"'
    ]
    with pytest.raises(ConfigError) as raised:
        check_provider_region(unseen, "us-west-1")
    assert raised.value.problems[0].startswith(
        'the AWS provider\'s region "us-west-1" has no Amazon Personalize endpoint'
    )
    # A region the config saw gives the same partition, so nothing is refused.
    assert check_provider_region(load(region="cn-north-1"), "cn-north-1") == "cn-north-1"


# --- the name prefix -----------------------------------------------------------------------------


def _names_are_valid(prefix: str) -> bool:
    personalize = prefix + LONGEST_SUFFIX
    bucket = f"{prefix}-"[:37].lower() + "a" * 26  # pulumi appends a 26-character suffix
    return (
        NAME_PATTERN.match(personalize) is not None
        and len(personalize) <= 63
        and BUCKET_NAME.match(bucket) is not None
        and not bucket.startswith(RESERVED_BUCKET_PREFIXES)
    )


def test_the_default_prefix_is_made_valid() -> None:
    config = load(stack="Team_A.prod")
    assert config.name_prefix == "personalize-realtime-team-a-prod"
    assert _names_are_valid(config.name_prefix)


def test_a_default_prefix_that_cannot_be_made_valid_is_named() -> None:
    with pytest.raises(ConfigError) as raised:
        load_stack_config("___", "...", {"datasets": ALL_DATASETS}, root=ROOT)
    assert any(
        p.startswith("namePrefix is not set and the default derived from project and stack")
        for p in raised.value.problems
    )


@pytest.mark.parametrize("prefix", ["xn--shop", "sthree-reco"])
def test_a_prefix_s3_refuses_is_named(prefix: str) -> None:
    found = problems(namePrefix=prefix)
    assert any(p.startswith("namePrefix must not start with") for p in found), found


@settings(max_examples=200, deadline=None)
@given(project=st.text(min_size=1, max_size=60), stack=st.text(min_size=1, max_size=60))
def test_any_project_and_stack_give_valid_names_or_a_named_problem(
    project: str, stack: str
) -> None:
    try:
        config = load_stack_config(project, stack, {"datasets": ALL_DATASETS}, root=ROOT)
    except ConfigError as error:
        found = error.problems
    else:
        assert _names_are_valid(config.name_prefix), config.name_prefix
        return
    assert all(p.startswith("namePrefix") for p in found), found


# --- the program wires training.eventType into the data check ------------------------------------


def test_minimums_are_counted_for_the_training_event_type_at_preview() -> None:
    from tests.stack_harness import Registration, run_program

    registered: dict[str, Registration] = {}
    with pytest.raises(DataCheckError) as raised:
        run_program(
            "dev",
            {
                "personalize-realtime:models": [
                    {
                        "name": "recommendations",
                        "recipe": "aws-user-personalization-v2",
                        "training": {"eventType": "Watch"},
                    }
                ]
            },
            registered,
        )
    assert 'models[0].training trains on eventType "Watch", which leaves 0 interactions' in str(
        raised.value
    )
    assert registered == {}


@pytest.mark.parametrize("threshold", ["high", True, "nan"])
def test_event_value_threshold_must_be_a_number(threshold: object) -> None:
    found = problems(
        models=model(
            "aws-user-personalization-v2",
            training={"solutionConfig": {"eventValueThreshold": threshold}},
        )
    )
    assert any(
        p.startswith("models[0].training.solutionConfig.eventValueThreshold must be a number")
        for p in found
    ), found


def test_training_filters_name_each_model() -> None:
    config = load(
        models=[
            {
                "name": "recs",
                "recipe": "aws-user-personalization-v2",
                "training": {"eventType": "watch", "solutionConfig": {"eventValueThreshold": "2"}},
            },
            {"name": "rank", "recipe": "aws-personalized-ranking-v2"},
        ]
    )
    assert training_filters(config) == [TrainingFilter("models[0].training", "watch", 2.0)]


def test_dataset_problems_name_the_model_s_own_index() -> None:
    found = problems(
        datasets={"interactions": "data/interactions.csv"},
        models=[
            {"name": "Bad!", "recipe": "aws-sims"},
            {
                "name": "recs",
                "recipe": "aws-user-personalization-v2",
                "promoteNewItems": {"percent": 20, "maxAgeDays": 7},
            },
        ],
    )
    assert any(p.startswith("models[1].promoteNewItems filters on the Items") for p in found)
