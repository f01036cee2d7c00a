"""A Personalize kind as a declaration: its inputs, how they map to the API, what a change does.

One ``Kind`` per resource type is all the generic provider (``providers.provider``) needs for
Check, Diff, the Create request, Describe/List/Delete by the kind's noun, adoption reports and the
live inputs of Read; and all ``providers.resource.KindResource`` needs for the Pulumi resource.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Field:
    """One input of a kind.

    ``api`` is its key in the Create request and the Describe payload ("datasetGroupArn"; a dotted
    path for a nested key, "dataSource.dataLocation"); None when the API never sees it.
    """

    api: str | None = None
    required: bool = False
    # Changed in place by update(); any other change replaces the resource.
    updatable: bool = False
    # Filled in by Check when unset, and the Resource constructor's default.
    default: Any = None
    # The value is an ARN of this resource type: "dataset-group" (Personalize) or "iam:role".
    arn_of: str | None = None
    choices: tuple[str, ...] = ()
    max_length: int | None = None
    # bool: Check requires true or false; int and bool: sent and read back as that type.
    value_type: type = str
    # Read back from Describe on Read, so a refresh shows drift.
    live: bool = False
    # JSON text: compared by meaning (key order, spacing) in Diff and adoption.
    json_text: bool = False


@dataclass(frozen=True)
class Kind:
    """A Personalize resource type.

    ``noun`` is the snake_case noun of its API ("dataset_group"): create_dataset_group,
    describe_dataset_group(datasetGroupArn=...)["datasetGroup"], list_dataset_groups, ...
    """

    label: str  # as in messages: "dataset group"
    noun: str
    fields: Mapping[str, Field]
    name_key: str | None = "name"  # the physical name input, if any
    # The input whose API key narrows List when adoption looks for a same-named resource.
    parent: str | None = None
    # The List response's key, when it is not the camelCase plural of the noun.
    list_key: str | None = None
    tagged: bool = True
    has_delete: bool = True
    # Whether a replacement must delete first; None lets diff decide from ``slot`` and the name.
    delete_first: bool | None = None
    # Inputs that name a slot holding one resource of this kind (a dataset group holds one event
    # tracker): a replacement in the same slot must delete first.
    slot: tuple[str, ...] = ()
    # Outputs besides arn and status: output key -> Describe key (None: computed by a hook).
    outputs: Mapping[str, str | None] = field(default_factory=dict)

    def __post_init__(self) -> None:
        """A declaration that names an input it does not declare fails at import, by name."""
        named = {
            "name_key": [self.name_key] if self.name_key else [],
            "parent": [self.parent] if self.parent else [],
            "slot": list(self.slot),
        }
        for what, keys in named.items():
            unknown = [k for k in keys if k not in self.fields]
            if unknown:
                raise ValueError(
                    f"kind {self.label!r}: {what} names {', '.join(unknown)}, not a declared "
                    f"field ({', '.join(self.fields)})"
                )
        if self.parent and self.fields[self.parent].api is None:
            raise ValueError(f"kind {self.label!r}: parent {self.parent} has no API name")

    @property
    def camel(self) -> str:
        head, *rest = self.noun.split("_")
        return head + "".join(part.title() for part in rest)

    @property
    def arn_key(self) -> str:
        return f"{self.camel}Arn"

    @property
    def inputs(self) -> tuple[str, ...]:
        return tuple(self.fields)

    @property
    def required(self) -> tuple[str, ...]:
        return tuple(k for k, f in self.fields.items() if f.required)

    @property
    def updatable(self) -> tuple[str, ...]:
        tags = ("tags",) if self.tagged else ()
        return (*tags, *(k for k, f in self.fields.items() if f.updatable))

    @property
    def defaults(self) -> dict[str, Any]:
        return {k: f.default for k, f in self.fields.items() if f.default is not None}

    def field_for_api(self, api: str) -> str:
        """The input key sent as ``api`` (the API key itself if none is)."""
        return next((k for k, f in self.fields.items() if f.api == api), api)


def get_path(payload: Mapping[str, Any], path: str) -> Any:
    """``payload["a"]["b"]`` for "a.b"; None where a level is missing."""
    value: Any = payload
    for part in path.split("."):
        if not isinstance(value, Mapping):
            return None
        value = value.get(part)
    return value


def nest(flat: Mapping[str, Any]) -> dict[str, Any]:
    """{"a.b": 1} -> {"a": {"b": 1}}: a request from dotted API paths."""
    out: dict[str, Any] = {}
    for path, value in flat.items():
        *parents, leaf = path.split(".")
        target = out
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = value
    return out


# Inputs several kinds share, declared once.
NAME = Field("name", required=True)
DATASET_GROUP_ARN = Field("datasetGroupArn", required=True, arn_of="dataset-group")
