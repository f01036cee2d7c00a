"""Recommenders: the use cases of domain dataset groups (VIDEO_ON_DEMAND, ECOMMERCE).

A recommender trains on its dataset group's data while it is created (CreateRecommender does the
work of a solution, a version and a campaign) and serves GetRecommendations(recommenderArn).
Stopping one makes it INACTIVE (no serving, no billing) until it is started again.
Sources: https://docs.aws.amazon.com/personalize/latest/dg/API_CreateRecommender.html and
https://docs.aws.amazon.com/personalize/latest/dg/API_StopRecommender.html.
"""

from __future__ import annotations

from typing import Any

from .. import recommender
from ..errors import InvalidInputException, ResourceInUseException, ResourceNotFoundException
from ..lifecycle import ACTIVE
from ..region import RegionBackend
from ..registry import operation, settles
from ..resources import Resource, recipe_named
from .data import group_interactions

INACTIVE = "INACTIVE"
# What our recommender trains for a use case, by its recipe type.
_MODELS = {
    "USER_PERSONALIZATION": recommender.USER_PERSONALIZATION,
    "RELATED_ITEMS": recommender.RELATED_ITEMS,
    "POPULAR_ITEMS": recommender.POPULARITY,
}


@operation("CreateRecommender")
def create_recommender(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    group = rb.get(p["datasetGroupArn"], "dataset-group", "dataset group")
    name = p["name"]
    rb.unique("recommender", name, "Recommender")
    recipe = recipe_named(p["recipeArn"])
    if recipe is None:
        raise ResourceNotFoundException(f"Could not find recipe {p['recipeArn']}")
    domain = group.attrs.get("domain")
    if recipe.domain is None or recipe.domain != domain:
        raise InvalidInputException(
            f"Recipe {recipe.name} is not a use case of the dataset group's domain "
            f"({domain or 'none: a custom dataset group takes solutions and campaigns'})"
        )
    rb.require_active(group, "Dataset group")
    arn = rb.arn("recommender", name)
    config = {"minRecommendationRequestsPerSecond": 1, **p.get("recommenderConfig", {})}
    attrs = {"datasetGroupArn": group.arn, "recipeArn": p["recipeArn"], "recommenderConfig": config}
    rb.add(
        Resource(
            "recommender", arn, name, rb.region, rb.lifecycle("recommender", name, arn=arn), attrs
        ),
        p.get("tags"),
    )
    return {"recommenderArn": arn}


@settles("recommender")
def train(rb: RegionBackend, r: Resource) -> None:
    recipe = recipe_named(r.attrs["recipeArn"])
    assert recipe is not None
    interactions = group_interactions(rb, r.attrs["datasetGroupArn"])
    r.state["model"] = recommender.train(interactions, _MODELS[recipe.recipe_type])


def _status(rb: RegionBackend, r: Resource) -> str:
    status = rb.status(r)
    return INACTIVE if status == ACTIVE and r.state.get("stopped") else status


def recommender_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view = {"name": r.name, "recommenderArn": r.arn, **r.attrs, **rb.times(r)}
    view["status"] = _status(rb, r)
    if summary:
        view.pop("failureReason", None)
    return view


@operation("DescribeRecommender")
def describe_recommender(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["recommenderArn"], "recommender")
    return {"recommender": recommender_view(rb, r)}


@operation("ListRecommenders")
def list_recommenders(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    found = rb.filtered("recommender", p, "datasetGroupArn")
    return rb.page([recommender_view(rb, r, True) for r in found], p, "recommenders")


@operation("UpdateRecommender")
def update_recommender(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["recommenderArn"], "recommender")
    rb.require_active(r, "Recommender")
    r.attrs["recommenderConfig"] = {**r.attrs["recommenderConfig"], **p["recommenderConfig"]}
    return {"recommenderArn": r.arn}


@operation("StopRecommender")
def stop_recommender(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["recommenderArn"], "recommender")
    if _status(rb, r) != ACTIVE:
        raise ResourceInUseException(f"Recommender {r.arn} is {_status(rb, r)}, not ACTIVE")
    r.state["stopped"] = True
    return {"recommenderArn": r.arn}


@operation("StartRecommender")
def start_recommender(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["recommenderArn"], "recommender")
    if _status(rb, r) != INACTIVE:
        raise ResourceInUseException(f"Recommender {r.arn} is {_status(rb, r)}, not INACTIVE")
    r.state["stopped"] = False
    return {"recommenderArn": r.arn}


@operation("DeleteRecommender")
def delete_recommender(rb: RegionBackend, p: dict[str, Any]) -> None:
    r = rb.get(p["recommenderArn"], "recommender")
    r.state["stopped"] = False
    rb.start_delete(r, "Recommender")


def serving_recommender(rb: RegionBackend, arn: str) -> Resource:
    """An ACTIVE recommender for GetRecommendations; a stopped one does not serve."""
    r = rb.resources.get(arn)
    if r is None or r.kind != "recommender" or _status(rb, r) != ACTIVE:
        raise ResourceNotFoundException(f"Could not find an ACTIVE recommender {arn}")
    return r
