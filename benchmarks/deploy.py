"""Deploy critical path: the rehearsal with the emulator following real durations, scaled down.

``python -m local.rehearsal --profile real --time-scale S`` deploys the dev stack through the
provider host against the emulator (and the data plane in moto), exercises and destroys it, and
writes a JSON report with each resource's start and ready times. The baseline is the longest
dependency chain of service latencies: the program's resource graph (the program run under the
deterministic mocks) with each Personalize resource weighted by the emulator's duration for its
kind (``PROFILES["real"]`` times S). A wall time equal to that chain would mean the deploy waits
for nothing but the service.

The table splits the excess over the chain into start-up, each chain step's own excess (provider
host calls plus the latency of noticing ACTIVE), gaps between steps, and what runs after the chain.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, Row, Table, child_env
from benchmarks.polling import mean_added_latency

STACK = "dev"
SCALE = 0.01  # the 88 min chain in 52 s
DYNAMIC_PREFIX = "pulumi-python:dynamic/personalize:"
PIPELINE_TYPES = (
    f"{DYNAMIC_PREFIX}EventTracker",
    "aws:kinesis/stream:Stream",
    "aws:lambda/function:Function",
    "aws:lambda/eventSourceMapping:EventSourceMapping",
    "aws:apigateway/stage:Stage",
)


def emulator_kind(typ: str) -> str | None:
    """The emulator's lifecycle kind of a dynamic resource type (None: no waiting, e.g. Schema)."""
    if not typ.startswith(DYNAMIC_PREFIX):
        return None
    kind = re.sub(r"(?<!^)(?=[A-Z])", "-", typ.rsplit(":", 1)[1]).lower()
    return None if kind == "schema" else kind


@dataclass(frozen=True)
class Chain:
    seconds: float  # at time scale 1
    path: list[str]


def longest_chain() -> Chain:
    """The longest chain of Personalize service latencies in the program's dependency graph."""
    from local.personalize_emulator import PROFILES
    from local.program import run_program

    profile = PROFILES["real"]
    run = run_program(STACK)
    latency: dict[str, float] = {}
    for registration in run.resources:
        kind = emulator_kind(registration.typ) if registration.custom else None
        steps = profile.get(kind) if kind else None
        latency[registration.urn] = steps.pending + steps.in_progress if steps else 0.0
    memo: dict[str, tuple[float, list[str]]] = {}

    def finish(urn: str) -> tuple[float, list[str]]:
        if urn not in memo:
            registration = run.by_urn(urn)
            best: tuple[float, list[str]] = (0.0, [])
            for ancestor in run.ancestors(registration):
                if ancestor.custom:
                    candidate = finish(ancestor.urn)
                    if candidate[0] > best[0]:
                        best = candidate
            own = latency[urn]
            label = f"{registration.typ.rsplit(':', 1)[1]} {registration.name}"
            memo[urn] = (best[0] + own, [*best[1], label] if own else best[1])
        return memo[urn]

    seconds, path = max((finish(r.urn) for r in run.resources if r.custom), key=lambda f: f[0])
    return Chain(seconds, path)


