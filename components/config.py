"""The stack's configuration: one typed, validated, read-only view, built once per program run.

Every key lives in the project's namespace (`personalize-realtime:<key>` in a stack file).
Reading is all-or-nothing: every problem in the stack file is collected and reported together,
each with its key, the value found and what is allowed, before a single resource is registered.
Unknown keys are errors too, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import functools
import json
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

from components.data_check import DataCheckError, TrainingFilter, load_schema
from providers.tags import tag_key_problem, tag_value_problem

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Personalize's own name rule; our prefix must leave room for the longest suffix we append.
NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
NAME_PREFIX_MAX = 32
MODEL_NAME_PATTERN = re.compile(r"^[a-z0-9][a-z0-9\-]{0,19}$")
FILTER_NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]{0,19}$")

DatasetType = Literal["Interactions", "Items", "Users"]
DATASET_TYPES: tuple[DatasetType, ...] = ("Interactions", "Items", "Users")

Route = Literal["recommendations", "rankings", "similar-items"]

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

AUTO_TRAINING_SCHEDULE = re.compile(r"^rate\(([1-9]|[12][0-9]|30) days?\)$")
API_AUTH_MODES = ("apiKey", "iam", "none")
STREAM_MODES = ("ON_DEMAND", "PROVISIONED")
ARCHIVE_COMPRESSION = ("GZIP", "UNCOMPRESSED", "Snappy", "ZIP", "HADOOP_SNAPPY")
# The values CloudWatch Logs accepts for a log group's retention.
LOG_RETENTION_DAYS = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827)
EMAIL_PATTERN = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
SNS_ARN_PATTERN = re.compile(r"^arn:aws[a-z\-]*:sns:[a-z0-9\-]+:\d{12}:[A-Za-z0-9_\-]{1,256}$")


class ConfigError(ValueError):
    """The stack configuration has one or more problems; the message lists every one."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {p}" for p in problems)
        super().__init__(f"invalid stack configuration ({len(problems)} problems):\n{lines}")


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
class TrainingConfig:
    auto_training: bool = False
    auto_training_schedule: str = "rate(7 days)"
    hpo: bool = False
    event_type: str | None = None
    solution_config: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CampaignConfig:
    min_provisioned_tps: int = 1
    exploration_weight: float | None = None
    exploration_item_age_cut_off: int | None = None
    enable_metadata: bool = False


@dataclass(frozen=True)
class NewItemsPromotion:
    """Promote items created in the last `max_age_days` days into `percent` of recommendations."""

    percent: int
    max_age_days: int


@dataclass(frozen=True)
class ModelConfig:
    name: str
    recipe: str
    training: TrainingConfig = field(default_factory=TrainingConfig)
    campaign: CampaignConfig = field(default_factory=CampaignConfig)
    quality_gate: Mapping[str, float] = field(default_factory=dict)
    promote_new_items: NewItemsPromotion | None = None

    @property
    def route(self) -> Route:
        return RECIPES[self.recipe]


@dataclass(frozen=True)
class EventsConfig:
    stream_mode: str = "ON_DEMAND"
    shard_count: int = 1
    retention_hours: int = 24
    batch_size: int = 100
    batching_window_seconds: int = 1
    max_retries: int = 5
    max_record_age_seconds: int = 3600
    parallelization_factor: int = 1


@dataclass(frozen=True)
class ArchiveConfig:
    enabled: bool = True
    prefix: str = "events/"
    compression: str = "GZIP"
    buffer_seconds: int = 300
    buffer_mb: int = 5


@dataclass(frozen=True)
class ApiConfig:
    auth: str = "apiKey"
    rate_limit: float = 50.0
    burst_limit: int = 100
    quota_per_day: int | None = None
    cors_allow_origin: str | None = None
    smoke_test: bool = False
    smoke_test_user: str | None = None
    # Take over the region's API Gateway CloudWatch role setting (a per-account, per-region
    # singleton); off by default so a stack never overwrites or resets another's setting.
    manage_account_logging_role: bool = False


