"""Read-only questions operators ask: where is PO 4711, what happened to message 12?

>>> [m.state for m in find_messages(engine=engine, po="4711")]
['sent']
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine, Row, select

from b2b.store.db import as_utc, transaction, utc
from b2b.store.schema import (
    business_documents,
    documents,
    inbound_files,
    inbound_interchanges,
    message_events,
    messages,
    rejections,
)


@dataclass(frozen=True, slots=True)
class Event:
    """One step in a message's life."""

    at: dt.datetime
    state: str
    detail: str


@dataclass(frozen=True, slots=True)
class MessageView:
    """A message as an operator sees it."""

    id: int
    partner_id: str
    po_number: str
    po_version: int | None
    order_type: str | None  # None: an acknowledgment we send, which has no document
    document_key: str | None
    source_format: str | None
    transaction_set: str
    destination: str  # partner: X12 to the partner; coupa: cXML to `url`
    url: str | None
    state: str
    attempts: int
    interchange_control_number: int | None
    group_control_number: int | None
    transaction_control_numbers: str | None
    filename: str | None
    last_error: str | None
    receipt: str | None
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    ack_state: str | None  # the partner's 997/999/TA1 verdict: accepted, rejected...
    ack_due_at: dt.datetime | None
    ack_received_at: dt.datetime | None
    ack_detail: str | None  # JSON, as read
    events: tuple[Event, ...] = ()

    def overdue(self, now: dt.datetime) -> bool:
        """Sent, an acknowledgment expected, none arrived in time."""
        return self.ack_state is None and self.ack_due_at is not None and self.ack_due_at < now


@dataclass(frozen=True, slots=True)
class BusinessDocumentView:
    """An 855/856/810 a partner sent for a PO, as read."""

    id: int
    partner_id: str
    transaction_set: str
    po_number: str
    control_number: str
    received_at: dt.datetime
    interchange_control_number: str
    summary: str  # JSON


@dataclass(frozen=True, slots=True)
class RejectionView:
    """A refused document as an operator sees it."""

    id: int
    source_format: str
    document_key: str | None
    po_number: str | None
    received_at: dt.datetime
    error: str
    reason: str
    response_status: int


_COLUMNS = (
    messages.c.id,
    messages.c.partner_id,
    messages.c.po_number,
    documents.c.po_version,
    documents.c.order_type,
    documents.c.document_key,
    documents.c.source_format,
    messages.c.transaction_set,
    messages.c.destination,
    messages.c.url,
    messages.c.state,
    messages.c.attempts,
    messages.c.interchange_control_number,
    messages.c.group_control_number,
    messages.c.transaction_control_numbers,
    messages.c.filename,
    messages.c.last_error,
    messages.c.receipt,
    messages.c.next_attempt_at,
    messages.c.created_at,
    messages.c.updated_at,
    messages.c.ack_state,
    messages.c.ack_due_at,
    messages.c.ack_received_at,
    messages.c.ack_detail,
)
_FROM = messages.outerjoin(documents, messages.c.document_id == documents.c.id)


def find_messages(
    *,
    engine: Engine,
    po: str | None = None,
    partner: str | None = None,
    state: str | None = None,
    limit: int = 100,
    with_events: bool = True,
    overdue_at: dt.datetime | None = None,
) -> list[MessageView]:
    """Messages matching every given filter, newest first, each with its events.

    `overdue_at`: only messages whose acknowledgment was due before then and has not come.
    """
    query = select(*_COLUMNS).select_from(_FROM)
    if overdue_at is not None:
        query = query.where(messages.c.ack_state.is_(None), messages.c.ack_due_at < overdue_at)
    if po is not None:
        query = query.where(messages.c.po_number == po)
    if partner is not None:
        query = query.where(messages.c.partner_id == partner)
    if state is not None:
        query = query.where(messages.c.state == state)
    query = query.order_by(messages.c.id.desc()).limit(limit)
    with transaction(engine) as conn:
        rows = conn.execute(query).all()
        events = _events(conn, [r.id for r in rows]) if with_events else {}
    return [_view(row, events.get(row.id, ())) for row in rows]


def get_message(*, engine: Engine, message_id: int) -> MessageView | None:
    """One message with its events, or None."""
    query = select(*_COLUMNS).select_from(_FROM).where(messages.c.id == message_id)
    with transaction(engine) as conn:
        row = conn.execute(query).first()
        if row is None:
            return None
        return _view(row, _events(conn, [row.id]).get(row.id, ()))


