"""A store deployed once for the conformance tests, the way AWS's samples build theirs.

Interactions, Items and Users datasets, a User-Personalization (v1) campaign, a similar-items and
a personalized-ranking campaign, and an event tracker. Tests that change state use their own
users or items, so they do not depend on each other's order.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from local.personalize_emulator import EmulatorServer, run_emulator

from ..conftest import BUCKET, Clients, make_clients
from ..helpers import RECIPE, Stack, Synthetic, avro_schema, deploy, poll, wait_status

USERS_SCHEMA = avro_schema(
    "Users",
    [
        {"name": "USER_ID", "type": "string"},
        {"name": "AGE", "type": "int"},
        {"name": "TIER", "type": "string", "categorical": True},
    ],
)


@dataclass
class Store:
    emu: EmulatorServer
    clients: Clients
    stack: Stack
    data: Synthetic
    users: str
    campaigns: dict[str, str] = field(default_factory=dict)
    _filters: int = 0

    def make_filter(self, expression: str) -> str:
        """Create a filter on the store's dataset group and wait until it is ACTIVE."""
        self._filters += 1
        pz = self.clients.pz
        arn = pz.create_filter(
            name=f"conformance-{self._filters}",
            datasetGroupArn=self.stack.group,
            filterExpression=expression,
        )["filterArn"]
        wait_status(poll(pz.describe_filter, "filter", filterArn=arn))
        return str(arn)

    def recommend(self, campaign: str = "user", **kwargs: Any) -> list[str]:
        result = self.clients.runtime.get_recommendations(
            campaignArn=self.campaigns[campaign], **kwargs
        )
        return [i["itemId"] for i in result["itemList"]]

    def history(self, user: str, event_type: str | None = None) -> set[str]:
        return {
            item
            for u, item, event, _ in self.data.interactions
            if u == user and (event_type is None or event == event_type)
        }

    def genres(self, item: str) -> set[str]:
        row = next(r for r in self.data.items if r[0] == item)
        return set(str(row[1]).split("|"))

    def year(self, item: str) -> int | None:
        return next(r[2] for r in self.data.items if r[0] == item)


@pytest.fixture(scope="package")
def store(moto_url: str, data: Synthetic) -> Iterator[Store]:
    with run_emulator(s3_endpoint_url=moto_url) as emu:
        clients = make_clients(emu.url, moto_url)
        pz = clients.pz
        stack = deploy(pz, clients.s3, BUCKET, data, prefix="conf")
        schema = pz.create_schema(name="conf-users", schema=USERS_SCHEMA)["schemaArn"]
        users = pz.create_dataset(
            name="conf-users", datasetGroupArn=stack.group, datasetType="Users", schemaArn=schema
        )["datasetArn"]
        wait_status(poll(pz.describe_dataset, "dataset", datasetArn=users))
        # Odd-numbered users are adults.
        for start in range(1, 161, 10):
            clients.events.put_users(
                datasetArn=users,
                users=[
                    {
                        "userId": f"u{n:05d}",
                        "properties": json.dumps({"age": 30 if n % 2 else 12, "tier": "free"}),
                    }
                    for n in range(start, start + 10)
                ],
            )
        store = Store(emu, clients, stack, data, users, {"user": stack.campaign})
        for key, recipe in (
            ("similar", "aws-similar-items"),
            ("ranking", "aws-personalized-ranking"),
        ):
            solution = pz.create_solution(
                name=f"conf-{key}",
                datasetGroupArn=stack.group,
                recipeArn=RECIPE + recipe,
                performAutoTraining=False,
            )["solutionArn"]
            wait_status(poll(pz.describe_solution, "solution", solutionArn=solution))
            version = pz.create_solution_version(solutionArn=solution)["solutionVersionArn"]
            wait_status(
                poll(pz.describe_solution_version, "solutionVersion", solutionVersionArn=version)
            )
            campaign = pz.create_campaign(name=f"conf-{key}", solutionVersionArn=version)[
                "campaignArn"
            ]
            wait_status(poll(pz.describe_campaign, "campaign", campaignArn=campaign))
            store.campaigns[key] = campaign
        yield store
