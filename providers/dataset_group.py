"""Dataset group: the container of datasets, solutions, trackers and filters."""

from __future__ import annotations

from collections.abc import Mapping

import pulumi

from .declaration import NAME, Kind
from .provider import PersonalizeProvider
from .resource import KindResource

DATASET_GROUP = Kind(label="dataset group", noun="dataset_group", fields={"name": NAME})


class DatasetGroupProvider(PersonalizeProvider):
    declaration = DATASET_GROUP


class DatasetGroup(KindResource, module="personalize", name="DatasetGroup"):
    """A Personalize dataset group."""

    provider_class = DatasetGroupProvider
    name: pulumi.Output[str]
    tags: pulumi.Output[Mapping[str, str] | None]
