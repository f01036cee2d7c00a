"""personalize-runtime: GetRecommendations and GetPersonalizedRanking."""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .. import avro, filtering, recommender
from .. import filters as expressions
from ..errors import InvalidInputException, ResourceNotFoundException
from ..lifecycle import ACTIVE
from ..region import RegionBackend
from ..registry import operation
from ..resources import EXPLORING_RECIPES, RECIPE_PREFIX
from .data import dataset_of, item_rows, schema_of, user_histories, user_rows
from .recommenders import serving_recommender
from .solution_versions import resolve_version

# GetRecommendations numResults: at most 500, or 50 with metadata (API reference).
MAX_NUM_RESULTS = 500
MAX_NUM_RESULTS_WITH_METADATA = 50
# itemExplorationConfig defaults (CampaignConfig / ItemExplorationConfig API reference).
DEFAULT_EXPLORATION_WEIGHT = 0.3
DEFAULT_EXPLORATION_AGE_DAYS = 30.0


@dataclass(frozen=True)
class Served:
    """What answers a request: a campaign's deployed version, or a recommender."""

    model: recommender.Model
    group_arn: str
    recipe: str
    # campaignConfig or recommenderConfig (metadata and exploration settings).
    config: dict[str, Any]


def serving(rb: RegionBackend, p: dict[str, Any]) -> Served:
    if p.get("recommenderArn"):
        r = serving_recommender(rb, p["recommenderArn"])
        return Served(
            r.state["model"],
            r.attrs["datasetGroupArn"],
            r.attrs["recipeArn"][len(RECIPE_PREFIX) :],
            r.attrs["recommenderConfig"],
        )
    if not p.get("campaignArn"):
        raise InvalidInputException("campaignArn or recommenderArn is required")
    campaign_arn = p["campaignArn"]
    campaign = rb.resources.get(campaign_arn)
    if campaign is None or campaign.kind != "campaign" or rb.status(campaign) != ACTIVE:
        raise ResourceNotFoundException(f"Could not find an ACTIVE campaign {campaign_arn}")
    version = resolve_version(rb, campaign.attrs["solutionVersionArn"])
    solution = rb.resources[version.attrs["solutionArn"]]
    return Served(
        version.state["model"],
        solution.attrs["datasetGroupArn"],
        solution.attrs["recipeArn"][len(RECIPE_PREFIX) :],
        campaign.attrs["campaignConfig"],
    )


@dataclass(frozen=True)
class Request:
    """Who and what a recommendation request is about, for its filters."""

    group_arn: str
    user_id: str | None
    model_kind: str
    item_id: str | None = None


def filter_predicate(
    rb: RegionBackend, arn: str | None, values: dict[str, str], request: Request
) -> tuple[Callable[[str], bool] | None, expressions.FilterExpression | None]:
    """The filter `arn` (with its filterValues) as a predicate over item ids, and its expression."""
    if not arn:
        return None, None
    group_arn, user_id, item_id = request.group_arn, request.user_id, request.item_id
    f = rb.resources.get(arn)
    if f is None or f.kind != "filter":
        raise ResourceNotFoundException(f"Could not find filter {arn}")
    if f.attrs["datasetGroupArn"] != group_arn:
        raise InvalidInputException(
            f"Filter {arn} belongs to another dataset group than the campaign"
        )
    if rb.status(f) != ACTIVE:
        raise InvalidInputException(f"Filter {arn} is not ACTIVE (status: {rb.status(f)})")
    expression: expressions.FilterExpression = f.state["expression"]
    if expression.target != expressions.ITEM_ID:
        raise InvalidInputException(
            f"Filter {arn} filters {expression.target}s (batch segment jobs), not recommendations"
        )
    if expression.uses_current_item and request.model_kind != recommender.RELATED_ITEMS:
        raise InvalidInputException(
            f"Filter {arn} uses CurrentItem, which only works with related-items recipes"
        )
    items, _ = item_rows(rb, group_arn)
    item_schema = schema_of(rb, group_arn, "Items")
    user_schema = schema_of(rb, group_arn, "Users")
    history = user_histories(rb, group_arn).get(user_id or "", [])
    context = filtering.Context(
        items=items,
        item_fields=item_schema.names if item_schema else [],
        user_events=filtering.recent_event_types([(i.item_id, i.event_type) for i in history]),
        user_row=user_rows(rb, group_arn).get(user_id or ""),
        user_fields=user_schema.names if user_schema else [],
        current_item=items.get(item_id or ""),
    )
    predicate = filtering.compile_filter(expression, values, context)
    return predicate, expression


