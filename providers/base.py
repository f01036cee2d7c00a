"""Shared machinery for the Personalize dynamic providers.

Every provider runs inside the dynamic provider host (`python -m pulumi.dynamic`), a separate
process that imports this module again. So: no import-time side effects, boto3 imported lazily,
settings read from the environment at call time, and errors raised (``pulumi.log`` does not reach
the engine from there).

Waiting is tuned by environment variables read in the provider process (see ``PollSettings``):

- ``PERSONALIZE_POLL_SCALE``          multiplies every interval and timeout (tests use ~0.001)
- ``PERSONALIZE_POLL_INITIAL``        first poll interval, seconds (default 5)
- ``PERSONALIZE_POLL_MAX_INTERVAL``   cap of the growing interval, seconds (default 60)
- ``PERSONALIZE_CREATE_TIMEOUT``      longest wait for ACTIVE, seconds (default 43200 = 12 h)
- ``PERSONALIZE_DELETE_TIMEOUT``      longest wait for a delete, including retries while
                                      dependents are still deleting, seconds (default 3600)
- ``PERSONALIZE_MAX_ATTEMPTS``        botocore attempts per API call (default 10)
"""

from __future__ import annotations

import functools
import json
import os
import random
import re
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from typing import Any, ClassVar, TypeVar

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
from pulumi.output import Unknown

from .credentials import (
    AwsSettings,
    CredentialsConfigError,
    credentials_failure,
    is_credentials_failure,
    session_for,
)
from .tags import tags_problems

T = TypeVar("T")

PROVIDER_KEY = "__provider"
# The wire value of a property the engine does not know yet (preview).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

NAME_PATTERN = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9\-_]*$")
NAME_MAX = 63
REGION_PATTERN = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d+$")

ACTIVE = "ACTIVE"
CREATE_FAILED = "CREATE FAILED"
CREATE_STOPPING = "CREATE STOPPING"
CREATE_STOPPED = "CREATE STOPPED"
IN_FLIGHT = ("CREATE PENDING", "CREATE IN_PROGRESS")

ENV_SCALE = "PERSONALIZE_POLL_SCALE"
ENV_INITIAL = "PERSONALIZE_POLL_INITIAL"
ENV_MAX_INTERVAL = "PERSONALIZE_POLL_MAX_INTERVAL"
ENV_CREATE_TIMEOUT = "PERSONALIZE_CREATE_TIMEOUT"
ENV_DELETE_TIMEOUT = "PERSONALIZE_DELETE_TIMEOUT"
ENV_MAX_ATTEMPTS = "PERSONALIZE_MAX_ATTEMPTS"


class PersonalizeProviderError(Exception):
    """A failure the provider reports to the engine; the message is what the user sees."""


class WaitTimeoutError(PersonalizeProviderError):
    """A wait ran past its deadline."""


# --------------------------------------------------------------------------------------------
# Polling
# --------------------------------------------------------------------------------------------


def _env_float(name: str, default: float) -> float:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise PersonalizeProviderError(f"{name} must be a number, got {raw!r}") from None
    if value < 0:
        raise PersonalizeProviderError(f"{name} must be >= 0, got {raw!r}")
    return value


