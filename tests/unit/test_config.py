"""Stack config validation: every rule, fed a bad value, names the key, the value and what's allowed."""

from pathlib import Path
from typing import Any

import pytest

from components.config import ConfigError, StackConfig, config_keys, load_stack_config
from tests.stack_harness import ROOT, STACK_FILES, stack_config

GOOD_DATASETS = {"interactions": "data/interactions.csv"}


def load(**values: Any) -> StackConfig:
    values.setdefault("datasets", GOOD_DATASETS)
    return load_stack_config("personalize-realtime", "test", values, root=ROOT)


def problems(**values: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        load(**values)
    return raised.value.problems


def test_defaults_are_cheap_and_safe() -> None:
    config = load()
    assert config.name_prefix == "personalize-realtime-test"
    assert [(m.name, m.recipe) for m in config.models] == [
        ("recommendations", "aws-user-personalization-v2")
    ]
    model = config.models[0]
    assert model.training.auto_training is False, "the service's default retrains weekly, at a cost"
    assert model.campaign.min_provisioned_tps == 1
    assert config.api.auth == "apiKey"
    assert config.events.stream_mode == "ON_DEMAND"
    assert config.archive.enabled is True
    assert config.datasets[0].schema_file == ROOT / "data/schemas/interactions.avsc"


@pytest.mark.parametrize("stack", STACK_FILES)
def test_every_stack_file_is_valid(stack: str) -> None:
    namespace = "personalize-realtime:"
    values = {
        k[len(namespace) :]: v for k, v in stack_config(stack).items() if k.startswith(namespace)
    }
    config = load_stack_config("personalize-realtime", stack, values, root=ROOT)
    assert config.model_for("recommendations") is not None


def test_structured_values_arrive_as_json_text() -> None:
    config = load(datasets='{"interactions": "data/interactions.csv"}', logRetentionDays="30")
    assert config.log_retention_days == 30


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        (
            {
                "models": [
                    {
                        "name": "recs",
                        "recipe": "aws-user-personalization",
                        "campaign": {"minProvisionedTps": 0},
                    }
                ]
            },
            "models[0].campaign.minProvisionedTps must be an integer from 1 to 500, got 0",
        ),
        (
            {"models": [{"name": "recs", "recipe": "aws-hrnn"}]},
            "models[0].recipe must be one of aws-user-personalization, aws-user-personalization-v2, "
            "aws-popularity-count, aws-trending-now, aws-personalized-ranking, "
            'aws-personalized-ranking-v2, aws-similar-items, aws-sims, got "aws-hrnn"',
        ),
        (
            {"models": [{"name": "Recs!", "recipe": "aws-sims"}]},
            'models[0].name must be 1-20 lower-case letters, digits or dashes, not starting with a dash, got "Recs!"',
        ),
        ({"models": [{"recipe": "aws-user-personalization"}]}, "models[0].name is required"),
        ({"models": []}, "models must be a non-empty list of models, got []"),
        (
            {
                "models": [
                    {
                        "name": "recs",
                        "recipe": "aws-user-personalization",
                        "training": {"autoTrainingSchedule": "rate(45 days)"},
                    }
                ]
            },
            'models[0].training.autoTrainingSchedule must be "rate(N days)" with N from 1 to 30, got "rate(45 days)"',
        ),
        (
            {
                "models": [
                    {
                        "name": "recs",
                        "recipe": "aws-user-personalization",
                        "training": {"autoTraining": "yes"},
                    }
                ]
            },
            'models[0].training.autoTraining must be true or false, got "yes"',
        ),
        (
            {
                "models": [
                    {
                        "name": "recs",
                        "recipe": "aws-user-personalization",
                        "campaign": {"explorationWeight": 1.5},
                    }
                ]
            },
            "models[0].campaign.explorationWeight must be a number from 0 to 1, got 1.5",
        ),
        (
            {
                "models": [
                    {
                        "name": "recs",
                        "recipe": "aws-user-personalization",
                        "qualityGate": {"precision_at_10": -1},
                    }
                ]
            },
            "models[0].qualityGate.precision_at_10 must be a number from 0 to 1, got -1",
        ),
        (
            {
                "models": [
                    {
                        "name": "recs",
                        "recipe": "aws-user-personalization",
                        "qualityGate": {"accuracy": 0.5},
                    }
                ]
            },
            "models[0].qualityGate.accuracy is not a known key",
        ),
        (
            {
                "models": [
                    {
                        "name": "recs",
                        "recipe": "aws-user-personalization",
                        "training": {"solutionConfig": {"autoTrainingConfig": {}}},
                    }
                ]
            },
            "models[0].training.solutionConfig.autoTrainingConfig is set through training.autoTraining",
        ),
        (
            {
                "models": [
                    {"name": "a", "recipe": "aws-user-personalization"},
                    {"name": "b", "recipe": "aws-popularity-count"},
                ]
            },
            "models has 2 models serving /recommendations (a, b); at most one is allowed",
        ),
        (
            {
                "models": [
                    {"name": "a", "recipe": "aws-user-personalization"},
                    {"name": "a", "recipe": "aws-sims"},
                ]
            },
            'models has more than one model named "a"',
        ),
        (
            {"models": [{"name": "rank", "recipe": "aws-personalized-ranking"}]},
            "models needs one model serving /recommendations",
        ),
        (
            {
                "models": [
                    {"name": "sims", "recipe": "aws-sims", "campaign": {"explorationWeight": 0.3}},
                    {"name": "r", "recipe": "aws-user-personalization"},
                ]
            },
            "models[0].campaign.explorationWeight applies only to recipe aws-user-personalization "
            '(CreateCampaign takes itemExplorationConfig for no other), got recipe "aws-sims"',
        ),
        (
            {"namePrefix": "-bad"},
            'namePrefix must be 1-32 letters, digits or dashes, not starting with a dash, got "-bad"',
        ),
        ({"namePrefix": "x" * 33}, "namePrefix must be 1-32 letters"),
        ({"datasets": {}}, "datasets.interactions is required"),
        (
            {"datasets": {"interactions": "data/nope.csv"}},
            "datasets.interactions.file names a file that does not exist: ",
        ),
        (
            {
                "datasets": {
                    "interactions": {
                        "file": "data/interactions.csv",
                        "schema": "data/schemas/nope.avsc",
                    }
                }
            },
            "datasets.interactions.schema names a file that does not exist: ",
        ),
        (
            {"datasets": {"interactions": "data/interactions.csv", "actions": "x.csv"}},
            "datasets.actions is not a known key",
        ),
        (
            {"filters": {"bad name!": "EXCLUDE ItemID"}},
            'filters.bad name! name must be 1-20 letters, digits, dashes or underscores, got "bad name!"',
        ),
        ({"filters": {"unwatched": 5}}, "filters.unwatched must be a filter expression string"),
        (
            {"events": {"streamMode": "FAST"}},
            'events.streamMode must be one of ON_DEMAND, PROVISIONED, got "FAST"',
        ),
        (
            {"events": {"retentionHours": 12}},
            "events.retentionHours must be an integer from 24 to 8760, got 12",
        ),
        (
            {"events": {"batchSize": 0}},
            "events.batchSize must be an integer from 1 to 10000, got 0",
        ),
        (
            {"events": {"batchingWindowSeconds": 301}},
            "events.batchingWindowSeconds must be an integer from 0 to 300, got 301",
        ),
        (
            {"events": {"maxRetries": -1}},
            "events.maxRetries must be an integer from 0 to 10000, got -1",
        ),
        (
            {"events": {"maxRecordAgeSeconds": 10}},
            "events.maxRecordAgeSeconds must be an integer from 60 to 604800, got 10",
        ),
        (
            {"events": {"shardCount": 2}},
            "events.shardCount applies only when events.streamMode is PROVISIONED",
        ),
        (
            {"archive": {"compression": "BZIP"}},
            'archive.compression must be one of GZIP, UNCOMPRESSED, Snappy, ZIP, HADOOP_SNAPPY, got "BZIP"',
        ),
        (
            {"archive": {"prefix": "events"}},
            'archive.prefix must be an S3 key prefix ending in "/"',
        ),
        (
            {"archive": {"bufferMb": 500}},
            "archive.bufferMb must be an integer from 1 to 128, got 500",
        ),
        ({"api": {"auth": "open"}}, 'api.auth must be one of apiKey, iam, none, got "open"'),
        ({"api": {"rateLimit": 0}}, "api.rateLimit must be a number from 1 to 10000, got 0"),
        (
            {"api": {"corsAllowOrigin": "app.example.com"}},
            'api.corsAllowOrigin must be "*" or an origin',
        ),
        (
            {"api": {"auth": "iam", "quotaPerDay": 10}},
            "api.quotaPerDay applies only when api.auth is apiKey",
        ),
        ({"api": {"smokeTest": 1}}, "api.smokeTest must be true or false, got 1"),
        (
            {"monitoring": {"alarmEmail": "not-an-email"}},
            'monitoring.alarmEmail must be an email address, got "not-an-email"',
        ),
        (
            {"monitoring": {"alarmTopicArn": "topic"}},
            'monitoring.alarmTopicArn must be an SNS topic ARN, got "topic"',
        ),
        (
            {
                "monitoring": {
                    "alarmEmail": "ops@example.com",
                    "alarmTopicArn": "arn:aws:sns:us-east-1:123456789012:t",
                }
            },
            "monitoring.alarmEmail and monitoring.alarmTopicArn are exclusive",
        ),
        ({"logRetentionDays": 10}, "logRetentionDays must be one of 1, 3, 5, 7, 14, 30"),
        (
            {"tags": {"aws:owner": "me"}},
            "tags.aws:owner tag key starts with 'aws:', which AWS reserves",
        ),
        (
            {"tags": {"owners": "ana,bo"}},
            "tags.owners tag value contains ','",
        ),
        ({"api": "apiKey"}, 'api must be an object (a YAML mapping), got "apiKey"'),
        ({"modles": []}, "modles is not a known key"),
        (
            {"api": {"authentication": "iam"}},
            "api.authentication is not a known key (known here: auth, burstLimit",
        ),
    ],
)
def test_each_bad_value_is_named(values: dict[str, Any], expected: str) -> None:
    found = problems(**values)
    assert any(expected in p for p in found), f"expected {expected!r} in {found}"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as raised:
        load(api={"auth": "open", "rateLimit": -5}, events={"batchSize": 0}, typo=1)
    message = str(raised.value)
    assert message.startswith("invalid stack configuration (4 problems):")
    for key in ("api.auth", "api.rateLimit", "events.batchSize", "typo is not a known key"):
        assert key in message


