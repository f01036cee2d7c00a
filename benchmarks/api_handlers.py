"""API handler overhead: cold start against a bare boto3 script, and warm per-request time.

Each cold sample is a fresh interpreter (``benchmarks.coldstart``); handler and bare processes
alternate so machine noise hits both alike. See coldstart.py for how the AWS call is stubbed.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable

from benchmarks.common import ROOT, Row, Table, child_env, marker_line, median

HANDLERS = ("recommend", "ingest", "catalog")
REPEATS = 11
WARM_REQUESTS = 3000


def sample(mode: str, name: str, warm: int = 0) -> tuple[dict[str, float], float]:
    """One measured process: its own timings and the wall time seen from outside."""
    import subprocess

    argv = [sys.executable, "-m", "benchmarks.coldstart", mode, name]
    if warm:
        argv += ["--warm", str(warm)]
    env = child_env({"POWERTOOLS_SERVICE_NAME": "bench", "AWS_MAX_ATTEMPTS": "1"})
    start = time.perf_counter()
    done = subprocess.run(
        argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    wall = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"{mode} {name} failed ({done.returncode}):\n{done.stderr}")
    return json.loads(marker_line(done.stdout, "BENCH ")), wall


def run() -> Table:
    rows: list[Row] = []
    for name in HANDLERS:
        cold: dict[str, list[float]] = {"handler": [], "bare": []}
        wall: dict[str, list[float]] = {"handler": [], "bare": []}
        imports: list[float] = []
        for rep in range(REPEATS):
            modes = ("handler", "bare") if rep % 2 == 0 else ("bare", "handler")
            for mode in modes:
                timings, outside = sample(mode, name)
                cold[mode].append(timings["cold"])
                wall[mode].append(outside)
                if mode == "handler":
                    imports.append(timings["import"])
        handler_warm, _ = sample("handler", name, WARM_REQUESTS)
        bare_warm, _ = sample("bare", name, WARM_REQUESTS)
        rows += [
            Row(
                f"{name}: cold start (import + first request)",
                median(cold["handler"]) * 1000,
                "ms",
                baseline=median(cold["bare"]) * 1000,
                target="<= 1.3x",
            ),
            Row(
                f"{name}: cold process wall time",
                median(wall["handler"]) * 1000,
                "ms",
                baseline=median(wall["bare"]) * 1000,
            ),
            Row(f"{name}: import of the handler module", median(imports) * 1000, "ms"),
            Row(
                f"{name}: warm request, AWS call excluded",
                handler_warm["warm_overhead"] * 1000,
                "ms",
                target="<= 0.3",
            ),
            Row(
                f"{name}: warm request incl. stubbed boto3 call",
                handler_warm["warm_total"] * 1000,
                "ms",
                baseline=bare_warm["warm_total"] * 1000,
            ),
        ]
    # The candidate: Powertools' REST resolver with request validation instead of handlers.http.
    resolver: list[float] = []
    bare: list[float] = []
    for rep in range(REPEATS):
        for mode in ("resolver", "bare") if rep % 2 == 0 else ("bare", "resolver"):
            timings, _ = sample(mode, "recommend")
            (resolver if mode == "resolver" else bare).append(timings["cold"])
    rows.append(
        Row(
            "recommend with Powertools REST resolver + validation: cold start",
            median(resolver) * 1000,
            "ms",
            baseline=median(bare) * 1000,
            target="<= 1.3x",
        )
    )
    notes = [
        f"Cold: median of {REPEATS} fresh processes each, handler and bare script alternating.",
        "Baseline: a script that imports boto3, creates the same client (same Config) and",
        "makes the same call. The HTTP exchange is answered by a before-send hook on the real",
        "client (serialize, sign, parse all run). Warm: median of 10 loops, "
        f"{WARM_REQUESTS} requests in all;",
        "'AWS call excluded' replaces the client method with its parsed answer.",
    ]
    return Table("API handler overhead (cold start and warm requests)", rows, notes)


BENCHMARK: Callable[[], Table] = run