@dataclass(frozen=True)
class PollSettings:
    """Capped exponential backoff with jitter, for waits that last seconds to hours.

    The interval starts at ``initial`` and grows by ``factor`` up to ``max_interval``; each sleep
    is shortened by a random fraction up to ``jitter`` so parallel waits drift apart without ever
    sleeping past the cap (the cap bounds the latency added after a resource turns ACTIVE).
    """

    initial: float = 5.0
    factor: float = 1.5
    max_interval: float = 60.0
    jitter: float = 0.1
    create_timeout: float = 12 * 3600.0
    delete_timeout: float = 3600.0

    @classmethod
    def from_env(cls) -> PollSettings:
        """Defaults overridden by the PERSONALIZE_* variables, then scaled."""
        base = cls(
            initial=_env_float(ENV_INITIAL, cls.initial),
            max_interval=_env_float(ENV_MAX_INTERVAL, cls.max_interval),
            create_timeout=_env_float(ENV_CREATE_TIMEOUT, cls.create_timeout),
            delete_timeout=_env_float(ENV_DELETE_TIMEOUT, cls.delete_timeout),
        )
        return base.scaled(_env_float(ENV_SCALE, 1.0))

    def scaled(self, scale: float) -> PollSettings:
        return replace(
            self,
            initial=self.initial * scale,
            max_interval=self.max_interval * scale,
            create_timeout=self.create_timeout * scale,
            delete_timeout=self.delete_timeout * scale,
        )


@dataclass
class Waiter:
    """Polls until a probe says done; sleep, clock and randomness are injectable for tests."""

    settings: PollSettings = field(default_factory=PollSettings.from_env)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    rand: Callable[[], float] = random.random

    def intervals(self) -> Iterator[float]:
        """The sleeps between polls: growing, capped, jittered downwards."""
        nominal = self.settings.initial
        while True:
            capped = min(nominal, self.settings.max_interval)
            yield capped * (1.0 - self.settings.jitter * self.rand())
            nominal = capped * self.settings.factor

    def until(self, probe: Callable[[], T | None], what: str, timeout: float) -> T:
        """Call ``probe`` until it returns non-None; raise WaitTimeoutError after ``timeout``.

        ``probe`` raises to abort (a failed create, say).
        """
        deadline = self.clock() + timeout
        for interval in self.intervals():
            result = probe()
            if result is not None:
                return result
            remaining = deadline - self.clock()
            if remaining <= 0:
                raise WaitTimeoutError(
                    f"timed out after {timeout:.0f} s waiting for {what}; raise "
                    f"{ENV_CREATE_TIMEOUT} / {ENV_DELETE_TIMEOUT} if it needs longer"
                )
            self.sleep(min(interval, remaining))
        raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# boto3
# --------------------------------------------------------------------------------------------


def personalize_client(region: str, settings: AwsSettings | None = None) -> Any:
    """A Personalize control-plane client for one call of a provider method.

    Built per call, since clients cannot be pickled, from a session kept per thread and per
    credentials settings (``providers.credentials.session_for``): sessions are not thread-safe
    (the host serves several RPCs at once), and a new session per call would load the service
    model again each time (~55 ms against ~2 ms). The read timeout bounds one HTTP request (not
    the wait), so a dead connection fails fast and is retried; standard-mode retries cover
    throttling and 5xx with backoff.
    """
    # Imported here: the provider host imports this module to unpickle providers, and the
    # program process never needs boto3 at all.
    from botocore.config import Config  # type: ignore[import-untyped,unused-ignore]  # noqa: PLC0415

    attempts = int(_env_float(ENV_MAX_ATTEMPTS, 10))
    config = Config(
        region_name=region,
        connect_timeout=10,
        read_timeout=60,
        retries={"mode": "standard", "max_attempts": max(attempts, 1)},
        user_agent_extra="pulumi-personalize-provider",
    )
    settings = settings or AwsSettings()
    return session_for(settings, region).client(
        "personalize", config=config, endpoint_url=settings.endpoint("personalize")
    )


F = TypeVar("F", bound=Callable[..., Any])
RESUMES_DELETE = (
    "Personalize goes on deleting what it was asked to delete; run the command again to finish "
    "(a resource already gone counts as deleted)."
)


