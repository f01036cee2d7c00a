"""Deterministic synthetic movie-like dataset with latent structure a recommender can learn.

    python -m data.generate --out data/ --users 600 --items 1200 --interactions 25000 --seed 7
    python -m data.generate --check      # regenerate in memory, compare with the files in --out

Only `random.Random(seed).random()` drives the choices (every draw below is built on it), and the
output is plain ASCII with "\\n" line endings, so the same arguments give the same bytes on every
machine and every CPython 3 version.

Latent structure (hidden from the CSVs, visible in what users do):
- each user has 1-2 favourite genres, drawn from genre tastes that depend on the age band;
- item popularity is a Zipf-like long tail, independent per genre;
- most clicks go to items of the user's favourite genres, the rest follow global popularity;
- a watch of the same item usually follows a click, more often for favourite genres and for
  higher tiers;
- a few items are released during the event window and receive events only after release.
"""

from __future__ import annotations

import argparse
import bisect
import calendar
import csv
import io
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from random import Random

GENRES: tuple[str, ...] = (
    "Action",
    "Adventure",
    "Animation",
    "Children",
    "Comedy",
    "Crime",
    "Documentary",
    "Drama",
    "Fantasy",
    "Horror",
    "Musical",
    "Mystery",
    "Romance",
    "Sci-Fi",
    "Thriller",
    "War",
    "Western",
)

# How often a genre appears on items (Drama and Comedy dominate, as in real catalogues).
GENRE_CATALOGUE_WEIGHTS: dict[str, float] = {
    "Action": 8,
    "Adventure": 5,
    "Animation": 3,
    "Children": 3,
    "Comedy": 14,
    "Crime": 5,
    "Documentary": 3,
    "Drama": 18,
    "Fantasy": 3,
    "Horror": 5,
    "Musical": 2,
    "Mystery": 3,
    "Romance": 7,
    "Sci-Fi": 4,
    "Thriller": 8,
    "War": 2,
    "Western": 2,
}

AGE_BANDS: tuple[str, ...] = ("18-24", "25-34", "35-44", "45-54", "55+")
AGE_BAND_WEIGHTS: tuple[float, ...] = (0.22, 0.30, 0.22, 0.15, 0.11)

# Favourite-genre tastes per age band; unlisted genres weigh 1.
AGE_BAND_TASTES: dict[str, dict[str, float]] = {
    "18-24": {"Action": 6, "Sci-Fi": 6, "Horror": 5, "Animation": 4, "Comedy": 4, "Fantasy": 4},
    "25-34": {"Action": 5, "Comedy": 5, "Thriller": 5, "Sci-Fi": 4, "Crime": 3, "Romance": 3},
    "35-44": {"Drama": 5, "Crime": 5, "Thriller": 4, "Children": 4, "Comedy": 3, "Mystery": 3},
    "45-54": {"Drama": 6, "Mystery": 4, "Documentary": 4, "Crime": 3, "Romance": 3, "War": 3},
    "55+": {"Drama": 6, "War": 5, "Western": 5, "Musical": 4, "Documentary": 4, "Mystery": 3},
}

TIERS: tuple[str, ...] = ("free", "standard", "premium")
TIER_WEIGHTS: tuple[float, ...] = (0.5, 0.35, 0.15)
TIER_WATCH_BONUS: dict[str, float] = {"free": -0.1, "standard": 0.0, "premium": 0.1}

# Fixed clock, so the output never depends on when it is generated.
CATALOGUE_START = 1_420_070_400  # 2015-01-01T00:00:00Z
WINDOW_START = 1_704_067_200  # 2024-01-01T00:00:00Z
WINDOW_END = 1_719_792_000  # 2024-07-01T00:00:00Z
YEAR_MIN, YEAR_MAX = 1950, 2023
RELEASE_YEAR = 2024

P_TWO_FAVOURITES = 0.6
P_IN_FAVOURITES = 0.8
P_WATCH_FAVOURITE = 0.7
P_WATCH_OTHER = 0.3
P_NEW_RELEASE = 0.04
P_YEAR_MISSING = 0.01
MIN_CLICKS_PER_USER = 2
POPULARITY_EXPONENT = 1.1

