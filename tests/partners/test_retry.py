"""A partner's retry schedule: exponential backoff, jitter within its bounds, the cap, the
server's Retry-After; and its delivery order switch."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from b2b.errors import ConfigurationError
from b2b.partners import Retry, load_profile
from tests.conftest import ROOT

SCHEDULE = Retry(initial_backoff_seconds=30, max_backoff_seconds=3600, jitter=0.2)


@pytest.mark.parametrize(("attempt", "base"), [(1, 30), (2, 60), (3, 120), (7, 1920), (8, 3600)])
def test_jitter_spreads_each_wait_over_its_bounds_and_never_past_the_cap(
    attempt: int, base: float
) -> None:
    low = SCHEDULE.delay(attempt, random=lambda: 0.0)
    high = SCHEDULE.delay(attempt, random=lambda: 1.0)
    assert SCHEDULE.backoff(attempt) == base
    assert low == pytest.approx(base * 0.8)
    assert high == pytest.approx(min(3600, base * 1.2))
    draws = random.Random(attempt)
    for _ in range(1000):
        assert low <= SCHEDULE.delay(attempt, random=draws.random) <= high <= 3600


def test_the_draws_come_from_the_injected_source_in_order() -> None:
    source = itertools.cycle([0.25, 0.75]).__next__
    assert [SCHEDULE.delay(1, random=source) for _ in range(2)] == pytest.approx([27.0, 33.0])
    assert Retry(jitter=0).delay(3, random=source) == 120.0


def test_a_retry_after_replaces_the_backoff_within_the_cap() -> None:
    never = lambda: pytest.fail("no jitter is drawn for a Retry-After")  # noqa: E731
    assert SCHEDULE.delay(1, retry_after=300, random=never) == 300.0
    assert SCHEDULE.delay(5, retry_after=0, random=never) == 0.0
    assert SCHEDULE.delay(1, retry_after=86400, random=never) == 3600.0


def _profile(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "acme.toml"
    path.write_text((ROOT / "partners" / "acme.toml").read_text() + extra)
    return path


def test_parallel_sends_are_off_unless_the_profile_turns_them_on(tmp_path: Path) -> None:
    assert not load_profile(_profile(tmp_path, "")).delivery.parallel
    assert load_profile(_profile(tmp_path, "\n[delivery]\nparallel = true\n")).delivery.parallel


@pytest.mark.parametrize("extra", ["\n[delivery]\nparalel = true\n", "\njitter = 1.5\n"])
def test_a_wrong_delivery_or_jitter_setting_is_refused(tmp_path: Path, extra: str) -> None:
    with pytest.raises(ConfigurationError):
        load_profile(_profile(tmp_path, extra))
