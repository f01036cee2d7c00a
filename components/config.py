"""The stack's configuration: one typed, validated, read-only view, built once per program run.

Every key lives in the project's namespace (`personalize-realtime:<key>` in a stack file).
Reading is all-or-nothing: every problem in the stack file is collected and reported together,
each with its key, the value found and what is allowed, before a single resource is registered.
Unknown keys are errors too, so a typo never silently falls back to a default, and a key set to
null is a key left out.

The stack file is declared once, as the frozen dataclasses below (the same objects the components
read), and validated by pydantic; `config_keys()` lists the declared keys, which the README's
configuration reference is tested against.
"""

from __future__ import annotations

import dataclasses
import difflib
import functools
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, ClassVar, Literal, Union, get_args, get_origin, get_type_hints

from pydantic import (
    AfterValidator,
    BeforeValidator,
    ConfigDict,
    Field,
    ModelWrapValidatorHandler,
    TypeAdapter,
    ValidationError,
    ValidationInfo,
    ValidatorFunctionWrapHandler,
    WrapValidator,
    field_validator,
    model_validator,
)
from pydantic_core import ErrorDetails, InitErrorDetails, PydanticCustomError

from components.data_check import DataCheckError, TrainingFilter, load_schema
from providers.dataset import DATASET_TYPES, DatasetType
from providers.solution import SCHEDULE
from providers.tags import tag_key_problem, tag_value_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Personalize's own name rule; our prefix must leave room for the longest suffix we append.
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
NAME_PREFIX_MAX = 32
MODEL_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9\-]{0,19}$")
FILTER_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,19}$")


Route = Literal["recommendations", "rankings", "similar-items"]
ROUTES: tuple[Route, ...] = get_args(Route)

# Recipe name -> the API route its campaign serves.
RECIPES: dict[str, Route] = {
    "aws-user-personalization": "recommendations",
    "aws-user-personalization-v2": "recommendations",
    "aws-popularity-count": "recommendations",
    "aws-trending-now": "recommendations",
    "aws-personalized-ranking": "rankings",
    "aws-personalized-ranking-v2": "rankings",
    "aws-similar-items": "similar-items",
    "aws-sims": "similar-items",
}
# campaignConfig.itemExplorationConfig: "Provide itemExplorationConfig data only if your solution
# uses the User-Personalization recipe" (CampaignConfig API reference); User-Personalization-v2
# "handles exploration configuration for you" (recipe features page).
EXPLORATION_RECIPES = frozenset({"aws-user-personalization"})
# Custom recipes that accept GetRecommendations(promotions=...) (promoting-items page). Promotions
# are how v2 surfaces new items: a promotion over a CREATION_TIMESTAMP filter.
PROMOTION_RECIPES = frozenset(
    {
        "aws-user-personalization",
        "aws-user-personalization-v2",
        "aws-similar-items",
        "aws-sims",
        "aws-trending-now",
        "aws-popularity-count",
    }
)
# performHPO only helps recipes with hyperparameters HPO can tune: Popularity-Count "has no exposed
# hyperparameters" (its recipe page), Trending-Now exposes only its trend discovery frequency, and
# for the v2 recipes "Amazon Personalize automatically performs HPO every 90 days" with automatic
# training (customizing-solution-config-hpo page).
HPO_RECIPES = frozenset(
    {"aws-user-personalization", "aws-personalized-ranking", "aws-similar-items", "aws-sims"}
)
SELF_TUNING_RECIPES = frozenset({"aws-user-personalization-v2", "aws-personalized-ranking-v2"})
# solutionConfig.eventsConfig: "If you use the User-Personalization-v2 recipe or
# Personalized-Ranking-v2 recipe, you can optimize ... with an events configuration"
# (optimizing-solution-events-config page).
EVENTS_CONFIG_RECIPES = frozenset({"aws-user-personalization-v2", "aws-personalized-ranking-v2"})
# The reserved Items field a new-items promotion filters on (custom-datasets-and-schemas page).
CREATION_TIMESTAMP = "CREATION_TIMESTAMP"

# Names GetSolutionMetrics returns, usable in a quality gate.
SOLUTION_METRICS = (
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
)

AUTO_TRAINING_SCHEDULE = SCHEDULE  # providers.solution checks the same pattern
API_AUTH_MODES = ("apiKey", "iam", "none")
STREAM_MODES = ("ON_DEMAND", "PROVISIONED")
ARCHIVE_COMPRESSION = ("GZIP", "UNCOMPRESSED", "Snappy", "ZIP", "HADOOP_SNAPPY")
# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SNS_ARN_PATTERN = re.compile(
    r"^arn:aws[a-z\-]*:sns:[a-z0-9\-]+:\d{12}:[A-Za-z0-9_\-]{1,256}$", re.ASCII
)


# S3 refuses bucket names that start with these (bucket naming rules, general purpose buckets);
# the dataset bucket's name starts with the prefix.
RESERVED_BUCKET_PREFIXES = ("xn--", "sthree-", "amzn-s3-demo-")
_PREFIX_PATTERN = re.compile(rf"^[a-zA-Z0-9][a-zA-Z0-9\-]{{0,{NAME_PREFIX_MAX - 1}}}$")


