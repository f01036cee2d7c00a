"""Solution version: one training of a solution, with its offline metrics."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, UpdateResult

from .checks import is_unknown, name_problem
from .client import credentials_guarded, error_code, is_not_found, paginate
from .declaration import Field, Kind
from .polling import ACTIVE, IN_FLIGHT, PersonalizeProviderError
from .provider import PersonalizeProvider
from .resource import KindResource
from .tags import tag_value
from .training import SETTLING, stop_training, wait_versions_settled

TRAINING_MODES = ("FULL", "UPDATE")
# The fingerprint travels as a tag (made a valid tag value by tag_value) so a later `up` can
# find its training again.
TRAINING_INPUTS_TAG = "pulumi:training-inputs"

SOLUTION_VERSION = Kind(
    label="solution version",
    noun="solution_version",
    fields={
        "solution_arn": Field("solutionArn", required=True, arn_of="solution"),
        "training_mode": Field("trainingMode", default="FULL", choices=TRAINING_MODES),
        "name": Field("name"),
        "training_inputs": Field(default=""),
        # A new gate re-checks the same training; anything else trains a new version.
        "quality_gate": Field(updatable=True, value_type=dict),
    },
    name_key=None,  # the name is optional
    tagged=False,
    # No DeleteSolutionVersion exists: a version goes with its solution (delete() stops a
    # training still running).
    has_delete=False,
    # Create the new version first so the campaign switches to it in place.
    delete_first=False,
    outputs={"metrics": None},
)


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
    declaration = SOLUTION_VERSION
    resumes = (
        "the training goes on, and the next `pulumi up` adopts it by its "
        f"{TRAINING_INPUTS_TAG} tag (running or finished) instead of training again."
    )

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        failures = []
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

    def _create_args(self, props: dict[str, Any]) -> dict[str, Any]:
        fingerprint = tag_value(props.get("training_inputs") or "")
        tags = [{"tagKey": TRAINING_INPUTS_TAG, "tagValue": fingerprint}]
        return {**super()._create_args(props), "tags": tags}

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
        """The version of the solution that has this one's name (listing does not say names)."""
        if not props.get("name"):
            return None
        for version in paginate(
            client, "list_solution_versions", "solutionVersions", solutionArn=props["solution_arn"]
        ):
            arn = str(version["solutionVersionArn"])
            if self._describe(client, arn).get("name") == props["name"]:
                return arn
        return None

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
            stop_training(client, id_)
        if status in SETTLING:
            wait_versions_settled(client, [id_])


class SolutionVersion(KindResource, module="personalize", name="SolutionVersion"):
    """A trained model. Changing training_inputs (or mode, name) trains a new version first."""

    provider_class = SolutionVersionProvider
    solution_arn: pulumi.Output[str]
    training_mode: pulumi.Output[str]
    name: pulumi.Output[str | None]
    training_inputs: pulumi.Output[str]
    quality_gate: pulumi.Output[Mapping[str, float] | None]
    metrics: pulumi.Output[Mapping[str, float]]
