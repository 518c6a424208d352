"""`b2b messages list | resend` and `b2b inbound list | import`: tables, JSON, bulk work with a
progress bar. Registered on `b2b.cli`'s apps when it is imported.

$ b2b messages list --state dead --json
$ b2b messages resend --state dead --partner acme --since 2026-11-01 --yes
$ b2b inbound import ./backlog --partner acme
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import track

from b2b.api.views import inbound_json, message_json
from b2b.cli import _engine, _settings, inbound_app, messages_app
from b2b.cli_output import console, print_json, print_table
from b2b.errors import ConfigurationError, ResendRefused, UnknownMessage

#: the most messages one bulk resend looks at
BULK_LIMIT = 100_000


@messages_app.command("list")
def messages_list(  # noqa: PLR0917 (one option per filter)
    po: Annotated[str | None, typer.Option(help="PO number.")] = None,
    partner: Annotated[str | None, typer.Option(help="Partner id.")] = None,
    state: Annotated[
        str | None, typer.Option(help="received, queued, awaiting-mdn, sent, failed, dead.")
    ] = None,
    overdue: Annotated[
        bool, typer.Option("--overdue", help="Only those whose 997/999 is overdue.")
    ] = False,
    limit: Annotated[int, typer.Option()] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One row per message, newest first. Exit 0 (an empty list too)."""
    from b2b.store import find_messages, utcnow

    now = utcnow()
    found = find_messages(
        engine=_engine(),
        po=po,
        partner=partner,
        state=state,
        limit=limit,
        with_events=as_json,
        overdue_at=now if overdue else None,
    )
    if as_json:
        print_json({"messages": [message_json(m, now) for m in found]})
        return
    rows = []
    for m in found:
        icn = "-" if m.interchange_control_number is None else f"{m.interchange_control_number:09d}"
        ack = "OVERDUE" if m.overdue(now) else (m.ack_state or "-")
        kind = m.transaction_set if m.destination == "partner" else f"{m.transaction_set}>Coupa"
        updated = f"{m.updated_at:%Y-%m-%d %H:%M:%S}"
        rows.append(
            [
                str(m.id),
                updated,
                m.state,
                kind,
                m.partner_id,
                m.po_number or "-",
                icn,
                ack,
                m.last_error or "",
            ]
        )
    columns = ("id", "updated", "state", "set", "partner", "PO", "ISA13", "ack", "last error")
    print_table(None, columns, rows)


