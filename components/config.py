"""The stack's configuration: one typed, validated, read-only view, built once per program run.

Every key lives in the project's namespace (`personalize-realtime:<key>` in a stack file).
Reading is all-or-nothing: every problem in the stack file is collected and reported together,
each with its key, the value found and what is allowed, before a single resource is registered.
Unknown keys are errors too, so a typo never silently falls back to a default.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

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
# Item exploration is a User-Personalization feature; the service rejects it elsewhere.
EXPLORATION_RECIPES = frozenset({"aws-user-personalization", "aws-user-personalization-v2"})

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
TAG_KEY_PATTERN = re.compile(r"^[\w .:/=+\-@]{1,128}$")


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
class ModelConfig:
    name: str
    recipe: str
    training: TrainingConfig = field(default_factory=TrainingConfig)
    campaign: CampaignConfig = field(default_factory=CampaignConfig)
    quality_gate: Mapping[str, float] = field(default_factory=dict)

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


def _read_model(section: _Section) -> ModelConfig | None:
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
    exploring = campaign.exploration_weight is not None or campaign.exploration_item_age_cut_off
    if recipe and recipe not in EXPLORATION_RECIPES and exploring:
        section.problems.append(
            f"{section.key('campaign')} item exploration (explorationWeight, "
            "explorationItemAgeCutOff) applies only to recipes "
            f"{', '.join(sorted(EXPLORATION_RECIPES))}, "
            f"got recipe {json.dumps(recipe)}"
        )

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
    return ModelConfig(name, recipe, training, campaign, gate)


def _read_models(raw: Any, problems: list[str]) -> tuple[ModelConfig, ...]:
    if raw is None:
        raw = [{"name": "recommendations", "recipe": "aws-user-personalization-v2"}]
    if not isinstance(raw, list) or not raw:
        problems.append(f"models must be a non-empty list of models, got {json.dumps(raw)}")
        return ()
    models = [_read_model(_Section(item, f"models[{i}]", problems)) for i, item in enumerate(raw)]
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
        if not TAG_KEY_PATTERN.match(key) or key.lower().startswith("aws:"):
            section.fail(
                section.key(key), key, "tag key must be 1-128 characters, not starting aws:"
            )
        else:
            tags[key] = value
    return tags


def load_stack_config(
    project: str,
    stack: str,
    values: Mapping[str, Any],
    root: Path = PROJECT_ROOT,
) -> StackConfig:
    """Build the stack's config from `values` (the project namespace's keys, without prefix).

    Values may be already-parsed objects or the JSON text Pulumi stores for structured config.
    Raises ConfigError listing every problem found.
    """
    problems: list[str] = []
    parsed = {key: _parse(value) for key, value in values.items()}
    top = _Section(parsed, "", problems)

    default_prefix = f"{project}-{stack}"[:NAME_PREFIX_MAX].rstrip("-_")
    name_prefix = top.string(
        "namePrefix",
        default_prefix,
        re.compile(rf"^[a-zA-Z0-9][a-zA-Z0-9\-]{{0,{NAME_PREFIX_MAX - 1}}}$"),
        allowed=f"must be 1-{NAME_PREFIX_MAX} letters, digits or dashes, not starting with a dash",
    )
    datasets = _read_datasets(top.section("datasets"), root)
    models = _read_models(top.raw_value("models"), problems)
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
    )


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
    return load_stack_config(project, pulumi.get_stack(), values)
