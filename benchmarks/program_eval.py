"""Program evaluation: what the language host costs on every ``pulumi preview``.

The dev program runs under Pulumi's mocks (``local.program.run_program``) in a fresh interpreter,
imports included, as the CLI starts a fresh language host for each preview. The baseline is a
fresh interpreter that only imports pulumi and the pulumi_aws modules the program uses: the floor
any program built on them pays. Child processes: ``python -m benchmarks.program_eval MODE``.
"""

from __future__ import annotations

import time

START = time.perf_counter()

import importlib  # noqa: E402  (the clock starts before anything else is imported)
import json  # noqa: E402
import sys  # noqa: E402
from collections.abc import Callable  # noqa: E402

from benchmarks.common import (  # noqa: E402
    ROOT,
    Row,
    Table,
    child_env,
    marker_line,
    median,
    run_module,
)

REPEATS = 5
# The pulumi_aws modules the components use (pulumi_aws loads each lazily on first access).
# A class of each: touching it runs the module's real import.
AWS_MODULES = {
    "apigateway": "RestApi",
    "cloudwatch": "MetricAlarm",
    "iam": "Role",
    "kinesis": "Stream",
    "lambda_": "Function",
    "s3": "Bucket",
    "sns": "Topic",
    "sqs": "Queue",
}
DATASETS = {"Interactions": "interactions", "Items": "items", "Users": "users"}


def child_program() -> dict[str, float]:
    from local.program import run_program

    imported = time.perf_counter()
    run = run_program("dev")
    done = time.perf_counter()
    return {
        "total": done - START,
        "harness_import": imported - START,
        "resources": float(len(run.resources)),
    }


def child_floor() -> dict[str, float]:
    import pulumi  # noqa: F401
    import pulumi_aws

    for name, cls in AWS_MODULES.items():
        getattr(getattr(pulumi_aws, name), cls)
    return {"total": time.perf_counter() - START}


def child_breakdown() -> dict[str, float]:
    """Import times in the order the program pays them, then the data check on the samples."""
    result: dict[str, float] = {}
    mark = time.perf_counter()

    def lap(label: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        result[label] = now - mark
        mark = now

    import pulumi  # noqa: F401

    lap("import pulumi")
    import pulumi_aws

    lap("import pulumi_aws (top level)")
    for name, cls in AWS_MODULES.items():
        getattr(getattr(pulumi_aws, name), cls)
        lap(f"pulumi_aws.{name}")
    importlib.import_module("pulumi_command")
    lap("import pulumi_command")
    importlib.import_module("providers")
    lap("import providers")
    for name in ("config", "storage", "datasets", "model", "streaming", "api", "monitoring"):
        importlib.import_module(f"components.{name}")
    lap("import components")
    from components.data_check import check_dataset_file, load_schema

    lap("import components.data_check")
    for dataset_type, key in DATASETS.items():
        schema = load_schema(ROOT / "data" / "schemas" / f"{key}.avsc")
        summary = check_dataset_file(ROOT / "data" / f"{key}.csv", schema, dataset_type)
        rows = getattr(summary, "rows", None)
        lap(f"data check {key}.csv" + (f" ({rows} rows)" if rows is not None else ""))
    return result


def _child(mode: str) -> dict[str, float]:
    wall, stdout = run_module("benchmarks.program_eval", [mode], child_env())
    payload: dict[str, float] = json.loads(marker_line(stdout, "BENCH "))
    payload["wall"] = wall
    return payload


def run() -> Table:
    program: list[dict[str, float]] = []
    floor: list[dict[str, float]] = []
    for rep in range(REPEATS):
        for mode in ("program", "floor") if rep % 2 == 0 else ("floor", "program"):
            result = _child(mode)
            (program if mode == "program" else floor).append(result)
    breakdowns = []
    for _ in range(3):
        breakdowns.append(_child("breakdown"))
    resources = int(program[0]["resources"])
    rows = [
        Row(
            "dev program under mocks, fresh process (wall)",
            median([p["wall"] for p in program]),
            "s",
            baseline=median([f["wall"] for f in floor]),
            target="<= 3",
            checked=median([p["wall"] for p in program]),
            note=f"{resources} resources registered",
        ),
        Row(
            "  interpreter start and exit (wall - in-process time)",
            median([p["wall"] - p["total"] for p in program]),
            "s",
            baseline=median([f["wall"] - f["total"] for f in floor]),
        ),
        Row(
            "  imports before __main__.py runs (harness, pulumi)",
            median([p["harness_import"] for p in program]),
            "s",
        ),
        Row(
            "  __main__.py under mocks (imports, checks, registrations)",
            median([p["total"] - p["harness_import"] for p in program]),
            "s",
        ),
    ]
    for label in breakdowns[0]:
        if label == "wall":
            continue
        rows.append(
            Row(f"  breakdown: {label}", median([b[label] for b in breakdowns]) * 1000, "ms")
        )
    notes = [
        f"Median of {REPEATS} fresh processes; baseline: a fresh process importing pulumi and",
        f"pulumi_aws.{{{', '.join(AWS_MODULES)}}} only. Breakdown: median of 3 processes,",
        "cumulative import order (a module already loaded by an earlier line costs nothing).",
    ]
    return Table("Program evaluation (pulumi preview's language host)", rows, notes)


def main(mode: str) -> None:
    children = {"program": child_program, "floor": child_floor, "breakdown": child_breakdown}
    result = children[mode]()
    sys.stdout.write("BENCH " + json.dumps(result) + "\n")


BENCHMARK: Callable[[], Table] = run

if __name__ == "__main__":
    main(sys.argv[1])
