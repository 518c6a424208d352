"""`b2b acks overdue`: the X12 we sent whose 997/999 has not come in time.

$ b2b acks overdue --partner acme     # exit 1 when some are overdue: a cron job can alert
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

import typer

from b2b.cli_output import print_json, print_table
from b2b.store import MessageView

acks_app = typer.Typer(help="Acknowledgments (997/999) partners owe us.", no_args_is_help=True)


@acks_app.command("overdue")
def acks_overdue(
    partner: Annotated[str | None, typer.Option(help="Only this partner.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    limit: Annotated[int, typer.Option(help="At most this many, newest first.")] = 1000,
) -> None:
    """The messages whose 997/999 is overdue: PO, partner, control numbers, when sent, when
    due and how late.

    Exit 0 when none is overdue, 1 when some are (scripts can alert on it), 2 on a
    configuration error.
    """
    from b2b.cli import _engine
    from b2b.store import find_messages, utcnow

    now = utcnow()
    engine = _engine()
    try:
        late = find_messages(engine=engine, partner=partner, limit=limit, overdue_at=now)
    finally:
        engine.dispose()
    rows = [overdue_json(m, now) for m in late]
    if as_json:
        print_json({"overdue": rows})
    elif rows:
        print_table(f"{len(rows)} acknowledgment(s) overdue", COLUMNS, (_cells(r) for r in rows))
    else:
        typer.echo("no acknowledgment is overdue")
    raise typer.Exit(1 if rows else 0)


COLUMNS = ("message", "PO", "partner", "set", "ISA13", "GS06", "ST02", "sent at", "due at", "late")


def overdue_json(m: MessageView, now: dt.datetime) -> dict[str, Any]:
    """One overdue message as JSON-ready data; `late_seconds` counts from `ack_due_at`."""
    assert m.ack_due_at is not None  # find_messages(overdue_at=...) returns only these
    sent = [e.at for e in m.events if e.state == "sent"]
    return {
        "id": m.id,
        "po_number": m.po_number,
        "partner_id": m.partner_id,
        "transaction_set": m.transaction_set,
        "interchange_control_number": m.interchange_control_number,
        "group_control_number": m.group_control_number,
        "transaction_control_numbers": m.transaction_control_numbers,
        "sent_at": (sent[-1] if sent else m.updated_at).isoformat(),
        "ack_due_at": m.ack_due_at.isoformat(),
        "late_seconds": int((now - m.ack_due_at).total_seconds()),
    }


def _cells(row: dict[str, Any]) -> list[str]:
    icn, gs = row["interchange_control_number"], row["group_control_number"]
    return [
        str(row["id"]),
        row["po_number"],
        row["partner_id"],
        row["transaction_set"],
        "-" if icn is None else f"{icn:09d}",
        "-" if gs is None else str(gs),
        row["transaction_control_numbers"] or "-",
        row["sent_at"][:19].replace("T", " "),
        row["ack_due_at"][:19].replace("T", " "),
        how_late(row["late_seconds"]),
    ]


def how_late(seconds: int) -> str:
    """`seconds` as operators read it: 2d 3h, 5h 12m, 7m.

    >>> how_late(3 * 86400 + 7200)
    '3d 2h'
    """
    days, rest = divmod(max(0, seconds), 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    if days:
        return f"{days}d {hours}h"
    if hours:
        return f"{hours}h {minutes}m"
    return f"{minutes}m"