INTERACTIONS_HEADER = ("USER_ID", "ITEM_ID", "EVENT_TYPE", "TIMESTAMP")
ITEMS_HEADER = ("ITEM_ID", "GENRES", "YEAR", "CREATION_TIMESTAMP")
USERS_HEADER = ("USER_ID", "AGE_BAND", "TIER")
FILES = ("interactions.csv", "items.csv", "users.csv")


@dataclass(frozen=True)
class User:
    user_id: str
    age_band: str
    tier: str
    favourites: tuple[str, ...]  # latent: never written to users.csv


@dataclass(frozen=True)
class Item:
    item_id: str
    genres: tuple[str, ...]
    year: int | None
    created: int
    popularity: float  # latent weight


@dataclass(frozen=True)
class Event:
    timestamp: int
    user_id: str
    item_id: str
    event_type: str  # "click" or "watch"


@dataclass(frozen=True)
class SyntheticData:
    users: tuple[User, ...]
    items: tuple[Item, ...]
    events: tuple[Event, ...]


class _Draw:
    """Every random choice, built on `Random.random()` alone for cross-version stability."""

    def __init__(self, seed: int) -> None:
        self._rng = Random(seed)

    def unit(self) -> float:
        return self._rng.random()

    def chance(self, p: float) -> bool:
        return self._rng.random() < p

    def below(self, n: int) -> int:
        return min(int(self._rng.random() * n), n - 1)

    def between(self, low: int, high: int) -> int:
        """Integer in [low, high]."""
        return low + self.below(high - low + 1)

    def weighted(self, cumulative: Sequence[float]) -> int:
        """Index drawn with probability proportional to the increments of `cumulative`."""
        x = self._rng.random() * cumulative[-1]
        return min(bisect.bisect_right(cumulative, x), len(cumulative) - 1)

    def shuffle(self, values: list[int]) -> None:
        for i in range(len(values) - 1, 0, -1):
            j = self.below(i + 1)
            values[i], values[j] = values[j], values[i]


def _cumulate(weights: Sequence[float]) -> list[float]:
    total = 0.0
    out = []
    for w in weights:
        total += w
        out.append(total)
    return out


def _make_users(draw: _Draw, count: int) -> list[User]:
    band_cum = _cumulate(AGE_BAND_WEIGHTS)
    tier_cum = _cumulate(TIER_WEIGHTS)
    users = []
    for n in range(1, count + 1):
        band = AGE_BANDS[draw.weighted(band_cum)]
        tier = TIERS[draw.weighted(tier_cum)]
        tastes = [AGE_BAND_TASTES[band].get(g, 1.0) for g in GENRES]
        first = draw.weighted(_cumulate(tastes))
        favourites = [GENRES[first]]
        if draw.chance(P_TWO_FAVOURITES):
            tastes[first] = 0.0
            favourites.append(GENRES[draw.weighted(_cumulate(tastes))])
        users.append(User(f"u{n:05d}", band, tier, tuple(favourites)))
    return users


def _make_items(draw: _Draw, count: int) -> list[Item]:
    genre_cum = _cumulate([GENRE_CATALOGUE_WEIGHTS[g] for g in GENRES])
    # Popularity rank is a random permutation, so popular items are spread over ids and genres.
    ranks = list(range(count))
    draw.shuffle(ranks)
    items = []
    for n in range(1, count + 1):
        size = 1 if draw.chance(0.5) else (2 if draw.chance(0.7) else 3)
        chosen: set[str] = set()
        while len(chosen) < size:
            chosen.add(GENRES[draw.weighted(genre_cum)])
        genres = tuple(sorted(chosen))
        if draw.chance(P_NEW_RELEASE):
            year: int | None = RELEASE_YEAR
            created = draw.between(WINDOW_START, WINDOW_END - 86_400 * 14)
        else:
            # Skewed toward recent years, like a streaming catalogue.
            year = YEAR_MIN + int((YEAR_MAX - YEAR_MIN) * draw.unit() ** 0.5 + 0.5)
            # Added to the catalogue no earlier than its release year.
            released = calendar.timegm((year, 1, 1, 0, 0, 0))
            created = draw.between(max(CATALOGUE_START, released), WINDOW_START - 1)
        if draw.chance(P_YEAR_MISSING):
            year = None
        popularity = 1.0 / (ranks[n - 1] + 5) ** POPULARITY_EXPONENT
        items.append(Item(f"m{n:05d}", genres, year, created, popularity))
    return items


