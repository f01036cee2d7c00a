"""The CLI starts a server that answers boto3, and stops on terminate."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import boto3  # type: ignore[import-untyped,unused-ignore]

from local.personalize_emulator import Options, RemoteEmulator
from local.personalize_emulator.__main__ import build

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_cli_serves_until_terminated() -> None:
    port = _free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.personalize_emulator",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--profile",
            "real",
            "--time-scale",
            "0.001",
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        remote = RemoteEmulator(url, timeout=2)
        deadline = time.monotonic() + 15
        while not remote.healthy():
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            assert time.monotonic() < deadline, "emulator did not start"
            time.sleep(0.1)
        pz = boto3.client("personalize", region_name="us-east-1", endpoint_url=url)
        arn = pz.create_dataset_group(name="cli")["datasetGroupArn"]
        # The real profile's steps, scaled: still being created (a loaded machine may already
        # have passed the 10 ms of CREATE PENDING).
        status = pz.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]
        assert status in ("CREATE PENDING", "CREATE IN_PROGRESS")
        assert remote.live_resources() == [arn]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert process.returncode is not None


def test_cli_flags_choose_the_undocumented_behaviours() -> None:
    server, _ = build(["--port", "0", "--recommend-interacted", "--strict-csv-headers"])
    server.start()
    try:
        assert server.backend.options == Options(recommend_interacted=True, strict_csv_headers=True)
    finally:
        server.stop()
    server, _ = build(["--port", "0"])
    server.start()
    try:
        assert server.backend.options == Options()
    finally:
        server.stop()
