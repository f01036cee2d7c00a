"""Every ARN the program writes takes the stack's partition, never a literal `arn:aws:`.

Each stack runs in a region of another partition (the config derives the partition from the region
through botocore's endpoint data) under mocks that mint every ARN they return (resource outputs,
the layer parameter) in that partition; the stack file's own ARNs are rewritten the same way. Any
`arn:aws:` left in any input was then written by the program itself.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from components.config import personalize_regions
from tests.stack_harness import STACK_FILES, DeterministicMocks, StackRun, run_program, stack_config

OTHER = "aws-cn"
OTHER_REGION = next(r for r, partition in personalize_regions().items() if partition == OTHER)


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
        # The partition is the config's (components/arns.py); a second source could disagree.
        assert args.token != "aws:index/getPartition:getPartition", "partition from the config"
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
    config = stack_config(request.param, {"aws:region": OTHER_REGION})
    overrides = {key: other_partition(value) for key, value in config.items()}
    return run_program(request.param, overrides, mocks=OtherPartitionMocks(OTHER_REGION))


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


def test_a_region_only_the_provider_knows_cannot_give_arns_of_another_partition(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # No aws:region and no environment region: the provider found OTHER_REGION in a profile.
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    # Pulumi re-raises the ConfigError of the region's apply as a ValueError quoting its message.
    with pytest.raises(ValueError, match=f'set aws:region to "{OTHER_REGION}"'):
        run_program("dev", {"aws:region": None}, mocks=OtherPartitionMocks(OTHER_REGION))