def credentials_guarded(method: F) -> F:
    """Turn credentials that ran out during a provider method into a message that says what
    goes on in Personalize and what the next `pulumi up` does (the provider's ``resumes``)."""

    @functools.wraps(method)
    def guarded(self: PersonalizeProvider, *args: Any, **kwargs: Any) -> Any:
        try:
            return method(self, *args, **kwargs)
        except Exception as exc:
            cause = exc if is_credentials_failure(exc) else exc.__cause__
            if cause is None or not is_credentials_failure(cause):
                raise
            resumes = {
                "create": self.resumes,
                "update": self.resumes_update,
                "delete": RESUMES_DELETE,
            }.get(method.__name__, self.resumes)
            raise PersonalizeProviderError(
                credentials_failure(cause, f"{self.kind} ({method.__name__})", resumes)
            ) from exc

    return guarded  # type: ignore[return-value]


def error_code(exc: BaseException) -> str | None:
    """The AWS error code of a botocore ClientError, else None."""
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


def error_message(exc: BaseException) -> str:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Message") or exc)
    return str(exc)


def is_not_found(exc: BaseException) -> bool:
    return error_code(exc) == "ResourceNotFoundException"


def paginate(client: Any, operation: str, key: str, **kwargs: Any) -> Iterator[dict[str, Any]]:
    """Every item of a List* call, across pages (botocore's paginator follows nextToken)."""
    filters = {k: v for k, v in kwargs.items() if v is not None}
    for page in client.get_paginator(operation).paginate(**filters):
        yield from page.get(key, [])


def find_by_name(
    client: Any, operation: str, key: str, arn_key: str, name: str, **filters: Any
) -> str | None:
    """The ARN of the listed resource called `name`, if there is one."""
    for item in paginate(client, operation, key, **filters):
        if item.get("name") == name:
            return str(item[arn_key])
    return None


def api_tags(tags: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"tagKey": k, "tagValue": str(v)} for k, v in sorted((tags or {}).items())]


