"""Emulator speed: training on sample-sized data, and one full lifecycle through boto3.

The emulator trains a real model at CreateSolutionVersion, so how long that takes decides how
long every test and rehearsal that trains waits. Training plus the held-out evaluation behind
GetSolutionMetrics on data the size of AWS's samples (600 users, 1,000 items, over 25,000
interactions) is held to 2 s. The full lifecycle (create, import from S3, train, serve, events,
tear down) is ``tests/emulator/test_lifecycle.py::test_full_lifecycle`` run on its own,
interpreter start and the local S3 and emulator servers included, held to 30 s.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from benchmarks.common import Row, Table, child_env, median, run_module
from local.personalize_emulator import recommender
from tests.emulator.helpers import synthetic

RUNS = 5
TRAINING_TARGET_S = 2.0
LIFECYCLE_TARGET_S = 30.0
LIFECYCLE_TEST = "tests/emulator/test_lifecycle.py::test_full_lifecycle"


def _training() -> tuple[int, list[float], list[float]]:
    data = synthetic(users=600, items=1000, per_user=42, seed=3)
    interactions = [recommender.Interaction(u, i, float(t), e) for u, i, e, t in data.interactions]
    train_s: list[float] = []
    evaluate_s: list[float] = []
    for _ in range(RUNS):
        started = time.perf_counter()
        recommender.train(interactions, recommender.USER_PERSONALIZATION)
        trained = time.perf_counter()
        recommender.evaluate(interactions)
        train_s.append(trained - started)
        evaluate_s.append(time.perf_counter() - trained)
    return len(interactions), train_s, evaluate_s


def run() -> Table:
    count, train_s, evaluate_s = _training()
    total = [t + e for t, e in zip(train_s, evaluate_s, strict=True)]
    lifecycle_s, _ = run_module(
        "pytest", ["-q", "-p", "no:cacheprovider", LIFECYCLE_TEST], child_env()
    )
    return Table(
        title="Emulator: training and one full lifecycle",
        rows=[
            Row("interactions trained on", float(count)),
            Row("train (User-Personalization)", median(train_s), "s"),
            Row("evaluate (GetSolutionMetrics hold-out)", median(evaluate_s), "s"),
            Row(
                "train + evaluate",
                median(total),
                "s",
                target=f"<= {TRAINING_TARGET_S}",
                note=f"median of {RUNS}; slowest {max(total):.2f} s",
            ),
            Row(
                "full lifecycle test, one run",
                lifecycle_s,
                "s",
                target=f"<= {LIFECYCLE_TARGET_S}",
                note="pytest start, moto S3 and emulator servers included",
            ),
        ],
        notes=[],
    )


BENCHMARK: Callable[[], Table] = run