def test_a_single_problem_is_counted_in_the_singular() -> None:
    with pytest.raises(ConfigError) as raised:
        load(typo=1)
    assert str(raised.value).startswith("invalid stack configuration (1 problem):")


def test_integers_may_be_written_as_strings() -> None:
    config = load(events={"batchSize": "250"})
    assert config.events.batch_size == 250


def test_missing_data_file_names_key_and_path(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as raised:
        load_stack_config(
            "p", "s", {"datasets": {"interactions": "interactions.csv"}}, root=tmp_path
        )
    assert (
        f"datasets.interactions.file names a file that does not exist: {tmp_path / 'interactions.csv'}"
        in str(raised.value)
    )


def test_several_mistakes_are_each_named_by_key_path_in_one_run() -> None:
    found = problems(
        namePrefix="-x",
        models=[
            {"name": "recs", "recipe": "aws-user-personalization", "campaign": {"minTps": 2}},
            {
                "name": "sims",
                "recipe": "aws-sims",
                "training": {"hpo": "maybe"},
                "qualityGate": {"precision_at_10": 2},
            },
        ],
        events={"streamMode": "ON_DEMAND", "shardCount": 2},
        api={"burstLimit": 0},
        tags={"owner": 7},
        logRetentionDays=10,
    )
    expected = [
        "namePrefix must be",
        "models[0].campaign.minTps is not a known key (known here: enableMetadata, "
        "explorationItemAgeCutOff, explorationWeight, minProvisionedTps)",
        'models[1].training.hpo must be true or false, got "maybe"',
        "models[1].qualityGate.precision_at_10 must be a number from 0 to 1, got 2",
        "events.shardCount applies only when events.streamMode is PROVISIONED",
        "api.burstLimit must be an integer from 1 to 5000, got 0",
        "tags.owner must be a string tag value, got 7",
        "logRetentionDays must be one of",
    ]
    for start in expected:
        assert any(p.startswith(start) for p in found), (start, found)
    assert len(found) == len(expected), found


def test_cross_field_rules_are_checked_next_to_a_bad_key_of_their_section() -> None:
    found = problems(
        models=[
            {
                "name": "recs",
                "recipe": "aws-user-personalization-v2",
                "campaign": {"minProvisionedTps": 0},
                "training": {"hpo": True},
            }
        ],
        api={"auth": "iam", "quotaPerDay": 5, "rateLimit": 0},
    )
    for start in (
        "models[0].campaign.minProvisionedTps must be an integer",
        "models[0].training.hpo applies only to recipes with tunable hyperparameters",
        "api.rateLimit must be a number",
        "api.quotaPerDay applies only when api.auth is apiKey",
    ):
        assert any(p.startswith(start) for p in found), (start, found)
    assert len(found) == 4, found


def test_model_list_rules_hold_the_valid_models_next_to_a_bad_one() -> None:
    found = problems(
        models=[
            {"name": "a", "recipe": "aws-user-personalization"},
            {"name": "a", "recipe": "aws-popularity-count"},
            {"name": "Bad!", "recipe": "aws-sims"},
        ]
    )
    assert sorted(found) == sorted(
        [
            "models[2].name must be 1-20 lower-case letters, digits or dashes, not starting with "
            'a dash, got "Bad!"',
            'models has more than one model named "a"',
            "models has 2 models serving /recommendations (a, a); at most one is allowed",
        ]
    ), found


def test_an_unknown_quality_gate_metric_names_the_metrics() -> None:
    found = problems(
        models=[{"name": "r", "recipe": "aws-user-personalization", "qualityGate": {"ndcg": 0.1}}]
    )
    assert found == [
        "models[0].qualityGate.ndcg is not a known key (known here: coverage, "
        "mean_reciprocal_rank_at_25, normalized_discounted_cumulative_gain_at_5, "
        "normalized_discounted_cumulative_gain_at_10, normalized_discounted_cumulative_gain_at_25, "
        "precision_at_5, precision_at_10, precision_at_25)"
    ]


def _outcome(values: dict[str, Any]) -> StackConfig | list[str]:
    try:
        return load(**values)
    except ConfigError as error:
        return error.problems


def _setting(path: str, value: Any) -> dict[str, Any]:
    """Stack values that set one key path (models[] is one model) to `value`; without the key
    itself (only the sections above it) when `value` is ABSENT."""
    values: dict[str, Any] = {"datasets": dict(GOOD_DATASETS)}
    model = {"name": "recs", "recipe": "aws-user-personalization"}
    parts = path.split(".")
    target = values
    if parts[0] == "models[]":
        values["models"] = [model]
        target, parts = model, parts[1:]
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target.pop(parts[-1], None)
    if value is not ABSENT:
        target[parts[-1]] = value
    return values


ABSENT = object()


@pytest.mark.parametrize("path", config_keys())
def test_an_explicit_null_means_not_set_for_every_key(path: str) -> None:
    with_null = _outcome(_setting(path, None))
    assert with_null == _outcome(_setting(path, ABSENT))
    if path in ("datasets.interactions", "models[].name", "models[].recipe"):
        assert isinstance(with_null, list)
        assert any(p.startswith(path.replace("[]", "[0]") + " is required") for p in with_null)


def test_a_blank_free_string_means_not_set() -> None:
    config = load(
        models=[{"name": "r", "recipe": "aws-user-personalization", "training": {"eventType": ""}}],
        api={"smokeTestUser": ""},
    )
    assert config.models[0].training.event_type is None
    assert config.api.smoke_test_user is None
    assert problems(filters={"empty": ""})[0].startswith(
        "filters.empty must be a filter expression string, such as"
    )
