"""A partner down for a while (its sshd and its AS2 gateway stopped, then started): our worker
retries with the profile's backoff, and everything is delivered once it is back."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import NewDatabase
from tests.reliability.partners import (
    SftpPartner,
)
from tests.reliability.scenarios import SFTP_PARTNER, partner_down_and_up

pytestmark = pytest.mark.reliability


def test_orders_queued_while_the_partner_is_down_are_delivered_when_it_returns(
    sftp_partner: SftpPartner, tmp_path: Path, new_database: NewDatabase
) -> None:
    run = partner_down_and_up(
        tmp_path, sftp=sftp_partner, before=2, during=4, database_url=new_database()
    )
    assert set(run.answers) == {200}
    assert len(run.ledger.messages) == 12
    assert run.ledger.lost() == []
    assert run.ledger.double_recorded() == []
    # per-partner order: each partner's first message queued in the outage (the lowest id: the
    # orders are posted concurrently, so which PO that is varies) is retried with backoff, the
    # ones behind it wait their turn, then all go
    retried = sorted((m.partner_id, m.id) for m in run.ledger.messages if m.retries)
    heads = sorted(
        min(
            (m.partner_id, m.id)
            for m in run.ledger.messages
            if m.partner_id == partner and m.po_number.startswith("DOWN-")
        )
        for partner in {m.partner_id for m in run.ledger.messages}
    )
    assert retried == heads
    for message in run.ledger.messages:
        got, key = (
            (run.sftp, message.filename)
            if message.partner_id == SFTP_PARTNER
            else (run.as2, message.as2_message_id)
        )
        assert key is not None
        assert got.files[key] == message.payload
        assert got.deliveries[key] == 1
    assert run.sftp.debris == []
    assert run.sftp.duplicate_isa13() == run.as2.duplicate_isa13() == 0
    assert run.as2.differing_duplicates() == 0
