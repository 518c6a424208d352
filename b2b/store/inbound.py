"""Inbound X12 in the store: files recorded on arrival, then read by a worker under a lease.

    record_inbound_file ─► inbound_files (received) ─► claim_inbound ─► record_read:
        inbound_interchanges (verdict), business_documents, our 997/999/TA1 queued as messages,
        the partner's 997/999/TA1 reconciled to the messages we sent; the file is processed.

Everything `record_read` writes is one transaction: a worker that dies half way leaves nothing,
and the file is read again once its lease expires.

>>> new = record_inbound_file(engine=engine, blobs=blobs, arrival=arrival)
>>> claim = claim_inbound(engine=engine, blobs=blobs, worker="w1", now=now, lease=LEASE)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, insert, or_, select, update

from b2b.store.blobs import BlobStore, Data
from b2b.store.db import transaction, utc
from b2b.store.prepared import insert_new
from b2b.store.queue import Built, add_event, check_lease, next_control_number
from b2b.store.schema import (
    business_documents,
    documents,
    inbound_files,
    inbound_interchanges,
    message_events,
    messages,
)
from b2b.store.states import MessageState


@dataclass(frozen=True, slots=True)
class Arrival:
    """A file a partner sent, as it arrived: kept before it is removed where it came from."""

    partner_id: str  # "" when no profile claims it yet
    origin: str  # as2 | sftp | directory
    origin_ref: str  # the path, or the AS2 Message-ID
    sha256: str
    data: bytes  # b"" when the caller passes the bytes to keep_inbound_file itself
    received_at: dt.datetime


def record_inbound_file(*, engine: Engine, blobs: BlobStore, arrival: Arrival) -> bool:
    """Keep a file: True if stored now, False if the same file (origin, size, hash) is kept."""
    inline, key = blobs.offload(arrival.data)
    with transaction(engine) as conn:
        return keep_inbound_file(conn, arrival, size=len(arrival.data), inline=inline, blob=key)


def keep_inbound_file(
    conn: Connection, arrival: Arrival, *, size: int, inline: Data | None, blob: str | None
) -> bool:
    """`record_inbound_file` inside the caller's transaction, the bytes inline or in a blob.

    (The AS2 receive keeps its payload this way, in the transaction that keeps the message.)
    """
    values = {
        "partner_id": arrival.partner_id,
        "origin": arrival.origin,
        "origin_ref": arrival.origin_ref[:1024],
        "size": size,
        "sha256": arrival.sha256,
        "received_at": arrival.received_at,
        "raw": inline,
        "raw_blob": blob,
        "state": "received",
    }
    return _INSERT_FILE.scalar(conn, values) is not None


# Each received file runs it: built once, run on the driver's cursor (b2b.store.prepared).
_INSERT_FILE = insert_new(
    inbound_files, unique=["partner_id", "origin", "origin_ref", "size", "sha256"]
)


@dataclass(frozen=True, slots=True)
class InboundClaim:
    """A received file a worker holds while it reads it."""

    file_id: int
    partner_id: str
    origin: str
    origin_ref: str
    data: bytes
    received_at: dt.datetime


def claim_inbound(
    *, engine: Engine, blobs: BlobStore, worker: str, now: dt.datetime, lease: dt.timedelta
) -> InboundClaim | None:
    """Lease the oldest received file to `worker`; None when there is none."""
    f = inbound_files.c
    with transaction(engine) as conn:
        row = conn.execute(
            select(f.id, f.partner_id, f.origin, f.origin_ref, f.raw, f.raw_blob, f.received_at)
            .where(
                f.state == "received",
                or_(f.lease_expires_at.is_(None), f.lease_expires_at < now),
            )
            .order_by(f.received_at, f.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        conn.execute(
            update(inbound_files)
            .where(f.id == row.id)
            .values(lease_owner=worker, lease_expires_at=now + lease)
        )
    data = blobs.load(row.raw, row.raw_blob)
    assert data is not None  # one of the two is always set
    return InboundClaim(row.id, row.partner_id, row.origin, row.origin_ref, data, row.received_at)


@dataclass(frozen=True, slots=True)
class OutboundAck:
    """A 997/999/TA1 interchange to send back, built once its control number is taken."""

    partner_id: str
    transaction_set: str  # 997 | 999 | TA1
    sender: str  # ISA05:ISA06 of the interchange we write (the control number counter's key)
    receiver: str
    build: Callable[[int], Built]


@dataclass(frozen=True, slots=True)
class AckReceived:
    """The partner's verdict on something we sent: a 997/999 group, or a TA1 interchange."""

    partner_id: str
    level: str  # group | interchange
    control_number: int  # our GS06 or ISA13 it answers
    status: str  # A | E | P | R
    summary: str  # one line for the message's history
    detail: object  # JSON-ready: the GroupResult or InterchangeResult as read


