"""A dataset group's data: imported rows, records from PutItems / PutUsers and live events."""

from __future__ import annotations

import bisect
from collections import defaultdict
from typing import Any

from .. import avro, recommender
from ..region import RegionBackend
from ..resources import Resource


def dataset_of(rb: RegionBackend, group_arn: str, dataset_type: str) -> Resource | None:
    for d in rb.children("dataset", "datasetGroupArn", group_arn):
        if d.state["type"] == dataset_type:
            return d
    return None


def group_interactions(rb: RegionBackend, group_arn: str) -> list[recommender.Interaction]:
    rows: list[recommender.Interaction] = []
    dataset = dataset_of(rb, group_arn, "Interactions")
    if dataset is not None:
        for row in dataset.state["rows"]:
            value = row.get("EVENT_VALUE")
            rows.append(
                recommender.Interaction(
                    str(row["USER_ID"]),
                    str(row["ITEM_ID"]),
                    float(row["TIMESTAMP"]),
                    str(row.get("EVENT_TYPE") or ""),
                    None if value is None else float(value),
                )
            )
    rows.extend(rb.events.get(group_arn, []))
    return rows


def user_histories(rb: RegionBackend, group_arn: str) -> dict[str, list[recommender.Interaction]]:
    """Per user, interactions in time order (imported plus live events); cached per dataset."""
    dataset = dataset_of(rb, group_arn, "Interactions")
    cache_owner = dataset.state if dataset is not None else None
    events = rb.events.get(group_arn, [])
    if cache_owner is not None:
        cached = cache_owner.get("history")
        if cached is not None and cached[0] == len(events):
            history: dict[str, list[recommender.Interaction]] = cached[1]
            return history
    by_user: dict[str, list[recommender.Interaction]] = defaultdict(list)
    for i in group_interactions(rb, group_arn):
        by_user[i.user_id].append(i)
    for rows in by_user.values():
        rows.sort(key=lambda i: i.timestamp)
    if cache_owner is not None:
        cache_owner["history"] = (len(events), by_user)
    return by_user


def extend_history(rb: RegionBackend, group_arn: str, interaction: recommender.Interaction) -> None:
    """Keep the cached per-user histories current as events arrive (no full rebuild)."""
    dataset = dataset_of(rb, group_arn, "Interactions")
    cached = dataset.state.get("history") if dataset is not None else None
    if dataset is None or cached is None:
        return
    count, by_user = cached
    if count != len(rb.events[group_arn]) - 1:
        dataset.state.pop("history", None)
        return
    rows = by_user[interaction.user_id]
    stamps = [i.timestamp for i in rows]
    rows.insert(bisect.bisect_right(stamps, interaction.timestamp), interaction)
    dataset.state["history"] = (count + 1, by_user)


def schema_of(rb: RegionBackend, group_arn: str, dataset_type: str) -> avro.AvroSchema | None:
    dataset = dataset_of(rb, group_arn, dataset_type)
    if dataset is None:
        return None
    schema: avro.AvroSchema = rb.resources[dataset.attrs["schemaArn"]].state["parsed"]
    return schema


def user_rows(rb: RegionBackend, group_arn: str) -> dict[str, dict[str, Any]]:
    """Users dataset rows by id (imported, then PutUsers)."""
    dataset = dataset_of(rb, group_arn, "Users")
    if dataset is None:
        return {}
    rows = {str(r["USER_ID"]): r for r in dataset.state["rows"]}
    rows.update(dataset.state["records"])
    return rows


def item_rows(
    rb: RegionBackend, group_arn: str
) -> tuple[dict[str, dict[str, Any]], dict[str, float]]:
    """Items dataset rows by id, and when each item was added (for exploration)."""
    dataset = dataset_of(rb, group_arn, "Items")
    if dataset is None:
        return {}, {}
    rows = {str(r["ITEM_ID"]): r for r in dataset.state["rows"]}
    rows.update(dataset.state["records"])
    added: dict[str, float] = {}
    for item, row in rows.items():
        stamp = row.get("CREATION_TIMESTAMP")
        added[item] = (
            float(stamp)
            if isinstance(stamp, int | float)
            else dataset.state["record_times"].get(item, 0.0)
        )
    return rows, added