@dataclass(frozen=True)
class MonitoringConfig:
    alarm_email: str | None = None
    alarm_topic_arn: str | None = None
    dashboard: bool = True
    iterator_age_ms: int = 60_000
    api_5xx_rate: float = 0.01
    api_p99_latency_ms: int = 1_000
    forwarder_errors: int = 1


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


T = TypeVar("T")


class _Section:
    """Reads one mapping of the config, recording every problem under its full key path."""

    def __init__(self, raw: Any, path: str, problems: list[str]) -> None:
        self.path = path
        self.problems = problems
        if raw is None:
            raw = {}
        if not isinstance(raw, Mapping):
            self.fail(path, raw, "must be an object (a YAML mapping)")
            raw = {}
        self.raw: Mapping[str, Any] = raw
        self.seen: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.path}.{name}" if self.path else name

    def fail(self, key: str, value: Any, allowed: str) -> None:
        self.problems.append(f"{key} {allowed}, got {json.dumps(value, default=str)}")

    def _get(self, name: str) -> Any:
        self.seen.add(name)
        return self.raw.get(name)

    def _typed(self, name: str, default: T, convert: Callable[[Any], T | None], allowed: str) -> T:
        value = self._get(name)
        if value is None:
            return default
        converted = convert(value)
        if converted is None:
            self.fail(self.key(name), value, allowed)
            return default
        return converted

    def string(
        self,
        name: str,
        default: str,
        pattern: re.Pattern[str] | None = None,
        *,
        allowed: str = "must be a string",
    ) -> str:
        def convert(v: Any) -> str | None:
            if not isinstance(v, str) or (pattern is not None and not pattern.match(v)):
                return None
            return v

        return self._typed(name, default, convert, allowed)

    def optional_string(
        self,
        name: str,
        pattern: re.Pattern[str] | None = None,
        *,
        allowed: str = "must be a string",
    ) -> str | None:
        value = self.string(name, "", pattern, allowed=allowed)
        return value or None

    def choice(self, name: str, default: str, choices: tuple[str, ...]) -> str:
        return self.string(
            name,
            default,
            re.compile("^(" + "|".join(re.escape(c) for c in choices) + ")$"),
            allowed=f"must be one of {', '.join(choices)}",
        )

    def integer(self, name: str, default: int, low: int, high: int | None = None) -> int:
        allowed = (
            f"must be an integer >= {low}"
            if high is None
            else f"must be an integer from {low} to {high}"
        )

        def convert(v: Any) -> int | None:
            if isinstance(v, str) and re.fullmatch(r"-?\d+", v.strip()):
                v = int(v)
            if isinstance(v, bool) or not isinstance(v, int):
                return None
            if v < low or (high is not None and v > high):
                return None
            return v

        return self._typed(name, default, convert, allowed)

    def optional_integer(self, name: str, low: int, high: int | None = None) -> int | None:
        if self.raw.get(name) is None:
            self.seen.add(name)
            return None
        return self.integer(name, low, low, high)

    def number(self, name: str, default: float, low: float, high: float | None = None) -> float:
        allowed = (
            f"must be a number >= {low:g}"
            if high is None
            else f"must be a number from {low:g} to {high:g}"
        )

        def convert(v: Any) -> float | None:
            if isinstance(v, str):
                try:
                    v = float(v)
                except ValueError:
                    return None
            if isinstance(v, bool) or not isinstance(v, int | float):
                return None
            if v < low or (high is not None and v > high):
                return None
            return float(v)

        return self._typed(name, default, convert, allowed)

    def boolean(self, name: str, default: bool) -> bool:
        def convert(v: Any) -> bool | None:
            if isinstance(v, bool):
                return v
            if isinstance(v, str) and v.lower() in ("true", "false"):
                return v.lower() == "true"
            return None

        return self._typed(name, default, convert, "must be true or false")

    def section(self, name: str) -> _Section:
        return _Section(self._get(name), self.key(name), self.problems)

    def raw_value(self, name: str) -> Any:
        return self._get(name)

    def finish(self) -> None:
        """Report keys nobody asked for: almost always a typo of a real key."""
        for name in sorted(set(self.raw) - self.seen):
            known = ", ".join(sorted(self.seen)) or "none"
            self.problems.append(f"{self.key(name)} is not a known key (known here: {known})")


