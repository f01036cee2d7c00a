"""Resource records and the catalogue of recipes the emulator knows."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import recommender
from .lifecycle import Lifecycle

RECIPE_PREFIX = "arn:aws:personalize:::recipe/"

# Recipe name -> (recipeType as DescribeRecipe reports it, what our recommender does for it).
RECIPES: dict[str, tuple[str, str]] = {
    "aws-user-personalization": ("USER_PERSONALIZATION", recommender.USER_PERSONALIZATION),
    "aws-user-personalization-v2": ("USER_PERSONALIZATION", recommender.USER_PERSONALIZATION),
    "aws-hrnn": ("USER_PERSONALIZATION", recommender.USER_PERSONALIZATION),
    "aws-hrnn-coldstart": ("USER_PERSONALIZATION", recommender.USER_PERSONALIZATION),
    "aws-popularity-count": ("USER_PERSONALIZATION", recommender.POPULARITY),
    "aws-trending-now": ("USER_PERSONALIZATION", recommender.TRENDING),
    "aws-personalized-ranking": ("PERSONALIZED_RANKING", recommender.PERSONALIZED_RANKING),
    "aws-personalized-ranking-v2": ("PERSONALIZED_RANKING", recommender.PERSONALIZED_RANKING),
    "aws-similar-items": ("RELATED_ITEMS", recommender.RELATED_ITEMS),
    "aws-sims": ("RELATED_ITEMS", recommender.RELATED_ITEMS),
}
# Only these recipes can train in UPDATE mode and use item exploration.
UPDATABLE_RECIPES = {
    "aws-user-personalization",
    "aws-user-personalization-v2",
    "aws-hrnn-coldstart",
}


@dataclass
class Resource:
    """One emulated resource. attrs holds the API fields; lifecycle is None for schemas."""

    kind: str
    arn: str
    name: str
    region: str
    lifecycle: Lifecycle | None
    attrs: dict[str, Any] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    # Non-API state: trained model, imported rows, metrics.
    state: dict[str, Any] = field(default_factory=dict)
