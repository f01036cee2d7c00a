"""CLI: ``python -m local.personalize_emulator --host 127.0.0.1 --port 4599``."""

from __future__ import annotations

import argparse
import contextlib
import sys

from .lifecycle import PROFILES
from .resources import Options
from .server import EmulatorServer


def build(argv: list[str] | None = None) -> tuple[EmulatorServer, argparse.Namespace]:
    """The server the command line describes (not yet serving)."""
    parser = argparse.ArgumentParser(
        prog="python -m local.personalize_emulator",
        description="Serve an Amazon Personalize emulator (control plane, events, runtime).",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4599, help="port to bind; 0 picks a free one")
    parser.add_argument(
        "--profile",
        choices=sorted(PROFILES),
        default="test",
        help="step durations: 'test' (seconds for a whole chain) or 'real' (documented)",
    )
    parser.add_argument(
        "--time-scale",
        type=float,
        default=1.0,
        help="multiply every step duration (e.g. 0.01 with --profile real)",
    )
    parser.add_argument("--account-id", default="123456789012", help="account id used in ARNs")
    parser.add_argument(
        "--recommend-interacted",
        action="store_true",
        help="USER_PERSONALIZATION campaigns may recommend items the user interacted with",
    )
    parser.add_argument(
        "--strict-csv-headers",
        action="store_true",
        help="CSV headers must spell the schema's field names in the same case",
    )
    args = parser.parse_args(argv)
    server = EmulatorServer(
        args.host,
        args.port,
        time_scale=args.time_scale,
        profile=args.profile,
        account_id=args.account_id,
        options=Options(
            recommend_interacted=args.recommend_interacted,
            strict_csv_headers=args.strict_csv_headers,
        ),
    )
    return server, args


def main(argv: list[str] | None = None) -> int:
    server, args = build(argv)
    print(
        f"Personalize emulator listening on {server.url} (profile {args.profile}, "
        f"time scale {args.time_scale})",
        flush=True,
    )
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return 0


if __name__ == "__main__":
    sys.exit(main())
