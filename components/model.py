"""Model layer: per configured model a solution, a trained solution version and a campaign; filters.

This is the deploy's critical path (import -> training -> campaign). Everything here waits for data;
nothing outside it waits for training: other layers get campaign and filter ARNs from `arn_of`,
which derives them from names.
"""

from __future__ import annotations

import json
from typing import Any

import pulumi

from components.arns import arn, recipe_arn
from components.config import (
    CREATION_TIMESTAMP,
    EXPLORATION_RECIPES,
    ModelConfig,
    Route,
    StackConfig,
)
from components.data_check import load_schema
from components.datasets import Datasets
from handlers.contract import METADATA_COLUMNS_ENV, NEW_ITEMS_PROMOTION_ENV
from providers import Campaign, Filter, Solution, SolutionVersion
from providers.campaign import PERSONALIZED_RANKING, RELATED_ITEMS, USER_PERSONALIZATION
from providers.solution import settings_id

# The recipe type (DescribeRecipe's recipeType) each API route serves.
ROUTE_RECIPE_TYPES: dict[Route, str] = {
    "recommendations": USER_PERSONALIZATION,
    "rankings": PERSONALIZED_RANKING,
    "similar-items": RELATED_ITEMS,
}

# The placeholder the handler fills with "now minus maxAgeDays" (epoch seconds) on each request.
PROMOTION_CUTOFF_PARAMETER = "CUTOFF"
# The filter examples page compares CREATION_TIMESTAMP with a placeholder the same way
# ("INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP > $DATE").
NEW_ITEMS_FILTER_EXPRESSION = (
    f"INCLUDE ItemID WHERE Items.{CREATION_TIMESTAMP} > ${PROMOTION_CUTOFF_PARAMETER}"
)
# Promotion.name: the name GetRecommendations reports as each promoted item's promotionName.
NEW_ITEMS_PROMOTION_NAME = "new-items"


def arn_of(
    kind: str,
    name: str,
    account_id: pulumi.Input[str],
    region: pulumi.Input[str],
    partition: str,
) -> pulumi.Output[str]:
    """The ARN a named Personalize resource will have, known before it exists."""
    return arn(partition, "personalize", region, account_id, f"{kind}/{name}")


def campaign_config(model: ModelConfig) -> dict[str, Any]:
    """CreateCampaign's campaignConfig for a model (the API takes exploration values as strings).

    itemExplorationConfig goes only to User-Personalization (v1) campaigns, whatever the model
    carries: the config check refuses it elsewhere, and this keeps it off the API call too."""
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


def solution_name(config: StackConfig, model: ModelConfig) -> str:
    """The solution's physical name: the model's name and the id of its training settings.

    A change of the recipe, `training.hpo`, `training.eventType` or `training.solutionConfig`
    needs a new solution; with a new name Pulumi creates it, trains it and switches the campaign
    to it before deleting the old one (which the campaign serves until then).
    """
    return config.name(model.name, settings_id(solution_settings(config, model)))