def _read_datasets(section: _Section, root: Path) -> tuple[DatasetConfig, ...]:
    datasets: list[DatasetConfig] = []
    for dataset_type in DATASET_TYPES:
        key = dataset_type.lower()
        raw = section.raw_value(key)
        if raw is None:
            if dataset_type == "Interactions":
                section.problems.append(
                    f"{section.key(key)} is required: the interactions dataset is what trains "
                    "every model (a CSV path, or {file: ..., schema: ...})"
                )
            continue
        if isinstance(raw, str):
            raw = {"file": raw}
        entry = _Section(raw, section.key(key), section.problems)
        file = entry.string("file", "", allowed="must be a path to a CSV file")
        schema = entry.string(
            "schema", f"data/schemas/{key}.avsc", allowed="must be a path to an Avro schema file"
        )
        entry.finish()
        if not file:
            section.problems.append(f"{entry.key('file')} is required")
            continue
        paths = {"file": root / file, "schema": root / schema}
        for what, path in paths.items():
            if not path.is_file():
                section.problems.append(
                    f"{entry.key(what)} names a file that does not exist: {path}"
                )
        datasets.append(DatasetConfig(dataset_type, paths["file"], paths["schema"]))
    section.finish()
    return tuple(datasets)


def _read_model(section: _Section, datasets: tuple[DatasetConfig, ...]) -> ModelConfig | None:
    name = section.string(
        "name",
        "",
        MODEL_NAME_PATTERN,
        allowed="must be 1-20 lower-case letters, digits or dashes, not starting with a dash",
    )
    recipe = section.choice("recipe", "", tuple(RECIPES))
    if not name:
        section.problems.append(f"{section.key('name')} is required")
    if not recipe:
        section.problems.append(
            f"{section.key('recipe')} is required (one of {', '.join(RECIPES)})"
        )

    training_section = section.section("training")
    solution_config = training_section.raw_value("solutionConfig") or {}
    if not isinstance(solution_config, Mapping):
        training_section.fail(
            training_section.key("solutionConfig"),
            solution_config,
            "must be an object passed to CreateSolution as solutionConfig",
        )
        solution_config = {}
    elif "autoTrainingConfig" in solution_config:
        training_section.fail(
            training_section.key("solutionConfig.autoTrainingConfig"),
            solution_config["autoTrainingConfig"],
            "is set through training.autoTraining and training.autoTrainingSchedule",
        )
    training = TrainingConfig(
        auto_training=training_section.boolean("autoTraining", False),
        auto_training_schedule=training_section.string(
            "autoTrainingSchedule",
            "rate(7 days)",
            AUTO_TRAINING_SCHEDULE,
            allowed='must be "rate(N days)" with N from 1 to 30',
        ),
        hpo=training_section.boolean("hpo", False),
        event_type=training_section.optional_string("eventType"),
        solution_config=dict(solution_config),
    )
    training_section.finish()

    campaign_section = section.section("campaign")
    campaign = CampaignConfig(
        min_provisioned_tps=campaign_section.integer("minProvisionedTps", 1, 1, 500),
        exploration_weight=(
            campaign_section.number("explorationWeight", 0.0, 0.0, 1.0)
            if campaign_section.raw.get("explorationWeight") is not None
            else None
        ),
        exploration_item_age_cut_off=campaign_section.optional_integer(
            "explorationItemAgeCutOff", 1, 3650
        ),
        enable_metadata=campaign_section.boolean("enableMetadata", False),
    )
    campaign_section.finish()
    _check_recipe_features(section, recipe, training, campaign)
    promotion = _read_promotion(section, recipe)
    _check_model_datasets(section, campaign, promotion, datasets)

    gate_section = section.section("qualityGate")
    gate = {
        metric: gate_section.number(metric, 0.0, 0.0, 1.0)
        for metric in SOLUTION_METRICS
        if gate_section.raw.get(metric) is not None
    }
    gate_section.finish()
    if gate and training.auto_training:
        # With automatic training the campaign follows every new version on its own
        # (syncWithLatestSolutionVersion): nothing could hold a version below the bar back.
        section.problems.append(
            f"{section.key('qualityGate')} cannot be combined with training.autoTraining: "
            "automatically trained versions go live without passing through pulumi up; "
            "drop one of them"
        )
    section.finish()
    if not name or not recipe:
        return None
    return ModelConfig(name, recipe, training, campaign, gate, promotion)


