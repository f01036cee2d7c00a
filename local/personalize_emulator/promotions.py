"""GetRecommendations promotions, as the promoting-items page describes them.

https://docs.aws.amazon.com/personalize/latest/dg/promoting-items.html: `percentPromotedItems` of
the recommended items come from the items the promotion's filter allows (the request filter
applies only to the other items); promoted items are "positioned randomly relative to other
recommended items, but in sorted order relative to other promoted items"; "if there aren't enough
items that meet the promotion criteria, the result will contain as many promoted items as
possible". Each promoted item carries the promotion's name as `promotionName` (botocore
`personalize-runtime` model, shape `PredictedItem`). The request shape (at most one promotion,
percent 1-100) is checked against the model before this runs.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from . import recommender


@dataclass(frozen=True)
class Promotion:
    name: str | None
    count: int  # how many of the results are promoted items
    filter_request: dict[str, Any]  # filterArn / filterValues, in the request's own shape


def requested(promotions: list[dict[str, Any]] | None, num_results: int) -> Promotion | None:
    """The request's promotion, if any, with the number of result slots it takes.

    How the service rounds the percentage is undocumented; here it rounds down, but a promotion
    asked for takes at least one slot.
    """
    if not promotions:
        return None
    (promotion,) = promotions  # the model allows at most one
    percent = int(promotion.get("percentPromotedItems", 0))
    count = min(num_results, max(1, math.floor(num_results * percent / 100))) if percent else 0
    return Promotion(
        name=promotion.get("name"),
        count=count,
        filter_request={
            "filterArn": promotion.get("filterArn"),
            "filterValues": promotion.get("filterValues", {}),
        },
    )


def select(
    model: recommender.Model,
    *,
    history: list[str],
    item_id: str | None,
    count: int,
    allowed: Callable[[str], bool],
    catalogue: Iterable[str],
) -> list[recommender.Scored]:
    """The promoted items, best first: what the model ranks highest among those `allowed`, then
    catalogue items the model has not learnt yet (new since training, which is what a new-items
    promotion is for) in the order given."""
    if count <= 0:
        return []
    if model.kind == recommender.RELATED_ITEMS and item_id is not None:
        known = recommender.similar_items(model, item_id, count, allowed)
    else:
        known = recommender.recommend(model, history, count, allowed=allowed)
    fresh = [
        recommender.Scored(i, None)
        for i in catalogue
        if i not in model.index and i != item_id and allowed(i)
    ]
    return (known + fresh)[:count]


def interleave(
    regular: list[dict[str, Any]],
    promoted: list[dict[str, Any]],
    name: str | None,
    rng: random.Random,
) -> list[dict[str, Any]]:
    """Promoted items at random positions among the regular ones, in their own order.

    `regular` holds as many items as the request asked for; the promoted items replace its last
    ones, so slots the promotion cannot fill keep regular items and the list keeps its length
    (undocumented: the page says only that there are as many promoted items as possible).
    """
    promoted_ids = {p["itemId"] for p in promoted}
    regular = [r for r in regular if r["itemId"] not in promoted_ids][
        : max(0, len(regular) - len(promoted))
    ]
    total = len(regular) + len(promoted)
    slots = set(rng.sample(range(total), len(promoted)))
    marked = [{**p, "promotionName": name} if name else dict(p) for p in promoted]
    promoted_iter, regular_iter = iter(marked), iter(regular)
    return [next(promoted_iter) if n in slots else next(regular_iter) for n in range(total)]
