"""The one provider: Check, Diff, Create, Read, Update and Delete of any declared kind.

A kind's module declares a ``Kind`` and subclasses ``PersonalizeProvider`` with it as
``declaration``; what is truly special to a kind overrides one of the named hooks (``validate``,
``_create_args``, ``_find_existing``, ``_update``, ``_extra_outputs``, ...).
"""

from __future__ import annotations

from typing import Any, ClassVar

from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    ConfigureRequest,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from .calls import EMPTY, DeclaredCalls
from .checks import REGION_PATTERN, canonical_json, field_problem, is_unknown, name_problem
from .client import credentials_guarded, is_not_found, personalize_client
from .credentials import AwsSettings, CredentialsConfigError
from .declaration import Kind
from .polling import ACTIVE, PersonalizeProviderError
from .tags import tags_problems

PROVIDER_KEY = "__provider"


class PersonalizeProvider(DeclaredCalls, ResourceProvider):
    """The engine's entry points for the kind named by ``declaration`` (set by each subclass)."""

    declaration: ClassVar[Kind]
    inputs: ClassVar[tuple[str, ...]] = ()
    required: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[dict[str, Any]] = {}
    updatable: ClassVar[tuple[str, ...]] = ("tags",)
    tagged: ClassVar[bool] = True
    delete_first: ClassVar[bool | None] = None
    # What goes on, and what the next `pulumi up` does, when credentials run out during a create
    # or an update of this kind.
    resumes: ClassVar[str] = (
        "Personalize goes on creating it, and the next `pulumi up` finds it by its name and "
        "waits for it instead of creating another."
    )
    resumes_update: ClassVar[str] = (
        "what Personalize was asked to change goes on; the next `pulumi up` applies the change "
        "again and waits for it."
    )

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        spec = cls.declaration
        cls.kind, cls.name_key, cls.has_delete = spec.label, spec.name_key, spec.has_delete
        cls.inputs, cls.required, cls.defaults = spec.inputs, spec.required, spec.defaults
        cls.updatable, cls.tagged, cls.delete_first = spec.updatable, spec.tagged, spec.delete_first

    def __init__(self) -> None:
        super().__init__()
        self._default_region: str | None = None
        # Set in the provider process by configure(); never pickled with a value.
        self._aws: AwsSettings | None = None

    # ---- engine entry points -------------------------------------------------------------

    def configure(self, req: ConfigureRequest) -> None:
        """Take the stack's `aws:` settings, as the stack's AWS provider does."""
        try:
            self._aws = AwsSettings.from_config(req.config.get)
        except CredentialsConfigError as exc:
            raise PersonalizeProviderError(f"stack config: {exc}") from None
        self._default_region = self._aws.region

    def client(self, region: str) -> Any:
        """A Personalize client in the stack's account, with the stack's AWS credentials."""
        try:
            return personalize_client(region, getattr(self, "_aws", None))
        except CredentialsConfigError as exc:
            raise PersonalizeProviderError(f"stack config: {exc}") from None

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        inputs = dict(news)
        for key, value in self.defaults.items():
            if inputs.get(key) is None:
                inputs[key] = value
        failures: list[CheckFailure] = []
        region = inputs.get("region") or getattr(self, "_default_region", None)
        if region is not None:
            inputs["region"] = region
        if not is_unknown(region) and (
            not isinstance(region, str) or not REGION_PATTERN.match(region)
        ):
            failures.append(
                CheckFailure(
                    "region",
                    f"{self.kind}: region is required (e.g. 'us-east-1'), got {region!r}",
                )
            )
        if self.name_key is not None and not is_unknown(inputs.get(self.name_key)):
            problem = name_problem(inputs.get(self.name_key))
            if problem:
                failures.append(
                    CheckFailure(self.name_key, f"{self.kind} {self.name_key} {problem}")
                )
        for key in self.required:
            value = inputs.get(key)
            blank = value is None or (isinstance(value, str) and not value.strip())
            if key != self.name_key and blank:
                failures.append(CheckFailure(key, f"{self.kind}: {key} is required"))
        for key, spec in self.declaration.fields.items():
            value = inputs.get(key)
            if value is not None and not is_unknown(value):
                problem = field_problem(spec, value)
                if problem:
                    failures.append(CheckFailure(key, f"{key} {problem}"))
        if self.tagged and not is_unknown(inputs.get("tags")):
            failures.extend(self._check_tags(inputs.get("tags")))
        failures.extend(self.validate(inputs))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = [*self.inputs, "region", *(["tags"] if self.tagged else [])]
        changed = [k for k in keys if self._differs(k, olds.get(k), news.get(k))]
        replaces = [k for k in changed if k not in self.updatable]
        dbr = self.delete_before_replace(olds, news) if replaces else None
        return DiffResult(
            changes=bool(changed), replaces=replaces, stables=[], delete_before_replace=dbr
        )

    @credentials_guarded
    def create(self, props: dict[str, Any]) -> CreateResult:
        client = self.client(props["region"])
        arn = self._create_or_adopt(client, props)
        described = self._wait_active(client, arn, props)
        return CreateResult(arn, self._outputs(client, arn, props, described))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = self.client(props["region"])
        try:
            described = self._describe(client, id_)
        except Exception as exc:
            if is_not_found(exc):
                return ReadResult(None, {})
            raise
        if str(described.get("status", "")).startswith("DELETE"):
            return ReadResult(None, {})
        outs = {k: v for k, v in props.items() if k != PROVIDER_KEY}
        outs.update(self._live_inputs(described))
        outs.update(self._outputs(client, id_, outs, described))
        return ReadResult(id_, outs)

    @credentials_guarded
    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        client = self.client(news["region"])
        if self.tagged and self._differs("tags", olds.get("tags"), news.get("tags")):
            self._update_tags(client, id_, olds.get("tags") or {}, news.get("tags") or {})
        changed = [
            k for k in self.updatable if k != "tags" and self._differs(k, olds.get(k), news.get(k))
        ]
        if changed:
            self._update(client, id_, olds, news, changed)
        described = self._wait_active(client, id_, news)
        return UpdateResult(self._outputs(client, id_, news, described))

    @credentials_guarded
    def delete(self, id_: str, props: dict[str, Any]) -> None:
        if self.has_delete:
            self._delete_and_wait(self.client(props["region"]), id_, props)

    # ---- hooks: what a kind may do differently -------------------------------------------

    def validate(self, _inputs: dict[str, Any]) -> list[CheckFailure]:
        """Kind-specific checks beyond the declaration's; values may be UNKNOWN in preview."""
        return []

    def delete_before_replace(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        if self.delete_first is not None:
            return self.delete_first
        slot = self.declaration.slot
        if slot and all(olds.get(k) == news.get(k) for k in slot):
            return True
        if self.name_key is None:
            return False
        same_place = olds.get("region") == news.get("region")
        return same_place and olds.get(self.name_key) == news.get(self.name_key)

    def _update(
        self,
        _client: Any,
        _arn: str,
        _olds: dict[str, Any],
        _news: dict[str, Any],
        changed: list[str],
    ) -> None:
        raise PersonalizeProviderError(f"{self.kind}: cannot update {changed} in place")

    # ---- shared mechanics -----------------------------------------------------------------

    def _differs(self, key: str, old: Any, new: Any) -> bool:
        if is_unknown(new):
            return True
        if old in EMPTY and new in EMPTY:
            return False
        spec = self.declaration.fields.get(key)
        if spec is not None and spec.json_text and isinstance(old, str) and isinstance(new, str):
            return bool(canonical_json(old) != canonical_json(new))
        return bool(old != new)

    def _check_tags(self, tags: Any) -> list[CheckFailure]:
        if tags is None:
            return []
        if not isinstance(tags, dict):
            return [CheckFailure("tags", f"{self.kind}: tags must be a map of strings")]
        known = {k: v for k, v in tags.items() if not is_unknown(v)}
        return [CheckFailure("tags", f"{self.kind}: {problem}") for problem in tags_problems(known)]

    def _outputs(
        self, client: Any, arn: str, props: dict[str, Any], described: dict[str, Any]
    ) -> dict[str, Any]:
        outs = {k: v for k, v in props.items() if k != PROVIDER_KEY}
        outs["arn"] = arn
        outs["status"] = self._status(described) or ACTIVE
        outs.update(self._extra_outputs(client, props, described))
        return outs
