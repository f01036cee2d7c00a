"""The lifecycle every kind shares: create or adopt, wait for ACTIVE, clear a failure, delete.

A mixin of ``providers.provider.PersonalizeProvider``; the API calls it makes (``_create``,
``_describe``, ``_delete``, ``_find_existing``, ``_mismatches``) come from the kind's declaration.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from .client import api_tags, error_code, error_message, is_not_found
from .polling import (
    ACTIVE,
    CREATE_FAILED,
    CREATE_STOPPED,
    CREATE_STOPPING,
    PersonalizeProviderError,
    Waiter,
    WaitTimeoutError,
)


class Lifecycle:
    kind: ClassVar[str] = "resource"
    name_key: ClassVar[str | None] = "name"
    has_delete: ClassVar[bool] = True

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

    def _status(self, described: dict[str, Any]) -> str:
        return str(described.get("status", ""))

    def _label(self, props: Mapping[str, Any], arn: str | None = None) -> str:
        name = props.get(self.name_key) if self.name_key else None
        label = f"{self.kind} {name!r}" if name else self.kind
        return f"{label} ({arn})" if arn else label

    def _before_delete(self, _client: Any, _arn: str) -> None:
        """Work before the delete call (stop a training, say)."""

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
        if status == CREATE_FAILED and not self.has_delete:
            # It keeps its name forever and waiting would not free it.
            raise PersonalizeProviderError(
                f"{self._label(props, arn)} exists and failed to create "
                f"({self._failure_reason(described)}); it cannot be deleted, so its "
                f"{self.name_key or 'name'} cannot be used again: choose another"
            )
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
