"""Campaign: serves a solution version. Switches versions in place, without a serving gap."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi
from pulumi.dynamic import CheckFailure, DiffResult, UpdateResult

from .checks import is_unknown, normalize_config
from .client import credentials_guarded
from .declaration import NAME, Field, Kind, nest
from .provider import PersonalizeProvider
from .resource import KindResource
from .switch import switch_campaign

CAMPAIGN_CONFIG_KEYS = (
    "itemExplorationConfig",
    "enableMetadataWithRecommendations",
    "syncWithLatestSolutionVersion",
    "rankingInfluence",
)
# DescribeRecipe's recipeType values (botocore model, shape Recipe). UpdateCampaign switches a
# campaign to another solution version in place; no page says it may switch to another kind of
# model, and the clients of the campaign expect the kind they call (a ranking is not a list of
# recommendations): a change of recipe_type replaces the campaign instead.
RECIPE_TYPES = ("USER_PERSONALIZATION", "PERSONALIZED_RANKING", "RELATED_ITEMS")
USER_PERSONALIZATION, PERSONALIZED_RANKING, RELATED_ITEMS = RECIPE_TYPES

CAMPAIGN = Kind(
    label="campaign",
    noun="campaign",
    fields={
        "name": NAME,
        "solution_version_arn": Field("solutionVersionArn", required=True, updatable=True),
        "min_provisioned_tps": Field(
            "minProvisionedTPS", default=1, value_type=int, updatable=True, live=True
        ),
        "campaign_config": Field("campaignConfig", value_type=dict, updatable=True),
        "recipe_type": Field(choices=RECIPE_TYPES),
    },
    # What the campaign serves right now, as the service reports it.
    outputs={"solution_version_arn": "solutionVersionArn"},
)
SERVING_KEYS = tuple(k for k, f in CAMPAIGN.fields.items() if f.updatable)


class CampaignProvider(PersonalizeProvider):
    declaration = CAMPAIGN
    resumes_update = (
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

    def serving_args(self, props: Mapping[str, Any]) -> dict[str, Any]:
        """What UpdateCampaign takes: the Create request but the name and the tags."""
        args = nest(self._create_args(dict(props)))
        return {k: v for k, v in args.items() if k not in ("name", "tags")}

    @credentials_guarded
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self.client(news["region"])
        if self._differs("tags", olds.get("tags"), news.get("tags")):
            self._update_tags(client, id_, olds.get("tags") or {}, news.get("tags") or {})
        if any(self._differs(k, olds.get(k), news.get(k)) for k in SERVING_KEYS):
            switch_campaign(self, client, id_, news)
        described = self._describe(client, id_)
        return UpdateResult(self._outputs(client, id_, news, described))


class Campaign(KindResource, module="personalize", name="Campaign"):
    """A campaign. Version, TPS and config change in place (UpdateCampaign, no serving gap);
    a new name or recipe_type replaces it (the same name: deleted first, a short gap)."""

    provider_class = CampaignProvider
    name: pulumi.Output[str]
    solution_version_arn: pulumi.Output[str]
    min_provisioned_tps: pulumi.Output[int]
    campaign_config: pulumi.Output[Mapping[str, Any] | None]
    recipe_type: pulumi.Output[str | None]
    tags: pulumi.Output[Mapping[str, str] | None]
