"""Every ARN the program writes takes the partition from the AWS provider, never a literal `arn:aws:`.

The program runs under mocks that answer `aws.get_partition` with another partition and mint
every ARN they return (resource outputs, the layer parameter) in it; the stack file's own ARNs are
rewritten the same way. Any `arn:aws:` left in any input was then written by the program itself.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from tests.stack_harness import STACK_FILES, DeterministicMocks, StackRun, run_program, stack_config

OTHER = "aws-cn"


def other_partition(value: Any) -> Any:
    if isinstance(value, str):
        return value.replace("arn:aws:", f"arn:{OTHER}:")
    if isinstance(value, dict):
        return {k: other_partition(v) for k, v in value.items()}
    if isinstance(value, list):
        return [other_partition(v) for v in value]
    return value


class OtherPartitionMocks(DeterministicMocks):
    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, dict]:
        resource_id, state = super().new_resource(args)
        return resource_id, other_partition(state)

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict, list[tuple[str, str]]]:
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": OTHER, "dnsSuffix": "amazonaws.com.cn"}, []
        result, failures = super().call(args)
        return other_partition(result), failures


def strings(value: Any) -> Iterator[str]:
    """Every string in a value, JSON documents (policies) opened up."""
    if isinstance(value, str):
        yield value
        if value.lstrip().startswith(("{", "[")):
            with contextlib.suppress(json.JSONDecodeError):
                yield from strings(json.loads(value))
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from strings(item)


@pytest.fixture(scope="module", params=STACK_FILES)
def run(request: pytest.FixtureRequest) -> StackRun:
    config = stack_config(request.param)
    overrides = {key: other_partition(value) for key, value in config.items()}
    return run_program(request.param, overrides, mocks=OtherPartitionMocks(config["aws:region"]))


def test_no_input_names_the_commercial_partition(run: StackRun) -> None:
    found = [
        (r.name, text)
        for r in run.resources
        for text in strings(r.inputs)
        if "arn:aws:" in text and not text.lstrip().startswith("{")
    ]
    assert found == []


def test_the_derived_partition_reaches_policies_recipes_and_the_layer(run: StackRun) -> None:
    texts = [text for r in run.resources for text in strings(r.inputs)]
    assert any(t.startswith(f"arn:{OTHER}:personalize:::recipe/") for t in texts)
    assert any(t.startswith(f"arn:{OTHER}:personalize:") and t.endswith(":*") for t in texts)
    assert any(t.startswith(f"arn:{OTHER}:lambda:") and ":layer:" in t for t in texts)
