"""Model layer: per configured model a solution, a trained solution version and a campaign; filters.

This is the deploy's critical path (import -> training -> campaign). Everything here waits for data;
nothing outside it waits for training: other layers get campaign and filter ARNs from `arn_of`,
which derives them from names.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.arns import arn
from components.config import EXPLORATION_RECIPES, ModelConfig, Route, StackConfig
from components.datasets import Datasets
from providers import Campaign, Filter, Solution, SolutionVersion


def arn_of(
    kind: str, name: str, account_id: pulumi.Input[str], region: pulumi.Input[str]
) -> pulumi.Output[str]:
    """The ARN a named Personalize resource will have, known before it exists."""
    return arn("personalize", region, account_id, f"{kind}/{name}")


def campaign_config(model: ModelConfig) -> dict[str, Any]:
    """CreateCampaign's campaignConfig for a model (the API takes exploration values as strings)."""
    config: dict[str, Any] = {}
    if model.recipe in EXPLORATION_RECIPES:
        exploration: dict[str, str] = {}
        if model.campaign.exploration_weight is not None:
            exploration["explorationWeight"] = f"{model.campaign.exploration_weight:g}"
        if model.campaign.exploration_item_age_cut_off is not None:
            exploration["explorationItemAgeCutOff"] = str(
                model.campaign.exploration_item_age_cut_off
            )
        if exploration:
            config["itemExplorationConfig"] = exploration
    if model.campaign.enable_metadata:
        config["enableMetadataWithRecommendations"] = True
    if model.training.auto_training:
        # Serve each automatically trained version as soon as it is ACTIVE.
        config["syncWithLatestSolutionVersion"] = True
    return config


class ModelDeployment(pulumi.ComponentResource):
    """One model: solution -> solution version -> campaign."""

    solution: Solution
    solution_version: SolutionVersion
    campaign: Campaign

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        model: ModelConfig,
        datasets: Datasets,
        region: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("personalize-realtime:model:ModelDeployment", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        tags = dict(config.tags)
        self.model = model
        self.name = config.name(model.name)

        self.solution = Solution(
            f"{name}-solution",
            name=self.name,
            dataset_group_arn=datasets.dataset_group.arn,
            # Recipes are AWS-owned: no region or account in their ARN.
            recipe_arn=arn("personalize", "", "", f"recipe/{model.recipe}"),
            perform_auto_training=model.training.auto_training,
            auto_training_schedule=(
                model.training.auto_training_schedule if model.training.auto_training else None
            ),
            perform_hpo=model.training.hpo,
            event_type=model.training.event_type,
            solution_config=dict(model.training.solution_config) or None,
            region=region,
            tags=tags,
            # A solution needs its datasets to exist, not their data: it comes up during import.
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(datasets.datasets.values())),
        )
        # Training reads whatever is imported now; the fingerprint of the import jobs makes a
        # re-import train a new version, which the campaign then switches to in place.
        self.solution_version = SolutionVersion(
            f"{name}-version",
            solution_arn=self.solution.arn,
            training_mode="FULL",
            training_inputs=datasets.imported(),
            quality_gate=dict(model.quality_gate) or None,
            region=region,
            opts=pulumi.ResourceOptions(
                parent=self, depends_on=list(datasets.import_jobs.values())
            ),
        )
        serving: pulumi.Input[str] = self.solution_version.arn
        if model.training.auto_training:
            # syncWithLatestSolutionVersion needs the "<solution>/$LATEST" form; depending on our
            # version still makes the first deploy wait for (and gate on) a trained model.
            serving = pulumi.Output.all(self.solution.arn, self.solution_version.arn).apply(
                lambda arns: f"{arns[0]}/$LATEST"
            )
        self.campaign = Campaign(
            f"{name}-campaign",
            name=self.name,
            solution_version_arn=serving,
            min_provisioned_tps=model.campaign.min_provisioned_tps,
            campaign_config=campaign_config(model) or None,
            region=region,
            tags=tags,
            opts=child,
        )
        self.register_outputs(
            {
                "campaign_arn": self.campaign.arn,
                "solution_version_arn": self.solution_version.arn,
                "metrics": self.solution_version.metrics,
            }
        )


class Models(pulumi.ComponentResource):
    """Every configured model, and the dataset group's filters."""

    deployments: dict[str, ModelDeployment]
    filters: dict[str, Filter]

    def __init__(
        self,
        name: str,
        *,
        config: StackConfig,
        datasets: Datasets,
        account_id: pulumi.Input[str],
        region: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        super().__init__("personalize-realtime:model:Models", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.config = config
        self.account_id = account_id
        self.region = region
        self.deployments = {
            model.name: ModelDeployment(
                f"{name}-{model.name}",
                config=config,
                model=model,
                datasets=datasets,
                region=region,
                opts=child,
            )
            for model in config.models
        }
        self.filters = {
            filter_name: Filter(
                f"{name}-filter-{filter_name}",
                name=config.name("filter", filter_name),
                dataset_group_arn=datasets.dataset_group.arn,
                filter_expression=expression,
                region=region,
                tags=dict(config.tags),
                # Expressions name dataset fields: the datasets they reference must exist.
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=list(datasets.datasets.values())
                ),
            )
            for filter_name, expression in config.filters.items()
        }
        self.register_outputs({})

    def campaign_arns(self) -> dict[Route, pulumi.Output[str]]:
        """Campaign ARN per API route, derived from names so callers never wait for training."""
        return {
            d.model.route: arn_of("campaign", d.name, self.account_id, self.region)
            for d in self.deployments.values()
        }

    def filter_arns(self) -> dict[str, pulumi.Output[str]]:
        return {
            filter_name: arn_of(
                "filter", self.config.name("filter", filter_name), self.account_id, self.region
            )
            for filter_name in self.config.filters
        }
