"""Status state machines derived lazily from timestamps.

A resource records when it was created (and when deletion or stopping was asked for); its status
at any moment follows from those times and the step durations of its kind. No background thread
moves anything: whoever looks sees the status the clock implies, and work that must happen at a
step boundary (reading an import, training) runs when the backend first passes that boundary.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

CREATE_PENDING = "CREATE PENDING"
CREATE_IN_PROGRESS = "CREATE IN_PROGRESS"
ACTIVE = "ACTIVE"
CREATE_FAILED = "CREATE FAILED"
CREATE_STOPPING = "CREATE STOPPING"
CREATE_STOPPED = "CREATE STOPPED"
DELETE_PENDING = "DELETE PENDING"
DELETE_IN_PROGRESS = "DELETE IN_PROGRESS"

# Kinds with a lifecycle; the keys of a profile.
KINDS = (
    "dataset-group",
    "dataset",
    "dataset-import-job",
    "solution",
    "solution-version",
    "campaign",
    "campaign-update",
    "event-tracker",
    "filter",
    "recommender",
    "delete",
    "stop",
    "auto-training",
)


@dataclass(frozen=True)
class Steps:
    """Seconds spent in CREATE PENDING and in CREATE IN_PROGRESS."""

    pending: float
    in_progress: float

    def scaled(self, factor: float) -> Steps:
        return Steps(self.pending * factor, self.in_progress * factor)


# Test speed: every step short but non-zero, so a Describe right after a Create never sees ACTIVE,
# and a whole chain (group -> import -> training -> campaign) takes a couple of seconds.
TEST_PROFILE: dict[str, Steps] = {
    "dataset-group": Steps(0.03, 0.07),
    "dataset": Steps(0.03, 0.07),
    "dataset-import-job": Steps(0.03, 0.12),
    "solution": Steps(0.03, 0.07),
    "solution-version": Steps(0.05, 0.2),
    "campaign": Steps(0.03, 0.12),
    "campaign-update": Steps(0.03, 0.12),
    "event-tracker": Steps(0.03, 0.07),
    "filter": Steps(0.03, 0.07),
    "recommender": Steps(0.05, 0.2),
    "delete": Steps(0.03, 0.07),
    "stop": Steps(0.0, 0.1),
    # Delay before an auto-training solution starts its first version, after it goes ACTIVE.
    "auto-training": Steps(0.0, 2.0),
}

# Durations documented for MovieLens-sized data (dataset group ~1 min, import ~15 min, training
# ~60 min, campaign ~10 min, event tracker ~1 min); multiply by a time scale for benchmarks.
REAL_PROFILE: dict[str, Steps] = {
    "dataset-group": Steps(10.0, 50.0),
    "dataset": Steps(10.0, 50.0),
    "dataset-import-job": Steps(60.0, 840.0),
    "solution": Steps(10.0, 50.0),
    "solution-version": Steps(120.0, 3480.0),
    "campaign": Steps(60.0, 540.0),
    "campaign-update": Steps(60.0, 540.0),
    "event-tracker": Steps(10.0, 50.0),
    "filter": Steps(10.0, 50.0),
    # Training and deployment together, as CreateRecommender does both.
    "recommender": Steps(120.0, 4080.0),
    "delete": Steps(30.0, 30.0),
    "stop": Steps(0.0, 120.0),
    "auto-training": Steps(0.0, 3600.0),
}

PROFILES = {"test": TEST_PROFILE, "real": REAL_PROFILE}


@dataclass
class Timing:
    """A profile scaled by one factor, with optional per-kind overrides (already in seconds)."""

    profile: str = "test"
    time_scale: float = 1.0
    overrides: dict[str, Steps] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.profile not in PROFILES:
            raise ValueError(f"profile must be one of {sorted(PROFILES)}, got {self.profile!r}")
        if self.time_scale < 0:
            raise ValueError(f"time_scale must be >= 0, got {self.time_scale}")
        unknown = set(self.overrides) - set(KINDS)
        if unknown:
            raise ValueError(f"unknown kinds in durations: {sorted(unknown)}; allowed: {KINDS}")

    def steps(self, kind: str) -> Steps:
        if kind in self.overrides:
            return self.overrides[kind]
        return PROFILES[self.profile][kind].scaled(self.time_scale)


class Clock:
    """Wall-clock time plus an offset a test can advance (to skip long real-profile steps)."""

    def __init__(self) -> None:
        self._offset = 0.0
        self._lock = threading.Lock()

    def now(self) -> float:
        with self._lock:
            return time.time() + self._offset

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError(f"seconds must be >= 0, got {seconds}")
        with self._lock:
            self._offset += seconds


@dataclass
class Lifecycle:
    """Timestamps of one resource and the status they imply."""

    created: float
    steps: Steps
    failure_reason: str | None = None
    # Set when the work at the end of CREATE IN_PROGRESS has run.
    settled: bool = False
    forced_failure: str | None = None
    delete_requested: float | None = None
    delete_steps: Steps | None = None
    stop_requested: float | None = None
    stop_steps: Steps | None = None

    @property
    def due(self) -> float:
        """When CREATE IN_PROGRESS ends."""
        return self.created + self.steps.pending + self.steps.in_progress

    @property
    def gone_at(self) -> float | None:
        if self.delete_requested is None or self.delete_steps is None:
            return None
        return self.delete_requested + self.delete_steps.pending + self.delete_steps.in_progress

    def status(self, now: float) -> str:
        if self.delete_requested is not None and self.delete_steps is not None:
            if now < self.delete_requested + self.delete_steps.pending:
                return DELETE_PENDING
            return DELETE_IN_PROGRESS
        if self.stop_requested is not None and self.stop_steps is not None:
            stopped_at = self.stop_requested + self.stop_steps.in_progress
            return CREATE_STOPPING if now < stopped_at else CREATE_STOPPED
        if now < self.created + self.steps.pending:
            return CREATE_PENDING
        if now < self.due or not self.settled:
            return CREATE_IN_PROGRESS
        return CREATE_FAILED if self.failure_reason else ACTIVE

    def last_updated(self, now: float) -> float:
        marks = [self.created, self.created + self.steps.pending, self.due]
        if self.stop_requested is not None and self.stop_steps is not None:
            marks = [
                self.created,
                self.stop_requested,
                self.stop_requested + self.stop_steps.in_progress,
            ]
        if self.delete_requested is not None and self.delete_steps is not None:
            marks.extend([self.delete_requested, self.delete_requested + self.delete_steps.pending])
        return max(m for m in marks if m <= now) if any(m <= now for m in marks) else self.created

    def in_flight(self, now: float) -> bool:
        """Creating or stopping: not yet in a final state."""
        return self.status(now) in (CREATE_PENDING, CREATE_IN_PROGRESS, CREATE_STOPPING)

    def final(self, now: float) -> bool:
        return self.status(now) in (ACTIVE, CREATE_FAILED, CREATE_STOPPED)

    def deleting(self) -> bool:
        return self.delete_requested is not None