def solution_settings(config: StackConfig, model: ModelConfig) -> dict[str, Any]:
    """The Solution inputs that need a new solution when they change (plain values: the
    solution's name carries their hash)."""
    return {
        "recipe_arn": recipe_arn(config.partition, model.recipe),
        "perform_hpo": model.training.hpo,
        "event_type": model.training.event_type,
        "solution_config": dict(model.training.solution_config) or None,
    }


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
            name=solution_name(config, model),
            dataset_group_arn=datasets.dataset_group.arn,
            perform_auto_training=model.training.auto_training,
            auto_training_schedule=(
                model.training.auto_training_schedule if model.training.auto_training else None
            ),
            **solution_settings(config, model),
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
            # Another kind of model for the route replaces the campaign; a retrained or
            # re-configured model of the same kind is switched in place (UpdateCampaign).
            recipe_type=ROUTE_RECIPE_TYPES[model.route],
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
    promotion_filters: dict[str, Filter]

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
        # One filter per model that promotes new items; the handler fills its cutoff per request.
        self.promotion_filters = {
            model.name: Filter(
                f"{name}-promo-{model.name}",
                name=self.promotion_filter_name(model),
                dataset_group_arn=datasets.dataset_group.arn,
                filter_expression=NEW_ITEMS_FILTER_EXPRESSION,
                region=region,
                tags=dict(config.tags),
                opts=pulumi.ResourceOptions(
                    parent=self, depends_on=list(datasets.datasets.values())
                ),
            )
            for model in config.models
            if model.promote_new_items is not None
        }
        self.register_outputs({})

    def promotion_filter_name(self, model: ModelConfig) -> str:
        return self.config.name("promo", model.name)

    def promotion_filter_arns(self) -> list[pulumi.Output[str]]:
        return [
            self._arn("filter", self.promotion_filter_name(m))
            for m in self.config.models
            if m.promote_new_items is not None
        ]

    def _arn(self, kind: str, name: str) -> pulumi.Output[str]:
        return arn_of(kind, name, self.account_id, self.region, self.config.partition)

    def recommend_environment(self) -> dict[str, pulumi.Input[str]]:
        """What the recommend function needs beyond campaigns and filters: the new-items promotion
        of the /recommendations model and the Items columns clients may ask for, per route."""
        environment: dict[str, pulumi.Input[str]] = {}
        serving = self.config.model_for("recommendations")
        if serving is not None and serving.promote_new_items is not None:
            promotion = serving.promote_new_items
            environment[NEW_ITEMS_PROMOTION_ENV] = self._arn(
                "filter", self.promotion_filter_name(serving)
            ).apply(
                lambda arn: json.dumps(
                    {
                        "name": NEW_ITEMS_PROMOTION_NAME,
                        "percentPromotedItems": promotion.percent,
                        "filterArn": arn,
                        "cutoffParameter": PROMOTION_CUTOFF_PARAMETER,
                        "maxAgeDays": promotion.max_age_days,
                    },
                    sort_keys=True,
                )
            )
        columns = metadata_columns(self.config)
        if columns:
            environment[METADATA_COLUMNS_ENV] = json.dumps(columns, sort_keys=True)
        return environment

    def campaign_arns(self) -> dict[Route, pulumi.Output[str]]:
        """Campaign ARN per API route, derived from names so callers never wait for training."""
        return {d.model.route: self._arn("campaign", d.name) for d in self.deployments.values()}

    def campaigns(self) -> list[pulumi.Resource]:
        """Every deployed campaign: the API's smoke test runs once they are all active."""
        return [d.campaign for d in self.deployments.values()]

    def outputs(self) -> dict[str, dict[str, pulumi.Output[Any]]]:
        """The stack outputs of the trained models, by model name."""
        deployed = self.deployments.items()
        return {
            "campaignArns": {name: d.campaign.arn for name, d in deployed},
            "solutionVersionArns": {name: d.solution_version.arn for name, d in deployed},
            "solutionMetrics": {name: d.solution_version.metrics for name, d in deployed},
        }

    def filter_arns(self) -> dict[str, pulumi.Output[str]]:
        return {
            filter_name: self._arn("filter", self.config.name("filter", filter_name))
            for filter_name in self.config.filters
        }


def metadata_columns(config: StackConfig) -> dict[str, list[str]]:
    """Route -> the Items columns a client may request as metadataColumns, for each model whose
    campaign returns metadata: every Items schema field except ITEM_ID (which each item carries
    anyway)."""
    items = config.dataset("Items")
    if items is None:
        return {}
    fields = [f["name"] for f in load_schema(items.schema_file, "Items")["fields"]]
    columns = [name for name in fields if name != "ITEM_ID"]
    return {m.route: columns for m in config.models if m.campaign.enable_metadata}