def rehearse(scale: float) -> dict[str, Any]:
    """One rehearsal in a fresh process; its JSON report."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "report.json"
        argv = [sys.executable, "-m", "local.rehearsal", "--stack", STACK, "--profile", "real"]
        argv += ["--time-scale", f"{scale:g}", "--json", str(out)]
        env = child_env()
        env.pop("PERSONALIZE_POLL_SCALE", None)  # the rehearsal scales polls with the clock
        process = subprocess.Popen(
            argv,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=600 + 6000 * scale)
        except BaseException:  # timeout or Ctrl-C: leave no rehearsal (and its servers) behind
            os.killpg(process.pid, signal.SIGKILL)
            process.communicate()
            raise
        if not out.exists():
            raise RuntimeError(f"rehearsal wrote no report ({process.returncode}):\n{stderr}")
        report: dict[str, Any] = json.loads(out.read_text())
    if report.get("error") or report.get("left_behind"):
        raise RuntimeError(
            f"rehearsal failed: {report.get('error')}; left behind: {report.get('left_behind')}"
            f"\n{stdout[-3000:]}"
        )
    return report


def run() -> Table:
    chain = longest_chain()
    report = rehearse(SCALE)
    wall = float(report["deploy_seconds"])
    pipeline = float(report["pipeline_ready_seconds"])
    base = chain.seconds * SCALE
    steps = {step["name"]: step for step in report["steps"]}
    path = [steps[label.split(" ", 1)[1]] for label in report["critical_path"]]
    personalize = [step for step in path if emulator_kind(step["typ"])]
    rows = [
        Row(
            f"deploy wall time / longest chain (scale {SCALE:g})",
            wall,
            "s",
            baseline=base,
            target="<= 1.05x",
        ),
        Row(
            "event pipeline + API ready / deploy wall time",
            pipeline,
            "s",
            baseline=wall,
            target="<= 0.25x",
        ),
        Row("  excess over the chain", wall - base, "s"),
        Row("  start-up: program start to first chain step", personalize[0]["started"], "s"),
    ]
    gaps = 0.0
    for previous, step in itertools.pairwise(personalize):
        gaps += step["started"] - previous["ready"]
    # Split each step's excess: noticing ACTIVE (the poll schedule, simulated exactly as in
    # the polling benchmark) against everything else (provider host calls, emulator work).
    kinds = [emulator_kind(step["typ"]) or "" for step in personalize]
    polls = [mean_added_latency(_nominal(kind) * SCALE, SCALE) for kind in kinds]
    for step, kind, poll in zip(personalize, kinds, polls, strict=True):
        took = step["ready"] - step["started"]
        nominal = _nominal(kind) * SCALE
        rows.append(
            Row(
                f"  chain step {step['typ'].rsplit(':', 1)[1]} ({kind})",
                took,
                "s",
                baseline=nominal,
                note=f"excess {took - nominal:.2f} s, of which polling ~{poll:.2f} s",
            )
        )
    rows += [
        Row("  between chain steps (engine scheduling)", gaps, "s"),
        Row("  after the last chain step", wall - personalize[-1]["ready"], "s"),
    ]
    step_excess = sum(
        s["ready"] - s["started"] - _nominal(k) * SCALE
        for s, k in zip(personalize, kinds, strict=True)
    )
    polls_here = sum(polls)
    # At full scale real durations vary, so the ACTIVE moment is drawn +- 75 s around nominal.
    polls_full = sum(mean_added_latency(_nominal(k), 1.0, spread=75.0) for k in kinds)
    fixed = personalize[0]["started"] + gaps + (step_excess - polls_here)
    rows += [
        Row("  chain steps' excess: expected poll latency (simulated)", polls_here, "s"),
        Row(
            "  chain steps' excess: the rest (host calls, emulator work)",
            step_excess - polls_here,
            "s",
        ),
        Row(
            "projected full scale: chain + polls + unscaled overhead",
            chain.seconds + polls_full + fixed,
            "s",
            baseline=chain.seconds,
            note=(
                f"projection, not a measurement: {chain.seconds:.0f} s chain + {polls_full:.0f} s "
                f"mean poll latency at real-time defaults + {fixed:.1f} s start-up and overhead "
                "measured here (assumed not to grow with scale)"
            ),
        ),
    ]
    notes = [
        "Longest chain (service latencies at full scale): "
        + " -> ".join(chain.path)
        + f" = {chain.seconds:.0f} s.",
        f"Rehearsed critical path: {' -> '.join(report['critical_path'])}.",
        "Polls are scaled with the clock (PERSONALIZE_POLL_SCALE = time scale), so poll latency",
        "scales like the service; start-up, provider host calls and the emulator's own work",
        "(reading CSVs, training) do not, and weigh more the smaller the scale.",
    ]
    return Table("Deploy critical path (rehearsal, emulator real profile scaled)", rows, notes)


def _nominal(kind: str) -> float:
    from local.personalize_emulator import PROFILES

    steps = PROFILES["real"].get(kind)
    return steps.pending + steps.in_progress if steps else 0.0


BENCHMARK: Callable[[], Table] = run
