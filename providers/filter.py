"""Filter: an expression that narrows recommendations (e.g. exclude items already watched)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure

from .checks import is_unknown
from .declaration import DATASET_GROUP_ARN, NAME, Field, Kind
from .provider import PersonalizeProvider
from .resource import KindResource

EXPRESSION_MAX = 2500

FILTER = Kind(
    label="filter",
    noun="filter",
    fields={
        "name": NAME,
        "dataset_group_arn": DATASET_GROUP_ARN,
        "filter_expression": Field(
            "filterExpression", required=True, max_length=EXPRESSION_MAX, live=True
        ),
    },
    parent="dataset_group_arn",
    list_key="Filters",  # ListFilters answers "Filters", not "filters" (botocore model)
)


class FilterProvider(PersonalizeProvider):
    declaration = FILTER

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        expression = inputs.get("filter_expression")
        if (
            isinstance(expression, str)
            and not is_unknown(expression)
            and len(expression) <= EXPRESSION_MAX
            and expression.split(" ", 1)[0].upper() not in ("INCLUDE", "EXCLUDE")
        ):
            return [
                CheckFailure(
                    "filter_expression",
                    f"filter_expression must start with INCLUDE or EXCLUDE, got {expression!r}",
                )
            ]
        return []


class Filter(KindResource, module="personalize", name="Filter"):
    """A recommendation filter. Any change but tags replaces it."""

    provider_class = FilterProvider
    name: pulumi.Output[str]
    dataset_group_arn: pulumi.Output[str]
    filter_expression: pulumi.Output[str]
    tags: pulumi.Output[Mapping[str, str] | None]
