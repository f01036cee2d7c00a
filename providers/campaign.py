"""Campaign: serves a solution version. Switches versions in place, without a serving gap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

import pulumi
import pulumi.dynamic
from pulumi.dynamic import CheckFailure, DiffResult, UpdateResult

from .base import (
    ACTIVE,
    CREATE_FAILED,
    IN_FLIGHT,
    PersonalizeProvider,
    PersonalizeProviderError,
    Waiter,
    api_tags,
    credentials_guarded,
    error_code,
    error_message,
    find_by_name,
    is_unknown,
    normalize_config,
    subset_differences,
)

CAMPAIGN_CONFIG_KEYS = (
    "itemExplorationConfig",
    "enableMetadataWithRecommendations",
    "syncWithLatestSolutionVersion",
    "rankingInfluence",
)
SERVING_KEYS = ("solution_version_arn", "min_provisioned_tps", "campaign_config")
# DescribeRecipe's recipeType values (botocore model, shape Recipe). UpdateCampaign switches a
# campaign to another solution version in place; no page says it may switch to another kind of
# model, and the clients of the campaign expect the kind they call (a ranking is not a list of
# recommendations): a change of recipe_type replaces the campaign instead.
RECIPE_TYPES = ("USER_PERSONALIZATION", "PERSONALIZED_RANKING", "RELATED_ITEMS")


class CampaignProvider(PersonalizeProvider):
    kind = "campaign"
    inputs: ClassVar[tuple[str, ...]] = (
        "name",
        "solution_version_arn",
        "min_provisioned_tps",
        "campaign_config",
        "recipe_type",
    )
    required: ClassVar[tuple[str, ...]] = ("name", "solution_version_arn")
    defaults: ClassVar[dict[str, Any]] = {"min_provisioned_tps": 1}
    updatable: ClassVar[tuple[str, ...]] = ("tags", *SERVING_KEYS)
    resumes_update: ClassVar[str] = (
        "the campaign update goes on (the campaign serves the version it had until the update is "
        "ACTIVE), and the next `pulumi up` waits for it."
    )

    def validate(self, inputs: dict[str, Any]) -> list[CheckFailure]:
        failures = []
        version = inputs.get("solution_version_arn")
        if (
            version is not None
            and not is_unknown(version)
            and (
                not isinstance(version, str)
                or ":solution/" not in version
                or version.count("/") < 2
            )
        ):
            failures.append(
                CheckFailure(
                    "solution_version_arn",
                    "solution_version_arn must be a solution version ARN "
                    f"(arn:aws:personalize:...:solution/<name>/<id>), got {version!r}",
                )
            )
        recipe_type = inputs.get("recipe_type")
        if (
            recipe_type is not None
            and not is_unknown(recipe_type)
            and recipe_type not in RECIPE_TYPES
        ):
            failures.append(
                CheckFailure(
                    "recipe_type",
                    f"recipe_type must be one of {', '.join(RECIPE_TYPES)}, got {recipe_type!r}",
                )
            )
        tps = inputs.get("min_provisioned_tps")
        if not is_unknown(tps):
            if isinstance(tps, float) and tps.is_integer():
                tps = inputs["min_provisioned_tps"] = int(tps)
            if not isinstance(tps, int) or isinstance(tps, bool) or tps < 1:
                failures.append(
                    CheckFailure(
                        "min_provisioned_tps",
                        f"min_provisioned_tps must be an integer >= 1, got {tps!r}",
                    )
                )
        config = inputs.get("campaign_config")
        if config is not None and not is_unknown(config):
            if not isinstance(config, dict):
                failures.append(CheckFailure("campaign_config", "campaign_config must be a map"))
            else:
                normalized, problems = normalize_config(
                    config, CAMPAIGN_CONFIG_KEYS, "campaign_config"
                )
                failures.extend(problems)
                exploration = normalized.get("itemExplorationConfig")
                if isinstance(exploration, dict):
                    # The API takes these as strings ("0.3", "30").
                    normalized["itemExplorationConfig"] = {
                        k: str(v) for k, v in exploration.items()
                    }
                inputs["campaign_config"] = normalized
        return failures

    def diff(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        if olds.get("recipe_type") is None:
            # A state from before recipe_type was an input: not a change of the kind served.
            olds = {**olds, "recipe_type": news.get("recipe_type")}
        return super().diff(id_, olds, news)

    def _serving_args(self, props: Mapping[str, Any]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {
            "solutionVersionArn": props["solution_version_arn"],
            "minProvisionedTPS": int(props.get("min_provisioned_tps") or 1),
        }
        if props.get("campaign_config"):
            kwargs["campaignConfig"] = dict(props["campaign_config"])
        return kwargs

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        kwargs = {"name": props["name"], **self._serving_args(props)}
        if props.get("tags"):
            kwargs["tags"] = api_tags(props["tags"])
        return str(client.create_campaign(**kwargs)["campaignArn"])

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        return dict(client.describe_campaign(campaignArn=arn)["campaign"])

    def _delete(self, client: Any, arn: str) -> None:
        client.delete_campaign(campaignArn=arn)

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        return find_by_name(client, "list_campaigns", "campaigns", "campaignArn", props["name"])

    def _mismatches(self, props: dict[str, Any], described: dict[str, Any]) -> list[str]:
        wanted = self._serving_args(props)
        names = {
            "solutionVersionArn": "solution_version_arn",
            "minProvisionedTPS": "min_provisioned_tps",
            "campaignConfig": "campaign_config",
        }
        diffs: list[str] = []
        for key, name in names.items():
            diffs.extend(subset_differences(wanted.get(key), described.get(key), name))
        return diffs

    def _live_inputs(self, described: dict[str, Any]) -> dict[str, Any]:
        live: dict[str, Any] = {}
        if described.get("minProvisionedTPS") is not None:
            live["min_provisioned_tps"] = int(described["minProvisionedTPS"])
        return live

    def _extra_outputs(
        self, _client: Any, props: dict[str, Any], described: dict[str, Any]
    ) -> dict[str, Any]:
        # What the campaign serves right now, as the service reports it.
        return {
            "solution_version_arn": described.get("solutionVersionArn")
            or props.get("solution_version_arn")
        }

    @credentials_guarded
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self.client(news["region"])
        if self._differs("tags", olds.get("tags"), news.get("tags")):
            self._update_tags(client, id_, olds.get("tags") or {}, news.get("tags") or {})
        if any(self._differs(k, olds.get(k), news.get(k)) for k in SERVING_KEYS):
            self._switch(client, id_, news)
        described = self._describe(client, id_)
        return UpdateResult(self._outputs(client, id_, news, described))

    def _switch(self, client: Any, arn: str, news: dict[str, Any]) -> None:
        """UpdateCampaign, then wait for the update; the old version serves until it is ACTIVE."""
        waiter = Waiter()
        label = self._label(news, arn)
        last_error = ""

        def request() -> bool | None:
            nonlocal last_error
            try:
                client.update_campaign(campaignArn=arn, **self._serving_args(news))
            except Exception as exc:
                # Only an ACTIVE (or CREATE FAILED) campaign takes an update: wait.
                if error_code(exc) == "ResourceInUseException":
                    last_error = error_message(exc)
                    return None
                raise self._wrap(exc, f"updating {label}") from exc
            return True

        try:
            waiter.until(request, f"{label} to accept an update", waiter.settings.create_timeout)
        except PersonalizeProviderError as exc:
            if last_error:
                raise PersonalizeProviderError(f"{exc} (last refusal: {last_error})") from exc
            raise

        def settled() -> dict[str, Any] | None:
            described = self._describe(client, arn)
            update = described.get("latestCampaignUpdate") or {}
            status = update.get("status") or described.get("status")
            if status == ACTIVE and described.get("status") == ACTIVE:
                return described
            if status == CREATE_FAILED:
                raise PersonalizeProviderError(
                    f"{label}: update to {news['solution_version_arn']} failed: "
                    f"{update.get('failureReason') or 'no failureReason given'}; the campaign "
                    f"keeps serving {described.get('solutionVersionArn')}"
                )
            if status not in (*IN_FLIGHT, ACTIVE):
                raise PersonalizeProviderError(f"{label}: update is {status}")
            return None

        waiter.until(
            settled, f"the update of {label} to become ACTIVE", waiter.settings.create_timeout
        )


class Campaign(pulumi.dynamic.Resource, module="personalize", name="Campaign"):
    """A campaign. Version, TPS and config change in place (UpdateCampaign, no serving gap);
    a new name or recipe_type replaces it (the same name: deleted first, a short gap)."""

    name: pulumi.Output[str]
    solution_version_arn: pulumi.Output[str]
    min_provisioned_tps: pulumi.Output[int]
    campaign_config: pulumi.Output[Mapping[str, Any] | None]
    recipe_type: pulumi.Output[str | None]
    region: pulumi.Output[str]
    tags: pulumi.Output[Mapping[str, str] | None]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self,
        resource_name: str,
        *,
        name: pulumi.Input[str],
        solution_version_arn: pulumi.Input[str],
        region: pulumi.Input[str],
        min_provisioned_tps: pulumi.Input[int] = 1,
        campaign_config: pulumi.Input[Mapping[str, Any]] | None = None,
        recipe_type: pulumi.Input[str] | None = None,
        tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        props = {
            "name": name,
            "solution_version_arn": solution_version_arn,
            "min_provisioned_tps": min_provisioned_tps,
            "campaign_config": campaign_config,
            "recipe_type": recipe_type,
            "region": region,
            "tags": tags,
            "arn": None,
            "status": None,
        }
        super().__init__(CampaignProvider(), resource_name, props, opts)
