"""The waiter's schedule at real defaults, on a simulated clock (no real sleeping)."""

from __future__ import annotations

import random

import pytest

from providers.base import PollSettings, Waiter, WaitTimeoutError


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        assert seconds >= 0
        self.sleeps.append(seconds)
        self.now += seconds


def run_wait(active_at: float, settings: PollSettings, seed: int = 0) -> tuple[int, float]:
    """Describe calls until a resource that turns ACTIVE at ``active_at`` is seen, and the delay."""
    fake = FakeClock()
    rng = random.Random(seed)
    waiter = Waiter(settings=settings, sleep=fake.sleep, clock=fake.clock, rand=rng.random)
    calls = 0

    def describe() -> str | None:
        nonlocal calls
        calls += 1
        return "ACTIVE" if fake.now >= active_at else None

    assert waiter.until(describe, "training", settings.create_timeout) == "ACTIVE"
    return calls, fake.now - active_at


def test_defaults_grow_to_about_a_minute_and_never_past_it():
    settings = PollSettings()
    waiter = Waiter(settings=settings, rand=lambda: 0.0)
    it = waiter.intervals()
    first = [next(it) for _ in range(12)]
    assert first[0] == settings.initial == 5.0
    assert first == sorted(first)
    assert first[-1] == settings.max_interval == 60.0
    jittered = Waiter(settings=settings, rand=random.Random(1).random).intervals()
    samples = [next(jittered) for _ in range(500)][20:]
    assert min(samples) >= 60.0 * (1 - settings.jitter)
    assert max(samples) <= 60.0


@pytest.mark.parametrize("seed", range(5))
def test_two_hour_training_at_real_defaults(seed):
    settings = PollSettings()
    worst_latency = 0.0
    most_calls = 0
    # Training ends at various moments around the 2-hour mark.
    for offset in range(0, 120, 7):
        calls, latency = run_wait(7200.0 + offset, settings, seed)
        worst_latency = max(worst_latency, latency)
        most_calls = max(most_calls, calls)
    # A cap of one minute bounds the delay after ACTIVE...
    assert worst_latency <= 60.0
    # ...and costs about one Describe call a minute (far below any throttling limit). The
    # 60-calls-per-2-hours budget needs an average interval of 120 s, which no schedule capped
    # at 60 s can meet: see the budget profile below for that trade.
    assert most_calls <= 135


def test_describe_budget_profile_meets_sixty_calls_for_two_hours():
    # PERSONALIZE_POLL_MAX_INTERVAL=150 trades latency for calls: <= 60 calls in 2 h.
    settings = PollSettings(max_interval=150.0)
    for seed in range(3):
        calls, latency = run_wait(7200.0, settings, seed)
        assert calls <= 60
        assert latency <= 150.0


def test_short_waits_are_detected_quickly():
    calls, latency = run_wait(30.0, PollSettings())
    assert latency <= 20.0
    assert calls <= 6


def test_timeout_names_the_wait_and_the_knob():
    fake = FakeClock()
    waiter = Waiter(settings=PollSettings(), sleep=fake.sleep, clock=fake.clock)
    with pytest.raises(WaitTimeoutError, match=r"campaign 'x'.*PERSONALIZE_CREATE_TIMEOUT"):
        waiter.until(lambda: None, "campaign 'x' to become ACTIVE", 600.0)
    assert fake.now == pytest.approx(600.0)


def test_settings_from_env_scale_everything(monkeypatch):
    monkeypatch.setenv("PERSONALIZE_POLL_SCALE", "0.01")
    monkeypatch.setenv("PERSONALIZE_POLL_MAX_INTERVAL", "30")
    settings = PollSettings.from_env()
    assert settings.initial == pytest.approx(0.05)
    assert settings.max_interval == pytest.approx(0.3)
    assert settings.create_timeout == pytest.approx(432.0)
    assert settings.delete_timeout == pytest.approx(36.0)


def test_bad_env_value_is_named(monkeypatch):
    from providers.base import PersonalizeProviderError

    monkeypatch.setenv("PERSONALIZE_POLL_SCALE", "fast")
    with pytest.raises(PersonalizeProviderError, match="PERSONALIZE_POLL_SCALE must be a number"):
        PollSettings.from_env()