def metadata(rb: RegionBackend, p: dict[str, Any], served: Served) -> list[str]:
    columns = p.get("metadataColumns")
    group_arn = served.group_arn
    if not columns:
        return []
    if not served.config.get("enableMetadataWithRecommendations"):
        raise InvalidInputException(
            "metadataColumns needs a campaign with campaignConfig.enableMetadataWithRecommendations"
        )
    wanted = columns.get("ITEMS", [])
    items = dataset_of(rb, group_arn, "Items")
    if items is not None:
        schema: avro.AvroSchema = rb.resources[items.attrs["schemaArn"]].state["parsed"]
        unknown = [c for c in wanted if schema.field(c) is None]
        if unknown:
            raise InvalidInputException(f"metadataColumns ITEMS has unknown columns {unknown}")
    return list(wanted)


def item_list(
    rb: RegionBackend,
    scored: list[recommender.Scored],
    columns: list[str],
    group_arn: str,
    promoted: tuple[str | None, set[str]] = (None, set()),
) -> list[dict[str, Any]]:
    """The response's items; those in `promoted` carry the promotion's name, when it has one."""
    items, _ = item_rows(rb, group_arn) if columns else ({}, {})
    out: list[dict[str, Any]] = []
    for s in scored:
        entry: dict[str, Any] = {"itemId": s.item_id}
        if s.score is not None:
            entry["score"] = s.score
        if promoted[0] and s.item_id in promoted[1]:
            entry["promotionName"] = promoted[0]
        if columns:
            row = items.get(s.item_id, {})
            entry["metadata"] = {c: "" if row.get(c) is None else str(row.get(c)) for c in columns}
        out.append(entry)
    return out


