"""Convert a MovieLens download into the stack's interactions.csv and items.csv.

    python -m data.movielens --source ~/Downloads/ml-latest-small --out build/movielens

Reads an extracted GroupLens archive in one of two layouts:
- ml-latest / ml-latest-small / ml-25m / ml-32m: ratings.csv (userId,movieId,rating,timestamp) and
  movies.csv (movieId,title,genres);
- ml-100k: u.data (user, item, rating, timestamp; tab-separated) and u.item (pipe-separated,
  latin-1, 19 genre flags; names from u.genre when present).

Ratings are streamed row by row and written in input order (Personalize does not need them
sorted); memory holds one first-rating time per movie, never the ratings.
"""

from __future__ import annotations

import argparse
import csv
import re
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from components.csv_text import open_csv

INTERACTIONS_HEADER = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP")
ITEMS_HEADER = ("ITEM_ID", "GENRES", "YEAR", "CREATION_TIMESTAMP")
WATCH_THRESHOLD = 4.0
NO_GENRES = "Unknown"

# ml-100k's genre columns, in file order; u.genre overrides when present.
ML100K_GENRES = (
    "unknown",
    "Action",
    "Adventure",
    "Animation",
    "Children's",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Film-Noir",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)

_TITLE_YEAR = re.compile(r"\((\d{4})(?:[-\u2013]\d{0,4})?\)\s*$")
_DATE_YEAR = re.compile(r"(\d{4})\s*$")


class MovieLensError(ValueError):
    """The source folder is not a MovieLens download we can read; the message says what is wrong."""


@dataclass(frozen=True)
class ConversionSummary:
    layout: str  # "ml-latest" or "ml-100k"
    interactions: int
    watches: int
    items: int
    items_without_year: int
    interactions_path: Path
    items_path: Path


def year_from_title(title: str) -> int | None:
    """`Toy Story (1995)` -> 1995; None when the title carries no year."""
    match = _TITLE_YEAR.search(title)
    return int(match.group(1)) if match else None


def event_type(rating: float, threshold: float = WATCH_THRESHOLD) -> str:
    return "watch" if rating >= threshold else "click"


def detect_layout(source: Path) -> str:
    if (source / "ratings.csv").is_file() and (source / "movies.csv").is_file():
        return "ml-latest"
    if (source / "u.data").is_file() and (source / "u.item").is_file():
        return "ml-100k"
    if not source.is_dir():
        raise MovieLensError(f"{source}: not a folder; pass the extracted MovieLens folder")
    raise MovieLensError(
        f"{source}: no MovieLens files found; expected ratings.csv and movies.csv "
        f"(ml-latest-small, ml-25m) or u.data and u.item (ml-100k)"
    )


def _ratings(source: Path, layout: str) -> Iterator[tuple[str, str, float, int]]:
    """(user, item, rating, timestamp) for every rating, streamed."""
    if layout == "ml-latest":
        path = source / "ratings.csv"
        with open_csv(path) as handle:
            reader = csv.reader(handle)
            header = next(reader, [])
            expected = ["userId", "movieId", "rating", "timestamp"]
            if header[:4] != expected:
                raise MovieLensError(f"{path}: header must start with {','.join(expected)}")
            for row in reader:
                yield _rating(path, reader.line_num, row)
    else:
        path = source / "u.data"
        with path.open(encoding="latin-1") as handle:
            for line_num, line in enumerate(handle, start=1):
                if line.strip():
                    yield _rating(path, line_num, line.split("\t"))


def _rating(path: Path, line: int, row: Sequence[str]) -> tuple[str, str, float, int]:
    try:
        user, item, rating, timestamp = (v.strip() for v in row[:4])
        return user, item, float(rating), int(timestamp)
    except ValueError:
        raise MovieLensError(
            f"{path} line {line}: expected user, item, rating, timestamp; got {list(row)}"
        ) from None


def _movies(source: Path, layout: str) -> Iterator[tuple[str, str, int | None]]:
    """(item, genres "A|B", year or None) per movie, streamed."""
    if layout == "ml-latest":
        path = source / "movies.csv"
        with open_csv(path) as handle:
            reader = csv.DictReader(handle)
            for row in reader:
                genres = row.get("genres") or ""
                if genres in ("", "(no genres listed)"):
                    genres = NO_GENRES
                yield row["movieId"], genres, year_from_title(row.get("title") or "")
        return
    names = _ml100k_genre_names(source)
    path = source / "u.item"
    with path.open(encoding="latin-1") as handle:
        for line_num, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            parts = line.rstrip("\r\n").split("|")
            if len(parts) < 5 + len(names):
                raise MovieLensError(
                    f"{path} line {line_num}: expected {5 + len(names)} pipe-separated values, "
                    f"got {len(parts)}"
                )
            flags = parts[5 : 5 + len(names)]
            genres = "|".join(n for n, f in zip(names, flags, strict=True) if f.strip() == "1")
            year = year_from_title(parts[1])
            if year is None:
                date = _DATE_YEAR.search(parts[2])  # release date like 01-Jan-1995
                year = int(date.group(1)) if date else None
            yield parts[0], genres if genres and genres != "unknown" else NO_GENRES, year


def _ml100k_genre_names(source: Path) -> tuple[str, ...]:
    path = source / "u.genre"
    if not path.is_file():
        return ML100K_GENRES
    named: list[tuple[int, str]] = []
    with path.open(encoding="latin-1") as handle:
        for line in handle:
            if "|" in line:
                name, _, index = line.strip().rpartition("|")
                named.append((int(index), name))
    return tuple(name for _, name in sorted(named))


def convert(source: Path, out: Path, watch_threshold: float = WATCH_THRESHOLD) -> ConversionSummary:
    """Write out/interactions.csv and out/items.csv from the MovieLens folder `source`."""
    layout = detect_layout(source)
    out.mkdir(parents=True, exist_ok=True)
    interactions_path = out / "interactions.csv"
    items_path = out / "items.csv"
    first_rated: dict[str, int] = {}
    last_seen = 0
    interactions = watches = 0
    with interactions_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(INTERACTIONS_HEADER)
        for user, item, rating, timestamp in _ratings(source, layout):
            kind = event_type(rating, watch_threshold)
            writer.writerow((user, item, kind, timestamp))
            interactions += 1
            watches += kind == "watch"
            if timestamp < first_rated.get(item, timestamp + 1):
                first_rated[item] = timestamp
            last_seen = max(last_seen, timestamp)
    items = without_year = 0
    with items_path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(ITEMS_HEADER)
        for item, genres, year in _movies(source, layout):
            # MovieLens has no catalogue date: a movie joins at its first rating, unrated ones
            # at the end of the data.
            created = first_rated.get(item, last_seen)
            writer.writerow((item, genres, "" if year is None else year, created))
            items += 1
            without_year += year is None
    return ConversionSummary(
        layout, interactions, watches, items, without_year, interactions_path, items_path
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data.movielens",
        description="Convert an extracted MovieLens download (ml-latest-small, ml-25m, ... with "
        "ratings.csv and movies.csv, or ml-100k with u.data and u.item) into interactions.csv "
        "(USER_ID,ITEM_ID,EVENT_TYPE,TIMESTAMP) and items.csv "
        "(ITEM_ID,GENRES,YEAR,CREATION_TIMESTAMP) matching data/schemas/. A rating at or above "
        "--watch-threshold becomes a 'watch' event, a lower one a 'click'. YEAR comes from the "
        "title and is empty when absent; CREATION_TIMESTAMP is the movie's first rating time.",
    )
    parser.add_argument("--source", type=Path, required=True, help="extracted MovieLens folder")
    parser.add_argument("--out", type=Path, required=True, help="folder for the two CSVs")
    parser.add_argument(
        "--watch-threshold",
        type=float,
        default=WATCH_THRESHOLD,
        help="rating >= this -> 'watch', otherwise 'click' (default: %(default)s)",
    )
    args = parser.parse_args(argv)
    try:
        summary = convert(args.source, args.out, args.watch_threshold)
    except MovieLensError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(
        f"{summary.layout}: wrote {summary.interactions} interactions "
        f"({summary.watches} watch) to {summary.interactions_path} and {summary.items} items "
        f"({summary.items_without_year} without a year) to {summary.items_path}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