# --------------------------------------------------------------------------------------------
# Validation helpers (used by check)
# --------------------------------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    """True for a value the engine does not know yet (during preview).

    The host hands such values to check/diff as ``pulumi.output.Unknown`` objects.
    """
    if isinstance(value, Unknown) or (isinstance(value, str) and value == UNKNOWN):
        return True
    if isinstance(value, dict):
        return any(is_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(is_unknown(v) for v in value)
    return False


def name_problem(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return "is required and must be a non-empty string"
    if len(value) > NAME_MAX:
        return f"must be at most {NAME_MAX} characters, got {len(value)} ({value!r})"
    if not NAME_PATTERN.match(value):
        return (
            f"must match {NAME_PATTERN.pattern} (letters, digits, '-' and '_', starting with a "
            f"letter or digit), got {value!r}"
        )
    return None


def arn_problem(value: Any, service: str, resource: str) -> str | None:
    """None if value looks like an ARN of that service and resource type."""
    if not isinstance(value, str) or not value:
        return "is required and must be an ARN string"
    pattern = rf"^arn:aws[a-z\-]*:{service}:[a-z0-9\-]*:\d*:{resource}/.+$"
    if not re.match(pattern, value):
        example = f"arn:aws:{service}:...:{resource}/..."
        return f"must be a {service} {resource} ARN ({example}), got {value!r}"
    return None


def arn_failures(inputs: Mapping[str, Any], expected: Mapping[str, str]) -> list[CheckFailure]:
    """CheckFailures for inputs that should be Personalize ARNs of the given resource types."""
    failures = []
    for key, resource in expected.items():
        value = inputs.get(key)
        if value is not None and not is_unknown(value):
            problem = arn_problem(value, "personalize", resource)
            if problem:
                failures.append(CheckFailure(key, f"{key} {problem}"))
    return failures


def canonical_json(text: str) -> Any:
    try:
        return json.loads(text)
    except ValueError:
        return text


def snake_to_camel(key: str) -> str:
    head, *rest = key.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def normalize_config(
    value: Mapping[str, Any], allowed: tuple[str, ...], prop: str
) -> tuple[dict[str, Any], list[CheckFailure]]:
    """Top-level keys of an API config struct: camelCase as in the API, snake_case accepted."""
    out: dict[str, Any] = {}
    failures: list[CheckFailure] = []
    for key, item in value.items():
        camel = snake_to_camel(key)
        if camel not in allowed:
            failures.append(
                CheckFailure(prop, f"unknown key {key!r} in {prop}; allowed: {', '.join(allowed)}")
            )
            continue
        out[camel] = item
    return out, failures


def subset_differences(wanted: Any, actual: Any, path: str) -> list[str]:
    """What in ``wanted`` differs from ``actual`` (keys only in ``actual`` are service defaults)."""
    if isinstance(wanted, Mapping):
        if not isinstance(actual, Mapping):
            return [f"{path}: wanted {wanted!r}, found {actual!r}"]
        diffs: list[str] = []
        for key, item in wanted.items():
            diffs.extend(subset_differences(item, actual.get(key), f"{path}.{key}"))
        return diffs
    if wanted is None:
        return []
    if isinstance(wanted, bool) or isinstance(actual, bool):
        same = bool(wanted) == bool(actual) if actual is not None else False
    elif isinstance(wanted, int | float) and isinstance(actual, int | float | str):
        try:
            same = float(wanted) == float(actual)
        except ValueError:
            same = False
    else:
        same = str(wanted) == str(actual)
    return [] if same else [f"{path}: wanted {wanted!r}, found {actual!r}"]


# --------------------------------------------------------------------------------------------
# The base provider
# --------------------------------------------------------------------------------------------


class PersonalizeProvider(ResourceProvider):
    """Check/Diff/Create/Read/Update/Delete shared by every Personalize kind.

    A subclass names its inputs and says which change in place; it implements the API calls
    (``_create``, ``_describe``, ``_delete``, ``_find_existing``) and the mapping from the
    Describe response to outputs.
    """

    kind: ClassVar[str] = "resource"  # as in messages: "dataset group"
    name_key: ClassVar[str | None] = "name"  # the physical name input, if any
    inputs: ClassVar[tuple[str, ...]] = ()  # every input key except region and tags
    required: ClassVar[tuple[str, ...]] = ()
    defaults: ClassVar[Mapping[str, Any]] = {}
    updatable: ClassVar[tuple[str, ...]] = ("tags",)  # changed in place by update()
    tagged: ClassVar[bool] = True
    # Whether a replacement must delete first (the physical name or a one-per-parent slot would
    # collide); None lets diff decide from whether the name changes.
    delete_first: ClassVar[bool | None] = None
    has_delete: ClassVar[bool] = True

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
            if key == self.name_key:
                continue
            value = inputs.get(key)
            if value is None or (isinstance(value, str) and not value.strip()):
                failures.append(CheckFailure(key, f"{self.kind}: {key} is required"))
        if self.tagged and not is_unknown(inputs.get("tags")):
            failures.extend(self._check_tags(inputs.get("tags")))
        failures.extend(self.validate(inputs))
        return CheckResult(inputs, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        keys = [*self.inputs, "region", *(["tags"] if self.tagged else [])]
        changed = [k for k in keys if self._differs(k, olds.get(k), news.get(k))]
        replaces = [k for k in changed if k not in self.updatable]
        dbr: bool | None = None
        if replaces:
            dbr = self.delete_before_replace(olds, news)
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
        if not self.has_delete:
            return
        client = self.client(props["region"])
        self._delete_and_wait(client, id_, props)

    # ---- hooks for subclasses ------------------------------------------------------------

    def validate(self, _inputs: dict[str, Any]) -> list[CheckFailure]:
        """Kind-specific checks; values may be UNKNOWN during preview."""
        return []

    def delete_before_replace(self, olds: dict[str, Any], news: dict[str, Any]) -> bool:
        if self.delete_first is not None:
            return self.delete_first
        if self.name_key is None:
            return False
        same_place = olds.get("region") == news.get("region")
        return same_place and olds.get(self.name_key) == news.get(self.name_key)

    def _create(self, client: Any, props: dict[str, Any]) -> str:
        raise NotImplementedError

    def _describe(self, client: Any, arn: str) -> dict[str, Any]:
        """The resource's Describe payload (the inner object); raises ResourceNotFound."""
        raise NotImplementedError

    def _delete(self, client: Any, arn: str) -> None:
        raise NotImplementedError

    def _find_existing(self, _client: Any, _props: dict[str, Any]) -> str | None:
        """The ARN of a resource with this one's name, if any (adoption after an interrupt)."""
        return None

    def _mismatches(self, _props: dict[str, Any], _described: dict[str, Any]) -> list[str]:
        """How an existing same-named resource differs from the inputs."""
        return []

    def _live_inputs(self, _described: dict[str, Any]) -> dict[str, Any]:
        """Inputs as the service reports them, so refresh shows drift."""
        return {}

    def _extra_outputs(
        self, _client: Any, _props: dict[str, Any], _described: dict[str, Any]
    ) -> dict[str, Any]:
        return {}

    def _update(
        self,
        _client: Any,
        _arn: str,
        _olds: dict[str, Any],
        _news: dict[str, Any],
        changed: list[str],
    ) -> None:
        raise PersonalizeProviderError(f"{self.kind}: cannot update {changed} in place")

    def _status(self, described: dict[str, Any]) -> str:
        return str(described.get("status", ""))

    def _label(self, props: Mapping[str, Any], arn: str | None = None) -> str:
        name = props.get(self.name_key) if self.name_key else None
        label = f"{self.kind} {name!r}" if name else self.kind
        return f"{label} ({arn})" if arn else label

    def _before_delete(self, _client: Any, _arn: str) -> None:
        """Work before the delete call (stop a training, say)."""

    # ---- shared mechanics -----------------------------------------------------------------

    @staticmethod
    def _differs(key: str, old: Any, new: Any) -> bool:
        if is_unknown(new):
            return True
        empty: tuple[Any, ...] = (None, {}, [], "")
        if old in empty and new in empty:
            return False
        if key == "schema" and isinstance(old, str) and isinstance(new, str):
            return canonical_json(old) != canonical_json(new)
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

    def _create_or_adopt(self, client: Any, props: dict[str, Any]) -> str:
        try:
            return self._create(client, props)
        except Exception as exc:
            if error_code(exc) != "ResourceAlreadyExistsException":
                raise self._wrap(exc, f"creating {self._label(props)}") from exc
            existing = self._find_existing(client, props)
            if existing is None:
                raise self._wrap(exc, f"creating {self._label(props)}") from exc
        return self._adopt(client, existing, props)

    def _adopt(self, client: Any, arn: str, props: dict[str, Any]) -> str:
        """Take over a same-named resource left by an interrupted create, if it matches."""
        described = self._describe(client, arn)
        status = self._status(described)
        if status.startswith("DELETE") or status == CREATE_FAILED:
            # A leftover that is going (or a failed one we can remove): clear it, create afresh.
            if status == CREATE_FAILED and self.has_delete:
                self._delete_and_wait(client, arn, props)
            else:
                self._wait_gone(client, arn, props)
            return self._create(client, props)
        differences = self._mismatches(props, described)
        if differences:
            raise PersonalizeProviderError(
                f"{self._label(props, arn)} already exists with different settings: "
                f"{'; '.join(differences)}. Delete it or choose another "
                f"{self.name_key or 'name'}."
            )
        return arn

    def _wait_active(self, client: Any, arn: str, props: dict[str, Any]) -> dict[str, Any]:
        waiter = Waiter()

        def probe() -> dict[str, Any] | None:
            try:
                described = self._describe(client, arn)
            except Exception as exc:
                if is_not_found(exc):
                    raise PersonalizeProviderError(
                        f"{self._label(props, arn)} disappeared while waiting for it to become "
                        "ACTIVE (deleted outside Pulumi?)"
                    ) from exc
                raise
            status = self._status(described)
            if status == ACTIVE:
                return described
            if status == CREATE_FAILED:
                self._on_failed(client, arn, props, described)
            if status in (CREATE_STOPPING, CREATE_STOPPED) or status.startswith("DELETE"):
                raise PersonalizeProviderError(
                    f"{self._label(props, arn)} is {status}; it will not become ACTIVE"
                )
            return None

        return waiter.until(
            probe, f"{self._label(props, arn)} to become ACTIVE", waiter.settings.create_timeout
        )

    def _failure_reason(self, described: dict[str, Any]) -> str:
        return str(described.get("failureReason") or "no failureReason given")

    def _on_failed(
        self, client: Any, arn: str, props: dict[str, Any], described: dict[str, Any]
    ) -> None:
        """CREATE FAILED: remove the failed resource (so the next up can reuse the name), raise."""
        reason = self._failure_reason(described)
        cleanup = ""
        if self.has_delete:
            try:
                self._delete_and_wait(client, arn, props)
                cleanup = " The failed resource was deleted."
            except Exception as exc:
                cleanup = f" Deleting the failed resource also failed: {error_message(exc)}"
        raise PersonalizeProviderError(
            f"{self._label(props, arn)} failed to create: {reason}.{cleanup}"
        )

    def _delete_and_wait(self, client: Any, arn: str, props: Mapping[str, Any]) -> None:
        """Delete, retrying while dependents are still going, then wait until it is gone."""
        waiter = Waiter()
        settings = waiter.settings
        deadline = waiter.clock() + settings.delete_timeout
        try:
            self._before_delete(client, arn)
        except Exception as exc:
            if is_not_found(exc):
                return
            raise
        last_in_use = ""

        def attempt() -> bool | None:
            nonlocal last_in_use
            try:
                self._delete(client, arn)
            except Exception as exc:
                code = error_code(exc)
                if code == "ResourceNotFoundException":
                    return True
                if code == "ResourceInUseException":
                    last_in_use = error_message(exc)
                    return None
                raise self._wrap(exc, f"deleting {self._label(props, arn)}") from exc
            return True

        try:
            waiter.until(
                attempt,
                f"{self._label(props, arn)} to be deletable",
                settings.delete_timeout,
            )
        except WaitTimeoutError as exc:
            raise PersonalizeProviderError(
                f"could not delete {self._label(props, arn)} within {settings.delete_timeout:.0f} "
                f"s: still in use ({last_in_use}). Delete what depends on it first."
            ) from exc
        self._wait_gone(client, arn, props, max(deadline - waiter.clock(), 1.0))

    def _wait_gone(
        self, client: Any, arn: str, props: Mapping[str, Any], timeout: float | None = None
    ) -> None:
        waiter = Waiter()

        def probe() -> bool | None:
            try:
                self._describe(client, arn)
            except Exception as exc:
                if is_not_found(exc):
                    return True
                raise
            return None

        waiter.until(
            probe,
            f"{self._label(props, arn)} to be deleted",
            timeout if timeout is not None else waiter.settings.delete_timeout,
        )

    def _update_tags(
        self, client: Any, arn: str, old: Mapping[str, str], new: Mapping[str, str]
    ) -> None:
        removed = sorted(set(old) - set(new))
        if removed:
            client.untag_resource(resourceArn=arn, tagKeys=removed)
        changed = {k: v for k, v in new.items() if old.get(k) != v}
        if changed:
            client.tag_resource(resourceArn=arn, tags=api_tags(changed))

    def _wrap(self, exc: Exception, doing: str) -> Exception:
        code = error_code(exc)
        if code is None:
            return exc
        return PersonalizeProviderError(f"{doing}: {code}: {error_message(exc)}")
