"""Filter: an expression that narrows recommendations (e.g. exclude items already watched)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure

from .base import PersonalizeProvider, api_tags, arn_problem, find_by_name, is_unknown

EXPRESSION_MAX = 2500


class FilterProvider(PersonalizeProvider):
    kind = "filter"
    inputs: ClassVar[tuple[str, ...]] = ("name", "dataset_group_arn", "filter_expression")
    required: ClassVar[tuple[str, ...]] = inputs

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        group = inputs.get("dataset_group_arn")
        if group is not None and not is_unknown(group):
            problem = arn_problem(group, "personalize", "dataset-group")
            if problem:
                failures.append(CheckFailure("dataset_group_arn", f"dataset_group_arn {problem}"))
        expression = inputs.get("filter_expression")
        if isinstance(expression, str) and not is_unknown(expression):
            if len(expression) > EXPRESSION_MAX:
                failures.append(
                    CheckFailure(
                        "filter_expression",
                        f"filter_expression must be at most {EXPRESSION_MAX} characters, "
                        f"got {len(expression)}",
                    )
                )
            elif expression.split(" ", 1)[0].upper() not in ("INCLUDE", "EXCLUDE"):
                failures.append(
                    CheckFailure(
                        "filter_expression",
                        f"filter_expression must start with INCLUDE or EXCLUDE, got {expression!r}",
                    )
                )
        return failures

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        kwargs: dict[str, Any] = {
            "name": props["name"],
            "datasetGroupArn": props["dataset_group_arn"],
            "filterExpression": props["filter_expression"],
        }
        if props.get("tags"):
            kwargs["tags"] = api_tags(props["tags"])
        return str(client.create_filter(**kwargs)["filterArn"])

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        return dict(client.describe_filter(filterArn=arn)["filter"])

    def _delete(self, client: Any, arn: str) -> None:
        client.delete_filter(filterArn=arn)

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        return find_by_name(
            client,
            "list_filters",
            "Filters",
            "filterArn",
            props["name"],
            datasetGroupArn=props["dataset_group_arn"],
        )

    def _mismatches(self, props: dict[str, Any], described: dict[str, Any]) -> list[str]:
        diffs = []
        if described.get("datasetGroupArn") not in (None, props["dataset_group_arn"]):
            diffs.append(
                f"dataset_group_arn: wanted {props['dataset_group_arn']!r}, "
                f"found {described.get('datasetGroupArn')!r}"
            )
        if described.get("filterExpression") != props["filter_expression"]:
            diffs.append(
                f"filter_expression: wanted {props['filter_expression']!r}, "
                f"found {described.get('filterExpression')!r}"
            )
        return diffs

    def _live_inputs(self, described: dict[str, Any]) -> dict[str, Any]:
        expression = described.get("filterExpression")
        return {"filter_expression": expression} if expression else {}


class Filter(pulumi.dynamic.Resource, module="personalize", name="Filter"):
    """A recommendation filter. Any change but tags replaces it."""

    name: pulumi.Output[str]
    dataset_group_arn: pulumi.Output[str]
    filter_expression: pulumi.Output[str]
    region: pulumi.Output[str]
    tags: pulumi.Output[Mapping[str, str] | None]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        dataset_group_arn: pulumi.Input[str],
        filter_expression: pulumi.Input[str],
        region: pulumi.Input[str],
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "name": name,
            "dataset_group_arn": dataset_group_arn,
            "filter_expression": filter_expression,
            "region": region,
            "tags": tags,
            "arn": None,
            "status": None,
        }
        super().__init__(FilterProvider(), resource_name, props, opts)
