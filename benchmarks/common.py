"""Table rows, verdicts, timing helpers and the environment every benchmark runs in."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
REGION = "us-east-1"
# Fixed seeds: two runs on the same machine draw the same random schedules and moments.
SEED = 20240601

FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


@dataclass(frozen=True)
class Row:
    """One measured quantity: the number, its baseline, and the bar it is held to."""

    metric: str
    measured: float
    unit: str = ""
    baseline: float | None = None
    target: str = ""  # e.g. "<= 1.05"; empty for numbers shown for context only
    # What the verdict compares; by default the ratio when there is a baseline, else measured.
    checked: float | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.measured / self.baseline

    @property
    def verdict(self) -> str:
        if not self.target:
            return "info"
        op, _, bound = self.target.partition(" ")
        value = self.checked
        if value is None:
            value = self.ratio if self.ratio is not None else self.measured
        limit = float(bound.rstrip("x"))
        ok = value <= limit if op == "<=" else value >= limit
        return "PASS" if ok else "MISS"


@dataclass
class Table:
    title: str
    rows: list[Row]
    notes: list[str]

    def render(self) -> str:
        header = ("metric", "measured", "baseline", "ratio", "target", "verdict")
        body = [
            (
                row.metric,
                _fmt(row.measured, row.unit),
                "" if row.baseline is None else _fmt(row.baseline, row.unit),
                "" if row.ratio is None else f"{row.ratio:.2f}x",
                row.target,
                row.verdict,
            )
            for row in self.rows
        ]
        widths = [max(len(line[i]) for line in (header, *body)) for i in range(len(header))]
        lines = [self.title, "=" * len(self.title)]
        lines.append("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
        lines.append("  ".join("-" * w for w in widths))
        for line in body:
            lines.append("  ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)))
        for row in self.rows:
            if row.note:
                lines.append(f"  * {row.metric}: {row.note}")
        lines.extend(f"  {note}" for note in self.notes)
        return "\n".join(lines)


def _fmt(value: float, unit: str) -> str:
    if unit == "x":
        return f"{value:.3f}"
    if abs(value) >= 100 or value == int(value):
        text = f"{value:.0f}" if value == int(value) else f"{value:.1f}"
    elif abs(value) >= 1:
        text = f"{value:.2f}"
    else:
        text = f"{value:.3f}"
    return f"{text} {unit}".strip()


def median(values: list[float]) -> float:
    return float(statistics.median(values))


def child_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment of a measured subprocess: fake credentials, project root importable."""
    env = dict(os.environ)
    env.update(FAKE_CREDENTIALS)
    env["PYTHONPATH"] = str(ROOT)
    env.pop("PYTHONSTARTUP", None)
    env.update(extra or {})
    return env


def run_module(
    module: str, args: list[str], env: Mapping[str, str], timeout: float = 120.0
) -> tuple[float, str]:
    """``python -m module *args`` in a fresh interpreter from the project root.

    Returns the wall time seen from outside (interpreter start and exit included) and stdout.
    """
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise RuntimeError(f"benchmark subprocess failed ({done.returncode}):\n{done.stderr}")
    return elapsed, done.stdout


def marker_line(stdout: str, marker: str) -> str:
    """The payload of the last stdout line starting with ``marker`` (handlers log to stdout)."""
    for line in reversed(stdout.splitlines()):
        if line.startswith(marker):
            return line[len(marker) :]
    raise RuntimeError(f"no {marker.strip()!r} line in subprocess output:\n{stdout[-2000:]}")
