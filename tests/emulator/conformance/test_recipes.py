"""The recipes ListRecipes lists, as the recipe pages describe them.

Sources: https://docs.aws.amazon.com/personalize/latest/dg/working-with-predefined-recipes.html
(recipe types and recipes) and
https://docs.aws.amazon.com/personalize/latest/dg/API_ListRecipes.html (the domain filter: "If you
don't specify a domain, all recipes are returned").
"""

from __future__ import annotations

import pytest

from ..conftest import Clients
from ..helpers import RECIPE
from .conftest import Store

CUSTOM = {
    "aws-user-personalization-v2": "USER_PERSONALIZATION",
    "aws-user-personalization": "USER_PERSONALIZATION",
    "aws-trending-now": "POPULAR_ITEMS",
    "aws-popularity-count": "POPULAR_ITEMS",
    "aws-personalized-ranking-v2": "PERSONALIZED_RANKING",
    "aws-personalized-ranking": "PERSONALIZED_RANKING",
    "aws-semantic-similarity": "RELATED_ITEMS",
    "aws-similar-items": "RELATED_ITEMS",
    "aws-sims": "RELATED_ITEMS",
    "aws-next-best-action": "PERSONALIZED_ACTIONS",
    "aws-item-affinity": "USER_SEGMENTATION",
    "aws-item-attribute-affinity": "USER_SEGMENTATION",
    "aws-hrnn": "USER_PERSONALIZATION",
    "aws-hrnn-metadata": "USER_PERSONALIZATION",
    "aws-hrnn-coldstart": "USER_PERSONALIZATION",
}
DOMAIN = {
    "ECOMMERCE": {
        "aws-ecomm-customers-who-viewed-x-also-viewed",
        "aws-ecomm-frequently-bought-together",
        "aws-ecomm-popular-items-by-purchases",
        "aws-ecomm-popular-items-by-views",
        "aws-ecomm-recommended-for-you",
    },
    "VIDEO_ON_DEMAND": {
        "aws-vod-because-you-watched-x",
        "aws-vod-more-like-x",
        "aws-vod-most-popular",
        "aws-vod-trending-now",
        "aws-vod-top-picks",
    },
}


def test_every_listed_recipe_with_its_type(clients: Clients) -> None:
    """Every custom and use-case recipe is listed (through the paginator) and described with the
    type its page gives it."""
    pages = clients.pz.get_paginator("list_recipes").paginate(PaginationConfig={"PageSize": 7})
    listed = {r["name"]: r for page in pages for r in page["recipes"]}
    assert set(listed) == set(CUSTOM) | set().union(*DOMAIN.values())
    for name, recipe_type in CUSTOM.items():
        described = clients.pz.describe_recipe(recipeArn=RECIPE + name)["recipe"]
        assert (described["recipeType"], "domain" in listed[name]) == (recipe_type, False), name
    for domain, names in DOMAIN.items():
        only = clients.pz.list_recipes(domain=domain)["recipes"]
        assert {r["name"] for r in only} == names
        assert {r["domain"] for r in only} == {domain}


def test_use_case_recipes_are_not_for_solutions(store: Store) -> None:
    """Use-case recipes belong to recommenders of domain dataset groups; a custom solution
    refuses them.

    Source: working-with-predefined-recipes.html (custom recipes for custom solutions) and
    https://docs.aws.amazon.com/personalize/latest/dg/domain-use-cases.html.
    """
    with pytest.raises(store.clients.pz.exceptions.InvalidInputException, match="ECOMMERCE"):
        store.clients.pz.create_solution(
            name="conf-use-case",
            datasetGroupArn=store.stack.group,
            recipeArn=RECIPE + "aws-ecomm-recommended-for-you",
        )
