"""End to end: `make rehearse` deploys the dev stack locally, uses it, and destroys it."""

import json
import subprocess
import sys
from pathlib import Path

from local.program import ROOT

KINDS = (
    "DatasetGroup",
    "Schema",
    "Dataset",
    "DatasetImportJob",
    "Solution",
    "SolutionVersion",
    "Campaign",
    "EventTracker",
    "Filter",
)


def test_rehearsal_deploys_serves_learns_and_destroys(tmp_path: Path) -> None:
    report_file = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "local.rehearsal", "--stack", "dev", "--json", str(report_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    report = json.loads(report_file.read_text())

    created = {step["typ"].rsplit(":", 1)[1] for step in report["steps"] if step["real"]}
    assert set(KINDS) <= created, f"missing: {set(KINDS) - created}"
    assert {"Bucket", "BucketObjectv2", "Stream", "Queue"} <= created

    path = report["critical_path"]
    kinds_on_path = [entry.split()[0] for entry in path]
    assert kinds_on_path[:5] == [
        "DatasetGroup",
        "Dataset",
        "DatasetImportJob",
        "SolutionVersion",
        "Campaign",
    ], path
    assert report["pipeline_ready_seconds"] < report["deploy_seconds"]

    before = [r["itemId"] for r in report["before"]]
    after = [r["itemId"] for r in report["after"]]
    assert len(before) == len(after) == 10
    assert before != after, "the user's events must change their recommendations"
    assert not set(report["watched"]) & set(after), "watched titles are not recommended again"
    assert report["forwarded"] == {"records": 5, "failures": []}

    personalize = [s for s in report["steps"] if s["typ"].startswith("pulumi-python:dynamic/")]
    assert report["destroyed"] == len(personalize)
    assert report["left_behind"] == []
    assert report["error"] is None

    assert "Critical path: DatasetGroup datasets-group -> Dataset" in done.stdout
    assert "left in the emulator: nothing" in done.stdout
