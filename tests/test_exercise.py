"""The exercise's requests come from the stack's own data, and its filter checks catch a wrong
answer."""

from __future__ import annotations

from components import filter_expression as fe
from local.exercise import StackData, check_history_filter, check_items_filter
from local.program import ROOT, load_config

SHOP = ROOT / "examples/shop/Pulumi.shop.yaml"


def shop() -> StackData:
    return StackData.load(load_config("shop", file=SHOP))


def test_requests_come_from_the_shops_data() -> None:
    data = shop()
    user = data.sample_user()
    assert user.startswith("cust-")
    assert data.event_type() == "view"
    assert data.event_value("purchase") is not None
    assert data.event_value("view") is None  # views carry no EVENT_VALUE in this data
    assert data.label_field() == "CATEGORY"
    in_category = fe.parse("INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)")
    assert data.value_for(in_category.parameters["CATEGORY"]) in {
        row["CATEGORY"] for row in data.items.values()
    }
    cheap = fe.parse("INCLUDE ItemID WHERE Items.PRICE <= $MAX_PRICE")
    float(data.value_for(cheap.parameters["MAX_PRICE"]))
    record = data.item_record("new-item")
    assert record["ITEM_ID"] == "new-item"
    assert isinstance(record["PRICE"], float)
    unseen = data.unfamiliar_items(user, 5)
    assert len(unseen) == 5
    assert not set(unseen) & set(data.history(user))


def test_an_items_filter_answer_is_checked() -> None:
    data = shop()
    books = [i for i, row in data.items.items() if row["CATEGORY"] == "books"]
    toys = [i for i, row in data.items.items() if row["CATEGORY"] == "toys"]
    parsed = fe.parse("INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)")
    assert check_items_filter(data, parsed, {"CATEGORY": "books"}, books[:5]) is None
    assert (
        check_items_filter(data, parsed, {"CATEGORY": "books"}, [*books[:2], toys[0]]) == (toys[0])
    )


def test_an_interactions_filter_answer_is_checked() -> None:
    data = shop()
    user = data.sample_user()
    bought = [
        r["ITEM_ID"]
        for r in data.interactions
        if r["USER_ID"] == user and r["EVENT_TYPE"] == "purchase"
    ]
    never = [i for i in data.catalogue() if i not in set(data.history(user))]
    parsed = fe.parse('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("PURCHASE")')
    assert bought, "the sample user has purchases"
    assert check_history_filter(data, user, parsed, {}, never[:5]) is None
    assert check_history_filter(data, user, parsed, {}, [never[0], bought[0]]) == bought[0]
