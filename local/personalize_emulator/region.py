"""The state of one account in one region, and the helpers every resource kind shares.

Personalize is a regional service: each region has its own endpoint and its own resources, so
each (account, region) gets its own RegionBackend (as moto keeps one backend per account and
region). Things that are the same everywhere (the clock, step durations, quotas, options and
faults a test injected) live in one Shared object.
"""

from __future__ import annotations

import functools
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from moto.utilities.paginator import InvalidToken, Paginator
from moto.utilities.tagging_service import TaggingService

from . import avro, recommender, registry
from .errors import (
    InvalidNextTokenException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from .lifecycle import ACTIVE, CREATE_FAILED, CREATE_STOPPED, Clock, Lifecycle, Steps, Timing
from .resources import Options, Resource

DEFAULT_PAGE_SIZE = 100


@dataclass
class Shared:
    """What every region of an emulator shares."""

    timing: Timing
    clock: Clock
    options: Options
    s3_endpoint_url: str | None
    max_active_campaigns: int
    max_training_in_flight: int
    # (target: ARN, name or kind, reason), each used by the next creation that matches.
    creation_faults: list[tuple[str, str]] = field(default_factory=list)


class RegionBackend:
    """Resources, live events and tags of one account in one region."""

    def __init__(self, account_id: str, region: str, shared: Shared) -> None:
        self.account_id = account_id
        self.region = region
        self.shared = shared
        self.resources: dict[str, Resource] = {}
        # dataset group ARN -> interactions received through PutEvents.
        self.events: dict[str, list[recommender.Interaction]] = defaultdict(list)
        self.event_keys: dict[str, set[tuple[Any, ...]]] = defaultdict(set)
        self.tags = TaggingService(tag_name="tags", key_name="tagKey", value_name="tagValue")

    # ---- time and lifecycles ---------------------------------------------------------------

    def now(self) -> float:
        return self.shared.clock.now()

    def steps(self, kind: str) -> Steps:
        return self.shared.timing.steps(kind)

    def lifecycle(
        self, kind: str, name: str, created: float | None = None, *, arn: str = ""
    ) -> Lifecycle:
        """A new resource's lifecycle; an injected creation fault that matches it is used up."""
        lc = Lifecycle(created=self.now() if created is None else created, steps=self.steps(kind))
        faults = self.shared.creation_faults
        for n, (target, reason) in enumerate(faults):
            if target in (kind, name, arn):
                lc.forced_failure = reason
                del faults[n]
                break
        return lc

    def advance(self) -> None:
        """Run the work due by now in due-time order, then forget what finished deleting.

        Due-time order matters: an import that finished before a training started is part of
        that training.
        """
        now = self.now()
        for schedule in registry.SCHEDULERS:
            schedule(self, now)
        due: list[tuple[float, str, Callable[[], None]]] = []
        for r in self.resources.values():
            lc = r.lifecycle
            if (
                lc is not None
                and not lc.settled
                and lc.due <= now
                and lc.delete_requested is None
                and lc.stop_requested is None
            ):
                due.append((lc.due, r.arn, functools.partial(self.settle, r)))
        for pending in registry.PENDING_WORK:
            due.extend(pending(self, now))
        for _, _, work in sorted(due, key=lambda d: (d[0], d[1])):
            work()
        for arn, r in list(self.resources.items()):
            gone = r.lifecycle.gone_at if r.lifecycle else r.state.get("gone_at")
            if gone is not None and gone <= now and arn in self.resources:
                self.purge(r)

    def settle(self, r: Resource) -> None:
        """End CREATE IN_PROGRESS: run the kind's work (import, training) or the injected fault."""
        lc = r.lifecycle
        assert lc is not None
        lc.settled = True
        if lc.forced_failure:
            lc.failure_reason = lc.forced_failure
            return
        work = registry.SETTLE.get(r.kind)
        try:
            if work is not None:
                work(self, r)
        except (avro.ImportFailedError, recommender.TrainingError) as exc:
            lc.failure_reason = str(exc)

    def purge(self, r: Resource) -> None:
        """Forget a deleted resource, what goes with it, and its tags."""
        self.resources.pop(r.arn, None)
        self.tags.delete_all_tags_for_resource(r.arn)
        cleanup = registry.PURGE.get(r.kind)
        if cleanup is not None:
            cleanup(self, r)

    # ---- lookups ---------------------------------------------------------------------------

    def arn(self, kind: str, suffix: str) -> str:
        return f"arn:aws:personalize:{self.region}:{self.account_id}:{kind}/{suffix}"

    def status(self, r: Resource) -> str:
        return r.lifecycle.status(self.now()) if r.lifecycle else ACTIVE

    def get(self, arn: str, kind: str, label: str | None = None) -> Resource:
        """A resource of this region; an ARN of another region is not found, as in the service."""
        r = self.resources.get(arn)
        if r is None or r.kind != kind:
            raise ResourceNotFoundException(
                f"Could not find {label or kind.replace('-', ' ')} {arn}"
            )
        return r

    def children(self, kind: str, attr: str, arn: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.kind == kind and r.attrs.get(attr) == arn]

    def of_kind(self, kind: str) -> list[Resource]:
        return [r for r in self.resources.values() if r.kind == kind]

    def filtered(self, kind: str, params: dict[str, Any], attr: str | None) -> list[Resource]:
        """Resources of a kind, narrowed by a List call's parent filter (e.g. datasetGroupArn)."""
        result = self.of_kind(kind)
        if attr and params.get(attr):
            result = [r for r in result if r.attrs.get(attr) == params[attr]]
        return result

    # ---- rules shared by the kinds ---------------------------------------------------------

    def require_active(self, r: Resource, label: str) -> None:
        status = self.status(r)
        if status != ACTIVE:
            raise ResourceInUseException(
                f"{label} {r.arn} is not ACTIVE (status: {status}); wait until it is ACTIVE"
            )

    def unique(
        self, kind: str, name: str, label: str, within: Iterable[Resource] | None = None
    ) -> None:
        pool = within if within is not None else self.of_kind(kind)
        if any(r.name == name for r in pool):
            raise ResourceAlreadyExistsException(f"{label} {name} already exists")

    def add(self, r: Resource, tags: list[dict[str, str]] | None) -> None:
        self.resources[r.arn] = r
        self.tags.tag_resource(r.arn, tags or [])

    def start_delete(self, r: Resource, label: str) -> None:
        lc = r.lifecycle
        assert lc is not None
        status = lc.status(self.now())
        if status not in (ACTIVE, CREATE_FAILED, CREATE_STOPPED):
            raise ResourceInUseException(
                f"{label} {r.arn} cannot be deleted while its status is {status}"
            )
        lc.delete_requested = self.now()
        lc.delete_steps = self.steps("delete")

    # ---- views -----------------------------------------------------------------------------

    def times(self, r: Resource) -> dict[str, Any]:
        """status, creationDateTime, lastUpdatedDateTime (and failureReason) as Describe shows."""
        lc = r.lifecycle
        now = self.now()
        if lc is None:
            created = r.state["created"]
            return {"creationDateTime": created, "lastUpdatedDateTime": created}
        out: dict[str, Any] = {
            "status": lc.status(now),
            "creationDateTime": lc.created,
            "lastUpdatedDateTime": lc.last_updated(now),
        }
        if out["status"] == CREATE_FAILED and lc.failure_reason:
            out["failureReason"] = lc.failure_reason
        return out

    @staticmethod
    def page(items: list[dict[str, Any]], params: dict[str, Any], key: str) -> dict[str, Any]:
        """One page of a List answer (maxResults / nextToken) with moto's paginator."""
        token = params.get("nextToken")
        unique = next((k for k in items[0] if k.endswith("Arn")), "name") if items else "name"
        try:
            # The token is checked when the paginator is built and when it pages.
            paginator = Paginator(
                max_results=params.get("maxResults"),
                max_results_default=DEFAULT_PAGE_SIZE,
                starting_token=token,
                unique_attribute=unique,
                param_values_to_check={
                    k: v for k, v in params.items() if k not in ("nextToken", "maxResults")
                },
            )
            found, next_token = paginator.paginate(items)
        except InvalidToken:
            raise InvalidNextTokenException(f"The nextToken {token!r} is not valid") from None
        out: dict[str, Any] = {key: found}
        if next_token:
            out["nextToken"] = next_token
        return out
