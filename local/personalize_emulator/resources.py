"""Resource records and the catalogue of recipes the emulator knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import recommender
from .lifecycle import Lifecycle

RECIPE_PREFIX = "arn:aws:personalize:::recipe/"


@dataclass(frozen=True)
class Recipe:
    """A recipe as ListRecipes / DescribeRecipe report it, and what the emulator does with it.

    model: what our recommender trains for it, or None when training it is not emulated.
    campaigns: whether a campaign can serve it (USER_SEGMENTATION recipes only feed batch
    segment jobs). domain: set for the use-case recipes of domain dataset groups (recommenders).
    """

    name: str
    recipe_type: str
    model: str | None
    campaigns: bool = True
    domain: str | None = None


_CUSTOM = (
    Recipe("aws-user-personalization-v2", "USER_PERSONALIZATION", recommender.USER_PERSONALIZATION),
    Recipe("aws-user-personalization", "USER_PERSONALIZATION", recommender.USER_PERSONALIZATION),
    Recipe("aws-trending-now", "POPULAR_ITEMS", recommender.TRENDING),
    Recipe("aws-popularity-count", "POPULAR_ITEMS", recommender.POPULARITY),
    Recipe("aws-personalized-ranking-v2", "PERSONALIZED_RANKING", recommender.PERSONALIZED_RANKING),
    Recipe("aws-personalized-ranking", "PERSONALIZED_RANKING", recommender.PERSONALIZED_RANKING),
    Recipe("aws-semantic-similarity", "RELATED_ITEMS", recommender.RELATED_ITEMS),
    Recipe("aws-similar-items", "RELATED_ITEMS", recommender.RELATED_ITEMS),
    Recipe("aws-sims", "RELATED_ITEMS", recommender.RELATED_ITEMS),
    Recipe("aws-next-best-action", "PERSONALIZED_ACTIONS", None),
    Recipe("aws-item-affinity", "USER_SEGMENTATION", recommender.POPULARITY, campaigns=False),
    Recipe(
        "aws-item-attribute-affinity", "USER_SEGMENTATION", recommender.POPULARITY, campaigns=False
    ),
    # Legacy recipes, still listed by the service.
    Recipe("aws-hrnn", "USER_PERSONALIZATION", recommender.USER_PERSONALIZATION),
    Recipe("aws-hrnn-metadata", "USER_PERSONALIZATION", recommender.USER_PERSONALIZATION),
    Recipe("aws-hrnn-coldstart", "USER_PERSONALIZATION", recommender.USER_PERSONALIZATION),
)
# Use cases of domain dataset groups: listed, served only by recommenders (not emulated).
_DOMAIN = tuple(
    Recipe(name, recipe_type, None, domain=domain)
    for domain, uses in (
        (
            "ECOMMERCE",
            (
                ("aws-ecomm-customers-who-viewed-x-also-viewed", "RELATED_ITEMS"),
                ("aws-ecomm-frequently-bought-together", "RELATED_ITEMS"),
                ("aws-ecomm-popular-items-by-purchases", "POPULAR_ITEMS"),
                ("aws-ecomm-popular-items-by-views", "POPULAR_ITEMS"),
                ("aws-ecomm-recommended-for-you", "USER_PERSONALIZATION"),
            ),
        ),
        (
            "VIDEO_ON_DEMAND",
            (
                ("aws-vod-because-you-watched-x", "RELATED_ITEMS"),
                ("aws-vod-more-like-x", "RELATED_ITEMS"),
                ("aws-vod-most-popular", "POPULAR_ITEMS"),
                ("aws-vod-trending-now", "POPULAR_ITEMS"),
                ("aws-vod-top-picks", "USER_PERSONALIZATION"),
            ),
        ),
    )
    for name, recipe_type in uses
)
RECIPES: dict[str, Recipe] = {r.name: r for r in (*_CUSTOM, *_DOMAIN)}
# CreateSolutionVersion: "UPDATE ... only ... with the User-Personalization recipe or the legacy
# HRNN-Coldstart recipe".
UPDATABLE_RECIPES = {"aws-user-personalization", "aws-hrnn-coldstart"}
# CampaignConfig: "Provide itemExplorationConfig data only if your solution uses the
# User-Personalization recipe."
EXPLORATION_RECIPES = {"aws-user-personalization"}
# Recipes that explore new items: v1 as configured, v2 by itself ("handles exploration for you").
EXPLORING_RECIPES = {
    "aws-user-personalization",
    "aws-user-personalization-v2",
    "aws-hrnn-coldstart",
}


def recipe_named(arn: str) -> Recipe | None:
    return RECIPES.get(arn[len(RECIPE_PREFIX) :]) if arn.startswith(RECIPE_PREFIX) else None


@dataclass
class Resource:
    """One emulated resource. attrs holds the API fields; lifecycle is None for schemas."""

    kind: str
    arn: str
    name: str
    region: str
    lifecycle: Lifecycle | None
    attrs: dict[str, Any] = field(default_factory=dict)
    # Non-API state: trained model, imported rows, metrics.
    state: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Options:
    """Choices where the service's behaviour is undocumented (README, "Known differences").

    recommend_interacted: USER_PERSONALIZATION recipes may recommend items the user already
        interacted with. Off by default (the emulator leaves them out, the usual case); a filter
        that INCLUDEs on Interactions always gets them, as a "watch again" shelf needs.
    strict_csv_headers: CSV headers must spell schema fields in the same case. Off by default:
        AWS's samples write headers in other cases and their imports succeed.
    """

    recommend_interacted: bool = False
    strict_csv_headers: bool = False
