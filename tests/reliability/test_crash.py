"""A `b2b worker` killed (SIGKILL) at each step of a send, then a fresh worker: nothing lost,
and a partner given an interchange twice gets the same bytes (same ISA13, same Message-ID)."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from b2b.failpoints import NAMES
from tests.conftest import NewDatabase
from tests.reliability.scenarios import CRASH_CASES, crash_and_recover

pytestmark = pytest.mark.reliability

ORDERS = 3


def test_every_failpoint_is_exercised() -> None:
    assert {name for name, _, _ in CRASH_CASES} == set(NAMES)


@pytest.mark.parametrize(("failpoint", "transport", "duplicates"), CRASH_CASES)
def test_a_worker_killed_mid_send_loses_nothing_and_resends_the_same_bytes(
    failpoint: str,
    transport: str,
    duplicates: int,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    new_database: NewDatabase,
) -> None:
    sftp = request.getfixturevalue("sftp_partner") if transport == "sftp" else None
    run = crash_and_recover(
        tmp_path, failpoint, transport, sftp=sftp, orders=ORDERS, database_url=new_database()
    )
    assert run.answers == [200] * ORDERS
    assert run.crashed_status == -signal.SIGKILL, run.crashed_log
    assert len(run.ledger.messages) == ORDERS
    assert run.ledger.lost() == []
    assert run.ledger.double_recorded() == []
    got = run.received
    for message in run.ledger.messages:  # each interchange, with the very bytes we stored
        key = message.as2_message_id if transport == "as2" else message.filename
        assert key is not None
        assert message.payload is not None
        assert got.files[key] == message.payload
    assert len(got.files) == ORDERS
    assert got.duplicates() == duplicates
    assert got.differing_duplicates() == 0
    assert got.duplicate_isa13() == 0
    assert got.debris == []
    for name, landed in run.before.delivered_at.items():  # what the crashed worker delivered...
        if transport != "as2":  # ...the fresh one did not write again
            assert got.delivered_at[name] == landed
            assert got.deliveries[name] == 1
    if failpoint in ("sftp.during-upload", "sftp.before-rename"):
        assert len(run.before.debris) == 1  # a temporary file the partner ignores, then replaced
    if failpoint == "outbound.before-record-sent":
        assert len(run.before.files) == 1  # it was delivered, just not recorded as sent
