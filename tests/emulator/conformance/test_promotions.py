"""Promotions in GetRecommendations, and the filters that are not for recommendations.

Source: https://docs.aws.amazon.com/personalize/latest/dg/promoting-items.html ("The percentage
of recommended items to apply the promotion to ... A filter that specifies the promotion
criteria"; promoted items "positioned randomly relative to other recommended items, but in
sorted order relative to other promoted items"; "If there aren't enough items that meet the
promotion criteria, the result will contain as many promoted items as possible") and the
PredictedItem shape (promotionName) of the runtime API.
"""

from __future__ import annotations

import pytest

from .conftest import Store


def test_a_promotion_fills_its_share_of_the_slots(store: Store) -> None:
    """A quarter of 20 slots comes from the promotion's filter, marked with its name; the rest
    are ordinary recommendations."""
    horror = store.make_filter('INCLUDE ItemID WHERE Items.GENRES IN ("Horror")')
    response = store.clients.runtime.get_recommendations(
        campaignArn=store.campaigns["user"],
        userId="u00041",
        numResults=20,
        promotions=[{"name": "scary", "percentPromotedItems": 25, "filterArn": horror}],
    )
    items = response["itemList"]
    promoted = [i["itemId"] for i in items if i.get("promotionName") == "scary"]
    assert len(items) == 20
    assert len(promoted) == 5
    assert all("Horror" in store.genres(i) for i in promoted)
    assert len({i["itemId"] for i in items}) == 20


def test_a_promotion_with_too_few_candidates_promotes_what_exists(store: Store) -> None:
    """A promotion whose filter matches fewer items than its share promotes those it has; its
    filter values are passed with the promotion."""
    user = "u00043"
    rare = sorted({r[0] for r in store.data.items} - store.history(user))[:2]
    few = store.make_filter("INCLUDE ItemID WHERE Items.ITEM_ID IN ($IDS)")
    response = store.clients.runtime.get_recommendations(
        campaignArn=store.campaigns["user"],
        userId=user,
        numResults=10,
        promotions=[
            {
                "name": "rare",
                "percentPromotedItems": 50,
                "filterArn": few,
                "filterValues": {"IDS": ",".join(f'"{i}"' for i in rare)},
            }
        ],
    )
    promoted = [i["itemId"] for i in response["itemList"] if i.get("promotionName") == "rare"]
    assert sorted(promoted) == rare
    assert len(response["itemList"]) == 10


def test_user_segment_filters_are_created_but_do_not_filter_recommendations(
    store: Store,
) -> None:
    """UserID filters over Users and Interactions are valid filters (for the user segments of
    batch segment jobs, not emulated); a recommendation request cannot use one.

    Source: https://docs.aws.amazon.com/personalize/latest/dg/user-segment-filter-examples.html.
    """
    arn = store.make_filter("INCLUDE UserID WHERE Users.TIER IN ($TIER)")
    store.make_filter('EXCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click")')
    with pytest.raises(store.clients.runtime.exceptions.InvalidInputException, match="UserID"):
        store.recommend(userId="u00045", filterArn=arn, filterValues={"TIER": '"free"'})
