"""The emulated service: dispatch to one backend per account and region, and the test controls.

Every call goes through ``Backend.handle`` under one lock: count it, apply an injected fault,
validate the input against the botocore model, let time catch up (work due at a step boundary
runs, finished deletions are purged) and hand the call to the operation a kind module
registered (``kinds``). Protocol concerns live in ``server``; each kind's rules in its module.
"""

from __future__ import annotations

import threading
from collections import Counter, defaultdict
from typing import Any

from . import kinds, registry, spec
from .errors import UnknownOperationException, injected
from .lifecycle import Clock, Timing
from .recommender import Interaction
from .region import RegionBackend, Shared
from .resources import Options
from .validation import validate

DEFAULT_ACCOUNT = "123456789012"

assert kinds.LOADED  # every kind module has registered its operations


class Backend:
    """All emulated state: a RegionBackend per (account, region), guarded by one lock."""

    def __init__(
        self,
        timing: Timing | None = None,
        *,
        account_id: str = DEFAULT_ACCOUNT,
        clock: Clock | None = None,
        s3_endpoint_url: str | None = None,
        max_active_campaigns: int = 5,
        max_training_in_flight: int = 20,
        options: Options | None = None,
    ) -> None:
        self.account_id = account_id
        self.shared = Shared(
            timing=timing or Timing(),
            clock=clock or Clock(),
            options=options or Options(),
            s3_endpoint_url=s3_endpoint_url,
            max_active_campaigns=max_active_campaigns,
            max_training_in_flight=max_training_in_flight,
        )
        self.lock = threading.RLock()
        self._reset_state()

    @property
    def timing(self) -> Timing:
        return self.shared.timing

    @property
    def clock(self) -> Clock:
        return self.shared.clock

    @property
    def options(self) -> Options:
        return self.shared.options

    def region(self, name: str, account_id: str | None = None) -> RegionBackend:
        """The backend of one account and region (created on first use)."""
        key = (account_id or self.account_id, name)
        found = self.regions.get(key)
        if found is None:
            found = self.regions[key] = RegionBackend(key[0], name, self.shared)
        return found

    @property
    def events(self) -> dict[str, list[Interaction]]:
        """dataset group ARN -> interactions received through PutEvents, over every region."""
        with self.lock:
            merged: dict[str, list[Interaction]] = defaultdict(list)
            for rb in self.regions.values():
                merged.update(rb.events)
            return merged

    # ---- test controls ---------------------------------------------------------------------

    def _reset_state(self) -> None:
        self.regions: dict[tuple[str, str], RegionBackend] = {}
        self.calls: Counter[str] = Counter()
        # operation -> queue of error codes for its next calls.
        self.fault_queue: dict[str, list[str | int]] = defaultdict(list)
        self.shared.creation_faults.clear()

    def reset(self) -> None:
        """Forget every resource, fault and call count."""
        with self.lock:
            self._reset_state()

    def fail_next(
        self, operation: str, count: int = 1, error_code: str | int = "ThrottlingException"
    ) -> None:
        """Make the next `count` calls of `operation` fail with error_code (code or 5xx status)."""
        injected(error_code)  # refuse unknown codes now, not at call time
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count}")
        if not any(spec.operation(s, operation) for s in (spec.CONTROL, spec.EVENTS, spec.RUNTIME)):
            raise ValueError(f"{operation!r} is not a Personalize operation")
        with self.lock:
            self.fault_queue[operation].extend([error_code] * count)

    def fail_creation(self, target: str, reason: str = "Injected failure") -> None:
        """Make a creation end in CREATE FAILED with `reason`.

        target: the ARN of an existing resource still being created, or the name or kind
        (e.g. "solution-version", "dataset-import-job") of the next one created.
        """
        with self.lock:
            for rb in self.regions.values():
                resource = rb.resources.get(target)
                if resource is not None:
                    lc = resource.lifecycle
                    if lc is None or lc.settled:
                        raise ValueError(f"{target} has already finished creating")
                    lc.forced_failure = reason
                    return
            self.shared.creation_faults.append((target, reason))

    def live_resources(self) -> list[str]:
        """ARNs of every resource that exists (including ones still being deleted)."""
        with self.lock:
            self._advance()
            return [arn for rb in self.regions.values() for arn in rb.resources]

    def call_counts(self) -> dict[str, int]:
        with self.lock:
            return dict(self.calls)

    def advance_time(self, seconds: float) -> None:
        """Move the emulator's clock forward (skip waiting in the real-duration profile)."""
        self.shared.clock.advance(seconds)

    # ---- dispatch --------------------------------------------------------------------------

    def _advance(self) -> None:
        for rb in list(self.regions.values()):
            rb.advance()

    def handle(
        self, service: str, operation: str, params: dict[str, Any], region: str
    ) -> dict[str, Any]:
        """Run one API call; ServiceError subclasses carry the error to return."""
        with self.lock:
            self.calls[operation] += 1
            queue = self.fault_queue.get(operation)
            if queue:
                raise injected(queue.pop(0))
            model = spec.operation(service, operation)
            if model is None:
                raise UnknownOperationException(f"{operation} is not a {service} operation")
            validate(model.input_shape, params)
            serve = registry.OPERATIONS.get(operation)
            if serve is None:
                return registry.not_emulated(operation, model, params)
            self._advance()
            return serve(self.region(region), params) or {}


__all__ = ["DEFAULT_ACCOUNT", "Backend"]
