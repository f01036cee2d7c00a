"""Preflight checks that need more than one key of the stack file: run at preview, before any
resource is registered, and reported like every config problem (ConfigError, by key path).

- Filter expressions are parsed and checked against the configured datasets' schemas
  (components.filter_expression), reported as `filters.<name>: ...`.
- Config keys in a namespace that looks like this project's but is not (a typo such as
  `personalize-realtme:filters`) are reported by the config load itself
  (components.config.namespace_problems), beside the key problems such a typo causes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from components import filter_expression
from components.config import ConfigError, StackConfig, training_filters
from components.data_check import check_dataset_file, load_schema


def filter_problems(
    config: StackConfig,
    schemas: Mapping[str, Sequence[filter_expression.SchemaField]] | None = None,
) -> list[str]:
    """Each configured filter's problems as `filters.<name>: ...` lines.

    `schemas` (dataset type -> fields) defaults to the configured schema files.
    """
    if schemas is None:
        schemas = {
            d.dataset_type: filter_expression.schema_fields(
                load_schema(d.schema_file, d.dataset_type)
            )
            for d in config.datasets
        }
    related = config.model_for("similar-items") is not None
    problems: list[str] = []
    parsed: dict[str, filter_expression.Filter] = {}
    for name, expression in config.filters.items():
        try:
            parsed[name] = filter_expression.parse(expression)
        except filter_expression.FilterSyntaxError as error:
            problems.append(f"filters.{name}: {error} in {expression!r}")
            continue
        problems += [
            f"filters.{name}: {problem}"
            for problem in filter_expression.check(
                parsed[name], schemas, related_items_model=related
            )
        ]
    problems += [f"filters: {p}" for p in filter_expression.check_dataset_group(parsed)]
    return problems


def check(config: StackConfig) -> None:
    """Raise ConfigError listing every preflight problem."""
    problems = filter_problems(config)
    if problems:
        raise ConfigError(problems)


def check_stack(config: StackConfig) -> None:
    """Everything that can be wrong with the stack's data files and cross-key config, checked at
    preview before a single resource is registered: each dataset file against its schema (the
    first problem found raises), then every preflight problem at once."""
    for dataset in config.datasets:
        check_dataset_file(
            dataset.file,
            load_schema(dataset.schema_file),
            dataset.dataset_type,
            training_filters(config),
        )
    check(config)
