"""What the dashboard and the admin API ask: one search box, raw bytes, partner health.

>>> [m.id for m in search_messages(engine=engine, q="HMG-PO-100482")]
[3]
>>> message_raw(engine=engine, blobs=blobs, message_id=3, part="payload").filename
'acme-000000001.x12'
"""

from __future__ import annotations

import datetime as dt
import enum
import json
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Connection, Engine, Select, func, or_, select

from b2b.store.blobs import BlobStore
from b2b.store.db import as_utc, transaction, utc
from b2b.store.queries import _COLUMNS, _FROM, MessageView, _events, _view
from b2b.store.schema import (
    as2_outbound,
    business_documents,
    documents,
    inbound_files,
    inbound_interchanges,
    message_events,
    messages,
    rejections,
)
from b2b.store.states import MessageState

X12 = "application/edi-x12"
XML = "application/xml"


class MessagePart(enum.StrEnum):
    """What of an outbound message to download."""

    PAYLOAD = "payload"  # the X12 interchange (or cXML for Coupa) exactly as built
    AS2 = "as2"  # the AS2 message body exactly as posted (signed, encrypted...)
    MDN = "mdn"  # the MDN the partner answered with, as received
    ACK = "ack"  # the partner's 997/999/TA1 verdict, as read (JSON)


class DocumentKind(enum.StrEnum):
    """Which received document an id names."""

    ORDER = "order"  # a Coupa order as accepted (table documents; SharedSecret redacted)
    PARTNER = "partner"  # an 855/856/810: the partner's whole file it came in
    FILE = "file"  # a file a partner sent (AS2 payload, SFTP, folder)
    REJECTION = "rejection"  # a refused document, as it came


@dataclass(frozen=True, slots=True)
class RawDocument:
    """Bytes to show or download, with the name and type they go out under."""

    content: bytes
    filename: str
    media_type: str


@dataclass(frozen=True, slots=True)
class OrderView:
    """A Coupa order as accepted (one row of `documents`)."""

    id: int
    source_format: str
    document_key: str  # the cXML payloadID, or Coupa XML's id and version
    partner_id: str
    po_number: str
    po_version: int | None
    order_type: str
    received_at: dt.datetime
    response_status: int


@dataclass(frozen=True, slots=True)
class As2View:
    """The AS2 message built for an outbound message, and its MDN."""

    message_id: int
    as2_message_id: str
    built_at: dt.datetime
    mdn_received_at: dt.datetime | None
    mdn_disposition: str | None
    mdn_signed: bool | None
    has_mdn: bool


@dataclass(slots=True)
class PartnerActivity:
    """What the queue says about one partner's transport."""

    last_success_at: dt.datetime | None = None
    last_failure_at: dt.datetime | None = None
    last_failure: str | None = None
    queue: dict[str, int] = field(default_factory=dict)  # message count by state


FAILURES = ("retry", MessageState.FAILED.value, MessageState.DEAD.value)


