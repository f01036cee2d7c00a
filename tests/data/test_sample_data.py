"""The committed sample data: valid, big enough, reproducible, and carrying real structure."""

from __future__ import annotations

import csv
import json
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from components.data_check import check_dataset_file, load_schema
from data import generate

DATA = Path(__file__).resolve().parents[2] / "data"
SCHEMAS = DATA / "schemas"
# The arguments the committed files were generated with (data/README.md says the same).
ARGS = {"users": 600, "items": 1200, "interactions": 25000, "seed": 7}
KINDS = [("interactions", "Interactions"), ("items", "Items"), ("users", "Users")]


def _rows(name: str) -> list[dict[str, str]]:
    with (DATA / name).open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="module")
def interactions() -> list[dict[str, str]]:
    return _rows("interactions.csv")


@pytest.fixture(scope="module")
def items() -> dict[str, dict[str, str]]:
    return {r["ITEM_ID"]: r for r in _rows("items.csv")}


@pytest.fixture(scope="module")
def users() -> dict[str, dict[str, str]]:
    return {r["USER_ID"]: r for r in _rows("users.csv")}


@pytest.mark.parametrize(("stem", "dataset_type"), KINDS)
def test_committed_files_pass_the_check(stem, dataset_type):
    schema = load_schema(SCHEMAS / f"{stem}.avsc", dataset_type)
    summary = check_dataset_file(DATA / f"{stem}.csv", schema, dataset_type)
    assert summary.path == DATA / f"{stem}.csv"
    assert summary.columns == tuple(f["name"] for f in schema["fields"])


def test_committed_sizes_are_over_the_contract_and_personalize_minimums():
    schemas = {stem: load_schema(SCHEMAS / f"{stem}.avsc") for stem, _ in KINDS}
    inter = check_dataset_file(DATA / "interactions.csv", schemas["interactions"], "Interactions")
    item = check_dataset_file(DATA / "items.csv", schemas["items"], "Items")
    user = check_dataset_file(DATA / "users.csv", schemas["users"], "Users")
    assert inter.rows == 25000
    assert inter.users == 600
    assert inter.users_with_2_plus == 600
    assert item.rows == item.items == 1200
    assert user.rows == user.users == 600
    total = sum((DATA / f"{stem}.csv").stat().st_size for stem, _ in KINDS)
    assert total < 1_500_000, f"sample CSVs weigh {total} bytes"


def test_schemas_are_personalize_schemas():
    for stem, dataset_type in KINDS:
        schema = json.loads((SCHEMAS / f"{stem}.avsc").read_text())
        assert schema["type"] == "record"
        assert schema["name"] == dataset_type
        assert schema["namespace"] == "com.amazonaws.personalize.schema"
        assert schema["version"] == "1.0"
    items = {f["name"]: f for f in json.loads((SCHEMAS / "items.avsc").read_text())["fields"]}
    assert items["GENRES"] == {"name": "GENRES", "type": "string", "categorical": True}
    assert items["YEAR"]["type"] == ["null", "int"]
    assert items["CREATION_TIMESTAMP"]["type"] == "long"
    users = {f["name"]: f for f in json.loads((SCHEMAS / "users.avsc").read_text())["fields"]}
    assert users["AGE_BAND"]["categorical"] is True
    assert users["TIER"]["categorical"] is True


def test_same_seed_gives_the_committed_bytes(tmp_path):
    argv = ["--out", str(tmp_path)] + [f"--{k}={v}" for k, v in ARGS.items()]
    assert generate.main(argv) == 0
    for name in generate.FILES:
        assert (tmp_path / name).read_bytes() == (DATA / name).read_bytes(), name


def test_another_seed_gives_other_data():
    other = generate.render(generate.build(users=50, items=100, interactions=500, seed=8))
    same = generate.render(generate.build(users=50, items=100, interactions=500, seed=7))
    again = generate.render(generate.build(users=50, items=100, interactions=500, seed=7))
    assert same == again
    assert other["interactions.csv"] != same["interactions.csv"]


