"""Several gateway processes on one store, orders posted concurrently: nothing lost, nothing
sent twice, each partner's interchanges in the order they were accepted, no ISA13 twice, and
on SQLite no "database is locked" reaches anyone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixtures.postgres import Postgres, create_database
from tests.reliability.fleet import FleetRun, run_fleet
from tests.reliability.harness import (
    Site,
)

pytestmark = pytest.mark.reliability


def test_two_workers_and_the_api_on_postgresql(postgres: Postgres, tmp_path: Path) -> None:
    site = Site.create(tmp_path, create_database(postgres, "reliability_fleet"))
    run = run_fleet(site, orders=300, partners=20, serves=1, workers=2)
    _assert_clean(run, 300)


def test_two_processes_on_one_sqlite_file(tmp_path: Path) -> None:
    site = Site.create(tmp_path)  # SQLite
    run = run_fleet(site, orders=200, partners=5, serves=2, workers=1, embedded_worker=True)
    _assert_clean(run, 200)


def _assert_clean(run: FleetRun, orders: int) -> None:
    assert run.statuses == {200: orders}  # no 500, no "database is locked" to a client
    assert run.locked == []
    assert len(run.ledger.messages) == orders
    assert run.ledger.lost() == []
    assert run.double_sends() == 0
    for message in run.ledger.messages:
        assert message.filename is not None
        assert run.received[message.partner_id].files[message.filename] == message.payload
    assert sum(r.duplicate_isa13() for r in run.received.values()) == 0
    assert run.ledger.isa13_out_of_order() == 0
    figures = run.figures()
    assert figures["order violations (delivery)"] == 0