def _events(conn: Connection, ids: list[int]) -> dict[int, tuple[Event, ...]]:
    found: dict[int, list[Event]] = {}
    if not ids:
        return {}
    rows = conn.execute(
        select(
            message_events.c.message_id,
            message_events.c.at,
            message_events.c.state,
            message_events.c.detail,
        )
        .where(message_events.c.message_id.in_(ids))
        .order_by(message_events.c.id)
    )
    for row in rows:
        found.setdefault(row.message_id, []).append(Event(utc(row.at), row.state, row.detail))
    return {k: tuple(v) for k, v in found.items()}


def _view(row: Row[*tuple[Any, ...]], events: tuple[Event, ...]) -> MessageView:
    values = row._asdict()
    for name in ("next_attempt_at", "created_at", "updated_at", "ack_due_at", "ack_received_at"):
        values[name] = as_utc(values[name])
    return MessageView(**values, events=events)


def find_rejections(
    *, engine: Engine, po: str | None = None, limit: int = 100
) -> list[RejectionView]:
    """Refused documents, newest first, optionally only those naming PO `po`."""
    r = rejections.c
    query = select(
        r.id,
        r.source_format,
        r.document_key,
        r.po_number,
        r.received_at,
        r.error,
        r.reason,
        r.response_status,
    )
    if po is not None:
        query = query.where(r.po_number == po)
    with transaction(engine) as conn:
        rows = conn.execute(query.order_by(r.id.desc()).limit(limit)).all()
    return [
        RejectionView(**{**row._asdict(), "received_at": as_utc(row.received_at)}) for row in rows
    ]


def find_business_documents(
    *, engine: Engine, po: str | None = None, partner: str | None = None, limit: int = 100
) -> list[BusinessDocumentView]:
    """The 855/856/810 partners sent, newest first, optionally for one PO or partner."""
    b, i = business_documents.c, inbound_interchanges.c
    query = select(
        b.id,
        b.partner_id,
        b.transaction_set,
        b.po_number,
        b.control_number,
        b.received_at,
        i.control_number.label("interchange_control_number"),
        b.summary,
    ).join_from(business_documents, inbound_interchanges, b.interchange_id == i.id)
    if po is not None:
        query = query.where(b.po_number == po)
    if partner is not None:
        query = query.where(b.partner_id == partner)
    with transaction(engine) as conn:
        rows = conn.execute(query.order_by(b.id.desc()).limit(limit)).all()
    return [
        BusinessDocumentView(**{**row._asdict(), "received_at": utc(row.received_at)})
        for row in rows
    ]


@dataclass(frozen=True, slots=True)
class InboundView:
    """A file a partner sent, and each interchange in it with the verdict we answered."""

    file_id: int
    partner_id: str
    origin: str
    origin_ref: str
    size: int
    received_at: dt.datetime
    state: str  # received | processed | failed
    error: str | None
    interchanges: tuple[dict[str, Any], ...]


def find_inbound(
    *, engine: Engine, partner: str | None = None, limit: int = 100
) -> list[InboundView]:
    """Files partners sent, newest first, each with its interchanges' verdicts and notes."""
    f, i = inbound_files.c, inbound_interchanges.c
    query = select(
        f.id, f.partner_id, f.origin, f.origin_ref, f.size, f.received_at, f.state, f.error
    )
    if partner is not None:
        query = query.where(f.partner_id == partner)
    with transaction(engine) as conn:
        files = conn.execute(query.order_by(f.id.desc()).limit(limit)).all()
        rows = conn.execute(
            select(
                i.file_id,
                i.partner_id,
                i.sender,
                i.receiver,
                i.control_number,
                i.status,
                i.note_code,
                i.duplicate,
                i.notes,
            )
            .where(i.file_id.in_([row.id for row in files]))
            .order_by(i.id)
        ).all()
    found: dict[int, list[dict[str, Any]]] = {}
    for row in rows:
        values = row._asdict()
        values["duplicate"] = bool(values["duplicate"])
        values["notes"] = [n for n in values["notes"].split("\n") if n]
        found.setdefault(values.pop("file_id"), []).append(values)
    return [
        InboundView(
            file_id=row.id,
            partner_id=row.partner_id,
            origin=row.origin,
            origin_ref=row.origin_ref,
            size=row.size,
            received_at=utc(row.received_at),
            state=row.state,
            error=row.error,
            interchanges=tuple(found.get(row.id, ())),
        )
        for row in files
    ]
