"""AS2 in the store: the exact message built for a send, MDNs, and what partners sent us.

Large bodies (the built message, a received message and its payload) live in the BlobStore;
their rows hold the key.

>>> record_as2_built(engine=engine, blobs=blobs, message_id=7, worker="w1", stored=stored, now=now)
>>> payload = load_inbound_payload(engine=engine, blobs=blobs, inbound_id=3)
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, replace

from sqlalchemy import Connection, Engine, insert, select, update

from b2b.store.blobs import BlobStore
from b2b.store.db import transaction
from b2b.store.inbound import Arrival, keep_inbound_file
from b2b.store.prepared import insert_new
from b2b.store.queue import add_event, check_lease, finish_attempt, start_ack_clock
from b2b.store.schema import as2_inbound, as2_outbound, messages
from b2b.store.states import MessageState

Headers = tuple[tuple[str, str], ...]


def _dump(headers: Headers) -> str:
    return json.dumps([list(h) for h in headers])


def _load(text: str | None) -> Headers:
    return tuple((str(n), str(v)) for n, v in json.loads(text or "[]"))


@dataclass(frozen=True, slots=True)
class StoredAs2:
    """An AS2 message as built once for an outbound message: sent again as is on a retry."""

    as2_message_id: str
    headers: Headers
    body: bytes
    mic: str | None
    mic_algorithm: str | None


@dataclass(frozen=True, slots=True)
class AwaitedMdn:
    """What an asynchronous MDN is checked against."""

    message_id: int
    partner_id: str
    state: str
    mic: str | None
    mic_algorithm: str | None


def load_as2_built(*, engine: Engine, blobs: BlobStore, message_id: int) -> StoredAs2 | None:
    """The AS2 message built for `message_id`, if any."""
    o = as2_outbound.c
    with transaction(engine) as conn:
        row = conn.execute(
            select(o.as2_message_id, o.headers, o.body, o.body_blob, o.mic, o.mic_algorithm).where(
                o.message_id == message_id
            )
        ).first()
    if row is None:
        return None
    body = blobs.load(row.body, row.body_blob)
    assert body is not None  # one of the two is always set
    return StoredAs2(row.as2_message_id, _load(row.headers), body, row.mic, row.mic_algorithm)


def record_as2_built(
    *,
    engine: Engine,
    blobs: BlobStore,
    message_id: int,
    worker: str,
    stored: StoredAs2,
    now: dt.datetime,
) -> None:
    """Keep the AS2 message built for `message_id` (once; the lease must still be ours)."""
    body, body_blob = blobs.offload(stored.body)
    with transaction(engine) as conn:
        check_lease(conn, messages, message_id, worker)
        conn.execute(
            insert(as2_outbound),
            {
                "message_id": message_id,
                "as2_message_id": stored.as2_message_id,
                "headers": _dump(stored.headers),
                "body": body,
                "body_blob": body_blob,
                "mic": stored.mic,
                "mic_algorithm": stored.mic_algorithm,
                "built_at": now,
            },
        )
        add_event(conn, message_id, now, "as2-built", f"Message-ID <{stored.as2_message_id}>")


def record_awaiting_mdn(
    *, engine: Engine, message_id: int, worker: str, deadline: dt.datetime, now: dt.datetime
) -> None:
    """Sent, the asynchronous MDN is awaited until `deadline`; then the worker resends."""
    with transaction(engine) as conn:
        finish_attempt(
            conn,
            message_id,
            worker,
            now=now,
            state=MessageState.AWAITING_MDN,
            detail=f"until {deadline.isoformat()}",
            next_attempt_at=deadline,
        )


def record_mdn_details(
    *,
    engine: Engine,
    message_id: int,
    disposition: str,
    signed: bool,
    raw: bytes,
    now: dt.datetime,
) -> None:
    """Keep the MDN that answered our message, whatever it said."""
    with transaction(engine) as conn:
        conn.execute(
            update(as2_outbound)
            .where(as2_outbound.c.message_id == message_id)
            .values(
                mdn_received_at=now,
                mdn_disposition=disposition,
                mdn_signed=int(signed),
                mdn_raw=raw,
            )
        )


def find_awaited(*, engine: Engine, as2_message_id: str) -> AwaitedMdn | None:
    """The outbound message an MDN answers, by the AS2 Message-ID we sent."""
    o, m = as2_outbound.c, messages.c
    with transaction(engine) as conn:
        row = conn.execute(
            select(m.id, m.partner_id, m.state, o.mic, o.mic_algorithm)
            .join_from(as2_outbound, messages, o.message_id == m.id)
            .where(o.as2_message_id == as2_message_id)
        ).first()
    return None if row is None else AwaitedMdn(*row)


def record_async_mdn(
    *, engine: Engine, message_id: int, delivered: bool, detail: str, now: dt.datetime
) -> bool:
    """An asynchronous MDN settled a message awaiting it; False if it was not awaiting one."""
    state = MessageState.SENT if delivered else MessageState.FAILED
    with transaction(engine) as conn:
        done = conn.execute(
            update(messages)
            .where(
                messages.c.id == message_id,
                messages.c.state == MessageState.AWAITING_MDN.value,
            )
            .values(state=state.value, last_error=None if delivered else detail, updated_at=now)
        ).rowcount
        if done:
            add_event(conn, message_id, now, state.value, detail)
            if delivered:
                start_ack_clock(conn, message_id, now)
        return bool(done)


# ------------------------------------------------------------------------------------ inbound


@dataclass(frozen=True, slots=True)
class Inbound:
    """A message a partner sent us, as received, with the MDN we answer it with.

    `body` and `payload` are None where `offload_inbound` moved them to the BlobStore.
    """

    partner_id: str | None
    as2_from: str
    as2_to: str
    as2_message_id: str
    received_at: dt.datetime
    headers: Headers
    body: bytes | None
    payload: bytes | bytearray | None
    filename: str | None
    status: str  # processed | error
    disposition: str
    mdn_headers: Headers | None
    mdn_body: bytes | None
    mdn_url: str | None
    mdn_state: str  # none | sync | pending
    body_blob: str | None = None
    payload_blob: str | None = None
    payload_size: int = 0  # of a payload moved to the BlobStore


@dataclass(frozen=True, slots=True)
class StoredMdn:
    """The MDN stored for a processed message: a duplicate gets it again."""

    inbound_id: int
    headers: Headers
    body: bytes
    mdn_state: str


def offload_inbound(inbound: Inbound, blobs: BlobStore) -> Inbound:
    """`inbound` with a large body and payload moved (durably) to `blobs`, before it is kept."""
    _, body_blob = blobs.offload(inbound.body)
    _, payload_blob = blobs.offload(inbound.payload)
    if body_blob is None and payload_blob is None:
        return inbound
    return replace(
        inbound,
        body=None if body_blob else inbound.body,
        body_blob=body_blob,
        payload=None if payload_blob else inbound.payload,
        payload_blob=payload_blob,
        payload_size=len(inbound.payload or b"") if payload_blob else 0,
    )


def load_inbound_payload(*, engine: Engine, blobs: BlobStore, inbound_id: int) -> bytes | None:
    """The payload of a received message (None if it could not be opened)."""
    i = as2_inbound.c
    with transaction(engine) as conn:
        row = conn.execute(select(i.payload, i.payload_blob).where(i.id == inbound_id)).one()
    return blobs.load(row.payload, row.payload_blob)


def keep_inbound(conn: Connection, inbound: Inbound) -> tuple[int, StoredMdn | None]:
    """Keep a received message, inside the caller's transaction (the batch writer's); for a
    processed duplicate, the first one's id and MDN instead.

    Large bodies must already be in the BlobStore (`offload_inbound`): this writes rows only.
    """
    values = {
        "partner_id": inbound.partner_id,
        "as2_from": inbound.as2_from,
        "as2_to": inbound.as2_to,
        "as2_message_id": inbound.as2_message_id,
        "received_at": inbound.received_at,
        "headers": _dump(inbound.headers),
        "body": inbound.body,
        "body_blob": inbound.body_blob,
        "payload": inbound.payload,
        "payload_blob": inbound.payload_blob,
        "filename": inbound.filename,
        "status": inbound.status,
        "disposition": inbound.disposition,
        "mdn_headers": None if inbound.mdn_headers is None else _dump(inbound.mdn_headers),
        "mdn_body": inbound.mdn_body,
        "mdn_url": inbound.mdn_url,
        "mdn_state": inbound.mdn_state,
        "mdn_attempts": 0,
        "next_mdn_attempt_at": inbound.received_at if inbound.mdn_state == "pending" else None,
    }
    new_id = _INSERT_INBOUND.scalar(conn, values)
    if new_id is not None:
        if inbound.status == "processed":
            _keep_payload(conn, inbound)
        return int(new_id), None
    stored = _processed(conn, inbound.as2_from, inbound.as2_message_id)
    assert stored is not None  # the conflict was with it
    return stored.inbound_id, stored


def _keep_payload(conn: Connection, inbound: Inbound) -> None:
    """Queue a processed message's payload to be read as X12 (b2b.inbound)."""
    payload = inbound.payload
    if payload is None and inbound.payload_blob is None:
        return
    digest = inbound.payload_blob or hashlib.sha256(payload or b"").hexdigest()
    arrival = Arrival(
        partner_id=inbound.partner_id or "",
        origin="as2",
        origin_ref=inbound.as2_message_id,
        sha256=digest,  # a blob's key is the SHA-256 of its bytes
        data=b"",
        received_at=inbound.received_at,
    )
    size = len(payload) if payload is not None else inbound.payload_size
    keep_inbound_file(
        conn,
        arrival,
        size=size,
        inline=payload,
        blob=inbound.payload_blob,
    )


