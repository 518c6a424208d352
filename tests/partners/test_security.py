"""Certificate lifecycle (issue 7, "Security"): expiry warnings at 60, 30, 14 and 7 days."""

from __future__ import annotations

import datetime as dt

import pytest

from b2b.as2 import LocalIdentity, new_self_signed
from b2b.partners.security import As2Directory, expiry_state

NOW = dt.datetime(2025, 3, 1, 12, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("days", "warning"),
    [
        (365, None),
        (61, None),
        (60, "expires in 60 days (within 60)"),
        (45, "expires in 45 days (within 60)"),
        (30, "expires in 30 days (within 30)"),
        (15, "expires in 15 days (within 30)"),
        (12, "expires in 12 days (within 14)"),
        (7, "expires in 7 days (within 7)"),
        (1, "expires in 1 day (within 7)"),
        (0, "expires in 0 days (within 7)"),
        (-1, "expired"),
    ],
)
def test_the_warning_names_the_step_reached(days: int, warning: str | None) -> None:
    assert expiry_state(days) == warning


def test_our_keys_are_warned_about_each_with_its_step() -> None:
    pairs = tuple(new_self_signed(f"KEY-{d}", now=NOW, days=d) for d in (90, 20, 5))
    directory = As2Directory(LocalIdentity("US", pairs), {})
    assert directory.expiring(now=NOW) == [
        "our key: certificate CN=KEY-20 expires in 20 days (within 30)",
        "our key: certificate CN=KEY-5 expires in 5 days (within 7)",
    ]
    later = NOW + dt.timedelta(days=40)
    assert directory.expiring(now=later) == [
        "our key: certificate CN=KEY-90 expires in 50 days (within 60)",
        "our key: certificate CN=KEY-20 expired",
        "our key: certificate CN=KEY-5 expired",
    ]
