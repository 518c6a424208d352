"""`b2b partners test NAME`: a live round trip against one partner, with a readable diagnosis.

    >>> result = live_test(settings, "acme")
    >>> [(s.name, s.status.value) for s in result.steps]
    [('configuration', 'ok'), ('connect', 'ok'), ('write', 'ok'), ('stat', 'ok'), ('remove', 'ok')]
    >>> result.exit_code
    0

AS2 sends an X12 interchange that holds only a TA1 (ISA15 = "T", test data; no functional
group, no transaction set), with a signed synchronous MDN requested whatever the profile says
for business messages, and checks that MDN with the same strict checks as every other
(signature with the partner's certificate, Original-Message-ID, Received-Content-MIC). A TA1
in a test interchange is valid X12 that a partner's translator files as test data: it cannot
become an order, unlike a test 850, and it does not trip a translator the way a non-X12 text
file does. SFTP connects (host key pinned, key authentication), writes a test file under the
profile's temporary suffix (which partners ignore), checks its size and removes it; a
directory transport writes, stats and removes. Nothing is stored in the message queue: a test
is not a business message and never counts as one.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from dataclasses import dataclass

from b2b.config import Settings
from b2b.errors import (
    ConfigurationError,
)
from b2b.partners.profile import (
    PartnerProfile,
)
from b2b.partners.registry import load_partners

TEST_FILE_PREFIX = "b2b-connection-test-"


class Status(enum.StrEnum):
    """How one step of a live test went."""

    OK = "ok"
    FAILED = "failed"
    SKIPPED = "skipped"


class Blame(enum.StrEnum):
    """Whose side a failed step points at: our configuration (exit 2) or the partner (exit 1)."""

    CONFIGURATION = "configuration"
    PARTNER = "partner"


@dataclass(frozen=True, slots=True)
class Step:
    """One step: what was done, how it went, what was seen, and what to do about a failure."""

    name: str
    status: Status
    detail: str = ""
    diagnosis: str = ""
    blame: Blame = Blame.PARTNER


@dataclass(frozen=True, slots=True)
class LiveTestResult:
    """The steps of one live test, in order; a failed step ends the test."""

    partner_id: str
    transport: str
    steps: tuple[Step, ...]

    @property
    def ok(self) -> bool:
        """True when every step passed."""
        return all(s.status is Status.OK for s in self.steps)

    @property
    def exit_code(self) -> int:
        """0 all ok, 1 the partner failed the test, 2 our configuration is wrong."""
        failed = [s for s in self.steps if s.status is Status.FAILED]
        if not failed:
            return 0
        return 2 if any(s.blame is Blame.CONFIGURATION for s in failed) else 1


class Stop(Exception):
    """A step failed; the steps so far carry the reason."""


class Steps:
    """Collects steps; `fail` records a failure and stops the test."""

    def __init__(self) -> None:
        self.done: list[Step] = []

    def ok(self, name: str, detail: str = "") -> None:
        self.done.append(Step(name, Status.OK, detail))

    def fail(self, name: str, detail: str, diagnosis: str, blame: Blame = Blame.PARTNER) -> Stop:
        self.done.append(Step(name, Status.FAILED, detail, diagnosis, blame))
        return Stop(name)


def live_test(
    settings: Settings, partner_id: str, *, now: dt.datetime | None = None
) -> LiveTestResult:
    """Run the live test for `partner_id` with the profiles and keys `settings` name."""
    steps = Steps()
    kind = "-"
    try:
        profile = _profile(settings, partner_id, steps)
        kind = profile.transport.kind
        _tests()[kind](settings, profile, steps, now or dt.datetime.now(dt.UTC))
    except Stop:
        pass
    return LiveTestResult(partner_id, kind, tuple(steps.done))


def _profile(settings: Settings, partner_id: str, steps: Steps) -> PartnerProfile:
    try:
        registry = load_partners(settings.resolve(settings.partners_dir))
    except ConfigurationError as exc:
        raise steps.fail("configuration", exc.reason, "fix the profile (`b2b partners check`)",
                         Blame.CONFIGURATION) from exc  # fmt: skip
    try:
        profile = registry.get(partner_id)
    except KeyError as exc:
        known = ", ".join(p.id for p in registry) or "none"
        raise steps.fail("configuration", f"no partner {partner_id!r} (known: {known})",
                         "check the name: it is the profile's file name", Blame.CONFIGURATION
                         ) from exc  # fmt: skip
    steps.ok("configuration", f"{settings.resolve(settings.partners_dir) / partner_id}.toml")
    return profile


def connection_test_interchange(profile: PartnerProfile, now: dt.datetime) -> bytes:
    """ISA (usage indicator T), one TA1 accepting interchange 000000000, IEA: test data only.

    Its ISA13 comes from the clock (seconds, nine digits), never from our control numbers.
    """
    from b2b.x12 import ta1_interchange
    from b2b.x12.results import AckStatus, InterchangeResult

    envelope = profile.x12.envelope.model_copy(
        update={"usage_indicator": "T", "acknowledgment_requested": False}
    )
    result = InterchangeResult("000000000", f"{now:%y%m%d}", f"{now:%H%M}", AckStatus.ACCEPTED)
    control_number = int(now.timestamp()) % 1_000_000_000
    return ta1_interchange(
        result, envelope, control_number=control_number, version=profile.x12.version, now=now
    ).data


def _tests() -> dict[str, Callable[[Settings, PartnerProfile, Steps, dt.datetime], None]]:
    from b2b.partners.livetest_as2 import as2_round_trip
    from b2b.partners.livetest_files import directory_round_trip, sftp_round_trip

    return {"as2": as2_round_trip, "sftp": sftp_round_trip, "directory": directory_round_trip}
