"""``python -m benchmarks [NAME ...]``: run the benchmarks and print their tables.

Names: polling, forwarding, api, preview, emulator, deploy (default: all, in that order).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time

from benchmarks.common import Table

BENCHMARKS = {
    "polling": "benchmarks.polling",
    "forwarding": "benchmarks.forwarding",
    "api": "benchmarks.api_handlers",
    "preview": "benchmarks.program_eval",
    "emulator": "benchmarks.emulator",
    "deploy": "benchmarks.deploy",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks", description="Run benchmarks and print tables."
    )
    parser.add_argument("names", nargs="*", metavar="NAME", help=", ".join(BENCHMARKS))
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in BENCHMARKS]
    if unknown:
        parser.error(f"unknown benchmark {', '.join(unknown)}; choose from {', '.join(BENCHMARKS)}")
    names = args.names or list(BENCHMARKS)
    print(f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}; medians of repeated runs.\n")
    failed = []
    for name in names:
        started = time.perf_counter()
        try:
            table: Table = importlib.import_module(BENCHMARKS[name]).BENCHMARK()
        except Exception as exc:  # one broken benchmark must not hide the others' tables
            failed.append(name)
            print(f"{name}: could not run: {type(exc).__name__}: {exc}\n", flush=True)
            continue
        print(table.render())
        print(f"  ({name}: {time.perf_counter() - started:.0f} s)\n", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