# Each received message runs it: built once, run on the driver's cursor (b2b.store.prepared).
_INSERT_INBOUND = insert_new(
    as2_inbound,
    unique=["as2_from", "as2_message_id"],
    where=as2_inbound.c.status == "processed",
)


def _processed(conn: Connection, as2_from: str, as2_message_id: str) -> StoredMdn | None:
    i = as2_inbound.c
    row = conn.execute(
        select(i.id, i.mdn_headers, i.mdn_body, i.mdn_state).where(
            i.as2_from == as2_from, i.as2_message_id == as2_message_id, i.status == "processed"
        )
    ).first()
    if row is None:
        return None
    return StoredMdn(row.id, _load(row.mdn_headers), bytes(row.mdn_body or b""), row.mdn_state)


@dataclass(frozen=True, slots=True)
class PendingMdn:
    """An asynchronous MDN to post."""

    inbound_id: int
    url: str
    headers: Headers
    body: bytes
    attempts: int


def claim_pending_mdn(
    *, engine: Engine, now: dt.datetime, lease: dt.timedelta
) -> PendingMdn | None:
    """The oldest due asynchronous MDN, held for `lease` while it is posted."""
    i = as2_inbound.c
    with transaction(engine) as conn:
        row = conn.execute(
            select(i.id, i.mdn_url, i.mdn_headers, i.mdn_body, i.mdn_attempts)
            .where(i.mdn_state == "pending", i.next_mdn_attempt_at <= now)
            .order_by(i.next_mdn_attempt_at)
            .limit(1)
            .with_for_update(skip_locked=True)
        ).first()
        if row is None:
            return None
        conn.execute(
            update(as2_inbound).where(i.id == row.id).values(next_mdn_attempt_at=now + lease)
        )
    return PendingMdn(
        row.id, row.mdn_url, _load(row.mdn_headers), bytes(row.mdn_body), row.mdn_attempts
    )


def record_mdn_post(
    *,
    engine: Engine,
    inbound_id: int,
    error: str | None,
    retry_at: dt.datetime | None,
    now: dt.datetime,
) -> None:
    """The async MDN was posted (error None), or failed: retried at `retry_at`, or given up."""
    state = "sent" if error is None else ("pending" if retry_at else "failed")
    with transaction(engine) as conn:
        conn.execute(
            update(as2_inbound)
            .where(as2_inbound.c.id == inbound_id)
            .values(
                mdn_state=state,
                mdn_attempts=as2_inbound.c.mdn_attempts + 1,
                next_mdn_attempt_at=retry_at,
                last_mdn_error=error,
            )
        )
