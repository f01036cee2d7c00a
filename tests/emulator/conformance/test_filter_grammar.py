"""The filter expression grammar of the developer guide, element by element.

Sources: https://docs.aws.amazon.com/personalize/latest/dg/creating-filter-expressions.html
(elements), .../item-recommendation-filter-examples.html (examples),
.../multiple-expression-example.html (chaining) and
.../filter-expression-guidelines-requirements.html (rules).
"""

from __future__ import annotations

import pytest

from ..conftest import Clients
from ..helpers import avro_schema, poll, wait_status
from .conftest import Store


def test_include_over_interactions_serves_a_watch_again_shelf(store: Store) -> None:
    """INCLUDE on an event type keeps only items the user interacted with that way: recommended
    again, not dropped because they were seen.

    Source: item-recommendation-filter-examples.html ("includes only items that the user has
    clicked") and creating-filter-expressions.html (INCLUDE limits recommendations to the items
    that meet the criteria).
    """
    user = "u00011"
    watched = store.history(user, "watch")
    arn = store.make_filter('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")')
    shelf = store.recommend(userId=user, numResults=100, filterArn=arn)
    assert set(shelf) == watched


def test_star_matches_every_event_type(store: Store) -> None:
    """ "*" stands for any event type: INCLUDE keeps everything the user interacted with, EXCLUDE
    removes it from a ranking.

    Source: creating-filter-expressions.html (the asterisk character) and the CreateFilter API
    reference ("To filter out all items with any interactions history, set "*"").
    """
    user = "u00013"
    seen = store.history(user)
    include = store.make_filter('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")')
    assert set(store.recommend(userId=user, numResults=500, filterArn=include)) == seen
    exclude = store.make_filter('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("*")')
    candidates = [*sorted(seen)[:5], "m00240", "m00239"]
    ranked = store.clients.runtime.get_personalized_ranking(
        campaignArn=store.campaigns["ranking"],
        userId=user,
        inputList=candidates,
        filterArn=exclude,
    )["personalizedRanking"]
    assert {i["itemId"] for i in ranked} == set(candidates) - seen


def test_numeric_comparisons_with_values_and_parameters(store: Store) -> None:
    """=, !=, <, <=, >, >= test numerical data, including values passed as parameters.

    Source: creating-filter-expressions.html (comparison operators) and
    item-recommendation-filter-examples.html.
    """
    user = "u00015"
    newer = store.make_filter("INCLUDE ItemID WHERE Items.YEAR >= 2010")
    got = store.recommend(userId=user, numResults=50, filterArn=newer)
    assert got
    assert all((store.year(i) or 0) >= 2010 for i in got)
    older = store.make_filter("EXCLUDE ItemID WHERE Items.YEAR >= $YEAR")
    got = store.recommend(
        userId=user, numResults=50, filterArn=older, filterValues={"YEAR": "2000"}
    )
    assert got
    assert all((store.year(i) or 0) < 2000 for i in got)
    not_equal = store.make_filter("INCLUDE ItemID WHERE Items.YEAR != 1995 AND Items.YEAR < 2000")
    got = store.recommend(userId=user, numResults=50, filterArn=not_equal)
    assert got
    assert all(store.year(i) != 1995 and (store.year(i) or 0) < 2000 for i in got)


def test_parameters_take_several_quoted_values(store: Store) -> None:
    """A parameter's value lists several values, each quoted, separated by commas.

    Source: GetRecommendations filterValues ("Separate multiple values for one parameter with a
    comma") https://docs.aws.amazon.com/personalize/latest/dg/API_RS_GetRecommendations.html;
    the retail demo store's filter-include-categories uses `ITEMS.CATEGORY_L1 IN ($CATEGORIES)`.
    """
    arn = store.make_filter("INCLUDE ItemID WHERE ITEMS.GENRES IN ($GENRES)")
    got = store.recommend(
        userId="u00017", numResults=40, filterArn=arn, filterValues={"GENRES": '"Horror","Drama"'}
    )
    assert got
    assert all(store.genres(i) & {"Horror", "Drama"} for i in got)
    assert {g for i in got for g in store.genres(i)} & {"Horror", "Drama"} == {"Horror", "Drama"}


