"""Solution: a recipe and its training configuration for a dataset group."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure

from .base import (
    ACTIVE,
    CREATE_FAILED,
    IN_FLIGHT,
    PersonalizeProvider,
    PersonalizeProviderError,
    Waiter,
    api_tags,
    arn_failures,
    error_code,
    find_by_name,
    is_not_found,
    is_unknown,
    normalize_config,
    paginate,
    subset_differences,
)

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
SCHEDULE = re.compile(r"^rate\(([1-9]|[12][0-9]|30) days?\)$")
# What CreateSolution takes and UpdateSolution cannot change (it takes performAutoTraining,
# performIncrementalUpdate and solutionUpdateConfig: the auto-training schedule and eventsConfig):
# a change of any of these needs a new solution, trained anew. An eventsConfig change alone would
# fit UpdateSolution but take effect only at the next training; a new solution trains at once.
TRAINING_SETTINGS = ("recipe_arn", "perform_hpo", "event_type", "solution_config")
SETTINGS_ID_LENGTH = 8


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


class SolutionProvider(PersonalizeProvider):
    kind = "solution"
    inputs: ClassVar[tuple[str, ...]] = (
        "name",
        "dataset_group_arn",
        "recipe_arn",
        "perform_auto_training",
        "auto_training_schedule",
        "perform_hpo",
        "event_type",
        "solution_config",
    )
    required: ClassVar[tuple[str, ...]] = ("name", "dataset_group_arn", "recipe_arn")
    defaults: ClassVar[dict[str, Any]] = {"perform_auto_training": False, "perform_hpo": False}
    # UpdateSolution changes auto-training in place; everything else needs a new solution.
    updatable: ClassVar[tuple[str, ...]] = (
        "tags",
        "perform_auto_training",
        "auto_training_schedule",
    )

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        failures = arn_failures(
            inputs, {"dataset_group_arn": "dataset-group", "recipe_arn": "recipe"}
        )
        for key in ("perform_auto_training", "perform_hpo"):
            value = inputs.get(key)
            if not is_unknown(value) and not isinstance(value, bool):
                failures.append(CheckFailure(key, f"{key} must be true or false, got {value!r}"))
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

    def _solution_config(self, props: Mapping[str, Any]) -> dict[str, Any]:
        config = dict(props.get("solution_config") or {})
        if props.get("auto_training_schedule"):
            config["autoTrainingConfig"] = {"schedulingExpression": props["auto_training_schedule"]}
        return config

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        kwargs: dict[str, Any] = {
            "name": props["name"],
            "datasetGroupArn": props["dataset_group_arn"],
            "recipeArn": props["recipe_arn"],
            "performHPO": bool(props.get("perform_hpo")),
            # The API defaults this to true (a weekly retrain nobody asked for): always send it.
            "performAutoTraining": bool(props.get("perform_auto_training")),
        }
        if props.get("event_type"):
            kwargs["eventType"] = props["event_type"]
        config = self._solution_config(props)
        if config:
            kwargs["solutionConfig"] = config
        if props.get("tags"):
            kwargs["tags"] = api_tags(props["tags"])
        return str(client.create_solution(**kwargs)["solutionArn"])

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        return dict(client.describe_solution(solutionArn=arn)["solution"])

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
        self,
        client: Any,
        arn: str,
        _olds: dict[str, Any],
        news: dict[str, Any],
        _changed: list[str],
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

    def _delete(self, client: Any, arn: str) -> None:
        client.delete_solution(solutionArn=arn)

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
        stopped = []
        for version in paginate(
            client, "list_solution_versions", "solutionVersions", solutionArn=arn
        ):
            if version.get("status") in IN_FLIGHT:
                try:
                    client.stop_solution_version_creation(
                        solutionVersionArn=version["solutionVersionArn"]
                    )
                    stopped.append(version["solutionVersionArn"])
                except Exception as exc:
                    # Finished or already stopping in the meantime: nothing to stop.
                    if error_code(exc) not in (
                        "ResourceNotFoundException",
                        "ResourceInUseException",
                    ):
                        raise
        if stopped:
            wait_versions_settled(client, stopped)

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        return find_by_name(
            client,
            "list_solutions",
            "solutions",
            "solutionArn",
            props["name"],
            datasetGroupArn=props["dataset_group_arn"],
        )

    def _mismatches(self, props: dict[str, Any], described: dict[str, Any]) -> list[str]:
        wanted = {
            "datasetGroupArn": props["dataset_group_arn"],
            "recipeArn": props["recipe_arn"],
            "performHPO": bool(props.get("perform_hpo")),
            "performAutoTraining": bool(props.get("perform_auto_training")),
            "eventType": props.get("event_type") or None,
            "solutionConfig": self._solution_config(props) or None,
        }
        names = {
            "datasetGroupArn": "dataset_group_arn",
            "recipeArn": "recipe_arn",
            "performHPO": "perform_hpo",
            "performAutoTraining": "perform_auto_training",
            "eventType": "event_type",
            "solutionConfig": "solution_config",
        }
        diffs: list[str] = []
        for key, value in wanted.items():
            diffs.extend(subset_differences(value, described.get(key), names[key]))
        return diffs

    def _live_inputs(self, described: dict[str, Any]) -> dict[str, Any]:
        live: dict[str, Any] = {}
        if "performAutoTraining" in described:
            live["perform_auto_training"] = bool(described["performAutoTraining"])
        return live


def wait_versions_settled(client: Any, arns: list[str]) -> None:
    """Wait until none of these solution versions is still creating or stopping."""
    waiter = Waiter()
    pending = list(arns)

    def probe() -> bool | None:
        for arn in list(pending):
            try:
                status = client.describe_solution_version(solutionVersionArn=arn)[
                    "solutionVersion"
                ]["status"]
            except Exception as exc:
                if is_not_found(exc):
                    pending.remove(arn)
                    continue
                raise
            if status not in (*IN_FLIGHT, "CREATE STOPPING"):
                pending.remove(arn)
        return True if not pending else None

    waiter.until(probe, f"solution versions {pending} to stop", waiter.settings.delete_timeout)


class Solution(pulumi.dynamic.Resource, module="personalize", name="Solution"):
    """A Personalize solution. Auto-training settings update in place; the rest replaces."""

    name: pulumi.Output[str]
    dataset_group_arn: pulumi.Output[str]
    recipe_arn: pulumi.Output[str]
    perform_auto_training: pulumi.Output[bool]
    auto_training_schedule: pulumi.Output[str | None]
    perform_hpo: pulumi.Output[bool]
    event_type: pulumi.Output[str | None]
    solution_config: pulumi.Output[Mapping[str, Any] | None]
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
        recipe_arn: pulumi.Input[str],
        region: pulumi.Input[str],
        perform_auto_training: pulumi.Input[bool] = False,
        auto_training_schedule: pulumi.Input[str] | None = None,
        perform_hpo: pulumi.Input[bool] = False,
        event_type: pulumi.Input[str] | None = None,
        solution_config: pulumi.Input[Mapping[str, Any]] | None = None,
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "name": name,
            "dataset_group_arn": dataset_group_arn,
            "recipe_arn": recipe_arn,
            "perform_auto_training": perform_auto_training,
            "auto_training_schedule": auto_training_schedule,
            "perform_hpo": perform_hpo,
            "event_type": event_type,
            "solution_config": solution_config,
            "region": region,
            "tags": tags,
            "arn": None,
            "status": None,
        }
        super().__init__(SolutionProvider(), resource_name, props, opts)
