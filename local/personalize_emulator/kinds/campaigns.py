"""Campaigns: a deployed solution version, and campaign updates."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from ..errors import InvalidInputException, LimitExceededException, ResourceInUseException
from ..lifecycle import ACTIVE, CREATE_FAILED, Lifecycle
from ..region import RegionBackend
from ..registry import operation, pending_work
from ..resources import EXPLORATION_RECIPES, RECIPE_PREFIX, RECIPES, Resource
from .solution_versions import resolve_version


def check_campaign_config(
    rb: RegionBackend, version_arn: str, config: dict[str, Any] | None, version: Resource
) -> None:
    recipe_arn = rb.resources[version.attrs["solutionArn"]].attrs["recipeArn"]
    recipe = RECIPES[recipe_arn[len(RECIPE_PREFIX) :]]
    if not recipe.campaigns:
        raise InvalidInputException(
            f"Solution version {version.arn} uses {recipe.name} ({recipe.recipe_type}); "
            "campaigns cannot serve it, use a batch segment job"
        )
    # CampaignConfig: "Provide itemExplorationConfig data only if your solution uses the
    # User-Personalization recipe." (v2 handles exploration itself.)
    if (config or {}).get("itemExplorationConfig") and recipe.name not in EXPLORATION_RECIPES:
        raise InvalidInputException(
            f"campaignConfig.itemExplorationConfig is only for solutions that use "
            f"{' or '.join(sorted(EXPLORATION_RECIPES))}; solution version {version.arn} "
            f"uses {recipe.name}"
        )
    if (
        config
        and config.get("syncWithLatestSolutionVersion")
        and not version_arn.endswith("/$LATEST")
    ):
        raise InvalidInputException(
            "syncWithLatestSolutionVersion needs solutionVersionArn in the form "
            "<solutionArn>/$LATEST"
        )
    weight = (config or {}).get("itemExplorationConfig", {}).get("explorationWeight")
    if weight is not None:
        try:
            ok = 0.0 <= float(weight) <= 1.0
        except ValueError:
            ok = False
        if not ok:
            raise InvalidInputException(
                f"explorationWeight must be a number from 0 to 1, got {weight!r}"
            )


@operation("CreateCampaign")
def create_campaign(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    name = p["name"]
    rb.unique("campaign", name, "Campaign")
    version = resolve_version(rb, p["solutionVersionArn"])
    check_campaign_config(rb, p["solutionVersionArn"], p.get("campaignConfig"), version)
    live = [c for c in rb.of_kind("campaign") if not (c.lifecycle and c.lifecycle.deleting())]
    if len(live) >= rb.shared.max_active_campaigns:
        raise LimitExceededException(
            f"At most {rb.shared.max_active_campaigns} campaigns can exist per region (quota)"
        )
    arn = rb.arn("campaign", name)
    attrs = {
        "solutionVersionArn": p["solutionVersionArn"],
        "minProvisionedTPS": p.get("minProvisionedTPS", 1),
        "campaignConfig": p.get("campaignConfig", {}),
    }
    rb.add(
        Resource("campaign", arn, name, rb.region, rb.lifecycle("campaign", name, arn=arn), attrs),
        p.get("tags"),
    )
    return {"campaignArn": arn}


def campaign_view(rb: RegionBackend, r: Resource, summary: bool = False) -> dict[str, Any]:
    view = {"name": r.name, "campaignArn": r.arn, **rb.times(r)}
    if summary:
        return view
    view.update(r.attrs)
    update = r.state.get("update")
    if update is not None:
        lc: Lifecycle = update["lifecycle"]
        now = rb.now()
        latest = {
            k: update[k] for k in ("solutionVersionArn", "minProvisionedTPS", "campaignConfig")
        }
        latest.update(
            status=lc.status(now),
            creationDateTime=lc.created,
            lastUpdatedDateTime=lc.last_updated(now),
        )
        if latest["status"] == CREATE_FAILED:
            latest["failureReason"] = lc.failure_reason
        view["latestCampaignUpdate"] = latest
    return view


@operation("DescribeCampaign")
def describe_campaign(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    return {"campaign": campaign_view(rb, rb.get(p["campaignArn"], "campaign"))}


@operation("ListCampaigns")
def list_campaigns(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    found = rb.of_kind("campaign")
    if p.get("solutionArn"):
        prefix = p["solutionArn"] + "/"
        found = [c for c in found if c.attrs["solutionVersionArn"].startswith(prefix)]
    return rb.page([campaign_view(rb, r, True) for r in found], p, "campaigns")


@operation("UpdateCampaign")
def update_campaign(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    r = rb.get(p["campaignArn"], "campaign")
    status = rb.status(r)
    if status not in (ACTIVE, CREATE_FAILED):
        raise ResourceInUseException(
            f"Campaign {r.arn} can only be updated when ACTIVE or CREATE FAILED; status is {status}"
        )
    pending = r.state.get("update")
    if pending is not None and pending["lifecycle"].in_flight(rb.now()):
        raise ResourceInUseException(f"Campaign {r.arn} already has an update in progress")
    version_arn = p.get("solutionVersionArn", r.attrs["solutionVersionArn"])
    config = p.get("campaignConfig", r.attrs["campaignConfig"])
    version = resolve_version(rb, version_arn)
    check_campaign_config(rb, version_arn, config, version)
    r.state["update"] = {
        "solutionVersionArn": version_arn,
        "minProvisionedTPS": p.get("minProvisionedTPS", r.attrs["minProvisionedTPS"]),
        "campaignConfig": config,
        "lifecycle": rb.lifecycle("campaign-update", r.name, arn=r.arn),
    }
    return {"campaignArn": r.arn}


@operation("DeleteCampaign")
def delete_campaign(rb: RegionBackend, p: dict[str, Any]) -> None:
    r = rb.get(p["campaignArn"], "campaign")
    update = r.state.get("update")
    if update is not None and update["lifecycle"].in_flight(rb.now()):
        raise ResourceInUseException(
            f"Cannot delete campaign {r.arn} while an update is in progress"
        )
    rb.start_delete(r, "Campaign")


def settle_update(rb: RegionBackend, campaign: Resource) -> None:
    update = campaign.state["update"]
    lc: Lifecycle = update["lifecycle"]
    lc.settled = True
    if lc.forced_failure:
        lc.failure_reason = lc.forced_failure
        return
    for key in ("solutionVersionArn", "minProvisionedTPS", "campaignConfig"):
        campaign.attrs[key] = update[key]


@pending_work
def due_updates(rb: RegionBackend, now: float) -> list[tuple[float, str, Callable[[], None]]]:
    """Campaign updates whose CREATE IN_PROGRESS has ended: switch the campaign over."""
    due: list[tuple[float, str, Callable[[], None]]] = []
    for r in rb.of_kind("campaign"):
        update = r.state.get("update")
        if update is not None:
            lc: Lifecycle = update["lifecycle"]
            if not lc.settled and lc.due <= now:
                due.append((lc.due, r.arn, functools.partial(settle_update, rb, r)))
    return due
