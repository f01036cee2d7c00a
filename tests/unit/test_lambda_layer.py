"""The Powertools layer: resolved at deploy time from the SSM parameter Powertools publishes for the
exact version the handlers are tested with, in the stack's own region."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path
from typing import Any

import pulumi
import pytest

from components.lambda_function import (
    ARCHITECTURE,
    POWERTOOLS_PACKAGE,
    RUNTIME,
    pinned_version,
    powertools_layer_parameter,
)
from tests.stack_harness import STACK_FILES, DeterministicMocks, StackRun, run_program, stack_config

FUNCTION = "aws:lambda/function:Function"
GET_PARAMETER = "aws:ssm/getParameter:getParameter"


class RecordingMocks(DeterministicMocks):
    """Deterministic mocks that remember every invoke's arguments."""

    def __init__(self, region: str) -> None:
        super().__init__(region)
        self.invokes: list[tuple[str, dict[str, Any]]] = []

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]]]:
        self.invokes.append((args.token, dict(args.args)))
        return super().call(args)


@pytest.fixture(scope="module", params=STACK_FILES)
def recorded(request: pytest.FixtureRequest) -> tuple[StackRun, RecordingMocks]:
    region = stack_config(request.param)["aws:region"]
    mocks = RecordingMocks(region)
    return run_program(request.param, mocks=mocks), mocks


def test_the_pin_is_the_version_the_suite_runs() -> None:
    # The layer follows constraints.txt; the handlers' tests import the installed package.
    assert pinned_version(POWERTOOLS_PACKAGE) == version(POWERTOOLS_PACKAGE)


def test_parameter_names_architecture_runtime_and_pinned_version() -> None:
    expected = f"/aws/service/powertools/python/{ARCHITECTURE}/{RUNTIME}/"
    assert powertools_layer_parameter() == expected + version(POWERTOOLS_PACKAGE)
    assert RUNTIME.startswith("python3.")
    assert ARCHITECTURE in ("x86_64", "arm64")


def test_every_function_gets_the_layer_the_parameter_names_in_its_region(
    recorded: tuple[StackRun, RecordingMocks],
) -> None:
    run, mocks = recorded
    region = stack_config(run.stack)["aws:region"]
    asked = [a for token, a in mocks.invokes if token == GET_PARAMETER]
    assert asked, "the layer must be read from SSM at deploy time"
    assert {a["name"] for a in asked} == {powertools_layer_parameter()}
    assert {a["region"] for a in asked} == {region}
    answer, _ = DeterministicMocks(region).call(
        pulumi.runtime.MockCallArgs(GET_PARAMETER, {"name": powertools_layer_parameter()}, "")
    )
    functions = run.of_type(FUNCTION)
    assert len(functions) >= 3
    for function in functions:
        assert function.inputs["layers"] == [answer["insecureValue"]], function.name


@pytest.mark.parametrize(
    "line",
    [
        "aws_lambda_powertools==9.8.7",
        "aws-lambda-powertools==9.8.7",
        "AWS.Lambda_Powertools == 9.8.7  # pinned",
    ],
)
def test_pinned_version_reads_any_spelling_of_the_name(tmp_path: Path, line: str) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(f"# header\nboto3==1.0\n{line}\n")
    assert pinned_version(POWERTOOLS_PACKAGE, constraints) == "9.8.7"
    assert powertools_layer_parameter(constraints).endswith("/9.8.7")


def test_a_missing_pin_is_an_error_naming_the_file(tmp_path: Path) -> None:
    constraints = tmp_path / "constraints.txt"
    constraints.write_text("aws-lambda-powertools>=3\n")
    with pytest.raises(
        ValueError, match=r"constraints\.txt: no 'aws-lambda-powertools==<version>'"
    ):
        pinned_version(POWERTOOLS_PACKAGE, constraints)