def _check_recipe_features(
    section: _Section, recipe: str, training: TrainingConfig, campaign: CampaignConfig
) -> None:
    """Settings the service takes only with some recipes: refused here, not hours into a deploy."""
    if not recipe:
        return
    for key, value in (
        ("explorationWeight", campaign.exploration_weight),
        ("explorationItemAgeCutOff", campaign.exploration_item_age_cut_off),
    ):
        if value is not None and recipe not in EXPLORATION_RECIPES:
            hint = (
                "; User-Personalization-v2 explores on its own: to surface new items use "
                f"{section.key('promoteNewItems')}"
                if recipe == "aws-user-personalization-v2"
                else ""
            )
            section.problems.append(
                f"{section.key('campaign.' + key)} applies only to recipe "
                f"{', '.join(sorted(EXPLORATION_RECIPES))} (CreateCampaign takes "
                f"itemExplorationConfig for no other), got recipe {json.dumps(recipe)}{hint}"
            )
    if training.hpo and recipe not in HPO_RECIPES:
        section.problems.append(
            f"{section.key('training.hpo')} applies only to recipes with tunable "
            f"hyperparameters ({', '.join(sorted(HPO_RECIPES))}), got recipe "
            f"{json.dumps(recipe)}"
            + (
                "; v2 recipes tune themselves every 90 days when training.autoTraining is on"
                if recipe in SELF_TUNING_RECIPES
                else ""
            )
        )
    threshold = training.solution_config.get("eventValueThreshold")
    if threshold is not None and not _is_number(threshold):
        section.problems.append(
            f"{section.key('training.solutionConfig.eventValueThreshold')} must be a number "
            f'(CreateSolution takes it as a string such as "0.5"), got {json.dumps(threshold)}'
        )
    if "eventsConfig" in training.solution_config and recipe not in EVENTS_CONFIG_RECIPES:
        section.problems.append(
            f"{section.key('training.solutionConfig.eventsConfig')} applies only to recipes "
            f"{', '.join(sorted(EVENTS_CONFIG_RECIPES))}, got recipe {json.dumps(recipe)}"
        )


def _is_number(value: Any) -> bool:
    if isinstance(value, bool):
        return False
    try:
        return math.isfinite(float(value))
    except (TypeError, ValueError):
        return False


