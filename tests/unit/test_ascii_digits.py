"""Preview-time checks take ASCII digits only, as AWS does.

Python's `\\d` (and `\\s`) also match other scripts' digits (and spaces); a value such as an
Arabic-Indic five or a full-width digit in a region would pass preview and be refused by the
service at deploy time. The HTTP API holds the same rule for request values
(tests/handlers/test_edge_cases.py).
"""

from __future__ import annotations

import pytest

from components.filter_expression import FilterSyntaxError, parse
from providers.checks import REGION_PATTERN, arn_problem
from providers.credentials import CredentialsConfigError, duration_seconds
from tests.unit.test_config import load, problems

ARABIC_FIVE = "\u0665"
FULLWIDTH_FIVE = "\uff15"


def test_config_integers_take_ascii_digits_only() -> None:
    assert load(logRetentionDays="7").log_retention_days == 7
    found = problems(logRetentionDays=ARABIC_FIVE)
    assert len(found) == 1
    assert found[0].startswith("logRetentionDays")


def test_filter_numbers_take_ascii_digits_only() -> None:
    parse("INCLUDE ItemID WHERE Items.PRICE < 5")
    with pytest.raises(FilterSyntaxError):
        parse(f"INCLUDE ItemID WHERE Items.PRICE < {FULLWIDTH_FIVE}")


def test_regions_and_arns_take_ascii_digits_only() -> None:
    assert REGION_PATTERN.match("us-east-1")
    assert not REGION_PATTERN.match("us-east-" + ARABIC_FIVE)
    arn = "arn:aws:personalize:us-east-1:{}:dataset-group/g"
    assert arn_problem(arn.format("123456789012"), "personalize", "dataset-group") is None
    assert arn_problem(arn.format(ARABIC_FIVE * 12), "personalize", "dataset-group") is not None


def test_role_durations_take_ascii_digits_only() -> None:
    assert duration_seconds("1h", "aws:assumeRoles[0].duration") == 3600
    with pytest.raises(CredentialsConfigError):
        duration_seconds(ARABIC_FIVE + "h", "aws:assumeRoles[0].duration")