def search_messages(
    *,
    engine: Engine,
    q: str | None = None,
    po: str | None = None,
    partner: str | None = None,
    state: str | None = None,
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    overdue_at: dt.datetime | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[MessageView]:
    """Messages matching every given filter, newest first, each with its events.

    `q` is one search box: a PO number, a payloadID (or Coupa XML document key), an AS2
    Message-ID (with or without <>), or a control number (ISA13, GS06 or ST02).
    `since`/`until` bound the creation time (until exclusive); `overdue_at`: only messages
    whose acknowledgment was due before then and has not come.
    """
    query = _filtered(
        select(*_COLUMNS).select_from(_FROM),
        q=q,
        po=po,
        partner=partner,
        state=state,
        since=as_utc(since),  # a time without a zone is UTC, as every time stored
        until=as_utc(until),
    )
    if overdue_at is not None:
        query = query.where(messages.c.ack_state.is_(None), messages.c.ack_due_at < overdue_at)
    query = query.order_by(messages.c.id.desc()).limit(limit).offset(offset)
    with transaction(engine) as conn:
        rows = conn.execute(query).all()
        events = _events(conn, [r.id for r in rows])
    return [_view(row, events.get(row.id, ())) for row in rows]


def _filtered(
    query: Select[tuple[object, ...]],
    *,
    q: str | None,
    po: str | None,
    partner: str | None,
    state: str | None,
    since: dt.datetime | None,
    until: dt.datetime | None,
) -> Select[tuple[object, ...]]:
    m = messages.c
    if q is not None and q.strip():
        query = query.where(or_(*_matches(q.strip())))
    for column, value in ((m.po_number, po), (m.partner_id, partner), (m.state, state)):
        if value is not None:
            query = query.where(column == value)
    if since is not None:
        query = query.where(m.created_at >= since)
    if until is not None:
        query = query.where(m.created_at < until)
    return query


def _matches(q: str) -> list[ColumnElement[bool]]:
    """Every column the search box may name."""
    m = messages.c
    as2_id = q.removeprefix("<").removesuffix(">")
    found: list[ColumnElement[bool]] = [
        m.po_number == q,
        documents.c.document_key == q,
        m.id.in_(select(as2_outbound.c.message_id).where(as2_outbound.c.as2_message_id == as2_id)),
        m.transaction_control_numbers == q,
        m.transaction_control_numbers.like(f"{_escaped(q)},%", escape="\\"),
        m.transaction_control_numbers.like(f"%,{_escaped(q)}", escape="\\"),
        m.transaction_control_numbers.like(f"%,{_escaped(q)},%", escape="\\"),
    ]
    if q.isdigit() and int(q) < 2**31:
        found += [m.interchange_control_number == int(q), m.group_control_number == int(q)]
    return found


def _escaped(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def count_by_state(*, engine: Engine) -> dict[str, int]:
    """How many messages are in each state (states with none left out)."""
    query = select(messages.c.state, func.count()).group_by(messages.c.state)
    with transaction(engine) as conn:
        return {str(state): int(count) for state, count in conn.execute(query).all()}


def partner_activity(*, engine: Engine) -> dict[str, PartnerActivity]:
    """Per partner: the last delivery, the last failure with its reason, the queue by state.

    Only messages to partners count; cXML posted to Coupa for them is Coupa's health.
    """
    m, e = messages.c, message_events.c
    to_partner = m.destination == "partner"
    with transaction(engine) as conn:
        queue = conn.execute(
            select(m.partner_id, m.state, func.count())
            .where(to_partner)
            .group_by(m.partner_id, m.state)
        ).all()
        sent = conn.execute(
            select(m.partner_id, func.max(e.at))
            .join_from(message_events, messages, e.message_id == m.id)
            .where(to_partner, e.state == MessageState.SENT.value)
            .group_by(m.partner_id)
        ).all()
        last_failures = (
            select(m.partner_id, func.max(e.id).label("event_id"))
            .join_from(message_events, messages, e.message_id == m.id)
            .where(to_partner, e.state.in_(FAILURES))
            .group_by(m.partner_id)
            .subquery()
        )
        failed = conn.execute(
            select(last_failures.c.partner_id, e.at, e.detail).join_from(
                last_failures, message_events, e.id == last_failures.c.event_id
            )
        ).all()
    return _activity(queue, sent, failed)


def _activity(
    queue: Iterable[tuple[str, str, int]],
    sent: Iterable[tuple[str, dt.datetime]],
    failed: Iterable[tuple[str, dt.datetime, str]],
) -> dict[str, PartnerActivity]:
    found: dict[str, PartnerActivity] = {}

    def get(partner: str) -> PartnerActivity:
        return found.setdefault(partner, PartnerActivity())

    for partner, state, count in queue:
        get(partner).queue[state] = count
    for partner, at in sent:
        get(partner).last_success_at = utc(at)
    for partner, at, detail in failed:
        activity = get(partner)
        activity.last_failure_at, activity.last_failure = utc(at), detail
    return found


def find_orders(*, engine: Engine, po: str) -> list[OrderView]:
    """The Coupa orders accepted for PO `po` (new, changes, cancellations), oldest first."""
    d = documents.c
    query = select(
        d.id,
        d.source_format,
        d.document_key,
        d.partner_id,
        d.po_number,
        d.po_version,
        d.order_type,
        d.received_at,
        d.response_status,
    ).where(d.po_number == po)
    with transaction(engine) as conn:
        rows = conn.execute(query.order_by(d.id)).all()
    return [OrderView(**{**row._asdict(), "received_at": utc(row.received_at)}) for row in rows]


def find_as2(*, engine: Engine, message_ids: list[int]) -> dict[int, As2View]:
    """The AS2 message built for each of `message_ids` that went by AS2, and its MDN."""
    a = as2_outbound.c
    if not message_ids:
        return {}
    query = select(
        a.message_id,
        a.as2_message_id,
        a.built_at,
        a.mdn_received_at,
        a.mdn_disposition,
        a.mdn_signed,
        a.mdn_raw.is_not(None).label("has_mdn"),
    ).where(a.message_id.in_(message_ids))
    with transaction(engine) as conn:
        rows = conn.execute(query).all()
    return {
        row.message_id: As2View(
            message_id=row.message_id,
            as2_message_id=row.as2_message_id,
            built_at=utc(row.built_at),
            mdn_received_at=as_utc(row.mdn_received_at),
            mdn_disposition=row.mdn_disposition,
            mdn_signed=None if row.mdn_signed is None else bool(row.mdn_signed),
            has_mdn=bool(row.has_mdn),
        )
        for row in rows
    }


def message_raw(
    *, engine: Engine, blobs: BlobStore, message_id: int, part: MessagePart = MessagePart.PAYLOAD
) -> RawDocument | None:
    """The bytes of an outbound message exactly as stored, or None when it has no such part."""
    m, a = messages.c, as2_outbound.c
    query = (
        select(
            m.partner_id,
            m.destination,
            m.filename,
            m.payload,
            m.payload_blob,
            m.ack_detail,
            a.body,
            a.body_blob,
            a.headers,
            a.mdn_raw,
        )
        .select_from(messages.outerjoin(as2_outbound, a.message_id == m.id))
        .where(m.id == message_id)
    )
    with transaction(engine) as conn:
        row = conn.execute(query).first()
    if row is None:
        return None
    stem = f"message-{message_id}"
    if part is MessagePart.PAYLOAD:
        content = blobs.load(row.payload, row.payload_blob)
        media = XML if row.destination == "coupa" else X12
        ext = "xml" if row.destination == "coupa" else "x12"
        return _raw(content, row.filename or f"{stem}.{ext}", media)
    if part is MessagePart.AS2:
        media = _header(row.headers, "content-type") or "application/octet-stream"
        return _raw(blobs.load(row.body, row.body_blob), f"{stem}.as2", media)
    if part is MessagePart.MDN:
        return _raw(row.mdn_raw, f"{stem}.mdn", "message/disposition-notification")
    ack = None if row.ack_detail is None else row.ack_detail.encode()
    return _raw(ack, f"{stem}-ack.json", "application/json")


def _raw(content: bytes | None, filename: str, media_type: str) -> RawDocument | None:
    return None if content is None else RawDocument(bytes(content), filename, media_type)


def _header(headers: str | None, name: str) -> str | None:
    for key, value in json.loads(headers) if headers else ():
        if key.lower() == name:
            return str(value)
    return None


def document_raw(
    *, engine: Engine, blobs: BlobStore, kind: DocumentKind, document_id: int
) -> RawDocument | None:
    """A received document's bytes as stored: a Coupa order, a partner's file, a refusal."""
    with transaction(engine) as conn:
        if kind is DocumentKind.ORDER:
            d = documents.c
            row = conn.execute(
                select(d.raw, d.po_number, d.source_format).where(d.id == document_id)
            ).first()
            if row is None:
                return None
            return _raw(row.raw, f"{row.po_number}-order-{document_id}.xml", XML)
        if kind is DocumentKind.REJECTION:
            r = rejections.c
            raw = conn.execute(select(r.raw).where(r.id == document_id)).scalar()
            return _raw(raw, f"rejection-{document_id}.xml", XML)
        file_id = _file_of(conn, kind, document_id)
        if file_id is None:
            return None
        f = inbound_files.c
        row = conn.execute(select(f.raw, f.raw_blob, f.partner_id).where(f.id == file_id)).first()
    if row is None:
        return None
    name = f"{row.partner_id or 'unknown'}-{kind.value}-{document_id}.x12"
    return _raw(blobs.load(row.raw, row.raw_blob), name, X12)


def _file_of(conn: Connection, kind: DocumentKind, document_id: int) -> int | None:
    if kind is DocumentKind.FILE:
        return document_id
    b, i = business_documents.c, inbound_interchanges.c
    query = select(i.file_id).join_from(
        business_documents, inbound_interchanges, b.interchange_id == i.id
    )
    found = conn.execute(query.where(b.id == document_id)).scalar()
    return None if found is None else int(found)