def _read_promotion(section: _Section, recipe: str) -> NewItemsPromotion | None:
    """`promoteNewItems: {percent, maxAgeDays}`: the documented way to mix new items into
    recommendations of any recipe that takes promotions, User-Personalization-v2 included."""
    if section.raw.get("promoteNewItems") is None:
        section.seen.add("promoteNewItems")
        return None
    promo = section.section("promoteNewItems")
    # Promotion.percentPromotedItems is 1-100 (botocore personalize-runtime model).
    percent = promo.integer("percent", 0, 1, 100)
    max_age_days = promo.integer("maxAgeDays", 0, 1, 3650)
    for key in ("percent", "maxAgeDays"):
        if promo.raw.get(key) is None:
            section.problems.append(f"{promo.key(key)} is required")
    promo.finish()
    if recipe and recipe not in PROMOTION_RECIPES:
        section.problems.append(
            f"{promo.path} applies only to recipes that take promotions "
            f"({', '.join(sorted(PROMOTION_RECIPES))}), got recipe {json.dumps(recipe)}"
        )
        return None
    if recipe and RECIPES[recipe] != "recommendations":
        section.problems.append(
            f"{promo.path} is applied by GET /recommendations; got recipe {json.dumps(recipe)}, "
            f"which serves /{RECIPES[recipe]}"
        )
        return None
    if not percent or not max_age_days:
        return None
    return NewItemsPromotion(percent, max_age_days)


def _read_models(
    raw: Any, problems: list[str], datasets: tuple[DatasetConfig, ...] = ()
) -> tuple[ModelConfig, ...]:
    if raw is None:
        raw = [{"name": "recommendations", "recipe": "aws-user-personalization-v2"}]
    if not isinstance(raw, list) or not raw:
        problems.append(f"models must be a non-empty list of models, got {json.dumps(raw)}")
        return ()
    models = [
        _read_model(_Section(item, f"models[{i}]", problems), datasets)
        for i, item in enumerate(raw)
    ]
    found = [m for m in models if m is not None]
    names = [m.name for m in found]
    for duplicate in sorted({n for n in names if names.count(n) > 1}):
        problems.append(f"models has more than one model named {json.dumps(duplicate)}")
    for route in ("recommendations", "rankings", "similar-items"):
        serving = [m.name for m in found if m.route == route]
        if len(serving) > 1:
            problems.append(
                f"models has {len(serving)} models serving /{route} ({', '.join(serving)}); "
                "at most one is allowed"
            )
    if found and not any(m.route == "recommendations" for m in found):
        problems.append(
            "models needs one model serving /recommendations (recipe aws-user-personalization-v2, "
            "aws-user-personalization, aws-popularity-count or aws-trending-now)"
        )
    return tuple(found)


def _read_filters(section: _Section) -> dict[str, str]:
    filters: dict[str, str] = {}
    for name in section.raw:
        expression = section.string(
            name,
            "",
            allowed="must be a filter expression string, such as "
            "'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (\"watch\")'",
        )
        if not FILTER_NAME_PATTERN.match(name):
            section.fail(
                section.key(name), name, "name must be 1-20 letters, digits, dashes or underscores"
            )
        elif expression:
            filters[name] = expression
    return filters


def _read_tags(section: _Section) -> dict[str, str]:
    tags: dict[str, str] = {}
    for key in section.raw:
        value = section.string(key, "", allowed="must be a string tag value")
        # Personalize's tag rules (one place: providers/tags.py); every resource gets these tags.
        key_problem, value_problem = tag_key_problem(key), tag_value_problem(value)
        if key_problem:
            section.fail(section.key(key), key, f"tag key {key_problem}")
        elif value_problem:
            section.fail(section.key(key), value, f"tag value {value_problem}")
        else:
            tags[key] = value
    return tags


