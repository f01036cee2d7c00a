"""Runtime behaviour on a deployed stack: filters, ranking, similar items, catalogue updates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from local.personalize_emulator import EmulatorServer, run_emulator

from .conftest import BUCKET, Clients, make_clients
from .helpers import RECIPE, Stack, Synthetic, deploy, poll, wait_status


@dataclass
class Served:
    emu: EmulatorServer
    clients: Clients
    stack: Stack
    campaigns: dict[str, str]


@pytest.fixture(scope="module")
def served(moto_url: str, data: Synthetic) -> Iterator[Served]:
    # Campaign updates last long enough here to observe and to refuse a second one.
    with run_emulator(s3_endpoint_url=moto_url, durations={"campaign-update": (0.2, 0.5)}) as emu:
        clients = make_clients(emu.url, moto_url)
        pz = clients.pz
        stack = deploy(
            pz,
            clients.s3,
            BUCKET,
            data,
            prefix="rt",
            campaign_config={
                "itemExplorationConfig": {"explorationWeight": "0.3"},
                "enableMetadataWithRecommendations": True,
            },
        )
        recipes = {
            "ranking": "aws-personalized-ranking",
            "sims": "aws-sims",
            "popular": "aws-popularity-count",
        }
        solutions = {
            key: pz.create_solution(
                name=f"rt-{key}",
                datasetGroupArn=stack.group,
                recipeArn=RECIPE + recipe,
                performAutoTraining=False,
            )["solutionArn"]
            for key, recipe in recipes.items()
        }
        for arn in solutions.values():
            wait_status(poll(pz.describe_solution, "solution", solutionArn=arn))
        versions = {
            k: pz.create_solution_version(solutionArn=arn)["solutionVersionArn"]
            for k, arn in solutions.items()
        }
        for arn in versions.values():
            wait_status(
                poll(pz.describe_solution_version, "solutionVersion", solutionVersionArn=arn)
            )
        campaigns = {
            k: pz.create_campaign(name=f"rt-{k}", solutionVersionArn=arn)["campaignArn"]
            for k, arn in versions.items()
        }
        for arn in campaigns.values():
            wait_status(poll(pz.describe_campaign, "campaign", campaignArn=arn))
        campaigns["user"] = stack.campaign
        yield Served(emu, clients, stack, campaigns)


def make_filter(served: Served, name: str, expression: str) -> str:
    pz = served.clients.pz
    arn = pz.create_filter(
        name=name, datasetGroupArn=served.stack.group, filterExpression=expression
    )["filterArn"]
    wait_status(lambda: pz.describe_filter(filterArn=arn)["filter"])
    return str(arn)


def recs(served: Served, user: str, **kwargs: Any) -> list[dict[str, Any]]:
    result = served.clients.runtime.get_recommendations(
        campaignArn=served.campaigns["user"], userId=user, **kwargs
    )
    return list(result["itemList"])


def test_scores_are_a_softmax_over_the_catalogue(served: Served, data: Synthetic) -> None:
    items = recs(served, "u00011", numResults=500)
    scores = [i["score"] for i in items]
    assert scores == sorted(scores, reverse=True)
    # 500 results cover every item the user has not seen: the whole distribution, summing to 1.
    assert len(items) == len(data.items) - len(
        {r[1] for r in data.interactions if r[0] == "u00011"}
    )
    assert abs(sum(scores) - 1.0) < 1e-6
    # Taste: the user's own cluster dominates the top of the list.
    cluster = data.user_cluster["u00011"]
    top = [i["itemId"] for i in items[:10]]
    assert sum(data.item_cluster.get(i) == cluster for i in top) >= 7
    with pytest.raises(
        served.clients.runtime.exceptions.InvalidInputException, match="less than or equal to 500"
    ):
        recs(served, "u00011", numResults=501)


def test_unknown_user_gets_popular_items(served: Served, data: Synthetic) -> None:
    cold = [i["itemId"] for i in recs(served, "never-seen", numResults=10)]
    counts: dict[str, int] = {}
    for _, item, _, _ in data.interactions:
        counts[item] = counts.get(item, 0) + 1
    most_popular = sorted(counts, key=lambda i: -counts[i])[:20]
    assert len(set(cold) & set(most_popular)) >= 8


def test_event_type_filter_excludes_watched_items(served: Served, data: Synthetic) -> None:
    user = "u00021"
    arn = make_filter(
        served, "no-watched", 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")'
    )
    served.clients.events.put_events(
        trackingId=served.stack.tracking_id,
        userId=user,
        sessionId="f",
        eventList=[{"eventType": "click", "itemId": "m00002", "sentAt": 1_900_000_000}],
    )
    unfiltered = {i["itemId"] for i in recs(served, user, numResults=500)}
    assert "m00002" not in unfiltered  # seen items are never recommended
    watched_new = [i for i in data.items_of(data.user_cluster[user]) if i in unfiltered][:3]
    served.clients.events.put_events(
        trackingId=served.stack.tracking_id,
        userId=user,
        sessionId="f",
        eventList=[
            {"eventType": "watch", "itemId": i, "sentAt": 1_900_000_100 + n}
            for n, i in enumerate(watched_new)
        ],
    )
    filtered = {i["itemId"] for i in recs(served, user, numResults=500, filterArn=arn)}
    assert not filtered & set(watched_new)


def test_genre_filter_with_values_and_year(served: Served, data: Synthetic) -> None:
    genre = make_filter(served, "by-genre", "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    items = recs(
        served, "u00005", numResults=20, filterArn=genre, filterValues={"GENRE": '"Horror"'}
    )
    assert items
    rows = {row[0]: row for row in data.items}
    assert all("Horror" in rows[i["itemId"]][1].split("|") for i in items)
    recent = make_filter(served, "recent", "EXCLUDE ItemID WHERE Items.YEAR < 2000")
    for item in recs(served, "u00005", numResults=50, filterArn=recent):
        year = rows[item["itemId"]][2]
        assert year is None or year >= 2000
    with pytest.raises(served.clients.runtime.exceptions.InvalidInputException, match="GENRE"):
        recs(served, "u00005", filterArn=genre)


def test_unsupported_filter_expressions_are_refused(served: Served) -> None:
    pz = served.clients.pz
    for expression in (
        'INCLUDE ItemID WHERE Items.GENRES IN ($G) AND Interactions.EVENT_TYPE IN ("watch")',
        "INCLUDE ActionID WHERE Actions.VALUE > 2",
        'EXCLUDE ItemID WHERE Users.TIER IN ("free")',
        'EXCLUDE ItemID WHERE Items.NOT_A_FIELD IN ("x")',
        "this is not a filter",
    ):
        with pytest.raises(pz.exceptions.InvalidInputException):
            pz.create_filter(
                name="bad", datasetGroupArn=served.stack.group, filterExpression=expression
            )


def test_personalized_ranking_scores_sum_to_one(served: Served, data: Synthetic) -> None:
    user = "u00013"
    own = data.items_of(data.user_cluster[user])[:5]
    other = data.items_of((data.user_cluster[user] + 3) % 8)[:5]
    ranked = served.clients.runtime.get_personalized_ranking(
        campaignArn=served.campaigns["ranking"],
        userId=user,
        inputList=other + own + ["unknown-item"],
    )["personalizedRanking"]
    assert abs(sum(i["score"] for i in ranked) - 1.0) < 1e-6
    assert len(ranked) == 11
    assert sum(i["itemId"] in own for i in ranked[:5]) >= 4
    assert ranked[-1]["itemId"] == "unknown-item"
    with pytest.raises(
        served.clients.runtime.exceptions.InvalidInputException, match="GetPersonalizedRanking"
    ):
        served.clients.runtime.get_recommendations(
            campaignArn=served.campaigns["ranking"], userId=user
        )
    with pytest.raises(
        served.clients.runtime.exceptions.InvalidInputException, match="personalized-ranking"
    ):
        served.clients.runtime.get_personalized_ranking(
            campaignArn=served.campaigns["user"], userId=user, inputList=own
        )


def test_similar_items_and_popularity_have_no_scores(served: Served, data: Synthetic) -> None:
    runtime = served.clients.runtime
    similar = runtime.get_recommendations(
        campaignArn=served.campaigns["sims"], itemId="m00009", numResults=10
    )["itemList"]
    assert all("score" not in i for i in similar)
    assert "m00009" not in {i["itemId"] for i in similar}
    assert sum(data.item_cluster[i["itemId"]] == data.item_cluster["m00009"] for i in similar) >= 7
    with pytest.raises(runtime.exceptions.InvalidInputException, match="itemId"):
        runtime.get_recommendations(campaignArn=served.campaigns["sims"], userId="u00001")
    popular = runtime.get_recommendations(
        campaignArn=served.campaigns["popular"], userId="u00001", numResults=5
    )
    assert len(popular["itemList"]) == 5
    assert all("score" not in i for i in popular["itemList"])


def test_put_items_reaches_recommendations_rankings_and_filters(served: Served) -> None:
    events, pz = served.clients.events, served.clients.pz
    with pytest.raises(events.exceptions.InvalidInputException, match="not in the schema"):
        events.put_items(
            datasetArn=served.stack.items,
            items=[{"itemId": "bad", "properties": json.dumps({"colour": "red"})}],
        )
    with pytest.raises(events.exceptions.InvalidInputException, match="type int"):
        events.put_items(
            datasetArn=served.stack.items,
            items=[
                {
                    "itemId": "bad",
                    "properties": json.dumps(
                        {"genres": "Drama", "year": "old", "creationTimestamp": 1}
                    ),
                }
            ],
        )
    with pytest.raises(events.exceptions.InvalidInputException, match="not Items"):
        events.put_items(datasetArn=served.stack.interactions, items=[{"itemId": "x"}])
    new = {"genres": "Documentary", "year": 2030, "creationTimestamp": 1_999_999_999}
    events.put_items(
        datasetArn=served.stack.items,
        items=[{"itemId": "brand-new", "properties": json.dumps(new)}],
    )
    listed = [i["itemId"] for i in recs(served, "u00017", numResults=25)]
    assert "brand-new" in listed
    documentary = make_filter(
        served, "docs", 'INCLUDE ItemID WHERE Items.GENRES IN ("Documentary")'
    )
    assert [i["itemId"] for i in recs(served, "u00017", filterArn=documentary)] == ["brand-new"]
    with_meta = recs(served, "u00017", numResults=5, metadataColumns={"ITEMS": ["GENRES"]})
    assert all("GENRES" in i["metadata"] for i in with_meta)
    ranked = served.clients.runtime.get_personalized_ranking(
        campaignArn=served.campaigns["ranking"], userId="u00017", inputList=["brand-new", "m00001"]
    )["personalizedRanking"]
    assert {i["itemId"] for i in ranked} == {"brand-new", "m00001"}
    assert (
        pz.describe_dataset(datasetArn=served.stack.interactions)["dataset"]["trackingId"]
        == served.stack.tracking_id
    )


def test_promotions_take_their_share_from_the_promotion_filter_only(
    served: Served, data: Synthetic
) -> None:
    genres = {row[0]: str(row[1]).split("|") for row in data.items}
    horror = make_filter(served, "promo-horror", "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)")
    no_horror = make_filter(served, "no-horror", 'EXCLUDE ItemID WHERE Items.GENRES IN ("Horror")')
    promotion = {
        "name": "scary",
        "percentPromotedItems": 30,
        "filterArn": horror,
        "filterValues": {"GENRE": '"Horror"'},
    }
    items = recs(served, "u00005", numResults=10, filterArn=no_horror, promotions=[promotion])
    promoted = [i for i in items if i.get("promotionName") == "scary"]
    regular = [i for i in items if "promotionName" not in i]
    assert (len(items), len(promoted)) == (10, 3)
    # The promotion filter picks the promoted items; the request filter applies to the rest only.
    assert all("Horror" in genres[i["itemId"]] for i in promoted)
    assert not any("Horror" in genres.get(i["itemId"], []) for i in regular)
    assert [i["score"] for i in promoted] == sorted((i["score"] for i in promoted), reverse=True)


def test_a_new_items_promotion_surfaces_items_newer_than_the_cutoff(served: Served) -> None:
    # The program's new-items promotion: a numeric placeholder on CREATION_TIMESTAMP, and items
    # added after training, which the model has not learnt.
    served.clients.events.put_items(
        datasetArn=served.stack.items,
        items=[
            {
                "itemId": "promo-new",
                "properties": json.dumps(
                    {"genres": "Drama", "year": 2031, "creationTimestamp": 2_000_000_500}
                ),
            }
        ],
    )
    newer = make_filter(
        served, "promo-new", "INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > $CUTOFF"
    )
    promotion = {
        "name": "new-items",
        "percentPromotedItems": 20,
        "filterArn": newer,
        "filterValues": {"CUTOFF": "2000000000"},
    }
    # Popularity-Count takes promotions and, unlike the exploring campaign, never surfaces new
    # items by itself.
    items = served.clients.runtime.get_recommendations(
        campaignArn=served.campaigns["popular"],
        userId="u00003",
        numResults=10,
        promotions=[promotion],
    )["itemList"]
    # Only one item qualifies: as many as possible are promoted, regular items fill the rest.
    assert len(items) == 10
    assert [i["itemId"] for i in items if i.get("promotionName") == "new-items"] == ["promo-new"]
    assert len({i["itemId"] for i in items}) == 10


def test_campaign_update_and_latest_sync(served: Served) -> None:
    pz = served.clients.pz
    campaign = served.stack.campaign
    version2 = pz.create_solution_version(solutionArn=served.stack.solution, trainingMode="UPDATE")[
        "solutionVersionArn"
    ]
    with pytest.raises(pz.exceptions.ResourceInUseException, match="not ACTIVE"):
        pz.update_campaign(campaignArn=campaign, solutionVersionArn=version2)
    wait_status(
        lambda: pz.describe_solution_version(solutionVersionArn=version2)["solutionVersion"]
    )
    with pytest.raises(pz.exceptions.InvalidInputException, match=r"\$LATEST"):
        pz.update_campaign(
            campaignArn=campaign, campaignConfig={"syncWithLatestSolutionVersion": True}
        )
    pz.update_campaign(
        campaignArn=campaign,
        solutionVersionArn=f"{served.stack.solution}/$LATEST",
        campaignConfig={"syncWithLatestSolutionVersion": True},
    )
    described = pz.describe_campaign(campaignArn=campaign)["campaign"]
    assert described["solutionVersionArn"] == served.stack.version  # still serving the old one
    assert described["latestCampaignUpdate"]["status"] in ("CREATE PENDING", "CREATE IN_PROGRESS")
    with pytest.raises(pz.exceptions.ResourceInUseException, match="update"):
        pz.update_campaign(campaignArn=campaign, minProvisionedTPS=2)
    assert recs(served, "u00001", numResults=3)  # serving continues during the update
    wait_status(
        lambda: pz.describe_campaign(campaignArn=campaign)["campaign"]["latestCampaignUpdate"]
    )
    described = pz.describe_campaign(campaignArn=campaign)["campaign"]
    assert described["solutionVersionArn"].endswith("/$LATEST")
    assert described["campaignConfig"]["syncWithLatestSolutionVersion"] is True
    assert [
        v["solutionVersionArn"]
        for v in pz.list_solution_versions(solutionArn=served.stack.solution)["solutionVersions"]
    ] == [served.stack.version, version2]
    assert {
        c["campaignArn"] for c in pz.list_campaigns(solutionArn=served.stack.solution)["campaigns"]
    } == {campaign}
