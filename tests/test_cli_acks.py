"""`b2b acks overdue` through the entry point: the late 997/999s as a table or JSON, and an
exit code a cron job can alert on."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json

from sqlalchemy import update

from b2b.store import accept_documents, open_engine, utcnow
from b2b.store.schema import messages
from tests.conftest import NewDatabase
from tests.factories import acceptance
from tests.test_cli import b2b


def _late(url: str, po: str, hours: float) -> None:
    engine = open_engine(url)
    with engine.begin() as conn:
        due = utcnow() - dt.timedelta(hours=hours)
        conn.execute(
            update(messages)
            .where(messages.c.po_number == po)
            .values(ack_due_at=due, interchange_control_number=42, group_control_number=42)
        )
    engine.dispose()


def _accept(url: str, *items: tuple[str, str]) -> None:
    engine = open_engine(url)
    found = [dataclasses.replace(acceptance(po), partner_id=p) for po, p in items]
    accept_documents(engine=engine, items=found)
    engine.dispose()


def test_none_overdue_exits_0(new_database: NewDatabase) -> None:
    url = new_database()
    _accept(url, ("4711", "acme"))
    result = b2b("acks", "overdue", B2B_DATABASE_URL=url)
    assert result.returncode == 0, result.stderr
    assert "no acknowledgment is overdue" in result.stdout


def test_overdue_ones_are_listed_and_exit_1(new_database: NewDatabase) -> None:
    url = new_database()
    _accept(url, ("4711", "acme"), ("4712", "acme"), ("4713", "globex"))
    _late(url, "4711", hours=26.5)
    _late(url, "4713", hours=1)
    _late(url, "4712", hours=-1)  # due in an hour: not late yet
    table = b2b("acks", "overdue", B2B_DATABASE_URL=url)
    assert table.returncode == 1, table.stderr
    assert "2 acknowledgment(s) overdue" in table.stdout
    lines = {line.split("│")[2].strip(): line for line in table.stdout.splitlines() if "│" in line}
    assert set(lines) - {"PO"} == {"4711", "4713"}
    assert "1d 2h" in lines["4711"]
    assert "000000042" in lines["4711"]

    only = json.loads(b2b("acks", "overdue", "--partner", "globex", "--json",
                          B2B_DATABASE_URL=url).stdout)  # fmt: skip
    [row] = only["overdue"]
    assert (row["po_number"], row["partner_id"], row["interchange_control_number"]) == (
        "4713", "globex", 42,
    )  # fmt: skip
    assert row["late_seconds"] >= 3600


def test_help_says_what_the_exit_codes_mean() -> None:
    result = b2b("acks", "overdue", "--help")
    assert "Exit 0 when none is overdue, 1 when some are" in " ".join(result.stdout.split())