def sanitize_name_prefix(raw: str) -> str:
    """`<project>-<stack>` made a valid prefix: lower case (S3 bucket names are), every run of
    other characters (".", "_", spaces...) one dash, no dash at either end, NAME_PREFIX_MAX long.
    Empty when nothing usable is left."""
    cleaned = re.sub(r"[^a-z0-9]+", "-", raw.lower()).strip("-")
    return cleaned[:NAME_PREFIX_MAX].rstrip("-")


def name_prefix_problem(explicit: str | None, project: str, stack: str) -> str | None:
    """Every physical name starts with the prefix, so it must satisfy the strictest of them:
    Personalize `^[a-zA-Z0-9][a-zA-Z0-9\\-_]*` (63 characters with our longest suffix), S3
    bucket names (lower case, letters, digits and dashes, none of the reserved prefixes), IAM
    role name prefixes, Kinesis, SQS and Lambda names (all accept letters, digits and dashes).
    `explicit` has passed the namePrefix pattern already; None when the key is not set."""
    prefix = explicit or sanitize_name_prefix(f"{project}-{stack}")
    if explicit is None and not _PREFIX_PATTERN.match(prefix):
        return (
            f"namePrefix is not set and the default derived from project and stack "
            f"({json.dumps(f'{project}-{stack}')}) has no letters or digits to build names "
            f"from; set namePrefix (1-{NAME_PREFIX_MAX} letters, digits or dashes)"
        )
    reserved = next((r for r in RESERVED_BUCKET_PREFIXES if prefix.lower().startswith(r)), None)
    if reserved is not None:
        where = "namePrefix" if explicit else "namePrefix (default from project and stack)"
        return (
            f"{where} must not start with {json.dumps(reserved)}: S3 refuses bucket names that "
            f"do, got {json.dumps(prefix)}; set namePrefix"
        )
    return None


class ConfigError(ValueError):
    """The stack configuration has one or more problems; the message lists every one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        count = f"{len(problems)} problem{'' if len(problems) == 1 else 's'}"
        super().__init__(f"invalid stack configuration ({count}):\n{lines}")


# --- the declaration's vocabulary -----------------------------------------------------------
#
# The stack file is declared by the frozen dataclasses below and validated by pydantic (a
# TypeAdapter over `_StackFile`). Each scalar type carries its own check and the sentence that says
# what is allowed, so every problem reads "<key path> <what is allowed>, got <value>". YAML and
# Pulumi hand values over loosely typed ("250", "true"), so the checks accept those spellings and
# nothing looser: pydantic's own lax mode would take 1 or "yes" as true.


def _camel(name: str) -> str:
    """The stack file's spelling of a field: min_provisioned_tps -> minProvisionedTps."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


# Every section: camelCase keys (one spelling rule, no alias per field), unknown keys refused.
_SECTION_CONFIG = ConfigDict(alias_generator=_camel, extra="forbid")


def _problem(allowed: str) -> PydanticCustomError:
    return PydanticCustomError("config", "{allowed}", {"allowed": allowed})


def _rules(*problems: str) -> PydanticCustomError:
    """Cross-field problems of one section. Each names its keys as "{here}.<key>", where {here}
    becomes the section's key path when the problems are reported."""
    return PydanticCustomError("rules", "; ".join(problems), {"problems": list(problems)})


def _integer_value(value: Any) -> int | None:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value.strip(), re.ASCII):
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        return None
    return value


def integer(low: int, high: int | None = None) -> BeforeValidator:
    allowed = (
        f"must be an integer >= {low}"
        if high is None
        else f"must be an integer from {low} to {high}"
    )

    def check(value: Any) -> Any:
        if value is None:
            return value
        converted = _integer_value(value)
        if converted is None or converted < low or (high is not None and converted > high):
            raise _problem(allowed)
        return converted

    return BeforeValidator(check)


def number(low: float, high: float | None = None) -> BeforeValidator:
    allowed = (
        f"must be a number >= {low:g}"
        if high is None
        else f"must be a number from {low:g} to {high:g}"
    )

    def check(value: Any) -> Any:
        if value is None:
            return value
        if isinstance(value, str):
            try:
                value = float(value)
            except ValueError:
                raise _problem(allowed) from None
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _problem(allowed)
        if value < low or (high is not None and value > high):
            raise _problem(allowed)
        return float(value)

    return BeforeValidator(check)


