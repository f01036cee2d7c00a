"""A small real recommender: truncated SVD of the interaction matrix, folded in per request.

Training factorises the user x item matrix (randomised SVD, numpy only). A user is represented at
request time by a recency-weighted sum of the item factors of everything in their history, so an
event received a moment ago changes that user's recommendations at once, without retraining, and
users unseen at training time are served from their live events alone. Users with no history get
popularity. This module knows nothing about HTTP, ARNs or statuses.
"""

from __future__ import annotations

import hashlib
import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

# What a recipe's model does; the backend maps recipe ARNs onto these.
USER_PERSONALIZATION = "user-personalization"
PERSONALIZED_RANKING = "personalized-ranking"
RELATED_ITEMS = "related-items"
POPULARITY = "popularity"
TRENDING = "trending"

MIN_INTERACTIONS = 1000
MIN_USERS_WITH_TWO = 25
METRIC_DEPTH = 25


@dataclass(frozen=True)
class Interaction:
    user_id: str
    item_id: str
    timestamp: float
    event_type: str = ""
    event_value: float | None = None
    # Recorded from PutEvents as sent; not used by the model.
    impression: tuple[str, ...] = ()
    recommendation_id: str | None = None


class TrainingError(Exception):
    """Training cannot run on this data; the message becomes the version's failureReason."""


@dataclass
class Model:
    kind: str
    item_ids: list[str]
    index: dict[str, int]
    # Unit right singular vectors: scores = profile @ V @ V.T (PureSVD).
    item_factors: np.ndarray
    # Singular-value weighted and L2-normalised item vectors, for item-to-item similarity.
    similarity_factors: np.ndarray
    popularity: np.ndarray

    def _profile_scores(self, history: Sequence[str]) -> np.ndarray | None:
        rows = [self.index[i] for i in history if i in self.index]
        if not rows:
            return None
        weights = recency_weights(len(rows))
        profile = weights @ self.item_factors[rows]
        scores: np.ndarray = self.item_factors @ profile
        return scores

    def base_scores(self, history: Sequence[str]) -> np.ndarray:
        """Affinity of every model item for a user with this history (time-ordered item ids)."""
        if self.kind in (POPULARITY, TRENDING):
            return np.log1p(self.popularity)
        scores = self._profile_scores(history)
        if scores is None:
            return np.log1p(self.popularity)
        return scores


def recency_weights(n: int) -> np.ndarray:
    """Weights for a history of n events, oldest first: the latest ones count about 3x."""
    position_from_latest = np.arange(n - 1, -1, -1, dtype=np.float64)
    weights: np.ndarray = 1.0 + 2.0 * np.exp(-position_from_latest / 10.0)
    return weights


def softmax(scores: np.ndarray) -> np.ndarray:
    """Softmax with a temperature set by the data: the best item weighs e^4 times an average one.

    Raw affinities have no natural scale, so a fixed temperature would give one-hot or flat
    distributions depending on the data; this keeps top scores in the range the service shows.
    """
    if scores.size == 0:
        return scores
    top = float(np.max(scores))
    spread = top - float(np.mean(scores)) or 1.0
    e = np.exp((scores - top) / spread * 4.0)
    result: np.ndarray = e / float(np.sum(e))
    return result


def check_minimums(interactions: Sequence[Interaction]) -> None:
    """The documented training minimums; TrainingError with a reason like the service's."""
    if len(interactions) < MIN_INTERACTIONS:
        raise TrainingError(
            f"Insufficient data for training: found {len(interactions)} interactions, "
            f"at least {MIN_INTERACTIONS} are required."
        )
    per_user = Counter(i.user_id for i in interactions)
    with_two = sum(1 for n in per_user.values() if n >= 2)
    if with_two < MIN_USERS_WITH_TWO:
        raise TrainingError(
            f"Insufficient data for training: found {with_two} users with at least 2 "
            f"interactions, at least {MIN_USERS_WITH_TWO} are required."
        )