@dataclass(frozen=True, slots=True)
class DocumentRead:
    """An 855/856/810 read from the interchange, kept once per PO it answers."""

    transaction_set: str
    po_numbers: tuple[str, ...]
    control_number: str  # ST02
    summary: object  # JSON-ready


@dataclass(frozen=True, slots=True)
class CoupaDelivery:
    """The cXML of a partner's 855/856/810, to be posted to Coupa (built once, sent as is)."""

    partner_id: str
    transaction_set: str  # 855 | 856 | 810
    po_number: str
    url: str
    payload: bytes
    payload_id: str


@dataclass(frozen=True, slots=True)
class InterchangeRead:
    """What reading one interchange of a file gave, and what to do about it."""

    partner_id: str | None
    sender: str
    receiver: str
    control_number: str
    status: str  # TA104
    note_code: str  # TA105
    duplicate: bool
    result: object  # JSON-ready InterchangeResult
    notes: tuple[str, ...]
    acks_to_send: tuple[OutboundAck, ...] = ()
    acks_received: tuple[AckReceived, ...] = ()
    documents: tuple[DocumentRead, ...] = ()
    to_coupa: tuple[CoupaDelivery, ...] = ()


@dataclass(frozen=True, slots=True)
class StoredOrder:
    """The latest accepted document of a PO from Coupa: what a partner's answer refers to."""

    document_id: int
    source_format: str
    document_key: str  # the cXML payloadID, or "PO:version" for Coupa XML
    raw: bytes
    received_at: dt.datetime