class _ItemPicker:
    """Popularity-weighted item choice, overall or within one genre, released before a time."""

    def __init__(self, draw: _Draw, items: Sequence[Item]) -> None:
        self._draw = draw
        self._all = list(items)
        self._all_cum = _cumulate([i.popularity for i in items])
        self._by_genre: dict[str, tuple[list[Item], list[float]]] = {}
        for genre in GENRES:
            members = [i for i in items if genre in i.genres]
            if members:
                self._by_genre[genre] = (members, _cumulate([i.popularity for i in members]))
        self._catalogue = [i for i in items if i.created < WINDOW_START]
        self._catalogue_cum = _cumulate([i.popularity for i in self._catalogue])

    def pick(self, genre: str | None, at: int) -> Item:
        pool, cum = self._by_genre.get(genre or "", (self._all, self._all_cum))
        for _ in range(20):
            item = pool[self._draw.weighted(cum)]
            if item.created <= at:
                return item
        # Only unreleased items were drawn: fall back to the pre-window catalogue.
        if not self._catalogue:
            return item
        return self._catalogue[self._draw.weighted(self._catalogue_cum)]


def _make_events(
    draw: _Draw, users: Sequence[User], items: Sequence[Item], total: int
) -> list[Event]:
    picker = _ItemPicker(draw, items)
    # Activity is long-tailed too (Pareto, capped), so a few users are very active.
    activity = [min((1.0 - draw.unit()) ** (-1 / 1.5), 25.0) for _ in users]
    activity_cum = _cumulate(activity)
    # Each user's events fall inside their own active span of the window.
    spans = []
    for _ in users:
        start = draw.between(WINDOW_START, WINDOW_END - 86_400 * 30)
        spans.append((start, draw.between(start + 86_400 * 7, WINDOW_END)))

    events: list[Event] = []
    clicks = 0
    while len(events) < total:
        # Every user clicks at least MIN_CLICKS_PER_USER times; after that activity decides.
        if clicks < MIN_CLICKS_PER_USER * len(users):
            u = clicks % len(users)
        else:
            u = draw.weighted(activity_cum)
        clicks += 1
        user = users[u]
        at = draw.between(*spans[u])
        in_favourites = draw.chance(P_IN_FAVOURITES)
        genre = user.favourites[draw.below(len(user.favourites))] if in_favourites else None
        item = picker.pick(genre, at)
        events.append(Event(at, user.user_id, item.item_id, "click"))
        liked = any(g in item.genres for g in user.favourites)
        p_watch = (P_WATCH_FAVOURITE if liked else P_WATCH_OTHER) + TIER_WATCH_BONUS[user.tier]
        if len(events) < total and draw.chance(p_watch):
            watched_at = at + draw.between(60, 3 * 3600)
            events.append(Event(watched_at, user.user_id, item.item_id, "watch"))
    # Click sorts before its watch at equal times.
    events.sort(key=lambda e: (e.timestamp, e.user_id, e.item_id, e.event_type))
    return events


def build(
    users: int = 600, items: int = 1200, interactions: int = 25000, seed: int = 7
) -> SyntheticData:
    """The whole dataset in memory, latent attributes included (tests read them)."""
    if users < 1 or items < len(GENRES) or interactions < MIN_CLICKS_PER_USER * users:
        raise ValueError(
            f"need users >= 1, items >= {len(GENRES)} and interactions >= "
            f"{MIN_CLICKS_PER_USER} x users; got users={users}, items={items}, "
            f"interactions={interactions}"
        )
    draw = _Draw(seed)
    user_list = _make_users(draw, users)
    item_list = _make_items(draw, items)
    events = _make_events(draw, user_list, item_list, interactions)
    return SyntheticData(tuple(user_list), tuple(item_list), tuple(events))


