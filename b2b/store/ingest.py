"""Accepting and rejecting inbound documents, durably, before the sender gets its answer.

`accept_documents` stores a batch in one transaction (group commit); `IngestWriter` feeds it
from many concurrent requests through one writer thread, so each request waits for one fsync
that it shares with the requests that arrived alongside it.

    >>> writer = IngestWriter(engine); writer.start()
    >>> accepted = writer.submit(acceptance).result()
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, bindparam, func, insert, select

from b2b.documents import OrderType, ReceivedOrder
from b2b.store.batch import BatchWriter
from b2b.store.db import transaction
from b2b.store.prepared import Prepared, insert_new
from b2b.store.queue import add_event
from b2b.store.schema import documents, messages, rejections
from b2b.store.states import MessageState

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Acceptance:
    """An order that passed every check, with the answer the sender will get."""

    received: ReceivedOrder
    partner_id: str
    transaction_set: str
    raw: bytes
    response_status: int
    response_body: bytes
    received_at: dt.datetime


@dataclass(frozen=True, slots=True)
class Accepted:
    """What the store did with an Acceptance; a duplicate carries the first answer."""

    document_id: int
    message_id: int | None
    duplicate: bool
    response_status: int
    response_body: bytes
    refused: str | None = None  # a stale change: the reason it is refused (nothing stored)


@dataclass(frozen=True, slots=True)
class Rejection:
    """A refused document: kept with its reason and the answer the sender got."""

    source_format: str
    raw: bytes
    reason: str
    error: str
    response_status: int
    response_body: bytes
    received_at: dt.datetime
    document_key: str | None = None
    po_number: str | None = None


def accept_documents(*, engine: Engine, items: Sequence[Acceptance]) -> list[Accepted]:
    """Store `items` in one transaction: document, message and its first event each."""
    with transaction(engine) as conn:
        return [_accept_one(conn, item) for item in items]


def _accept_one(conn: Connection, item: Acceptance) -> Accepted:
    order = item.received.order
    earlier = _overtaken(conn, item) or _change_seen(conn, item)
    if earlier is not None:
        return earlier
    document_id = _INSERT_DOCUMENT.scalar(
        conn,
        {
            "source_format": item.received.source_format.value,
            "document_key": item.received.document_key,
            "partner_id": item.partner_id,
            "po_number": order.number,
            "po_version": order.version,
            "order_type": order.order_type.value,
            "received_at": item.received_at,
            "raw": item.raw,
            "response_status": item.response_status,
            "response_body": item.response_body,
        },
    )
    if document_id is None:
        return _existing(conn, item)
    message_id = _INSERT_MESSAGE.scalar(
        conn,
        {
            "document_id": document_id,
            "partner_id": item.partner_id,
            "po_number": order.number,
            "transaction_set": item.transaction_set,
            "state": MessageState.RECEIVED.value,
            "attempts": 0,
            "next_attempt_at": item.received_at,
            "created_at": item.received_at,
            "updated_at": item.received_at,
        },
    )
    detail = f"{item.received.source_format.value} {item.received.document_key}"
    add_event(conn, message_id, item.received_at, MessageState.RECEIVED.value, detail)
    return Accepted(document_id, message_id, False, item.response_status, item.response_body)


def _overtaken(conn: Connection, item: Acceptance) -> Accepted | None:
    """Refused when a later version of the PO was accepted: a stale order is not sent."""
    order = item.received.order
    version = order.version or 0
    latest = _LATEST_VERSION.scalar(conn, {"partner": item.partner_id, "po": order.number})
    if latest is None or version >= latest:
        return None
    reason = (
        f"PO {order.number} version {version} is older than version {latest}, already"
        f" accepted: this {order.order_type.value} order is not sent"
    )
    return Accepted(0, None, False, 0, b"", refused=reason)


def _change_seen(conn: Connection, item: Acceptance) -> Accepted | None:
    """A change or cancellation of a version already taken: the first one's answer."""
    order, d = item.received.order, documents.c
    if order.order_type is OrderType.NEW:
        return None
    same_po = (d.partner_id == item.partner_id, d.po_number == order.number)
    row = conn.execute(
        select(d.id, d.response_status, d.response_body)
        .where(*same_po, d.po_version == order.version, d.order_type == order.order_type.value)
        .limit(1)
    ).first()
    if row is None:
        return None
    message_id = conn.execute(_MESSAGE_OF_DOCUMENT, {"document": row.id}).scalar()
    return Accepted(row.id, message_id, True, row.response_status, bytes(row.response_body))


# Each stored order runs these: built once, run on the driver's cursor (b2b.store.prepared).
_INSERT_DOCUMENT = insert_new(documents, unique=["source_format", "document_key"])
_INSERT_MESSAGE = Prepared(insert(messages).returning(messages.c.id))
_LATEST_VERSION = Prepared(
    select(func.max(documents.c.po_version)).where(
        documents.c.partner_id == bindparam("partner"), documents.c.po_number == bindparam("po")
    )
)
_MESSAGE_OF_DOCUMENT = (
    select(messages.c.id).where(messages.c.document_id == bindparam("document")).limit(1)
)


def _existing(conn: Connection, item: Acceptance) -> Accepted:
    row = conn.execute(
        select(documents.c.id, documents.c.response_status, documents.c.response_body).where(
            documents.c.source_format == item.received.source_format.value,
            documents.c.document_key == item.received.document_key,
        )
    ).one()
    message_id = conn.execute(_MESSAGE_OF_DOCUMENT, {"document": row.id}).scalar()
    return Accepted(row.id, message_id, True, row.response_status, bytes(row.response_body))


def record_rejection(*, engine: Engine, rejection: Rejection) -> int:
    """Keep a refused document with its reason; returns the rejection's id."""
    with transaction(engine) as conn:
        return int(
            conn.execute(
                insert(rejections)
                .values(
                    source_format=rejection.source_format,
                    document_key=rejection.document_key,
                    po_number=rejection.po_number,
                    received_at=rejection.received_at,
                    reason=rejection.reason,
                    error=rejection.error,
                    raw=rejection.raw,
                    response_status=rejection.response_status,
                    response_body=rejection.response_body,
                )
                .returning(rejections.c.id)
            ).scalar_one()
        )


class IngestWriter(BatchWriter[Acceptance, Accepted]):
    """Accepted documents, committed in batches by one thread (see BatchWriter)."""

    def __init__(self, engine: Engine, *, max_batch: int = 256) -> None:
        super().__init__(engine, _accept_one, name="b2b-ingest", max_batch=max_batch)