class Lookups:
    """What reading a file asks of the store, answered inside the transaction that keeps it."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    def seen(self, sender: str, number: str, since: dt.datetime) -> bool:
        """Did an accepted interchange with ISA13 `number` come from `sender` since then?"""
        i = inbound_interchanges.c
        found = self._conn.execute(
            select(i.id)
            .where(
                i.sender == sender,
                i.control_number == number,
                i.duplicate == 0,
                i.status != "R",
                i.received_at >= since,
            )
            .limit(1)
        ).first()
        return found is not None

    def order(self, partner_id: str, po_number: str) -> StoredOrder | None:
        """The latest document accepted for PO `po_number` of `partner_id`, if any."""
        d = documents.c
        row = self._conn.execute(
            select(d.id, d.source_format, d.document_key, d.raw, d.received_at)
            .where(d.partner_id == partner_id, d.po_number == po_number)
            .order_by(d.id.desc())
            .limit(1)
        ).first()
        if row is None:
            return None
        return StoredOrder(
            row.id, row.source_format, row.document_key, bytes(row.raw), utc(row.received_at)
        )


def record_read(
    *,
    engine: Engine,
    claim: InboundClaim,
    worker: str,
    read: Callable[[Lookups], Sequence[InterchangeRead]],
    now: dt.datetime,
) -> list[InterchangeRead]:
    """Read the claimed file and keep everything it gave, in one transaction.

    `read` gets the store's `Lookups` (earlier interchanges, the orders answered), answered
    inside this transaction.
    """
    with transaction(engine) as conn:
        check_lease(conn, inbound_files, claim.file_id, worker)
        results = list(read(Lookups(conn)))
        for item in results:
            _keep_interchange(conn, claim.file_id, item, now)
        conn.execute(
            update(inbound_files)
            .where(inbound_files.c.id == claim.file_id)
            .values(state="processed", processed_at=now, lease_owner=None, lease_expires_at=None)
        )
    return results


def record_unreadable(
    *, engine: Engine, claim: InboundClaim, worker: str, reason: str, now: dt.datetime
) -> None:
    """The file holds nothing we can read (not X12 at all): kept, failed, with the reason."""
    with transaction(engine) as conn:
        check_lease(conn, inbound_files, claim.file_id, worker)
        conn.execute(
            update(inbound_files)
            .where(inbound_files.c.id == claim.file_id)
            .values(
                state="failed",
                error=reason,
                processed_at=now,
                lease_owner=None,
                lease_expires_at=None,
            )
        )


def _keep_interchange(
    conn: Connection, file_id: int, item: InterchangeRead, now: dt.datetime
) -> None:
    notes = list(item.notes)
    interchange_id = conn.execute(
        insert(inbound_interchanges).returning(inbound_interchanges.c.id),
        {
            "file_id": file_id,
            "partner_id": item.partner_id,
            "sender": item.sender,
            "receiver": item.receiver,
            "control_number": item.control_number,
            "received_at": now,
            "status": item.status,
            "note_code": item.note_code,
            "duplicate": int(item.duplicate),
            "result": json.dumps(item.result),
            "notes": "",
        },
    ).scalar_one()
    for ack in item.acks_to_send:
        notes.append(_queue_ack(conn, interchange_id, ack, now))
    for received in item.acks_received:
        notes.append(_reconcile(conn, received, now))
    for document in item.documents:
        _keep_document(conn, interchange_id, item.partner_id or "", document, now)
    for delivery in item.to_coupa:
        notes.append(_queue_to_coupa(conn, interchange_id, delivery, now))
    conn.execute(
        update(inbound_interchanges)
        .where(inbound_interchanges.c.id == interchange_id)
        .values(notes="\n".join(notes))
    )


def _queue_ack(conn: Connection, interchange_id: int, ack: OutboundAck, now: dt.datetime) -> str:
    number = next_control_number(conn, sender=ack.sender, receiver=ack.receiver)
    built = ack.build(number)
    message_id = conn.execute(
        insert(messages).returning(messages.c.id),
        {
            "document_id": None,
            "inbound_interchange_id": interchange_id,
            "partner_id": ack.partner_id,
            "po_number": "",
            "transaction_set": ack.transaction_set,
            "state": MessageState.QUEUED.value,
            "attempts": 0,
            "next_attempt_at": now,
            "interchange_control_number": built.interchange_control_number,
            "group_control_number": built.group_control_number or None,
            "transaction_control_numbers": ",".join(built.transaction_control_numbers),
            "filename": built.filename,
            "payload": built.payload,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    detail = f"{ack.transaction_set} ISA13={built.interchange_control_number:09d} answers inbound"
    add_event(conn, message_id, now, MessageState.QUEUED.value, detail)
    return f"{ack.transaction_set} queued as message {message_id} (ISA13 {number:09d})"


def _queue_to_coupa(
    conn: Connection, interchange_id: int, delivery: CoupaDelivery, now: dt.datetime
) -> str:
    message_id = conn.execute(
        insert(messages).returning(messages.c.id),
        {
            "document_id": None,
            "inbound_interchange_id": interchange_id,
            "partner_id": delivery.partner_id,
            "po_number": delivery.po_number[:64],
            "transaction_set": delivery.transaction_set,
            "destination": "coupa",
            "url": delivery.url,
            "state": MessageState.QUEUED.value,
            "attempts": 0,
            "next_attempt_at": now,
            "filename": delivery.payload_id[:255],
            "payload": delivery.payload,
            "created_at": now,
            "updated_at": now,
        },
    ).scalar_one()
    detail = f"cXML for {delivery.transaction_set} to {delivery.url}"
    add_event(conn, message_id, now, MessageState.QUEUED.value, detail)
    return f"{delivery.transaction_set} for Coupa queued as message {message_id}"


_ACK_STATES = {
    "A": "accepted",
    "E": "accepted-with-errors",
    "P": "partially-accepted",
    "R": "rejected",
}


def _reconcile(conn: Connection, received: AckReceived, now: dt.datetime) -> str:
    m = messages.c
    column = m.group_control_number if received.level == "group" else m.interchange_control_number
    row = conn.execute(
        select(m.id)
        .where(
            m.partner_id == received.partner_id,
            column == received.control_number,
            m.document_id.is_not(None),  # an order we sent, not an acknowledgment of ours
            m.destination == "partner",
        )
        .order_by(m.id.desc())
        .limit(1)
    ).first()
    what = f"{received.level} {received.control_number}"
    if row is None:
        return f"acknowledgment for {what} matches nothing we sent to {received.partner_id}"
    if _already_acknowledged(conn, row.id, received.summary):
        return f"acknowledgment for {what} was already recorded (message {row.id}): no change"
    settles = received.level == "group" or received.status == "R"
    if settles:
        conn.execute(
            update(messages)
            .where(m.id == row.id)
            .values(
                ack_state=_ACK_STATES[received.status],
                ack_received_at=now,
                ack_detail=json.dumps(received.detail),
            )
        )
    add_event(conn, row.id, now, "acknowledged", received.summary)
    return f"acknowledgment for {what}: {received.summary} (message {row.id})"


def _already_acknowledged(conn: Connection, message_id: int, summary: str) -> bool:
    """The same acknowledgment came before: the partner sent its 997 again, in a new interchange."""
    e = message_events.c
    found = conn.execute(
        select(e.id)
        .where(e.message_id == message_id, e.state == "acknowledged", e.detail == summary)
        .limit(1)
    ).first()
    return found is not None


def _keep_document(
    conn: Connection, interchange_id: int, partner_id: str, document: DocumentRead, now: dt.datetime
) -> None:
    summary = json.dumps(document.summary)
    for po in document.po_numbers or ("",):
        conn.execute(
            insert(business_documents),
            {
                "interchange_id": interchange_id,
                "partner_id": partner_id,
                "transaction_set": document.transaction_set,
                "po_number": po[:64],
                "control_number": document.control_number,
                "received_at": now,
                "summary": summary,
            },
        )