def test_an_exclude_parameter_without_a_value_is_not_used(store: Store) -> None:
    """For EXCLUDE, a parameter may be left out and that part of the expression is not used; for
    INCLUDE every parameter needs a value.

    Source: GetRecommendations filterValues
    (https://docs.aws.amazon.com/personalize/latest/dg/API_RS_GetRecommendations.html).
    """
    user = "u00019"
    exclude = store.make_filter("EXCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    assert store.recommend(userId=user, numResults=10, filterArn=exclude) == store.recommend(
        userId=user, numResults=10
    )
    include = store.make_filter("INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    with pytest.raises(store.clients.runtime.exceptions.InvalidInputException):
        store.recommend(userId=user, filterArn=include)


def test_chained_expressions_pass_results_from_one_to_the_next(store: Store) -> None:
    """Stages joined with | filter by several datasets: interactions first, then items.

    Source: multiple-expression-example.html; the retail demo store's
    `EXCLUDE ItemID WHERE INTERACTIONS.event_type IN ("Purchase") | INCLUDE ItemID WHERE
    ITEMS.CATEGORY_L1 IN ($CATEGORIES)` (personalize_pre_create_resources.py).
    """
    user = "u00021"
    watched = store.history(user, "watch")
    arn = store.make_filter(
        'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch") '
        "| INCLUDE ItemID WHERE Items.GENRES IN ($GENRES)"
    )
    own = next(iter(store.genres(sorted(watched)[0])))
    got = store.recommend(
        userId=user, numResults=100, filterArn=arn, filterValues={"GENRES": f'"{own}"'}
    )
    assert got
    assert set(got) <= watched
    assert all(own in store.genres(i) for i in got)


def test_and_or_join_conditions_on_one_dataset_only(store: Store) -> None:
    """AND / OR join conditions on the dataset of the first condition; Interactions and Items in
    one expression are refused (chain them with |).

    Source: creating-filter-expressions.html (AND/OR) and
    filter-expression-guidelines-requirements.html ("You can't use Item Interaction and Item
    datasets in one expression").
    """
    arn = store.make_filter(
        'INCLUDE ItemID WHERE Items.GENRES IN ("Horror") OR Items.GENRES IN ("Comedy") '
        "AND Items.YEAR > 2000"
    )
    got = store.recommend(userId="u00023", numResults=40, filterArn=arn)
    assert got
    assert all(
        "Horror" in store.genres(i) or ("Comedy" in store.genres(i) and (store.year(i) or 0) > 2000)
        for i in got
    )
    with pytest.raises(store.clients.pz.exceptions.InvalidInputException, match="chain"):
        store.make_filter(
            'INCLUDE ItemID WHERE Items.GENRES IN ("Horror") '
            'AND Interactions.EVENT_TYPE IN ("watch")'
        )


def test_current_user_conditions_apply_a_stage_per_user(store: Store) -> None:
    """IF CurrentUser.<FIELD> at the end of an expression applies it only to users who meet the
    condition; other users get unfiltered recommendations.

    Source: creating-filter-expressions.html (IF condition, CurrentUser) and
    item-recommendation-filter-examples.html (user data examples).
    """
    arn = store.make_filter(
        'INCLUDE ItemID WHERE Items.GENRES IN ("Horror") IF CurrentUser.AGE >= 18'
    )
    adult, minor = "u00025", "u00026"
    got = store.recommend(userId=adult, numResults=20, filterArn=arn)
    assert got
    assert all("Horror" in store.genres(i) for i in got)
    assert store.recommend(userId=minor, numResults=20, filterArn=arn) == store.recommend(
        userId=minor, numResults=20
    )


def test_current_item_filters_related_items_only(store: Store) -> None:
    """CurrentItem.<FIELD> compares candidates with the item of a related-items request; a
    USER_PERSONALIZATION campaign refuses such a filter.

    Source: creating-filter-expressions.html ("CurrentItem.attribute ... only if your domain use
    case or custom recipe generates related items recommendations") and
    item-recommendation-filter-examples.html.
    """
    item = "m00001"
    arn = store.make_filter("INCLUDE ItemID WHERE Items.GENRES IN (CurrentItem.GENRES)")
    got = store.recommend("similar", itemId=item, numResults=20, filterArn=arn)
    assert got
    assert all(store.genres(i) & store.genres(item) for i in got)
    with pytest.raises(store.clients.runtime.exceptions.InvalidInputException, match="CurrentItem"):
        store.recommend(userId="u00027", filterArn=arn)


def test_filters_refuse_what_the_guidelines_rule_out(clients: Clients) -> None:
    """Boolean fields, "*" outside EVENT_TYPE and interaction fields other than EVENT_TYPE are
    refused at CreateFilter.

    Source: filter-expression-guidelines-requirements.html ("You can't create filter expressions
    that filter using values with a boolean type in your schema"; interactions filter "only based
    on event type") and creating-filter-expressions.html ("*" only for EVENT_TYPE).
    """
    pz = clients.pz
    group = pz.create_dataset_group(name="rules")["datasetGroupArn"]
    wait_status(poll(pz.describe_dataset_group, "datasetGroup", datasetGroupArn=group))
    schema = pz.create_schema(
        name="rules-items",
        schema=avro_schema(
            "Items",
            [{"name": "ITEM_ID", "type": "string"}, {"name": "IN_STOCK", "type": "boolean"}],
        ),
    )["schemaArn"]
    pz.create_dataset(
        name="rules-items", datasetGroupArn=group, datasetType="Items", schemaArn=schema
    )
    for expression, reason in (
        ('INCLUDE ItemID WHERE Items.IN_STOCK IN ("True")', "boolean"),
        ('INCLUDE ItemID WHERE Items.ITEM_ID IN ("*")', "EVENT_TYPE"),
        ('EXCLUDE ItemID WHERE Interactions.EVENT_VALUE IN ("5")', "EVENT_TYPE"),
    ):
        with pytest.raises(pz.exceptions.InvalidInputException, match=reason):
            pz.create_filter(name="rule", datasetGroupArn=group, filterExpression=expression)
