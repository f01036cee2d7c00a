"""`make emulator`: the Personalize emulator with S3 beside it, ready for the AWS CLI or boto3.

Personalize imports datasets from S3, so the emulator alone cannot import anything. This starts
moto's S3 on a second loopback port, points the emulator's import jobs at it, and prints the
environment to paste into another shell:

    python -m local.offline_aws [--host 127.0.0.1] [--port 4580] [--s3-port 4581]

Then, for example: `aws s3 mb s3://data`, `aws s3 cp data/interactions.csv s3://data/`, and
`aws personalize create-dataset-import-job ... --data-source dataLocation=s3://data/...`.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import sys

from moto.server import ThreadedMotoServer

from local.personalize_emulator.lifecycle import PROFILES
from local.personalize_emulator.server import EmulatorServer

# Any credentials do for local servers; boto3 and the AWS CLI only need some to sign with.
LOCAL_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "local",
    "AWS_SECRET_ACCESS_KEY": "local",
    "AWS_DEFAULT_REGION": "us-east-1",
}


def environment(emulator_url: str, s3_url: str) -> dict[str, str]:
    """The variables that send boto3 and the AWS CLI to these servers."""
    return {
        **LOCAL_CREDENTIALS,
        "AWS_ENDPOINT_URL_PERSONALIZE": emulator_url,
        "AWS_ENDPOINT_URL_PERSONALIZE_EVENTS": emulator_url,
        "AWS_ENDPOINT_URL_PERSONALIZE_RUNTIME": emulator_url,
        "AWS_ENDPOINT_URL_S3": s3_url,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m local.offline_aws",
        description="Serve the Personalize emulator and S3 (moto) on loopback.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=4580, help="emulator port; 0 picks one")
    parser.add_argument("--s3-port", type=int, default=4581, help="S3 port; 0 picks one")
    parser.add_argument("--profile", choices=sorted(PROFILES), default="test")
    parser.add_argument("--time-scale", type=float, default=1.0)
    args = parser.parse_args(argv)

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto logs every request otherwise
    s3 = ThreadedMotoServer(ip_address=args.host, port=args.s3_port, verbose=False)
    s3.start()
    host, port = s3.get_host_and_port()
    s3_url = f"http://{host}:{port}"
    # The emulator's import jobs read S3 with boto3 in this process: give it the same setup.
    for key, value in LOCAL_CREDENTIALS.items():
        os.environ.setdefault(key, value)
    emulator = EmulatorServer(
        args.host,
        args.port,
        time_scale=args.time_scale,
        profile=args.profile,
        s3_endpoint_url=s3_url,
    )
    print(
        f"Personalize emulator on {emulator.url} (profile {args.profile}, time scale "
        f"{args.time_scale:g}), S3 on {s3_url}. In another shell:",
        flush=True,
    )
    for key, value in environment(emulator.url, s3_url).items():
        print(f"export {key}={value}", flush=True)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            emulator.serve_forever()
    finally:
        s3.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
