"""Solution: a recipe and its training configuration for a dataset group."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, DiffResult

from .checks import is_unknown, normalize_config
from .client import paginate
from .declaration import DATASET_GROUP_ARN, NAME, Field, Kind
from .polling import ACTIVE, CREATE_FAILED, IN_FLIGHT, PersonalizeProviderError
from .provider import PersonalizeProvider
from .resource import KindResource
from .training import stop_training, wait_versions_settled

SOLUTION_CONFIG_KEYS = (
    "eventValueThreshold",
    "hpoConfig",
    "algorithmHyperParameters",
    "featureTransformationParameters",
    "autoMLConfig",
    "eventsConfig",
    "optimizationObjective",
    "trainingDataConfig",
    "autoTrainingConfig",
)
# autoTrainingConfig.schedulingExpression; the stack's config checks training.autoTrainingSchedule
# with this same pattern.
SCHEDULE = re.compile(r"^rate\(([1-9]|[12][0-9]|30) days?\)$")
# What CreateSolution takes and UpdateSolution cannot change (it takes performAutoTraining,
# performIncrementalUpdate and solutionUpdateConfig: the auto-training schedule and eventsConfig):
# a change of any of these needs a new solution, trained anew. An eventsConfig change alone would
# fit UpdateSolution but take effect only at the next training; a new solution trains at once.
TRAINING_SETTINGS = ("recipe_arn", "perform_hpo", "event_type", "solution_config")
SETTINGS_ID_LENGTH = 8
_SETTINGS_ID_SUFFIX = re.compile(rf"-[0-9a-f]{{{SETTINGS_ID_LENGTH}}}$")


def settings_id(settings: Mapping[str, Any]) -> str:
    """A short, stable id of one combination of TRAINING_SETTINGS, for the solution's name.

    A solution whose name carries it gets a new name whenever one of these settings changes, so
    Pulumi creates the new solution (and trains it) before it deletes the old one, which the
    campaign keeps serving until it switches: Personalize refuses to delete a solution that a
    campaign uses, so the same name (delete first) cannot work while a campaign serves it.
    Unset and empty values count as absent, so a default written out changes nothing.
    """
    canonical = {key: settings.get(key) or None for key in TRAINING_SETTINGS}
    text = json.dumps(canonical, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:SETTINGS_ID_LENGTH]


SOLUTION = Kind(
    label="solution",
    noun="solution",
    fields={
        "name": NAME,
        "dataset_group_arn": DATASET_GROUP_ARN,
        "recipe_arn": Field("recipeArn", required=True, arn_of="recipe"),
        # UpdateSolution changes auto-training in place; everything else needs a new solution.
        # The API defaults it to true (a weekly retrain nobody asked for): always sent.
        "perform_auto_training": Field(
            "performAutoTraining", default=False, value_type=bool, updatable=True, live=True
        ),
        "auto_training_schedule": Field(updatable=True),
        "perform_hpo": Field("performHPO", default=False, value_type=bool),
        "event_type": Field("eventType"),
        "solution_config": Field("solutionConfig", value_type=dict),
    },
    parent="dataset_group_arn",
    # The name it has, which differs from the input for a solution named before its name
    # carried the settings id (see SolutionProvider.diff).
    outputs={"name": "name"},
)


class SolutionProvider(PersonalizeProvider):
    declaration = SOLUTION

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        schedule = inputs.get("auto_training_schedule")
        if schedule is not None and not is_unknown(schedule):
            if not isinstance(schedule, str) or not SCHEDULE.match(schedule):
                failures.append(
                    CheckFailure(
                        "auto_training_schedule",
                        "auto_training_schedule must be 'rate(N days)' with N from 1 to 30, "
                        f"got {schedule!r}",
                    )
                )
            elif inputs.get("perform_auto_training") is False:
                failures.append(
                    CheckFailure(
                        "auto_training_schedule",
                        "auto_training_schedule needs perform_auto_training=True",
                    )
                )
        config = inputs.get("solution_config")
        if config is not None and not is_unknown(config):
            if not isinstance(config, dict):
                failures.append(CheckFailure("solution_config", "solution_config must be a map"))
            else:
                inputs["solution_config"], problems = normalize_config(
                    config, SOLUTION_CONFIG_KEYS, "solution_config"
                )
                failures.extend(problems)
                if "autoTrainingConfig" in inputs["solution_config"]:
                    failures.append(
                        CheckFailure(
                            "solution_config",
                            "set the schedule with auto_training_schedule, not "
                            "solution_config.autoTrainingConfig (it updates in place)",
                        )
                    )
        return failures

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        name = news.get("name")
        if (
            isinstance(name, str)
            and _SETTINGS_ID_SUFFIX.search(name)
            and olds.get("name") == _SETTINGS_ID_SUFFIX.sub("", name)
            and not any(self._differs(k, olds.get(k), news.get(k)) for k in TRAINING_SETTINGS)
        ):
            # A solution named before its name carried the settings id, trained with these very
            # settings: the same solution. Renaming it would create and train a new one.
            olds = {**olds, "name": name}
        return super().diff(id_, olds, news)

    def _create_args(self, props: dict[str, Any]) -> dict[str, Any]:
        """solutionConfig also carries the auto-training schedule."""
        args = super()._create_args(props)
        config = dict(props.get("solution_config") or {})
        if props.get("auto_training_schedule"):
            config["autoTrainingConfig"] = {"schedulingExpression": props["auto_training_schedule"]}
        args.pop("solutionConfig", None)
        return {**args, "solutionConfig": config} if config else args

    def _status(self, described: dict[str, Any]) -> str:
        status = str(described.get("status", ""))
        update = described.get("latestSolutionUpdate") or {}
        if status == ACTIVE and update.get("status") in (*IN_FLIGHT, CREATE_FAILED):
            # An UpdateSolution still running (or failed) is what the caller waits on.
            return str(update["status"])
        return status

    def _failure_reason(self, described: dict[str, Any]) -> str:
        update = described.get("latestSolutionUpdate") or {}
        if described.get("status") == ACTIVE and update.get("status") == CREATE_FAILED:
            return f"update failed: {update.get('failureReason') or 'no failureReason given'}"
        return super()._failure_reason(described)

    def _on_failed(
        self, client: Any, arn: str, props: dict[str, Any], described: dict[str, Any]
    ) -> None:
        if described.get("status") == ACTIVE:
            # A failed UpdateSolution leaves a working solution: report, don't delete.
            raise PersonalizeProviderError(
                f"{self._label(props, arn)}: {self._failure_reason(described)}"
            )
        super()._on_failed(client, arn, props, described)

    def _update(
        self, client: Any, arn: str, _olds: dict[str, Any], news: dict[str, Any], _: list[str]
    ) -> None:
        kwargs: dict[str, Any] = {
            "solutionArn": arn,
            "performAutoTraining": bool(news.get("perform_auto_training")),
        }
        if news.get("perform_auto_training") and news.get("auto_training_schedule"):
            kwargs["solutionUpdateConfig"] = {
                "autoTrainingConfig": {"schedulingExpression": news["auto_training_schedule"]}
            }
        client.update_solution(**kwargs)

    def _before_delete(self, client: Any, arn: str) -> None:
        """Refuse at once if a campaign serves it; stop trainings still running.

        Personalize refuses DeleteSolution while a campaign uses one of its versions, and a
        serving campaign does not go away by waiting (a campaign being deleted does: retried).
        Running trainings (ours or auto-training) block it too: they are stopped.
        """
        serving = [
            str(c["campaignArn"])
            for c in paginate(client, "list_campaigns", "campaigns", solutionArn=arn)
            if not str(c.get("status", "")).startswith("DELETE")
        ]
        if serving:
            raise PersonalizeProviderError(
                f"solution {arn} cannot be deleted: campaign(s) {', '.join(serving)} serve it and "
                "Personalize refuses to delete a solution a campaign uses. Switch or delete the "
                "campaign first. (A change of recipe_arn, perform_hpo, event_type or "
                "solution_config replaces the solution: give the new one a new name, as the "
                "model component does, so it is created before the old one is deleted.)"
            )
        running = [
            str(version["solutionVersionArn"])
            for version in paginate(
                client, "list_solution_versions", "solutionVersions", solutionArn=arn
            )
            if version.get("status") in IN_FLIGHT
        ]
        for version_arn in running:
            stop_training(client, version_arn)
        if running:
            wait_versions_settled(client, running)


class Solution(KindResource, module="personalize", name="Solution"):
    """A Personalize solution. Auto-training settings update in place; the rest replaces."""

    provider_class = SolutionProvider
    name: pulumi.Output[str]
    dataset_group_arn: pulumi.Output[str]
    recipe_arn: pulumi.Output[str]
    perform_auto_training: pulumi.Output[bool]
    auto_training_schedule: pulumi.Output[str | None]
    perform_hpo: pulumi.Output[bool]
    event_type: pulumi.Output[str | None]
    solution_config: pulumi.Output[Mapping[str, Any] | None]
    tags: pulumi.Output[Mapping[str, str] | None]
