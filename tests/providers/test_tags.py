"""Tag keys and values against the rules in botocore's Personalize model.

The pattern is read from the model and compiled with the `regex` engine, which understands the
model's Java-style Unicode classes (\\p{L}, \\p{Z}, \\p{N}) as they are, so the property tests
hold our own character check to the service's rule rather than to a copy of it.
"""

from __future__ import annotations

from typing import Any

import botocore.session  # type: ignore[import-untyped,unused-ignore]
import regex  # type: ignore[import-untyped,unused-ignore]
from hypothesis import given
from hypothesis import strategies as st

from local.provider_host import ProviderHost
from providers.dataset_group import DatasetGroupProvider
from providers.tags import (
    HASH_PREFIX,
    RESERVED_PREFIX,
    TAG_KEY_MAX,
    TAG_PATTERN,
    TAG_VALUE_MAX,
    tag_key_problem,
    tag_value,
    tag_value_problem,
)
from tests.conftest import REGION

MODEL = botocore.session.get_session().get_service_model("personalize")
KEY_SHAPE = MODEL.shape_for("TagKey").metadata
VALUE_SHAPE = MODEL.shape_for("TagValue").metadata
VALUE_RULE = regex.compile(VALUE_SHAPE["pattern"])
KEY_RULE = regex.compile(KEY_SHAPE["pattern"])

# Text of every kind: commas (a joined list of ARNs), quotes, control characters, emoji, letters
# of every script, and long strings.
ANY_TEXT = st.text(max_size=400)
ARN = st.from_regex(
    r"arn:aws:personalize:us-east-1:\d{12}:dataset-import-job/[a-z0-9-]{1,40}", fullmatch=True
)


def accepted_value(value: str) -> bool:
    """What the service would accept as a tag value, per the model and the tagging guide."""
    return (
        VALUE_RULE.fullmatch(value) is not None
        and VALUE_SHAPE.get("min", 0) <= len(value) <= VALUE_SHAPE["max"]
        and not value.lower().startswith(RESERVED_PREFIX)
    )


def test_the_limits_are_the_models() -> None:
    assert VALUE_SHAPE["pattern"] == TAG_PATTERN
    assert KEY_SHAPE["pattern"] == TAG_PATTERN
    assert VALUE_SHAPE["max"] == TAG_VALUE_MAX
    assert KEY_SHAPE["max"] == TAG_KEY_MAX
    assert KEY_SHAPE["min"] == 1


@given(ANY_TEXT)
def test_tag_value_of_any_text_is_accepted(text: str) -> None:
    assert accepted_value(tag_value(text))


@given(ANY_TEXT)
def test_tag_value_is_deterministic_and_keeps_valid_values(text: str) -> None:
    value = tag_value(text)
    assert tag_value(text) == value
    if tag_value_problem(text) is None:
        assert value == text
    else:
        assert value.startswith(HASH_PREFIX)
    # Every ASCII value the service takes is kept as it is (readable in the console).
    if text.isascii() and accepted_value(text):
        assert value == text


@given(st.lists(ARN, min_size=1, max_size=8))
def test_a_joined_list_of_import_jobs_becomes_a_valid_value(arns: list[str]) -> None:
    joined = ",".join(sorted(arns))
    value = tag_value(joined)
    assert accepted_value(value)
    # One ARN alone is kept readable.
    if len(arns) == 1:
        assert value == joined


@given(ANY_TEXT)
def test_what_we_accept_the_service_accepts(text: str) -> None:
    # Never the other way round: a value we let through must pass the service's rule. (We may
    # refuse a few characters of Unicode versions newer than Python's tables; never accept.)
    if tag_value_problem(text) is None:
        assert accepted_value(text)
    if tag_key_problem(text) is None:
        assert KEY_RULE.fullmatch(text) is not None
        assert 1 <= len(text) <= TAG_KEY_MAX


def test_problems_name_the_rule() -> None:
    assert "contains ','" in (tag_value_problem("a,b") or "")
    assert "reserves" in (tag_value_problem("AWS:x") or "")
    assert "at most 256" in (tag_value_problem("x" * 257) or "")
    assert tag_key_problem("") is not None
    assert tag_key_problem("team") is None
    assert tag_value_problem("") is None


def test_check_refuses_a_tag_the_service_would_refuse(host: ProviderHost) -> None:
    result: dict[str, Any] = host.check(
        DatasetGroupProvider(),
        {"name": "tagged", "region": REGION, "tags": {"owners": "ana,bo", "aws:x": "y"}},
    )
    reasons = [f["reason"] for f in result["failures"]]
    assert [f["property"] for f in result["failures"]] == ["tags", "tags"]
    assert any("tag 'owners'" in r and "contains ','" in r for r in reasons), reasons
    assert any("tag key 'aws:x'" in r for r in reasons), reasons
