"""Waiting for Personalize: statuses, the errors a provider reports, and capped backoff.

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

import os
import random
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from typing import TypeVar

T = TypeVar("T")

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


def env_float(name: str, default: float) -> float:
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
            initial=env_float(ENV_INITIAL, cls.initial),
            max_interval=env_float(ENV_MAX_INTERVAL, cls.max_interval),
            create_timeout=env_float(ENV_CREATE_TIMEOUT, cls.create_timeout),
            delete_timeout=env_float(ENV_DELETE_TIMEOUT, cls.delete_timeout),
        )
        return base.scaled(env_float(ENV_SCALE, 1.0))

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