def _randomized_svd(matrix: np.ndarray, rank: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    sketch = rng.standard_normal((matrix.shape[1], rank + 10)).astype(matrix.dtype)
    basis, _ = np.linalg.qr(matrix @ sketch)
    for _ in range(3):
        basis, _ = np.linalg.qr(matrix @ (matrix.T @ basis))
    _, singular, vt = np.linalg.svd(basis.T @ matrix, full_matrices=False)
    return singular[:rank], vt[:rank].T


def popularity_counts(
    interactions: Iterable[Interaction], trending: bool = False
) -> dict[str, float]:
    counts: dict[str, float] = defaultdict(float)
    items = list(interactions)
    if trending and items:
        latest = max(i.timestamp for i in items)
        # Trending favours what is popular lately: a one-week half-life.
        for i in items:
            counts[i.item_id] += math.exp(-(latest - i.timestamp) / (7 * 86400) * math.log(2))
    else:
        for i in items:
            counts[i.item_id] += 1.0
    return counts


def train(
    interactions: Sequence[Interaction], kind: str, factors: int = 24, seed: int = 7
) -> Model:
    """Fit a model; TrainingError when the data is below the service's minimums."""
    check_minimums(interactions)
    item_ids = sorted({i.item_id for i in interactions})
    user_ids = sorted({i.user_id for i in interactions})
    index = {item: n for n, item in enumerate(item_ids)}
    user_index = {user: n for n, user in enumerate(user_ids)}
    matrix = np.zeros((len(user_ids), len(item_ids)), dtype=np.float32)
    for i in interactions:
        matrix[user_index[i.user_id], index[i.item_id]] = 1.0
    rank = max(1, min(factors, min(matrix.shape) - 1))
    singular, vectors = _randomized_svd(matrix, rank, seed)
    weighted = vectors * singular
    norms = np.linalg.norm(weighted, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    counts = popularity_counts(interactions, trending=kind == TRENDING)
    popularity = np.array([counts[i] for i in item_ids], dtype=np.float64)
    return Model(
        kind=kind,
        item_ids=item_ids,
        index=index,
        item_factors=vectors.astype(np.float64),
        similarity_factors=(weighted / norms).astype(np.float64),
        popularity=popularity,
    )


@dataclass(frozen=True)
class Scored:
    item_id: str
    score: float | None


def recommend(
    model: Model,
    history: Sequence[str],
    num_results: int,
    *,
    allowed: Callable[[str], bool] | None = None,
    cold_items: Sequence[str] = (),
    exploration_weight: float = 0.0,
    exclude_seen: bool = True,
) -> list[Scored]:
    """Top items for a user; unless exclude_seen is False, not what they interacted with.

    Scores are a softmax over the whole recommendable catalogue (model items the user has not
    interacted with, plus cold items), so they sum to 1 over it; what is returned is the top of
    that distribution. Cold items (in the catalogue but not in training) get a share of the slots
    when exploration_weight > 0.
    """
    seen = set(history)
    base = model.base_scores(history)
    cold = [c for c in dict.fromkeys(cold_items) if c not in model.index]
    neutral = float(np.mean(base)) if base.size else 0.0
    with_scores = model.kind not in (POPULARITY, TRENDING)
    exclude_seen = exclude_seen and model.kind not in (POPULARITY, TRENDING)
    candidates = np.concatenate([base, np.full(len(cold), neutral)])
    mask = np.ones(candidates.size, dtype=bool)
    if exclude_seen:
        for item in seen:
            row = model.index.get(item)
            if row is not None:
                mask[row] = False
    probabilities = np.zeros(candidates.size)
    probabilities[mask] = softmax(candidates[mask])

    def ok(item: str) -> bool:
        if exclude_seen and item in seen:
            return False
        return allowed is None or allowed(item)

    ranked: list[Scored] = []
    for row in np.argsort(-probabilities[: len(model.item_ids)], kind="stable"):
        item = model.item_ids[int(row)]
        if ok(item):
            ranked.append(Scored(item, float(probabilities[row]) if with_scores else None))
            if len(ranked) >= num_results:
                break
    explore = [
        Scored(c, float(probabilities[len(model.item_ids) + n]) if with_scores else None)
        for n, c in enumerate(cold)
        if ok(c)
    ]
    if exploration_weight <= 0 or not explore or num_results == 0:
        return ranked[:num_results]
    slots = max(1, min(len(explore), round(num_results * exploration_weight * 0.4)))
    step = max(1, num_results // slots)
    merged = list(ranked)
    for n, scored in enumerate(explore[:slots]):
        merged.insert(min(len(merged), n * step + min(2, step - 1)), scored)
    return merged[:num_results]


def rank(model: Model, history: Sequence[str], input_list: Sequence[str]) -> list[Scored]:
    """Re-rank input_list for a user; scores are a softmax over the list and sum to 1."""
    base = model.base_scores(history)
    floor = float(np.min(base)) - 1.0 if base.size else 0.0
    raw = np.array([base[model.index[i]] if i in model.index else floor for i in input_list])
    probabilities = softmax(raw)
    order = np.argsort(-probabilities, kind="stable")
    return [Scored(input_list[int(n)], float(probabilities[n])) for n in order]


def similar_items(
    model: Model,
    item_id: str,
    num_results: int,
    allowed: Callable[[str], bool] | None = None,
) -> list[Scored]:
    """Items most similar to item_id (cosine of item vectors); popular items for an unknown item."""
    if item_id in model.index:
        scores = model.similarity_factors @ model.similarity_factors[model.index[item_id]]
    else:
        scores = np.log1p(model.popularity)
    result: list[Scored] = []
    for row in np.argsort(-scores, kind="stable"):
        item = model.item_ids[int(row)]
        if item == item_id or (allowed is not None and not allowed(item)):
            continue
        result.append(Scored(item, None))
        if len(result) >= num_results:
            break
    return result


# ---- evaluation ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Split:
    train: list[Interaction]
    # Per test user: their training history (time-ordered) and the items held out from it.
    history: dict[str, list[str]]
    heldout: dict[str, set[str]]


def _in_test_share(user_id: str, share: float) -> bool:
    digest = hashlib.sha256(user_id.encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < share


def holdout_split(
    interactions: Sequence[Interaction], share: float = 0.15, fraction: float = 0.1
) -> Split:
    """Hold out the latest interactions of a deterministic share of users (those with >= 5)."""
    by_user: dict[str, list[Interaction]] = defaultdict(list)
    for i in interactions:
        by_user[i.user_id].append(i)
    train_rows: list[Interaction] = []
    history: dict[str, list[str]] = {}
    heldout: dict[str, set[str]] = {}
    for user, rows in by_user.items():
        rows.sort(key=lambda r: r.timestamp)
        if len(rows) < 5 or not _in_test_share(user, share):
            train_rows.extend(rows)
            continue
        cut = len(rows) - max(1, round(len(rows) * fraction))
        kept, held = rows[:cut], rows[cut:]
        seen = [r.item_id for r in kept]
        target = {r.item_id for r in held} - set(seen)
        train_rows.extend(kept)
        if target:
            history[user] = seen
            heldout[user] = target
    return Split(train_rows, history, heldout)


def score_rankings(
    rankings: dict[str, list[str]], heldout: dict[str, set[str]], catalogue_size: int
) -> dict[str, float]:
    """The metrics GetSolutionMetrics reports, averaged over the test users."""
    metrics: dict[str, list[float]] = defaultdict(list)
    recommended: set[str] = set()
    for user, relevant in heldout.items():
        ranked = rankings.get(user, [])[:METRIC_DEPTH]
        recommended.update(ranked)
        hits = [item in relevant for item in ranked]
        first = next((n for n, hit in enumerate(hits) if hit), None)
        metrics["mean_reciprocal_rank_at_25"].append(0.0 if first is None else 1.0 / (first + 1))
        for k in (5, 10, 25):
            dcg = sum(1.0 / math.log2(n + 2) for n, hit in enumerate(hits[:k]) if hit)
            ideal = sum(1.0 / math.log2(n + 2) for n in range(min(k, len(relevant))))
            metrics[f"normalized_discounted_cumulative_gain_at_{k}"].append(dcg / ideal)
            metrics[f"precision_at_{k}"].append(sum(hits[:k]) / k)
    result = {name: float(np.mean(values)) for name, values in metrics.items()}
    result["coverage"] = len(recommended) / catalogue_size if catalogue_size else 0.0
    return dict(sorted(result.items()))


def evaluate(
    interactions: Sequence[Interaction], kind: str = USER_PERSONALIZATION
) -> dict[str, float]:
    """Metrics of a model trained without the held-out interactions, scored against them."""
    split = holdout_split(interactions)
    if not split.heldout:
        return {}
    try:
        model = train(split.train, kind)
    except TrainingError:
        return {}
    rankings = {
        user: [s.item_id for s in recommend(model, hist, METRIC_DEPTH)]
        for user, hist in split.history.items()
    }
    catalogue = len({i.item_id for i in interactions})
    return score_rankings(rankings, split.heldout, catalogue)


def evaluate_popularity_baseline(interactions: Sequence[Interaction]) -> dict[str, float]:
    """The same holdout scored for "most popular items the user hasn't seen": the bar to beat."""
    split = holdout_split(interactions)
    counts = popularity_counts(split.train)
    ordered = sorted(counts, key=lambda item: (-counts[item], item))
    rankings: dict[str, list[str]] = {}
    for user, hist in split.history.items():
        seen = set(hist)
        rankings[user] = [i for i in ordered if i not in seen][:METRIC_DEPTH]
    catalogue = len({i.item_id for i in interactions})
    return score_rankings(rankings, split.heldout, catalogue)
