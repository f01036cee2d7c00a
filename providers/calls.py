"""The API calls of a declared kind: Create request, Describe, Delete, List for adoption, the
mismatch report, live inputs and outputs, all by the kind's noun and its fields' API names.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .checks import canonical_json, subset_differences
from .client import api_tags, find_by_name
from .declaration import Kind, get_path, nest
from .lifecycle import Lifecycle

EMPTY: tuple[Any, ...] = (None, {}, [], "")


class DeclaredCalls(Lifecycle):
    """Create, Describe, Delete and List for adoption, derived from ``declaration``."""

    declaration: ClassVar[Kind]
    tagged: ClassVar[bool] = True

    def _create_args(self, props: dict[str, Any]) -> dict[str, Any]:
        """The Create request by dotted API path: every set input the API takes, and tags."""
        args = {
            # Numbers come over the wire as floats: an int field is sent as an int.
            spec.api: spec.value_type(props[key]) if spec.value_type in (int, bool) else props[key]
            for key, spec in self.declaration.fields.items()
            if spec.api is not None and props.get(key) not in EMPTY
        }
        if self.tagged and props.get("tags"):
            args["tags"] = api_tags(props["tags"])
        return args

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        create = getattr(client, f"create_{self.declaration.noun}")
        return str(create(**nest(self._create_args(props)))[self.declaration.arn_key])

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        spec = self.declaration
        describe = getattr(client, f"describe_{spec.noun}")
        return dict(describe(**{spec.arn_key: arn})[spec.camel])

    def _delete(self, client: Any, arn: str) -> None:
        getattr(client, f"delete_{self.declaration.noun}")(**{self.declaration.arn_key: arn})

    def _find_existing(self, client: Any, props: dict[str, Any]) -> str | None:
        spec = self.declaration
        if spec.name_key is None or not props.get(spec.name_key):
            return None
        filters = {}
        if spec.parent is not None:
            filters[spec.fields[spec.parent].api or spec.parent] = props[spec.parent]
        list_key = spec.list_key or f"{spec.camel}s"
        return find_by_name(
            client, f"list_{spec.noun}s", list_key, spec.arn_key, props[spec.name_key], **filters
        )

    def _mismatches(self, props: dict[str, Any], described: dict[str, Any]) -> list[str]:
        diffs: list[str] = []
        for path, wanted in self._create_args(props).items():
            key = self.declaration.field_for_api(path)
            spec = self.declaration.fields.get(key)
            if spec is None or key == self.name_key:
                continue
            actual = get_path(described, path)
            if spec.json_text:
                if canonical_json(str(wanted)) != canonical_json(str(actual or "")):
                    diffs.append(f"{key}: the existing {self.kind}'s text differs")
                continue
            diffs.extend(subset_differences(wanted, actual, key))
        return diffs

    def _live_inputs(self, described: dict[str, Any]) -> dict[str, Any]:
        """Inputs as the service reports them, so refresh shows drift."""
        live: dict[str, Any] = {}
        for key, spec in self.declaration.fields.items():
            value = get_path(described, spec.api) if spec.live and spec.api else None
            if value not in EMPTY:
                live[key] = spec.value_type(value)
        return live

    def _extra_outputs(
        self, _client: Any, props: dict[str, Any], described: dict[str, Any]
    ) -> dict[str, Any]:
        return {
            key: described.get(api) or props.get(key)
            for key, api in self.declaration.outputs.items()
            if api is not None
        }
