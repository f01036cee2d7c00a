"""Validation helpers used by Check, and the comparisons used by Diff and adoption."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from pulumi.dynamic import CheckFailure
from pulumi.output import Unknown

from .declaration import Field

# The wire value of a property the engine does not know yet (preview).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
NAME_MAX = 63
# re.ASCII here and below: Python's \d also takes other scripts' digits, which AWS refuses.
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$", re.ASCII)


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (during preview).

    The host hands such values to check/diff as ``pulumi.output.Unknown`` objects.
    """
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN):
        return True
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False


def name_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return "is required and must be a non-empty string"
    if len(value) > NAME_MAX:
        return f"must be at most {NAME_MAX} characters, got {len(value)} ({value!r})"
    if not NAME_PATTERN.match(value):
        return (
            f"must match {NAME_PATTERN.pattern} (letters, digits, '-' and '_', starting with a "
            f"letter or digit), got {value!r}"
        )
    return None


def arn_problem(value: Any, service: str, resource: str) -> str | None:
    """None if value looks like an ARN of that service and resource type."""
    if not isinstance(value, str) or not value:
        return "is required and must be an ARN string"
    pattern = rf"^arn:aws[a-z\-]*:{service}:[a-z0-9\-]*:\d*:{resource}/.+$"
    if not re.match(pattern, value, re.ASCII):
        example = f"arn:aws:{service}:...:{resource}/..."
        return f"must be a {service} {resource} ARN ({example}), got {value!r}"
    return None


def canonical_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def snake_to_camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def normalize_config(
    value: Mapping[str, Any], allowed: tuple[str, ...], prop: str
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Top-level keys of an API config struct: camelCase as in the API, snake_case accepted."""
    out: dict[str, Any] = {}
    failures: list[CheckFailure] = []
    for key, item in value.items():
        camel = snake_to_camel(key)
        if camel not in allowed:
            failures.append(
                CheckFailure(prop, f"unknown key {key!r} in {prop}; allowed: {', '.join(allowed)}")
            )
            continue
        out[camel] = item
    return out, failures


def subset_differences(wanted: Any, actual: Any, path: str) -> list[str]:
    """What in ``wanted`` differs from ``actual`` (keys only in ``actual`` are service defaults)."""
    if isinstance(wanted, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{path}: wanted {wanted!r}, found {actual!r}"]
        diffs: list[str] = []
        for key, item in wanted.items():
            diffs.extend(subset_differences(item, actual.get(key), f"{path}.{key}"))
        return diffs
    if wanted is None:
        return []
    if isinstance(wanted, bool) or isinstance(actual, bool):
        same = bool(wanted) == bool(actual) if actual is not None else False
    elif isinstance(wanted, int | float) and isinstance(actual, int | float | str):
        try:
            same = float(wanted) == float(actual)
        except ValueError:
            same = False
    else:
        same = str(wanted) == str(actual)
    return [] if same else [f"{path}: wanted {wanted!r}, found {actual!r}"]


def field_problem(spec: Field, value: Any) -> str | None:
    """What is wrong with a known, set value by its declaration (None if nothing)."""
    if spec.value_type is bool and not isinstance(value, bool):
        return f"must be true or false, got {value!r}"
    if spec.choices and value not in spec.choices:
        return f"must be one of {', '.join(spec.choices)}, got {value!r}"
    if spec.max_length is not None and isinstance(value, str) and len(value) > spec.max_length:
        return f"must be at most {spec.max_length} characters, got {len(value)}"
    if spec.arn_of is not None:
        service, _, resource = spec.arn_of.rpartition(":")
        return arn_problem(value, service or "personalize", resource)
    return None