def load_stack_config(
    project: str,
    stack: str,
    values: Mapping[str, Any],
    root: Path = PROJECT_ROOT,
    region: str | None = None,
) -> StackConfig:
    """Build the stack's config from `values` (the project namespace's keys, without prefix).

    Values may be already-parsed objects or the JSON text Pulumi stores for structured config.
    `region` is the AWS provider's region when known (`aws:region` or the environment).
    Raises ConfigError listing every problem found.
    """
    problems: list[str] = []
    parsed = {key: _parse(value) for key, value in values.items()}
    top = _Section(parsed, "", problems)

    name_prefix = _read_name_prefix(top, project, stack)
    partition = _check_region(region, problems)
    datasets = _read_datasets(top.section("datasets"), root)
    models = _read_models(top.raw_value("models"), problems, datasets)
    filters = _read_filters(top.section("filters"))

    events_section = top.section("events")
    events = EventsConfig(
        stream_mode=events_section.choice("streamMode", "ON_DEMAND", STREAM_MODES),
        shard_count=events_section.integer("shardCount", 1, 1, 500),
        retention_hours=events_section.integer("retentionHours", 24, 24, 8760),
        batch_size=events_section.integer("batchSize", 100, 1, 10_000),
        batching_window_seconds=events_section.integer("batchingWindowSeconds", 1, 0, 300),
        max_retries=events_section.integer("maxRetries", 5, 0, 10_000),
        max_record_age_seconds=events_section.integer("maxRecordAgeSeconds", 3600, 60, 604_800),
        parallelization_factor=events_section.integer("parallelizationFactor", 1, 1, 10),
    )
    events_section.finish()
    if events.stream_mode == "ON_DEMAND" and "shardCount" in events_section.raw:
        problems.append("events.shardCount applies only when events.streamMode is PROVISIONED")

    archive_section = top.section("archive")
    archive = ArchiveConfig(
        enabled=archive_section.boolean("enabled", True),
        prefix=archive_section.string(
            "prefix",
            "events/",
            re.compile(r"^[a-zA-Z0-9!_.*'()\-/]{1,200}/$"),
            allowed='must be an S3 key prefix ending in "/", such as "events/"',
        ),
        compression=archive_section.choice("compression", "GZIP", ARCHIVE_COMPRESSION),
        buffer_seconds=archive_section.integer("bufferSeconds", 300, 0, 900),
        buffer_mb=archive_section.integer("bufferMb", 5, 1, 128),
    )
    archive_section.finish()

    api_section = top.section("api")
    api = ApiConfig(
        auth=api_section.choice("auth", "apiKey", API_AUTH_MODES),
        rate_limit=api_section.number("rateLimit", 50.0, 1.0, 10_000.0),
        burst_limit=api_section.integer("burstLimit", 100, 1, 5_000),
        quota_per_day=api_section.optional_integer("quotaPerDay", 1),
        cors_allow_origin=api_section.optional_string(
            "corsAllowOrigin",
            re.compile(r"^(\*|https?://[^\s/]+)$"),
            allowed='must be "*" or an origin such as "https://app.example.com"',
        ),
        smoke_test=api_section.boolean("smokeTest", False),
        smoke_test_user=api_section.optional_string("smokeTestUser"),
        manage_account_logging_role=api_section.boolean("manageAccountLoggingRole", False),
    )
    api_section.finish()
    if api.quota_per_day is not None and api.auth != "apiKey":
        problems.append("api.quotaPerDay applies only when api.auth is apiKey (usage plans)")

    monitoring_section = top.section("monitoring")
    monitoring = MonitoringConfig(
        alarm_email=monitoring_section.optional_string(
            "alarmEmail", EMAIL_PATTERN, allowed="must be an email address"
        ),
        alarm_topic_arn=monitoring_section.optional_string(
            "alarmTopicArn", SNS_ARN_PATTERN, allowed="must be an SNS topic ARN"
        ),
        dashboard=monitoring_section.boolean("dashboard", True),
        iterator_age_ms=monitoring_section.integer("iteratorAgeMs", 60_000, 1_000),
        api_5xx_rate=monitoring_section.number("api5xxRate", 0.01, 0.0001, 1.0),
        api_p99_latency_ms=monitoring_section.integer("apiP99LatencyMs", 1_000, 10),
        forwarder_errors=monitoring_section.integer("forwarderErrors", 1, 1),
    )
    monitoring_section.finish()
    if monitoring.alarm_email and monitoring.alarm_topic_arn:
        problems.append(
            "monitoring.alarmEmail and monitoring.alarmTopicArn are exclusive: "
            "set the email for a new topic, or the ARN of an existing one"
        )

    log_retention_days = top.integer("logRetentionDays", 14, 1, 1827)
    if log_retention_days not in LOG_RETENTION_DAYS:
        top.fail(
            "logRetentionDays",
            log_retention_days,
            f"must be one of {', '.join(map(str, LOG_RETENTION_DAYS))}",
        )
    tags = _read_tags(top.section("tags"))
    top.finish()

    if problems:
        raise ConfigError(problems)
    return StackConfig(
        project=project,
        stack=stack,
        name_prefix=name_prefix,
        datasets=datasets,
        models=models,
        filters=filters,
        events=events,
        archive=archive,
        api=api,
        monitoring=monitoring,
        log_retention_days=log_retention_days,
        tags=tags,
        region=region,
        partition=partition,
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


def _read_name_prefix(top: _Section, project: str, stack: str) -> str:
    """Every physical name starts with this prefix, so it must satisfy the strictest of them:
    Personalize `^[a-zA-Z0-9][a-zA-Z0-9\\-_]*` (63 characters with our longest suffix), S3
    bucket names (lower case, letters, digits and dashes, none of the reserved prefixes), IAM
    role name prefixes, Kinesis, SQS and Lambda names (all accept letters, digits and dashes)."""
    explicit = top.raw.get("namePrefix") is not None
    default = sanitize_name_prefix(f"{project}-{stack}")
    prefix = top.string(
        "namePrefix",
        default,
        _PREFIX_PATTERN,
        allowed=f"must be 1-{NAME_PREFIX_MAX} letters, digits or dashes, not starting with a dash",
    )
    if not explicit and not _PREFIX_PATTERN.match(prefix):
        top.problems.append(
            f"namePrefix is not set and the default derived from project and stack "
            f"({json.dumps(f'{project}-{stack}')}) has no letters or digits to build names "
            f"from; set namePrefix (1-{NAME_PREFIX_MAX} letters, digits or dashes)"
        )
        return prefix
    reserved = next((r for r in RESERVED_BUCKET_PREFIXES if prefix.lower().startswith(r)), None)
    if reserved is not None:
        where = "namePrefix" if explicit else "namePrefix (default from project and stack)"
        top.problems.append(
            f"{where} must not start with {json.dumps(reserved)}: S3 refuses bucket names that "
            f"do, got {json.dumps(prefix)}; set namePrefix"
        )
    return prefix


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


def _check_model_datasets(
    section: _Section,
    campaign: CampaignConfig,
    promotion: NewItemsPromotion | None,
    datasets: tuple[DatasetConfig, ...],
) -> None:
    """Model settings that need an Items dataset, and the fields they name in it."""
    has_items = any(d.dataset_type == "Items" for d in datasets)
    # "To add metadata to recommendations, you must have an Items dataset with a column of
    # metadata" (campaigns page, enabling metadata in recommendations).
    if campaign.enable_metadata and not has_items:
        section.problems.append(
            f"{section.key('campaign.enableMetadata')} returns Items dataset columns with each "
            "recommendation and needs datasets.items (with at least one metadata column)"
        )
    if promotion is None:
        return
    if not has_items:
        section.problems.append(
            f"{section.key('promoteNewItems')} filters on the Items dataset's "
            f"{CREATION_TIMESTAMP} and needs datasets.items"
        )
        return
    fields = _items_fields(datasets)
    if fields is not None and fields.get(CREATION_TIMESTAMP) != "long":
        section.problems.append(
            f"{section.key('promoteNewItems')} needs a {CREATION_TIMESTAMP} field of type long "
            f"in the Items schema (when each item was added, in epoch seconds); the schema has "
            f"fields {', '.join(fields)}"
        )


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
    return load_stack_config(project, pulumi.get_stack(), values, region=stack_region(everything))


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