def render(data: SyntheticData) -> dict[str, bytes]:
    """File name -> exact CSV bytes."""
    tables: dict[str, tuple[tuple[str, ...], list[tuple[object, ...]]]] = {
        "interactions.csv": (
            INTERACTIONS_HEADER,
            [(e.user_id, e.item_id, e.event_type, e.timestamp) for e in data.events],
        ),
        "items.csv": (
            ITEMS_HEADER,
            [
                (i.item_id, "|".join(i.genres), "" if i.year is None else i.year, i.created)
                for i in data.items
            ],
        ),
        "users.csv": (USERS_HEADER, [(u.user_id, u.age_band, u.tier) for u in data.users]),
    }
    out = {}
    for name, (header, rows) in tables.items():
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)
        out[name] = buf.getvalue().encode("ascii")
    return out


def describe(data: SyntheticData) -> dict[str, float]:
    """Headline numbers of the latent structure, for the README and the CLI."""
    genres_of = {i.item_id: i.genres for i in data.items}
    favourites_of = {u.user_id: u.favourites for u in data.users}
    hits = 0
    base = 0.0
    clicks = [e for e in data.events if e.event_type == "click"]
    # Base rate: how often a random click (any user) lands in this user's favourites.
    genre_share = {
        g: sum(1 for e in clicks if g in genres_of[e.item_id]) / len(clicks) for g in GENRES
    }
    for e in data.events:
        favs = favourites_of[e.user_id]
        hits += any(g in genres_of[e.item_id] for g in favs)
        base += min(1.0, sum(genre_share[g] for g in favs))
    counts: dict[str, int] = {}
    for e in data.events:
        counts[e.item_id] = counts.get(e.item_id, 0) + 1
    ranked = sorted(counts.values(), reverse=True)
    top = ranked[: max(1, len(data.items) // 10)]
    clicked = {(e.user_id, e.item_id) for e in clicks}
    watches = [e for e in data.events if e.event_type == "watch"]
    return {
        "favourite_genre_share": hits / len(data.events),
        "favourite_genre_base_rate": base / len(data.events),
        "top_10pct_items_share": sum(top) / len(data.events),
        "watch_share": len(watches) / len(data.events),
        "watch_after_click_share": sum((w.user_id, w.item_id) in clicked for w in watches)
        / max(1, len(watches)),
    }


def write(data: SyntheticData, out: Path) -> dict[str, Path]:
    out.mkdir(parents=True, exist_ok=True)
    paths = {}
    for name, content in render(data).items():
        path = out / name
        path.write_bytes(content)
        paths[name] = path
    return paths


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m data.generate",
        description="Write users.csv, items.csv and interactions.csv of a synthetic movie "
        "catalogue with latent genre tastes; the same arguments always give the same bytes.",
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent, help="output folder")
    parser.add_argument("--users", type=int, default=600)
    parser.add_argument("--items", type=int, default=1200)
    parser.add_argument("--interactions", type=int, default=25000, help="rows of events")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 unless the files in --out equal a fresh generation",
    )
    args = parser.parse_args(argv)
    try:
        data = build(args.users, args.items, args.interactions, args.seed)
    except ValueError as exc:
        parser.error(str(exc))
    if args.check:
        stale = [
            name
            for name, content in render(data).items()
            if not (args.out / name).is_file() or (args.out / name).read_bytes() != content
        ]
        if stale:
            print(f"differs from a fresh generation: {', '.join(stale)}", file=sys.stderr)
            return 1
        print(f"{', '.join(FILES)} in {args.out} match seed {args.seed}")
        return 0
    for path in write(data, args.out).values():
        print(f"wrote {path} ({path.stat().st_size} bytes)")
    for key, value in describe(data).items():
        print(f"{key}: {value:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