@messages_app.command("resend")
def messages_resend(  # noqa: PLR0917 (one message, or a filter)
    message_id: Annotated[int | None, typer.Argument(help="Message id.")] = None,
    reissue: Annotated[
        bool, typer.Option("--reissue", help="New control numbers: map the order again.")
    ] = False,
    state: Annotated[
        str | None, typer.Option(help="Bulk: every message in this state (failed, dead, sent).")
    ] = None,
    partner: Annotated[str | None, typer.Option(help="Bulk: only this partner.")] = None,
    since: Annotated[
        dt.datetime | None, typer.Option(help="Bulk: only those updated since (UTC).")
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Bulk: do not ask.")] = False,
) -> None:
    """Send a sent, failed or dead message again: the same bytes (ISA13, AS2 Message-ID), or
    with --reissue new control numbers. Exit 1 if it is in flight or unknown.

    Bulk: `--state dead [--partner P] [--since 2026-11-01] --yes` resends every match with a
    progress bar; exit 1 if none matched or any was refused.
    """
    if message_id is None and state is None:
        raise typer.BadParameter("give a message id, or --state for a bulk resend")
    if message_id is not None:
        _resend_one(message_id, reissue)
        return
    assert state is not None
    _resend_many(state, partner, since, reissue=reissue, yes=yes)


def _resend_one(message_id: int, reissue: bool) -> None:
    from b2b.store import request_resend, utcnow

    try:
        resent = request_resend(
            engine=_engine(), message_id=message_id, now=utcnow(), reissue=reissue
        )
    except (UnknownMessage, ResendRefused) as exc:
        typer.echo(f"error: {exc.reason}", err=True)
        raise typer.Exit(1) from exc
    typer.echo(f"message {resent.message_id} {resent.state}: {resent.detail}")


def _resend_many(
    state: str, partner: str | None, since: dt.datetime | None, *, reissue: bool, yes: bool
) -> None:
    from b2b.store import find_messages, request_resend, utcnow

    engine = _engine()
    found = find_messages(
        engine=engine, state=state, partner=partner, limit=BULK_LIMIT, with_events=False
    )
    after = None if since is None else since.replace(tzinfo=since.tzinfo or dt.UTC)
    ids = [m.id for m in found if after is None or m.updated_at >= after]
    if not ids:
        typer.echo("no message matches", err=True)
        raise typer.Exit(1)
    if not yes:
        typer.confirm(f"resend {len(ids)} message(s)?", abort=True)
    refused = []
    for message_id in track(ids, description="resending", console=console(err=True)):
        try:
            request_resend(engine=engine, message_id=message_id, now=utcnow(), reissue=reissue)
        except (UnknownMessage, ResendRefused) as exc:
            refused.append(f"message {message_id}: {exc.reason}")
    for line in refused:
        typer.echo(f"refused {line}", err=True)
    typer.echo(f"{len(ids) - len(refused)} of {len(ids)} message(s) queued again")
    if refused:
        raise typer.Exit(1)


@inbound_app.command("list")
def inbound_list(
    partner: Annotated[str | None, typer.Option(help="Partner id.")] = None,
    limit: Annotated[int, typer.Option()] = 50,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """One row per interchange of each file a partner sent: its verdict and what was done."""
    from b2b.store import find_inbound

    found = find_inbound(engine=_engine(), partner=partner, limit=limit)
    if as_json:
        print_json({"files": [inbound_json(f) for f in found]})
        return
    rows = []
    for f in found:
        received = f"{f.received_at:%Y-%m-%d %H:%M:%S}"
        head = [
            str(f.file_id),
            received,
            f.state,
            f.partner_id or "-",
            f"{f.origin} {f.origin_ref}",
        ]
        if f.error:
            rows.append([*head, "-", f.error])
        for i in f.interchanges:
            duplicate = "  DUPLICATE" if i["duplicate"] else ""
            verdict = (
                f"ISA13 {i['control_number']} from {i['sender']}: "
                f"TA1 {i['status']} {i['note_code']}{duplicate}"
            )
            rows.append([*head, verdict, "; ".join(i["notes"])])
        if not f.interchanges and not f.error:
            rows.append([*head, "-", ""])
    columns = ("file", "received", "state", "partner", "origin", "interchange", "done")
    print_table(None, columns, rows)


@inbound_app.command("import")
def inbound_import(
    folder: Annotated[
        Path, typer.Argument(help="A folder of X12 files.", exists=True, file_okay=False)
    ],
    partner: Annotated[str, typer.Option(help="The partner that sent them.")],
    pattern: Annotated[str, typer.Option(help="Which files (glob).")] = "*",
) -> None:
    """Record every file in FOLDER as received from PARTNER, as its inbound poller would: each
    is then read, acknowledged (997/999, TA1) and passed on by the worker. A file recorded
    before (same size and SHA-256 from the same path) is skipped. Exit 1 if no file was new.
    """
    from b2b.partners import load_partners
    from b2b.store import utcnow
    from b2b.store.blobs import BlobStore
    from b2b.store.inbound import Arrival, record_inbound_file

    settings = _settings()
    try:
        registry = load_partners(settings.resolve(settings.partners_dir))
        registry.get(partner)
    except ConfigurationError as exc:
        typer.echo(f"error: {exc}", err=True)
        raise typer.Exit(2) from exc
    except KeyError as exc:
        typer.echo(f"error: no partner {partner!r}", err=True)
        raise typer.Exit(2) from exc
    files = sorted(p for p in folder.glob(pattern) if p.is_file())
    engine = _engine()
    blobs = BlobStore(settings.resolve(settings.data_dir) / "blobs")
    new = 0
    for path in track(files, description="importing", console=console(err=True)):
        data = path.read_bytes()
        arrival = Arrival(partner, "import", str(path.resolve()), _sha256(data), data, utcnow())
        new += record_inbound_file(engine=engine, blobs=blobs, arrival=arrival)
    engine.dispose()
    typer.echo(f"{new} new file(s) recorded, {len(files) - new} already recorded")
    if not new:
        raise typer.Exit(1)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