@operation("GetRecommendations")
def get_recommendations(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    served = serving(rb, p)
    model, group = served.model, served.group_arn
    columns = metadata(rb, p, served)
    limit = MAX_NUM_RESULTS_WITH_METADATA if columns else MAX_NUM_RESULTS
    num = p.get("numResults", 25)
    if num > limit:
        raise InvalidInputException(
            f"1 validation error detected: Value '{num}' at 'numResults' failed to satisfy "
            f"constraint: Member must have value less than or equal to {limit}"
        )
    if model.kind == recommender.PERSONALIZED_RANKING:
        raise InvalidInputException(
            "This campaign uses a personalized-ranking recipe; call GetPersonalizedRanking"
        )
    user, item = p.get("userId"), p.get("itemId")
    if model.kind == recommender.RELATED_ITEMS and not item:
        raise InvalidInputException("itemId is required for a related-items campaign")
    if model.kind != recommender.RELATED_ITEMS and not user:
        raise InvalidInputException("userId is required for a USER_PERSONALIZATION campaign")
    request = Request(group, user, model.kind, item)
    allowed, expression = filter_predicate(
        rb, p.get("filterArn"), p.get("filterValues", {}), request
    )

    def top(wanted: int, keep: Callable[[str], bool] | None) -> list[recommender.Scored]:
        if model.kind == recommender.RELATED_ITEMS:
            assert item is not None
            return recommender.similar_items(model, item, wanted, keep)
        history = [i.item_id for i in user_histories(rb, group).get(user or "", [])]
        cold, weight = exploration(rb, served)
        # A filter that INCLUDEs on Interactions asks for items the user interacted with.
        interacted = rb.shared.options.recommend_interacted or bool(
            expression and expression.includes_interactions
        )
        return recommender.recommend(
            model,
            history,
            wanted,
            allowed=keep,
            cold_items=cold,
            exploration_weight=weight,
            exclude_seen=not interacted,
        )

    recommendation_id = f"RID-{uuid.uuid4()}"
    promotions = p.get("promotions") or []
    if not promotions:
        scored = top(num, allowed)
        return {
            "itemList": item_list(rb, scored, columns, group),
            "recommendationId": recommendation_id,
        }
    (promotion,) = promotions  # the model allows at most one
    promote, _ = filter_predicate(
        rb, promotion.get("filterArn"), promotion.get("filterValues", {}), request
    )
    if promote is None:
        raise InvalidInputException("A promotion needs a filterArn")
    # "The promotion filter applies only to promoted items and the request filter applies only to
    # the other recommended items" (promoting-items page, Promotion filters).
    wanted = promoted_slots(num, int(promotion["percentPromotedItems"]))
    promoted = top(wanted, promote)
    chosen = {s.item_id for s in promoted}
    # Items added since training have no learnt vector; a new-items promotion is for them, so
    # they follow the model's picks, newest first.
    _, added = item_rows(rb, group)
    fresh = [
        i
        for i in sorted(added, key=lambda i: (-added[i], i))
        if i not in model.index and i not in chosen and i != item and promote(i)
    ]
    promoted = (promoted + [recommender.Scored(i, None) for i in fresh])[:wanted]
    chosen = {s.item_id for s in promoted}
    rest = top(num - len(promoted), lambda i: i not in chosen and (allowed is None or allowed(i)))
    scored = _place_promoted(promoted, rest, random.Random(recommendation_id))
    return {
        "itemList": item_list(rb, scored, columns, group, (promotion.get("name"), chosen)),
        "recommendationId": recommendation_id,
    }


def promoted_slots(num_results: int, percent: int) -> int:
    """How many of `num_results` slots a promotion of `percent` (1-100, checked against the model
    before this runs) takes. The page does not say how the share rounds: here it rounds down, and
    a promotion asked for takes at least one slot."""
    return min(num_results, max(1, num_results * percent // 100))


def _place_promoted(
    promoted: list[recommender.Scored], rest: list[recommender.Scored], rng: random.Random
) -> list[recommender.Scored]:
    """Promoted items at random positions, in their own order ("positioned randomly relative to
    other recommended items, but in sorted order relative to other promoted items")."""
    total = len(promoted) + len(rest)
    positions = set(rng.sample(range(total), len(promoted)))
    promoted_iter, rest_iter = iter(promoted), iter(rest)
    return [next(promoted_iter) if n in positions else next(rest_iter) for n in range(total)]


def exploration(rb: RegionBackend, served: Served) -> tuple[list[str], float]:
    """New items (not in the model, younger than the cut-off) and the share of slots they get."""
    if served.recipe not in EXPLORING_RECIPES:
        return [], 0.0
    model, group = served.model, served.group_arn
    config = served.config.get("itemExplorationConfig", {})
    weight = float(config.get("explorationWeight", DEFAULT_EXPLORATION_WEIGHT))
    cutoff_days = float(config.get("explorationItemAgeCutOff", DEFAULT_EXPLORATION_AGE_DAYS))
    _, added = item_rows(rb, group)
    oldest = rb.now() - cutoff_days * 86400
    cold = [i for i, t in added.items() if i not in model.index and t >= oldest]
    cold.sort(key=lambda i: (-added[i], i))
    return cold, weight


@operation("GetPersonalizedRanking")
def get_personalized_ranking(rb: RegionBackend, p: dict[str, Any]) -> dict[str, Any]:
    served = serving(rb, p)
    model, group = served.model, served.group_arn
    if model.kind != recommender.PERSONALIZED_RANKING:
        raise InvalidInputException(
            "GetPersonalizedRanking needs a campaign with a personalized-ranking recipe"
        )
    if len(p["inputList"]) > MAX_NUM_RESULTS:
        raise InvalidInputException(f"inputList can hold at most {MAX_NUM_RESULTS} items")
    columns = metadata(rb, p, served)
    request = Request(group, p["userId"], model.kind)
    allowed, _ = filter_predicate(rb, p.get("filterArn"), p.get("filterValues", {}), request)
    candidates = [i for i in dict.fromkeys(p["inputList"]) if allowed is None or allowed(i)]
    history = [i.item_id for i in user_histories(rb, group).get(p["userId"], [])]
    ranked = recommender.rank(model, history, candidates)
    return {
        "personalizedRanking": item_list(rb, ranked, columns, group),
        "recommendationId": f"RID-{uuid.uuid4()}",
    }
