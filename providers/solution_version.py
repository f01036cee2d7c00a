"""Solution version: one training of a solution, with its offline metrics."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, UpdateResult

from .base import (
    ACTIVE,
    IN_FLIGHT,
    PersonalizeProvider,
    PersonalizeProviderError,
    arn_problem,
    credentials_guarded,
    error_code,
    is_not_found,
    is_unknown,
    name_problem,
    paginate,
)
from .solution import wait_versions_settled
from .tags import tag_value

TRAINING_MODES = ("FULL", "UPDATE")
# The fingerprint travels as a tag (made a valid tag value by tag_value) so a later `up` can
# find its training again.
TRAINING_INPUTS_TAG = "pulumi:training-inputs"


def gate_failures(arn: str, metrics: Mapping[str, float], gate: Mapping[str, Any]) -> list[str]:
    """Each metric below its bar, as 'solution version <arn>: <m> = <v> is below ...'."""
    problems = []
    for metric, minimum in sorted(gate.items()):
        value = metrics.get(metric)
        if value is None:
            problems.append(
                f"solution version {arn}: metric {metric} set in quality_gate is not reported "
                f"(reported: {', '.join(sorted(metrics)) or 'none'})"
            )
        elif float(value) < float(minimum):
            problems.append(
                f"solution version {arn}: {metric} = {float(value):.4g} is below the minimum "
                f"{float(minimum):.4g} set in quality_gate"
            )
    return problems


class SolutionVersionProvider(PersonalizeProvider):
    kind = "solution version"
    name_key: ClassVar[str | None] = None  # the name is optional
    inputs: ClassVar[tuple[str, ...]] = (
        "solution_arn",
        "training_mode",
        "name",
        "training_inputs",
        "quality_gate",
    )
    required: ClassVar[tuple[str, ...]] = ("solution_arn",)
    defaults: ClassVar[dict[str, Any]] = {"training_mode": "FULL", "training_inputs": ""}
    tagged: ClassVar[bool] = False
    # A new gate re-checks the same training; anything else trains a new version.
    updatable: ClassVar[tuple[str, ...]] = ("quality_gate",)
    # Create the new version first so the campaign switches to it in place.
    delete_first: ClassVar[bool | None] = False
    resumes: ClassVar[str] = (
        "the training goes on, and the next `pulumi up` adopts it by its "
        f"{TRAINING_INPUTS_TAG} tag (running or finished) instead of training again."
    )

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        solution = inputs.get("solution_arn")
        if solution is not None and not is_unknown(solution):
            problem = arn_problem(solution, "personalize", "solution")
            if problem:
                failures.append(CheckFailure("solution_arn", f"solution_arn {problem}"))
        mode = inputs.get("training_mode")
        if not is_unknown(mode) and mode not in TRAINING_MODES:
            failures.append(
                CheckFailure(
                    "training_mode",
                    f"training_mode must be one of {', '.join(TRAINING_MODES)}, got {mode!r}",
                )
            )
        name = inputs.get("name")
        if name is not None and not is_unknown(name):
            problem = name_problem(name)
            if problem:
                failures.append(CheckFailure("name", f"solution version name {problem}"))
        if not isinstance(inputs.get("training_inputs"), str):
            failures.append(
                CheckFailure("training_inputs", "training_inputs must be a string fingerprint")
            )
        gate = inputs.get("quality_gate")
        if gate is not None and not is_unknown(gate):
            if not isinstance(gate, dict):
                failures.append(
                    CheckFailure("quality_gate", "quality_gate must map metric names to minimums")
                )
            else:
                for metric, minimum in gate.items():
                    ok = isinstance(minimum, int | float) and not isinstance(minimum, bool)
                    if not ok or not math.isfinite(float(minimum)):
                        failures.append(
                            CheckFailure(
                                "quality_gate",
                                f"quality_gate[{metric!r}] must be a number, got {minimum!r}",
                            )
                        )
        return failures

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        kwargs: dict[str, Any] = {
            "solutionArn": props["solution_arn"],
            "trainingMode": props.get("training_mode") or "FULL",
            "tags": [
                {
                    "tagKey": TRAINING_INPUTS_TAG,
                    "tagValue": tag_value(props.get("training_inputs") or ""),
                }
            ],
        }
        if props.get("name"):
            kwargs["name"] = props["name"]
        return str(client.create_solution_version(**kwargs)["solutionVersionArn"])

    def _create_or_adopt(self, client: Any, props: dict[str, Any]) -> str:
        # A training is hours of work and money. A later `up` with the same training inputs picks
        # up the training started for them: still running (an interrupted `up`), or finished (a
        # quality gate that failed it, an `up` that failed further on). create() then checks the
        # gate against it again, so a lowered gate lets it through without training anew.
        found = self._find_training(client, props)
        if found is not None:
            return found
        return super()._create_or_adopt(client, props)

    def _find_training(self, client: Any, props: dict[str, Any]) -> str | None:
        """The newest version of these training inputs that is ACTIVE or still training."""
        wanted = tag_value(props.get("training_inputs") or "")
        mode = props.get("training_mode") or "FULL"
        try:
            versions = list(
                paginate(
                    client,
                    "list_solution_versions",
                    "solutionVersions",
                    solutionArn=props["solution_arn"],
                )
            )
        except Exception as exc:
            if is_not_found(exc):
                return None
            raise
        candidates = [
            v
            for v in versions
            if v.get("status") in (ACTIVE, *IN_FLIGHT) and v.get("trainingMode") == mode
        ]
        # Newest first: a finished training before one started after it is unlikely, but the
        # newest is the one a retry of this very `up` started.
        candidates.sort(key=lambda v: str(v.get("creationDateTime") or ""), reverse=True)
        for version in candidates:
            arn = str(version["solutionVersionArn"])
            try:
                tags = client.list_tags_for_resource(resourceArn=arn).get("tags", [])
            except Exception as exc:
                if error_code(exc) in ("ResourceNotFoundException", "InvalidInputException"):
                    continue
                raise
            found = {t.get("tagKey"): t.get("tagValue") for t in tags}
            if found.get(TRAINING_INPUTS_TAG) != wanted:
                continue
            if props.get("name") and self._describe(client, arn).get("name") != props["name"]:
                continue
            return arn
        return None

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        if not props.get("name"):
            return None
        for version in paginate(
            client, "list_solution_versions", "solutionVersions", solutionArn=props["solution_arn"]
        ):
            arn = str(version["solutionVersionArn"])
            if self._describe(client, arn).get("name") == props["name"]:
                return arn
        return None

    def _mismatches(self, props: dict[str, Any], described: dict[str, Any]) -> list[str]:
        diffs = []
        mode = props.get("training_mode") or "FULL"
        if described.get("trainingMode") and described["trainingMode"] != mode:
            diffs.append(f"training_mode: wanted {mode!r}, found {described['trainingMode']!r}")
        return diffs

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        return dict(client.describe_solution_version(solutionVersionArn=arn)["solutionVersion"])

    def _on_failed(
        self, _client: Any, arn: str, props: dict[str, Any], described: dict[str, Any]
    ) -> None:
        # A failed version cannot be deleted and blocks nothing; it goes with its solution.
        raise PersonalizeProviderError(
            f"{self._label(props, arn)} failed to train: {self._failure_reason(described)}"
        )

    def _label(self, props: Mapping[str, Any], arn: str | None = None) -> str:
        label = f"solution version {props['name']!r}" if props.get("name") else "solution version"
        if arn:
            return f"{label} ({arn})"
        return f"{label} of {props.get('solution_arn')}"

    def _extra_outputs(
        self, client: Any, props: dict[str, Any], described: dict[str, Any]
    ) -> dict[str, Any]:
        arn = str(described.get("solutionVersionArn") or props.get("arn"))
        metrics: dict[str, float] = {}
        if described.get("status") == ACTIVE:
            raw = client.get_solution_metrics(solutionVersionArn=arn).get("metrics", {})
            metrics = {str(k): float(v) for k, v in raw.items()}
        return {"metrics": metrics}

    def _check_gate(self, outs: Mapping[str, Any], props: Mapping[str, Any]) -> None:
        gate = props.get("quality_gate") or {}
        if gate and outs.get("status") == ACTIVE:
            problems = gate_failures(str(outs["arn"]), outs.get("metrics") or {}, gate)
            if problems:
                raise PersonalizeProviderError("; ".join(problems))

    def create(self, props: dict[str, Any]) -> pulumi.dynamic.CreateResult:
        result = super().create(props)
        # Fails the create, so nothing downstream (the campaign) sees this version.
        self._check_gate(result.outs or {}, props)
        return result

    @credentials_guarded
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self.client(news["region"])
        outs = self._outputs(client, id_, news, self._describe(client, id_))
        self._check_gate(outs, news)
        return UpdateResult(outs)

    @credentials_guarded
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        """Stop a training still running; a finished version is deleted with its solution."""
        client = self.client(props["region"])
        try:
            status = self._describe(client, id_).get("status")
        except Exception as exc:
            if is_not_found(exc):
                return
            raise
        if status in IN_FLIGHT:
            try:
                client.stop_solution_version_creation(solutionVersionArn=id_)
            except Exception as exc:
                if error_code(exc) not in ("ResourceNotFoundException", "ResourceInUseException"):
                    raise
        if status in (*IN_FLIGHT, "CREATE STOPPING"):
            wait_versions_settled(client, [id_])


class SolutionVersion(pulumi.dynamic.Resource, module="personalize", name="SolutionVersion"):
    """A trained model. Changing training_inputs (or mode, name) trains a new version first."""

    solution_arn: pulumi.Output[str]
    training_mode: pulumi.Output[str]
    name: pulumi.Output[str | None]
    training_inputs: pulumi.Output[str]
    quality_gate: pulumi.Output[Mapping[str, float] | None]
    region: pulumi.Output[str]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]
    metrics: pulumi.Output[Mapping[str, float]]

    def __init__(
        self,
        resource_name: str,
        *,
        solution_arn: pulumi.Input[str],
        region: pulumi.Input[str],
        training_mode: pulumi.Input[str] = "FULL",
        name: pulumi.Input[str] | None = None,
        training_inputs: pulumi.Input[str] = "",
        quality_gate: pulumi.Input[Mapping[str, pulumi.Input[float]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "solution_arn": solution_arn,
            "training_mode": training_mode,
            "name": name,
            "training_inputs": training_inputs,
            "quality_gate": quality_gate,
            "region": region,
            "arn": None,
            "status": None,
            "metrics": None,
        }
        super().__init__(SolutionVersionProvider(), resource_name, props, opts)
