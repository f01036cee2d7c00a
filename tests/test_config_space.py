"""The config space, not two samples: generated valid stack files, each rehearsed end to end.

Hypothesis draws stacks across what the config allows (1-3 datasets of either data set shipped
here, each recipe family, filters on the data's own fields, campaign options, auth modes, the
archive on or off); each is deployed against the emulator, exercised on every route it
configures, destroyed, and must leave nothing behind. `make test` draws a few (derandomized);
`make soak` draws many (REHEARSAL_EXAMPLES).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from local.program import ROOT

NS = "personalize-realtime"
EXAMPLES = int(os.environ.get("REHEARSAL_EXAMPLES", "3"))
SOAK = "REHEARSAL_EXAMPLES" in os.environ

# The two data sets in the repository, with the filters their fields allow.
DATA: dict[str, dict[str, Any]] = {
    "movies": {
        "interactions": {"file": "data/interactions.csv"},
        "items": {"file": "data/items.csv"},
        "users": {"file": "data/users.csv"},
        "filters": {
            "items": [
                "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)",
                "EXCLUDE ItemID WHERE Items.YEAR < $YEAR",
                'INCLUDE ItemID WHERE ITEMS.genres NOT IN ("Horror")',
            ],
            "interactions": [
                'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("watch")',
                'EXCLUDE ItemID WHERE interactions.event_type IN ("*")',
            ],
        },
    },
    "shop": {
        "interactions": {
            "file": "examples/shop/interactions.csv",
            "schema": "examples/shop/schemas/interactions.avsc",
        },
        "items": {
            "file": "examples/shop/items.csv",
            "schema": "examples/shop/schemas/items.avsc",
        },
        "filters": {
            "items": [
                "INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY)",
                "INCLUDE ItemID WHERE Items.PRICE <= $MAX_PRICE",
            ],
            "interactions": ['EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'],
        },
    },
}
RECOMMENDATIONS = [
    "aws-user-personalization-v2",
    "aws-user-personalization",
    "aws-popularity-count",
    "aws-trending-now",
]
RANKINGS = ["aws-personalized-ranking-v2", "aws-personalized-ranking"]
SIMILAR = ["aws-similar-items", "aws-sims"]


@st.composite
def stacks(draw: st.DrawFn) -> dict[str, Any]:
    """A valid stack file's config."""
    data = DATA[draw(st.sampled_from(sorted(DATA)))]
    optional = [kind for kind in ("items", "users") if kind in data]
    chosen = draw(st.lists(st.sampled_from(optional), unique=True, max_size=len(optional)))
    datasets = {kind: data[kind] for kind in ["interactions", *chosen]}

    recipe = draw(st.sampled_from(RECOMMENDATIONS))
    campaign: dict[str, Any] = {"minProvisionedTps": draw(st.integers(1, 5))}
    if recipe.startswith("aws-user-personalization") and draw(st.booleans()):
        campaign["explorationWeight"] = draw(st.sampled_from([0.0, 0.3, 1.0]))
        campaign["explorationItemAgeCutOff"] = draw(st.integers(1, 60))
    if "items" in datasets and draw(st.booleans()):
        campaign["enableMetadata"] = True
    models: list[dict[str, Any]] = [{"name": "recs", "recipe": recipe, "campaign": campaign}]
    if draw(st.booleans()):
        models.append({"name": "rank", "recipe": draw(st.sampled_from(RANKINGS))})
    similar = SIMILAR if "items" in datasets else ["aws-sims"]
    if draw(st.booleans()):
        models.append({"name": "related", "recipe": draw(st.sampled_from(similar))})

    pool = list(data["filters"]["interactions"])
    if "items" in datasets:
        pool += data["filters"]["items"]
    expressions = draw(st.lists(st.sampled_from(pool), unique=True, max_size=3))
    auth = draw(st.sampled_from(["apiKey", "iam", "none"]))
    config: dict[str, Any] = {
        "aws:region": draw(st.sampled_from(["us-east-1", "eu-west-1"])),
        f"{NS}:datasets": datasets,
        f"{NS}:models": models,
        f"{NS}:filters": {f"f{i}": e for i, e in enumerate(expressions)},
        f"{NS}:api": {"auth": auth, "smokeTest": auth != "iam" and draw(st.booleans())},
        f"{NS}:archive": {"enabled": draw(st.booleans())},
    }
    return {"config": config}


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=not SOAK,
    # Each example is a whole rehearsal; the drawn stack is small enough to read as it is.
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(stack=stacks())
def test_any_valid_stack_deploys_serves_and_destroys(tmp_path: Path, stack: dict[str, Any]) -> None:
    path = tmp_path / "Pulumi.generated.yaml"
    path.write_text(yaml.safe_dump(stack))
    report_file = tmp_path / "report.json"
    done = subprocess.run(
        [sys.executable, "-m", "local.rehearsal", "--stack", str(path), "--json", str(report_file)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    described = yaml.safe_dump(stack) + done.stdout[-3000:] + done.stderr[-3000:]
    assert done.returncode == 0, described
    report = json.loads(report_file.read_text())
    assert report["error"] is None, described
    assert report["left_behind"] == [], described

    # Every route the stack configures was called, and every filter used somewhere.
    config = stack["config"]
    routes = {call["route"] for call in report["exercise"]["calls"]}
    recipes = {m["recipe"] for m in config[f"{NS}:models"]}
    assert {"GET /recommendations", "POST /events"} <= routes
    assert ("POST /rankings" in routes) == bool(recipes & set(RANKINGS))
    assert ("GET /similar-items" in routes) == bool(recipes & set(SIMILAR))
    for kind in ("items", "users"):
        assert (f"POST /{kind}" in routes) == (kind in config[f"{NS}:datasets"])
    details = " ".join(call["detail"] for call in report["exercise"]["calls"])
    for name in config[f"{NS}:filters"]:
        assert f"filter {name}" in details, described