def _boolean(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise _problem("must be true or false")


Boolean = Annotated[bool, BeforeValidator(_boolean)]


def text(
    pattern: re.Pattern[str] | None = None,
    allowed: str = "must be a string",
    *,
    blank_is_unset: bool = False,
) -> BeforeValidator:
    """A string, matching `pattern` when given. `blank_is_unset`: an empty string means "not
    set", like its absence (free optional strings such as training.eventType)."""

    def check(value: Any) -> Any:
        if value is None or (blank_is_unset and value == ""):
            return None
        if not isinstance(value, str) or (pattern is not None and not pattern.match(value)):
            raise _problem(allowed)
        return value

    return BeforeValidator(check)


def one_of(choices: tuple[str, ...]) -> BeforeValidator:
    pattern = re.compile("^(" + "|".join(re.escape(c) for c in choices) + ")$")
    return text(pattern, f"must be one of {', '.join(choices)}")


_NOT_BLANK = re.compile(r".*\S")


def _log_retention(value: Any) -> Any:
    if _integer_value(value) not in LOG_RETENTION_DAYS:
        raise _problem(f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}")
    return _integer_value(value)


def _known_key(known: tuple[str, ...]) -> AfterValidator:
    """A mapping key from a fixed set (the quality gate's metrics)."""

    def check(value: str) -> str:
        if value not in known:
            raise PydanticCustomError("unknown_key", "not a known key", {"known": ", ".join(known)})
        return value

    return AfterValidator(check)


def _mapping_without_nulls(value: Any) -> Any:
    """A mapping read from the stack file: `key: null` means the key is not set."""
    if isinstance(value, Mapping):
        return {k: v for k, v in value.items() if v is not None}
    raise _problem("must be an object (a YAML mapping)")


class _Section:
    """Base of every section of the stack file: its pydantic config, `key: null` read as "not
    set" (the default applies) the same for every key, and its cross-field rules."""

    __pydantic_config__ = _SECTION_CONFIG
    # Whether the rules may be checked on the section with its bad keys left at their defaults
    # (false where the rules record what they read for later sections).
    _RULES_ON_THE_REST: ClassVar[bool] = True

    def _problems(self, raw: Mapping[str, Any], context: dict[str, Any]) -> list[str]:
        """Cross-field rules of a stack file's section, each problem naming its keys as
        "{here}.<key>". `raw` is the section as written; not run for objects code builds."""
        return []

    @model_validator(mode="wrap")
    @classmethod
    def _read(cls, data: Any, handler: ModelWrapValidatorHandler[Any], info: ValidationInfo) -> Any:
        if isinstance(data, Mapping):
            data = {k: v for k, v in data.items() if v is not None}
        context = _stack_file(info)
        if context is None or not isinstance(data, Mapping):
            return handler(data)
        try:
            section = handler(data)
        except ValidationError as error:
            # Still check the rules, on the rest of the section, so one run names every problem.
            if not cls._RULES_ON_THE_REST or cls._problems is _Section._problems:
                raise
            bad = {e["loc"][0] for e in error.errors() if e["loc"]}
            try:
                rest = handler({k: v for k, v in data.items() if k not in bad})
            except ValidationError:
                raise error from None
            problems = rest._problems(data, context)
            if not problems:
                raise
            found = [_again(e) for e in error.errors()]
            found.append(InitErrorDetails(type=_rules(*problems), loc=(), input=data))
            raise ValidationError.from_exception_data(error.title, found) from None
        problems = section._problems(data, context)
        if problems:
            raise _rules(*problems)
        return section


def _again(error: ErrorDetails) -> InitErrorDetails:
    """A reported error, to be raised again with others."""
    kind = error["type"]
    if kind in ("config", "rules", "unknown_key"):
        # Our own errors: _describe reads their context, not their message.
        return InitErrorDetails(
            type=PydanticCustomError(kind, error["msg"], error.get("ctx")),
            loc=error["loc"],
            input=error["input"],
        )
    details = InitErrorDetails(type=kind, loc=error["loc"], input=error["input"])
    if "ctx" in error:
        details["ctx"] = error["ctx"]
    return details


def _stack_file(info: ValidationInfo) -> dict[str, Any] | None:
    """The validation context of a stack file being read; None when code builds an object
    directly (tests, components), which the cross-field rules of a stack file do not bind."""
    return info.context if isinstance(info.context, dict) else None


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _solution_config(value: Any) -> Any:
    """training.solutionConfig goes to CreateSolution as is, less what other keys own."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _problem("must be an object passed to CreateSolution as solutionConfig")
    problems = []
    if "autoTrainingConfig" in value:
        problems.append(
            "{here}.autoTrainingConfig is set through training.autoTraining and "
            f"training.autoTrainingSchedule, got {json.dumps(value['autoTrainingConfig'])}"
        )
    threshold = value.get("eventValueThreshold")
    if threshold is not None and not _is_number(threshold):
        problems.append(
            "{here}.eventValueThreshold must be a number (CreateSolution takes it as a string "
            f'such as "0.5"), got {json.dumps(threshold)}'
        )
    if problems:
        raise _rules(*problems)
    return dict(value)


# --- the declaration ---------------------------------------------------------------------------


@dataclass(frozen=True)
class DatasetConfig:
    dataset_type: DatasetType
    file: Path
    schema_file: Path

    @property
    def key(self) -> str:
        """Lower-case name used in resource names and object keys: interactions, items, users."""
        return self.dataset_type.lower()


@dataclass(frozen=True)
class _DatasetEntry(_Section):
    """`datasets.<type>`: a CSV path, or {file, schema}. Documented as one key."""

    file: Annotated[str, text(_NOT_BLANK, "must be a path to a CSV file")]
    schema: Annotated[str | None, text(allowed="must be a path to an Avro schema file")] = None

    @model_validator(mode="before")
    @classmethod
    def _shorthand(cls, data: Any) -> Any:
        return {"file": data} if isinstance(data, str) else data

    def path(self, root: Path) -> Path:
        return root / self.file

    def schema_path(self, root: Path, dataset_type: DatasetType) -> Path:
        return root / (self.schema or f"data/schemas/{dataset_type.lower()}.avsc")


@dataclass(frozen=True)
class _Datasets(_Section):
    interactions: _DatasetEntry
    items: _DatasetEntry | None = None
    users: _DatasetEntry | None = None

    def resolve(self, root: Path) -> tuple[DatasetConfig, ...]:
        return tuple(
            DatasetConfig(dataset_type, entry.path(root), entry.schema_path(root, dataset_type))
            for dataset_type in DATASET_TYPES
            if (entry := getattr(self, dataset_type.lower())) is not None
        )

    _RULES_ON_THE_REST = False

    def _problems(self, raw: Mapping[str, Any], context: dict[str, Any]) -> list[str]:
        resolved = self.resolve(context["root"])
        missing = [
            f"{{here}}.{d.key}.{what} names a file that does not exist: {path}"
            for d in resolved
            for what, path in (("file", d.file), ("schema", d.schema_file))
            if not path.is_file()
        ]
        if not missing:
            # Models are declared after datasets and read them for their dataset rules.
            context["datasets"] = resolved
        return missing


@dataclass(frozen=True)
class TrainingConfig(_Section):
    auto_training: Boolean = False
    auto_training_schedule: Annotated[
        str, text(AUTO_TRAINING_SCHEDULE, 'must be "rate(N days)" with N from 1 to 30')
    ] = "rate(7 days)"
    hpo: Boolean = False
    event_type: Annotated[str | None, text(blank_is_unset=True)] = None
    solution_config: Annotated[Mapping[str, Any], BeforeValidator(_solution_config)] = field(
        default_factory=dict
    )


@dataclass(frozen=True)
class CampaignConfig(_Section):
    min_provisioned_tps: Annotated[int, integer(1, 500)] = 1
    exploration_weight: Annotated[float | None, number(0.0, 1.0)] = None
    exploration_item_age_cut_off: Annotated[int | None, integer(1, 3650)] = None
    enable_metadata: Boolean = False


@dataclass(frozen=True)
class NewItemsPromotion(_Section):
    """Promote items created in the last `max_age_days` days into `percent` of recommendations."""

    # Promotion.percentPromotedItems is 1-100 (botocore personalize-runtime model).
    percent: Annotated[int, integer(1, 100)]
    max_age_days: Annotated[int, integer(1, 3650)]


@dataclass(frozen=True)
class ModelConfig(_Section):
    name: Annotated[
        str,
        text(
            MODEL_NAME_PATTERN,
            "must be 1-20 lower-case letters, digits or dashes, not starting with a dash",
        ),
    ]
    recipe: Annotated[str, one_of(tuple(RECIPES))]
    training: TrainingConfig = field(default_factory=TrainingConfig)
    campaign: CampaignConfig = field(default_factory=CampaignConfig)
    quality_gate: Annotated[
        Mapping[Annotated[str, _known_key(SOLUTION_METRICS)], Annotated[float, number(0.0, 1.0)]],
        BeforeValidator(_mapping_without_nulls),
    ] = field(default_factory=dict)
    promote_new_items: NewItemsPromotion | None = None

    @property
    def route(self) -> Route:
        return RECIPES[self.recipe]

    def _problems(self, raw: Mapping[str, Any], context: dict[str, Any]) -> list[str]:
        problems = _recipe_problems(self) + _dataset_problems(self, context.get("datasets"))
        if self.quality_gate and self.training.auto_training:
            # With automatic training the campaign follows every new version on its own
            # (syncWithLatestSolutionVersion): nothing could hold a version below the bar back.
            problems.append(
                "{here}.qualityGate cannot be combined with training.autoTraining: "
                "automatically trained versions go live without passing through pulumi up; "
                "drop one of them"
            )
        return problems


@dataclass(frozen=True)
class EventsConfig(_Section):
    stream_mode: Annotated[str, one_of(STREAM_MODES)] = "ON_DEMAND"
    shard_count: Annotated[int, integer(1, 500)] = 1
    retention_hours: Annotated[int, integer(24, 8760)] = 24
    batch_size: Annotated[int, integer(1, 10_000)] = 100
    batching_window_seconds: Annotated[int, integer(0, 300)] = 1
    max_retries: Annotated[int, integer(0, 10_000)] = 5
    max_record_age_seconds: Annotated[int, integer(60, 604_800)] = 3600
    parallelization_factor: Annotated[int, integer(1, 10)] = 1

    def _problems(self, raw: Mapping[str, Any], context: dict[str, Any]) -> list[str]:
        if "shardCount" in raw and self.stream_mode == "ON_DEMAND":
            return ["{here}.shardCount applies only when {here}.streamMode is PROVISIONED"]
        return []


@dataclass(frozen=True)
class ArchiveConfig(_Section):
    enabled: Boolean = True
    prefix: Annotated[
        str,
        text(
            re.compile(r"^[a-zA-Z0-9!_.*'()\-/]{1,200}/$"),
            'must be an S3 key prefix ending in "/", such as "events/"',
        ),
    ] = "events/"
    compression: Annotated[str, one_of(ARCHIVE_COMPRESSION)] = "GZIP"
    buffer_seconds: Annotated[int, integer(0, 900)] = 300
    buffer_mb: Annotated[int, integer(1, 128)] = 5


@dataclass(frozen=True)
class ApiConfig(_Section):
    auth: Annotated[str, one_of(API_AUTH_MODES)] = "apiKey"
    rate_limit: Annotated[float, number(1.0, 10_000.0)] = 50.0
    burst_limit: Annotated[int, integer(1, 5_000)] = 100
    quota_per_day: Annotated[int | None, integer(1)] = None
    cors_allow_origin: Annotated[
        str | None,
        text(
            re.compile(r"^(\*|https?://[^\s/]+)$"),
            'must be "*" or an origin such as "https://app.example.com"',
        ),
    ] = None
    smoke_test: Boolean = False
    smoke_test_user: Annotated[str | None, text(blank_is_unset=True)] = None
    # Take over the region's API Gateway CloudWatch role setting (a per-account, per-region
    # singleton); off by default so a stack never overwrites or resets another's setting.
    manage_account_logging_role: Boolean = False

    def _problems(self, raw: Mapping[str, Any], context: dict[str, Any]) -> list[str]:
        if self.quota_per_day is not None and self.auth != "apiKey":
            return ["{here}.quotaPerDay applies only when {here}.auth is apiKey (usage plans)"]
        return []


@dataclass(frozen=True)
class MonitoringConfig(_Section):
    alarm_email: Annotated[str | None, text(EMAIL_PATTERN, "must be an email address")] = None
    alarm_topic_arn: Annotated[str | None, text(SNS_ARN_PATTERN, "must be an SNS topic ARN")] = None
    dashboard: Boolean = True
    iterator_age_ms: Annotated[int, integer(1_000)] = 60_000
    api_5xx_rate: Annotated[float, number(0.0001, 1.0)] = 0.01
    api_p99_latency_ms: Annotated[int, integer(10)] = 1_000
    forwarder_errors: Annotated[int, integer(1)] = 1

    def _problems(self, raw: Mapping[str, Any], context: dict[str, Any]) -> list[str]:
        if self.alarm_email and self.alarm_topic_arn:
            return [
                "{here}.alarmEmail and {here}.alarmTopicArn are exclusive: "
                "set the email for a new topic, or the ARN of an existing one"
            ]
        return []


def _filter_name(name: str) -> str:
    if not FILTER_NAME_PATTERN.match(name):
        raise _problem("name must be 1-20 letters, digits, dashes or underscores")
    return name


def _tag_key(key: str) -> str:
    # Personalize's tag rules (one place: providers/tags.py); every resource gets these tags.
    problem = tag_key_problem(key)
    if problem:
        raise _problem(f"tag key {problem}")
    return key


def _tag_value(value: Any) -> Any:
    if not isinstance(value, str):
        raise _problem("must be a string tag value")
    problem = tag_value_problem(value)
    if problem:
        raise _problem(f"tag value {problem}")
    return value


DEFAULT_MODELS = (ModelConfig("recommendations", "aws-user-personalization-v2"),)


def _models_list(value: Any) -> Any:
    if not isinstance(value, list) or not value:
        raise _problem("must be a non-empty list of models")
    return value


def _recipes_serving(route: Route) -> str:
    """The recipes whose campaign serves `route`, the default one first: "a, b, c or d"."""
    default = DEFAULT_MODELS[0].recipe
    names = sorted(
        (r for r, served in RECIPES.items() if served == route), key=lambda r: r != default
    )
    return ", ".join(names[:-1]) + " or " + names[-1]


def _model_list_problems(models: list[ModelConfig], complete: bool) -> list[str]:
    """Rules over the whole list; on the valid models only (not `complete`), just those that
    more models could not lift."""
    problems: list[str] = []
    names = [m.name for m in models]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"{{here}} has more than one model named {json.dumps(duplicate)}")
    for route in ROUTES:
        serving = [m.name for m in models if m.route == route]
        if len(serving) > 1:
            problems.append(
                f"{{here}} has {len(serving)} models serving /{route} ({', '.join(serving)}); "
                "at most one is allowed"
            )
    if complete and not any(m.route == "recommendations" for m in models):
        problems.append(
            "{here} needs one model serving /recommendations (recipe "
            f"{_recipes_serving('recommendations')})"
        )
    return problems


def _models_rules(
    value: Any, handler: ValidatorFunctionWrapHandler, info: ValidationInfo
) -> tuple[ModelConfig, ...]:
    if _stack_file(info) is None:
        models: tuple[ModelConfig, ...] = handler(value)
        return models
    try:
        models = handler(value)
    except ValidationError as error:
        # The rules still hold the models that are valid, so one run names every problem.
        valid: list[ModelConfig] = []
        for item in value:
            try:
                valid += handler([item])
            except ValidationError:
                continue
        partial = _model_list_problems(valid, complete=False)
        if not partial:
            raise
        found = [_again(e) for e in error.errors()]
        found.append(InitErrorDetails(type=_rules(*partial), loc=(), input=value))
        raise ValidationError.from_exception_data(error.title, found) from None
    problems = _model_list_problems(list(models), complete=True)
    if problems:
        raise _rules(*problems)
    return models


@dataclass(frozen=True)
class _StackFile(_Section):
    """Every key of the project's namespace in a stack file. Fields are validated in this order:
    `datasets` before `models`, whose dataset rules read them."""

    datasets: _Datasets
    name_prefix: Annotated[
        str | None,
        text(
            _PREFIX_PATTERN,
            f"must be 1-{NAME_PREFIX_MAX} letters, digits or dashes, not starting with a dash",
        ),
        Field(validate_default=True),
    ] = None
    models: Annotated[
        tuple[ModelConfig, ...], WrapValidator(_models_rules), BeforeValidator(_models_list)
    ] = DEFAULT_MODELS
    filters: Annotated[
        Mapping[
            Annotated[str, AfterValidator(_filter_name)],
            Annotated[
                str,
                text(
                    _NOT_BLANK,
                    "must be a filter expression string, such as "
                    "'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"watch\")'",
                ),
            ],
        ],
        BeforeValidator(_mapping_without_nulls),
    ] = field(default_factory=dict)
    events: EventsConfig = field(default_factory=EventsConfig)
    archive: ArchiveConfig = field(default_factory=ArchiveConfig)
    api: ApiConfig = field(default_factory=ApiConfig)
    monitoring: MonitoringConfig = field(default_factory=MonitoringConfig)
    log_retention_days: Annotated[int, BeforeValidator(_log_retention)] = 14
    tags: Annotated[
        Mapping[
            Annotated[str, AfterValidator(_tag_key)], Annotated[str, BeforeValidator(_tag_value)]
        ],
        BeforeValidator(_mapping_without_nulls),
    ] = field(default_factory=dict)

    @field_validator("name_prefix", mode="after")
    @classmethod
    def _prefix_rules(cls, prefix: str | None, info: ValidationInfo) -> str | None:
        context = _stack_file(info)
        if context is None:
            return prefix
        problem = name_prefix_problem(prefix, context["project"], context["stack"])
        if problem:
            raise _rules(problem)
        return prefix or sanitize_name_prefix(f"{context['project']}-{context['stack']}")


@dataclass(frozen=True)
class StackConfig:
    project: str
    stack: str
    name_prefix: str
    datasets: tuple[DatasetConfig, ...]
    models: tuple[ModelConfig, ...]
    filters: Mapping[str, str]
    events: EventsConfig
    archive: ArchiveConfig
    api: ApiConfig
    monitoring: MonitoringConfig
    log_retention_days: int
    tags: Mapping[str, str]
    region: str | None = None
    # The region's partition (`aws`, `aws-cn`, `aws-us-gov`) from botocore's endpoint data: the
    # one source of the partition every ARN the program writes carries (components/arns.py).
    partition: str = "aws"

    def dataset(self, dataset_type: DatasetType) -> DatasetConfig | None:
        return next((d for d in self.datasets if d.dataset_type == dataset_type), None)

    def model_for(self, route: Route) -> ModelConfig | None:
        return next((m for m in self.models if m.route == route), None)

    def name(self, *parts: str) -> str:
        """A physical resource name under this stack's prefix."""
        return "-".join((self.name_prefix, *parts))


_STACK_FILE = TypeAdapter(_StackFile)

# Extra words for a required key, after "<key> is required".
_REQUIRED = {
    "datasets.interactions": ": the interactions dataset is what trains every model "
    "(a CSV path, or {file: ..., schema: ...})",
    "models[].recipe": f" (one of {', '.join(RECIPES)})",
}


def load_stack_config(
    project: str,
    stack: str,
    values: Mapping[str, Any],
    root: Path = PROJECT_ROOT,
    region: str | None = None,
    *,
    keys: Iterable[str] = (),
) -> StackConfig:
    """Build the stack's config from `values` (the project namespace's keys, without prefix).

    Values may be already-parsed objects or the JSON text Pulumi stores for structured config.
    `region` is the AWS provider's region when known (`aws:region` or the environment).
    `keys` are every key of the stack's config, namespaces included: one in a namespace that
    looks like the project's is listed with the problems it causes (a key that seems unset).
    Raises ConfigError listing every problem found.
    """
    problems: list[str] = []
    partition = _check_region(region, problems)
    problems += namespace_problems(keys, project)
    parsed = {key: _parse(value) for key, value in values.items()}
    if parsed.get("datasets") is None:  # a missing section names datasets.interactions
        parsed["datasets"] = {}
    context: dict[str, Any] = {"project": project, "stack": stack, "root": root}
    try:
        read = _STACK_FILE.validate_python(parsed, context=context)
    except ValidationError as error:
        problems[:0] = [p for e in error.errors() for p in _describe(e)]
        raise ConfigError(problems) from None
    if problems:
        raise ConfigError(problems)
    assert read.name_prefix is not None  # the field's validator fills the default in
    return StackConfig(
        project=project,
        stack=stack,
        name_prefix=read.name_prefix,
        datasets=context["datasets"],
        models=read.models,
        filters=read.filters,
        events=read.events,
        archive=read.archive,
        api=read.api,
        monitoring=read.monitoring,
        log_retention_days=read.log_retention_days,
        tags=read.tags,
        region=region,
        partition=partition,
    )


# Stack files carry other programs' and providers' namespaces (aws:, pulumi:); one that starts
# like ours or is one typo from it is a mistake.
OWN_PREFIX = "personalize"


def namespace_problems(keys: Iterable[str], project: str) -> list[str]:
    """Keys whose namespace looks like the project's but is not: the program never reads them."""
    problems: list[str] = []
    for key in sorted(keys):
        namespace, colon, name = key.partition(":")
        if not colon or namespace == project:
            continue
        similar = difflib.get_close_matches(namespace, [project], n=1, cutoff=0.75)
        if namespace.lower().startswith(OWN_PREFIX) or similar:
            problems.append(
                f"{key} is in namespace {namespace!r}, which this program does not read; "
                f"its keys are {project}:<key> (did you mean {project}:{name}?)"
            )
    return problems


def _key_path(loc: tuple[int | str, ...]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        elif part != "[key]":
            path += f".{part}" if path else part
    return path


def _describe(error: ErrorDetails) -> list[str]:
    """One validation error as the problems a user reads: key path, what is allowed, value."""
    loc = tuple(error["loc"])
    path = _key_path(loc)
    ctx = error.get("ctx", {})
    got = json.dumps(error["input"], default=str)
    kind = error["type"]
    if kind == "rules":
        return [p.replace("{here}", path) for p in ctx["problems"]]
    if kind == "config":
        message = f"{ctx['allowed']}, got {got}"
    elif kind in ("missing", "missing_argument"):
        message = "is required" + _REQUIRED.get(re.sub(r"\[\d+\]", "[]", path), "")
    elif kind in ("unexpected_keyword_argument", "extra_forbidden", "unknown_key"):
        known = ctx.get("known") or ", ".join(sorted(_section_keys(loc[:-1])))
        message = f"is not a known key (known here: {known})"
    elif kind in ("dataclass_type", "dict_type", "model_type", "dataclass_args_type"):
        message = f"must be an object (a YAML mapping), got {got}"
    else:
        message = f"{error['msg'].lower()}, got {got}"
    return [f"{path} {message}"]


def _unwrap(annotation: Any) -> Any:
    """The section type inside Annotated[...] and `X | None`."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
            continue
        args = [a for a in get_args(annotation) if a is not type(None)]
        if get_origin(annotation) in (Union, UnionType) and len(args) == 1:
            annotation = args[0]
            continue
        return annotation


def _fields(section: type) -> dict[str, Any]:
    """A section's keys as the stack file spells them -> their types."""
    hints = get_type_hints(section, include_extras=True)
    return {_camel(f.name): hints[f.name] for f in dataclasses.fields(section)}


def _section_keys(loc: tuple[int | str, ...]) -> list[str]:
    """The keys the section at `loc` takes, to name them next to a key it does not."""
    current: Any = _StackFile
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            current = get_args(current)[0]
        elif dataclasses.is_dataclass(current):
            current = _fields(current)[part]  # type: ignore[arg-type]
    current = _unwrap(current)
    return list(_fields(current)) if dataclasses.is_dataclass(current) else []  # type: ignore[arg-type]


def config_keys() -> list[str]:
    """Every key a stack file can set, as the README's configuration reference names them:
    `models[].campaign.minProvisionedTps`; a mapping of free keys (filters, tags, qualityGate)
    and a dataset entry (a path or {file, schema}) are one key each."""

    def walk(section: type, prefix: str) -> list[str]:
        keys: list[str] = []
        for key, annotation in _fields(section).items():
            path = f"{prefix}{key}"
            inner = _unwrap(annotation)
            if get_origin(inner) is tuple:
                inner, path = _unwrap(get_args(inner)[0]), path + "[]"
            if dataclasses.is_dataclass(inner) and inner is not _DatasetEntry:
                keys += walk(inner, path + ".")  # type: ignore[arg-type]
            else:
                keys.append(path)
        return keys

    return walk(_StackFile, "")


@functools.lru_cache(maxsize=1)
def personalize_regions() -> dict[str, str]:
    """Region -> partition for every region where botocore's endpoint data lists Personalize."""
    import botocore.session  # noqa: PLC0415  (deferred: only the config check needs it)

    session = botocore.session.get_session()
    return {
        region: partition
        for partition in session.get_available_partitions()
        for region in session.get_available_regions("personalize", partition_name=partition)
    }


def _check_region(region: str | None, problems: list[str], key: str = "aws:region") -> str:
    """The stack's partition; a region without Personalize is refused before anything exists."""
    if not region:
        return "aws"  # unknown at preview: `check_provider_region` holds the provider's region
    regions = personalize_regions()
    partition = regions.get(region)
    if partition is None:
        problems.append(
            f"{key} {json.dumps(region)} has no Amazon Personalize endpoint; "
            f"choose one of {', '.join(sorted(regions))} (botocore's endpoint data: if "
            "Personalize launched there since, upgrade boto3)"
        )
        return "aws"
    return partition


def check_provider_region(config: StackConfig, region: str) -> str:
    """The region the AWS provider resolved, held to what the config derived at preview.

    The provider may find its region where the program cannot look at preview (an AWS profile's
    `region`); then `config.region` is None and `config.partition` is the default. Refuse that
    region when it has no Personalize or lies in another partition, instead of writing ARNs that
    name nothing. Returns the region unchanged.
    """
    problems: list[str] = []
    partition = _check_region(region, problems, key="the AWS provider's region")
    if not problems and partition != config.partition:
        problems.append(
            f"the AWS provider's region {json.dumps(region)} is in partition "
            f"{json.dumps(partition)}, but no aws:region, AWS_REGION or AWS_DEFAULT_REGION names "
            f"it, so the stack's ARNs would be built for {json.dumps(config.partition)}; "
            f"set aws:region to {json.dumps(region)}"
        )
    if problems:
        raise ConfigError(problems)
    return region


def _items_fields(datasets: tuple[DatasetConfig, ...]) -> dict[str, str] | None:
    """Field name -> Avro type kind of the Items schema, or None without a readable one (the data
    check at preview names what is wrong with the file)."""
    items = next((d for d in datasets if d.dataset_type == "Items"), None)
    if items is None or not items.schema_file.is_file():
        return None
    try:
        schema = load_schema(items.schema_file, "Items")
    except DataCheckError:
        return None
    fields: dict[str, str] = {}
    for raw in schema["fields"]:
        kind = raw["type"]
        if isinstance(kind, dict):
            kind = kind.get("type")
        if isinstance(kind, list):
            kind = next((k for k in kind if k != "null"), "null")
        fields[raw["name"]] = str(kind)
    return fields


def _recipe_problems(model: ModelConfig) -> list[str]:
    """Settings the service takes only with some recipes: refused here, not hours into a deploy."""
    recipe, training, campaign = model.recipe, model.training, model.campaign
    problems: list[str] = []
    for key, value in (
        ("explorationWeight", campaign.exploration_weight),
        ("explorationItemAgeCutOff", campaign.exploration_item_age_cut_off),
    ):
        if value is not None and recipe not in EXPLORATION_RECIPES:
            hint = (
                "; User-Personalization-v2 explores on its own: to surface new items use "
                "{here}.promoteNewItems"
                if recipe == "aws-user-personalization-v2"
                else ""
            )
            problems.append(
                f"{{here}}.campaign.{key} applies only to recipe "
                f"{', '.join(sorted(EXPLORATION_RECIPES))} (CreateCampaign takes "
                f"itemExplorationConfig for no other), got recipe {json.dumps(recipe)}{hint}"
            )
    if training.hpo and recipe not in HPO_RECIPES:
        problems.append(
            "{here}.training.hpo applies only to recipes with tunable "
            f"hyperparameters ({', '.join(sorted(HPO_RECIPES))}), got recipe "
            f"{json.dumps(recipe)}"
            + (
                "; v2 recipes tune themselves every 90 days when training.autoTraining is on"
                if recipe in SELF_TUNING_RECIPES
                else ""
            )
        )
    if "eventsConfig" in training.solution_config and recipe not in EVENTS_CONFIG_RECIPES:
        problems.append(
            "{here}.training.solutionConfig.eventsConfig applies only to recipes "
            f"{', '.join(sorted(EVENTS_CONFIG_RECIPES))}, got recipe {json.dumps(recipe)}"
        )
    # promoteNewItems: the documented way to mix new items into recommendations of any recipe
    # that takes promotions, User-Personalization-v2 included.
    if model.promote_new_items is not None:
        if recipe not in PROMOTION_RECIPES:
            problems.append(
                "{here}.promoteNewItems applies only to recipes that take promotions "
                f"({', '.join(sorted(PROMOTION_RECIPES))}), got recipe {json.dumps(recipe)}"
            )
        elif RECIPES[recipe] != "recommendations":
            problems.append(
                "{here}.promoteNewItems is applied by GET /recommendations; got recipe "
                f"{json.dumps(recipe)}, which serves /{RECIPES[recipe]}"
            )
    return problems


def _dataset_problems(model: ModelConfig, datasets: tuple[DatasetConfig, ...] | None) -> list[str]:
    """Model settings that need an Items dataset, and the fields they name in it. Skipped when
    the datasets section has problems of its own (reported on their own keys)."""
    if datasets is None:
        return []
    problems: list[str] = []
    has_items = any(d.dataset_type == "Items" for d in datasets)
    # "To add metadata to recommendations, you must have an Items dataset with a column of
    # metadata" (campaigns page, enabling metadata in recommendations).
    if model.campaign.enable_metadata and not has_items:
        problems.append(
            "{here}.campaign.enableMetadata returns Items dataset columns with each "
            "recommendation and needs datasets.items (with at least one metadata column)"
        )
    if model.promote_new_items is None:
        return problems
    if not has_items:
        problems.append(
            f"{{here}}.promoteNewItems filters on the Items dataset's {CREATION_TIMESTAMP} "
            "and needs datasets.items"
        )
        return problems
    fields = _items_fields(datasets)
    if fields is not None and fields.get(CREATION_TIMESTAMP) != "long":
        problems.append(
            f"{{here}}.promoteNewItems needs a {CREATION_TIMESTAMP} field of type long "
            f"in the Items schema (when each item was added, in epoch seconds); the schema has "
            f"fields {', '.join(fields)}"
        )
    return problems


def training_filters(config: StackConfig) -> list[TrainingFilter]:
    """What each model that filters its interactions trains on, for the data check: its
    minimums count only those rows ("after any filtering by event type or event value")."""
    found: list[TrainingFilter] = []
    for index, model in enumerate(config.models):
        threshold = model.training.solution_config.get("eventValueThreshold")
        wanted = TrainingFilter(
            f"models[{index}].training",
            model.training.event_type,
            None if threshold is None else float(threshold),
        )
        if wanted.event_type is not None or wanted.min_event_value is not None:
            found.append(wanted)
    return found


def _parse(value: Any) -> Any:
    """Pulumi hands structured config to programs as JSON text; scalars stay as written."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def from_pulumi() -> StackConfig:
    """Read the current stack's config from the Pulumi runtime (program or mocks)."""
    import pulumi  # noqa: PLC0415  (deferred: data tools use load_stack_config without the SDK)

    project = pulumi.get_project()
    namespace = f"{project}:"
    everything = {**pulumi.runtime.config.get_config_env(), **pulumi.runtime.config.CONFIG.get()}
    values = {k[len(namespace) :]: v for k, v in everything.items() if k.startswith(namespace)}
    return load_stack_config(
        project, pulumi.get_stack(), values, region=stack_region(everything), keys=everything
    )


def stack_region(everything: Mapping[str, Any]) -> str | None:
    """The AWS provider's region as the provider finds it: `aws:region`, else AWS_REGION, else
    AWS_DEFAULT_REGION (a region from an AWS profile alone is not seen here)."""
    for value in (
        everything.get("aws:region"),
        os.environ.get("AWS_REGION"),
        os.environ.get("AWS_DEFAULT_REGION"),
    ):
        if isinstance(value, str) and value:
            return value
    return None
