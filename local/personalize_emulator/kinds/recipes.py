"""Recipes: the catalogue ListRecipes / DescribeRecipe answer from."""

from __future__ import annotations

from typing import Any

from ..errors import ResourceNotFoundException
from ..lifecycle import ACTIVE
from ..region import RegionBackend
from ..registry import operation
from ..resources import RECIPE_PREFIX, RECIPES


def recipe_view(rb: RegionBackend, name: str, summary: bool = False) -> dict[str, Any]:
    recipe = RECIPES[name]
    view: dict[str, Any] = {
        "name": name,
        "recipeArn": RECIPE_PREFIX + name,
        "status": ACTIVE,
        "creationDateTime": 1546300800.0,
        "lastUpdatedDateTime": 1546300800.0,
    }
    if recipe.domain is not None:
        view["domain"] = recipe.domain
    if not summary:
        view.update(
            algorithmArn=f"arn:aws:personalize:::algorithm/{name}",
            recipeType=recipe.recipe_type,
            description=f"Emulated {name} recipe",
        )
    return view


@operation("DescribeRecipe")
def describe_recipe(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    arn = p["recipeArn"]
    name = arn[len(RECIPE_PREFIX) :] if arn.startswith(RECIPE_PREFIX) else ""
    if name not in RECIPES:
        raise ResourceNotFoundException(f"Could not find recipe {arn}")
    return {"recipe": recipe_view(rb, name)}


@operation("ListRecipes")
def list_recipes(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    # "If you don't specify a domain, all recipes are returned" (ListRecipes).
    names = [n for n, r in RECIPES.items() if p.get("domain") in (None, r.domain)]
    return rb.page([recipe_view(rb, n, True) for n in names], p, "recipes")