def test_check_flag_compares_with_the_files(tmp_path, capsys):
    assert generate.main(["--check", "--out", str(DATA)]) == 0
    for name in generate.FILES:
        (tmp_path / name).write_bytes((DATA / name).read_bytes())
    (tmp_path / "users.csv").write_bytes(
        (DATA / "users.csv").read_bytes().replace(b"free", b"gold")
    )
    assert generate.main(["--check", "--out", str(tmp_path)]) == 1
    assert "users.csv" in capsys.readouterr().err


def test_generator_rejects_impossible_sizes():
    with pytest.raises(SystemExit):
        generate.main(["--users", "100", "--interactions", "150", "--out", "unused"])


def test_interactions_are_sorted_and_well_formed(interactions, items, users):
    stamps = [int(r["TIMESTAMP"]) for r in interactions]
    assert stamps == sorted(stamps)
    assert {r["EVENT_TYPE"] for r in interactions} == {"click", "watch"}
    assert all(r["USER_ID"] in users and r["ITEM_ID"] in items for r in interactions)
    # No event before the item joined the catalogue.
    late = [
        r
        for r in interactions
        if int(r["TIMESTAMP"]) < int(items[r["ITEM_ID"]]["CREATION_TIMESTAMP"])
    ]
    assert late == []
    missing_year = sum(1 for r in items.values() if r["YEAR"] == "")
    assert 3 <= missing_year <= 30, f"{missing_year} of {len(items)} items lack a YEAR (~1% wanted)"


def test_users_mostly_interact_with_their_favourite_genres(interactions, items):
    # Favourite genres are latent: not in users.csv, so they come from the generator itself.
    favourites = {u.user_id: set(u.favourites) for u in generate.build(**ARGS).users}
    genres = {i: set(r["GENRES"].split("|")) for i, r in items.items()}
    # Base rate: how often an event of any user lands in a given user's favourite genres.
    overall = Counter(g for r in interactions for g in genres[r["ITEM_ID"]])
    in_favourites = 0
    base = 0.0
    for r in interactions:
        fav = favourites[r["USER_ID"]]
        in_favourites += bool(fav & genres[r["ITEM_ID"]])
        base += min(1.0, sum(overall[g] for g in fav) / len(interactions))
    share, base_rate = in_favourites / len(interactions), base / len(interactions)
    assert share > 0.75, f"only {share:.1%} of events are in the user's favourite genres"
    assert share > 2.5 * base_rate, f"favourite share {share:.1%} vs base rate {base_rate:.1%}"


def test_age_band_shapes_taste(interactions, items, users):
    genres = {i: set(r["GENRES"].split("|")) for i, r in items.items()}
    per_band: dict[str, Counter[str]] = defaultdict(Counter)
    for r in interactions:
        per_band[users[r["USER_ID"]]["AGE_BAND"]].update(genres[r["ITEM_ID"]])

    def share(band: str, wanted: set[str]) -> float:
        return sum(per_band[band][g] for g in wanted) / sum(per_band[band].values())

    young, old = {"Sci-Fi", "Horror", "Animation"}, {"War", "Western", "Musical"}
    assert share("18-24", young) > 2 * share("55+", young), (
        f"18-24: {share('18-24', young):.1%} vs 55+: {share('55+', young):.1%} of {young}"
    )
    assert share("55+", old) > 2 * share("18-24", old), (
        f"55+: {share('55+', old):.1%} vs 18-24: {share('18-24', old):.1%} of {old}"
    )


def test_popularity_has_a_long_tail(interactions, items):
    counts = sorted(Counter(r["ITEM_ID"] for r in interactions).values(), reverse=True)
    top = sum(counts[: len(items) // 10]) / len(interactions)
    assert top > 0.4, f"the top 10% of items get only {top:.1%} of events"
    assert len(counts) < len(items), "some items should stay cold"


def test_a_watch_follows_a_click_of_the_same_item(interactions, items):
    clicked: set[tuple[str, str]] = set()
    watches = followed = 0
    for r in interactions:
        key = (r["USER_ID"], r["ITEM_ID"])
        if r["EVENT_TYPE"] == "click":
            clicked.add(key)
        else:
            watches += 1
            followed += key in clicked
    clicks = len(interactions) - watches
    assert followed == watches, f"{watches - followed} of {watches} watches had no earlier click"
    assert 0.4 < watches / clicks < 0.8, f"{watches} watches for {clicks} clicks"
