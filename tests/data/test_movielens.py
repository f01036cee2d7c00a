"""The MovieLens converter, on tiny fake downloads in both layouts."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from components.data_check import check_dataset_file, load_schema
from data import movielens

SCHEMAS = Path(__file__).resolve().parents[2] / "data" / "schemas"


def _read(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


@pytest.fixture
def ml_latest(tmp_path) -> Path:
    source = tmp_path / "ml-latest-small"
    source.mkdir()
    (source / "movies.csv").write_text(
        "movieId,title,genres\n"
        "1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n"
        '11,"American President, The (1995)",Comedy|Drama|Romance\n'
        "50,Untitled Project,(no genres listed)\n"
        '60,"Babylon 5 (1994-1998) ",Sci-Fi\n'
        "70,Never Rated (2001),Drama\n",
        encoding="utf-8",
    )
    (source / "ratings.csv").write_text(
        "userId,movieId,rating,timestamp\n"
        "1,1,4.0,964982703\n"
        "1,11,3.5,964981247\n"
        "2,1,5.0,964980000\n"
        "2,50,0.5,1100000000\n"
        "3,60,4.5,1200000000\n",
        encoding="utf-8",
    )
    return source


@pytest.fixture
def ml_100k(tmp_path) -> Path:
    source = tmp_path / "ml-100k"
    source.mkdir()
    (source / "u.data").write_text(
        "196\t242\t3\t881250949\n186\t302\t4\t891717742\n196\t302\t5\t881250000\n"
    )
    flags = ["0"] * 19
    drama = flags.copy()
    drama[8] = "1"
    comedy_romance = flags.copy()
    comedy_romance[5] = comedy_romance[14] = "1"
    unknown = flags.copy()
    unknown[0] = "1"
    lines = [
        "|".join(["242", "Kolya (1996)", "24-Jan-1997", "", "http://x", *comedy_romance]),
        "|".join(["302", "L.A. Confidential", "01-Jan-1997", "", "http://x", *drama]),
        "|".join(["267", "unknown", "", "", "", *unknown]),
        "|".join(["303", "Caf\u00e9 au lait (1994)", "", "", "", *drama]),
    ]
    (source / "u.item").write_bytes(("\n".join(lines) + "\n").encode("latin-1"))
    genres = "unknown|0\nAction|1\nAdventure|2\nAnimation|3\nChildren's|4\nComedy|5\nCrime|6\n"
    genres += "Documentary|7\nDrama|8\nFantasy|9\nFilm-Noir|10\nHorror|11\nMusical|12\nMystery|13\n"
    genres += "Romance|14\nSci-Fi|15\nThriller|16\nWar|17\nWestern|18\n\n"
    (source / "u.genre").write_text(genres, encoding="latin-1")
    return source


def test_ml_latest_conversion(ml_latest, tmp_path):
    out = tmp_path / "out"
    summary = movielens.convert(ml_latest, out)
    assert (summary.layout, summary.interactions, summary.watches, summary.items) == (
        "ml-latest",
        5,
        3,
        5,
    )
    assert summary.items_without_year == 1
    assert _read(out / "interactions.csv") == [
        ["USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP"],
        ["1", "1", "watch", "964982703"],
        ["1", "11", "click", "964981247"],
        ["2", "1", "watch", "964980000"],
        ["2", "50", "click", "1100000000"],
        ["3", "60", "watch", "1200000000"],
    ]
    assert _read(out / "items.csv") == [
        ["ITEM_ID", "GENRES", "YEAR", "CREATION_TIMESTAMP"],
        ["1", "Adventure|Animation|Children|Comedy|Fantasy", "1995", "964980000"],
        ["11", "Comedy|Drama|Romance", "1995", "964981247"],
        ["50", "Unknown", "", "1100000000"],
        ["60", "Sci-Fi", "1994", "1200000000"],
        # Never rated: joins the catalogue at the last rating time.
        ["70", "Drama", "2001", "1200000000"],
    ]
    check_dataset_file(out / "items.csv", load_schema(SCHEMAS / "items.avsc"), "Items")


def test_watch_threshold_is_configurable(ml_latest, tmp_path):
    summary = movielens.convert(ml_latest, tmp_path / "out", watch_threshold=5.0)
    assert summary.watches == 1


def test_ml_100k_conversion(ml_100k, tmp_path):
    out = tmp_path / "out"
    summary = movielens.convert(ml_100k, out)
    assert (summary.layout, summary.interactions, summary.watches, summary.items) == (
        "ml-100k",
        3,
        2,
        4,
    )
    assert _read(out / "interactions.csv")[1:] == [
        ["196", "242", "click", "881250949"],
        ["186", "302", "watch", "891717742"],
        ["196", "302", "watch", "881250000"],
    ]
    assert _read(out / "items.csv")[1:] == [
        ["242", "Comedy|Romance", "1996", "881250949"],
        ["302", "Drama", "1997", "881250000"],  # year from the release date
        ["267", "Unknown", "", "891717742"],
        ["303", "Drama", "1994", "891717742"],  # latin-1 title read without error
    ]
    check_dataset_file(out / "items.csv", load_schema(SCHEMAS / "items.avsc"), "Items")


def test_ml_100k_without_u_genre_uses_the_known_names(ml_100k, tmp_path):
    (ml_100k / "u.genre").unlink()
    movielens.convert(ml_100k, tmp_path / "out")
    assert _read(tmp_path / "out" / "items.csv")[1] == [
        "242",
        "Comedy|Romance",
        "1996",
        "881250949",
    ]


def test_converted_interactions_pass_the_check(tmp_path):
    source = tmp_path / "ml"
    source.mkdir()
    (source / "movies.csv").write_text(
        "movieId,title,genres\n" + "".join(f"{m},Film {m} (2000),Drama\n" for m in range(40))
    )
    ratings = ["userId,movieId,rating,timestamp"]
    ratings += [
        f"{u},{m},{(u + m) % 5 + 1},{1_000_000_000 + u * 100 + m}"
        for u in range(30)
        for m in range(40)
    ]
    (source / "ratings.csv").write_text("\n".join(ratings) + "\n")
    summary = movielens.convert(source, tmp_path / "out")
    checked = check_dataset_file(
        summary.interactions_path, load_schema(SCHEMAS / "interactions.avsc"), "Interactions"
    )
    assert (checked.rows, checked.users, checked.items) == (1200, 30, 40)


@pytest.mark.parametrize(
    ("title", "year"),
    [
        ("Toy Story (1995)", 1995),
        ("Babylon 5 (1994-1998) ", 1994),
        ("Mad Max: Fury Road (2015)", 2015),
        ("1984 (1984)", 1984),
        ("Hyena Road", None),
        ("2001: A Space Odyssey", None),
    ],
)
def test_year_from_title(title, year):
    assert movielens.year_from_title(title) == year


def test_not_a_movielens_folder(tmp_path, capsys):
    assert movielens.main(["--source", str(tmp_path), "--out", str(tmp_path / "out")]) == 2
    err = capsys.readouterr().err
    assert "no MovieLens files found; expected ratings.csv and movies.csv" in err
    assert "u.data and u.item (ml-100k)" in err


def test_bad_ratings_header(ml_latest, tmp_path):
    (ml_latest / "ratings.csv").write_text("user,movie,stars,time\n1,1,4,1\n")
    with pytest.raises(
        movielens.MovieLensError, match="header must start with userId,movieId,rating,timestamp"
    ):
        movielens.convert(ml_latest, tmp_path / "out")


def test_bad_rating_row_names_the_line(ml_latest, tmp_path):
    (ml_latest / "ratings.csv").write_text("userId,movieId,rating,timestamp\n1,1,4,1\n1,2,four,2\n")
    with pytest.raises(
        movielens.MovieLensError,
        match=r"ratings\.csv line 3: expected user, item, rating, timestamp",
    ):
        movielens.convert(ml_latest, tmp_path / "out")


def test_cli(ml_latest, tmp_path, capsys):
    assert movielens.main(["--source", str(ml_latest), "--out", str(tmp_path / "out")]) == 0
    assert "ml-latest: wrote 5 interactions (3 watch)" in capsys.readouterr().out


def test_help_says_how_ratings_become_events(capsys):
    with pytest.raises(SystemExit):
        movielens.main(["--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "rating >= this -> 'watch', otherwise 'click'" in text
