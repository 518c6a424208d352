"""An operator resends a message: the same bytes, or new control numbers (a re-issue).

Resend means the same bytes: ISA13/GS06/ST02 and the AS2 Message-ID were assigned once and
are stored with the exact bytes. Only when an operator asks for a re-issue are the bytes (and
the AS2 message built from them) dropped, and the order mapped again with new numbers.

    >>> request_resend(engine=engine, message_id=12, now=utcnow()).state
    'queued'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Connection, Engine, delete, or_, select, update

from b2b.errors import ResendRefused, UnknownMessage
from b2b.store.db import transaction
from b2b.store.queue import add_event
from b2b.store.schema import as2_outbound, messages
from b2b.store.states import RESENDABLE, MessageState


@dataclass(frozen=True, slots=True)
class Resent:
    """A message put back in the queue by an operator."""

    message_id: int
    state: str  # queued (the same bytes) or received (to be mapped again: a re-issue)
    detail: str


RESEND = "resend requested by operator"


def request_resend(
    *, engine: Engine, message_id: int, now: dt.datetime, reissue: bool = False
) -> Resent:
    """Put a sent, failed or dead message back in the queue, its attempts reset.

    The same bytes go again (same ISA13/GS06/ST02, same AS2 Message-ID), unless `reissue`:
    then the stored bytes and AS2 message are dropped and the order is mapped again with new
    control numbers. UnknownMessage if there is no such message; ResendRefused while it is
    in flight, or for a re-issue of a message that has no order to map (an acknowledgment,
    a document for Coupa).
    """
    m = messages.c
    with transaction(engine) as conn:
        row = conn.execute(
            select(
                m.state,
                m.document_id,
                m.destination,
                m.interchange_control_number,
                or_(m.payload.is_not(None), m.payload_blob.is_not(None)).label("built"),
            )
            .where(m.id == message_id)
            .with_for_update()
        ).first()
        if row is None:
            raise UnknownMessage(f"no message {message_id}")
        _check_resendable(message_id, row.state, reissue, row.document_id, row.destination)
        if reissue:
            return _reissue(conn, message_id, row.interchange_control_number, now)
        state = MessageState.QUEUED if row.built else MessageState.RECEIVED
        _requeue(conn, message_id, now, state=state.value)
        add_event(conn, message_id, now, "resend", RESEND)
        return Resent(message_id, state.value, RESEND)


def _check_resendable(
    message_id: int, state: str, reissue: bool, document_id: int | None, destination: str
) -> None:
    if state not in RESENDABLE:
        raise ResendRefused(
            f"message {message_id} is {state}, still in flight: only a message that is "
            f"{', '.join(RESENDABLE)} can be resent"
        )
    if reissue and (document_id is None or destination != "partner"):
        raise ResendRefused(
            f"message {message_id} has no order to map again (an acknowledgment we sent, or a "
            "document for Coupa): it can only be resent as it is"
        )


def _reissue(conn: Connection, message_id: int, old_isa13: int | None, now: dt.datetime) -> Resent:
    """Drop the bytes (and the AS2 message built from them): the order is mapped again."""
    as2_id = conn.execute(
        select(as2_outbound.c.as2_message_id).where(as2_outbound.c.message_id == message_id)
    ).scalar()
    conn.execute(delete(as2_outbound).where(as2_outbound.c.message_id == message_id))
    _requeue(
        conn,
        message_id,
        now,
        state=MessageState.RECEIVED.value,
        payload=None,
        payload_blob=None,
        filename=None,
        interchange_control_number=None,
        group_control_number=None,
        transaction_control_numbers=None,
        ack_state=None,
        ack_due_at=None,
        ack_received_at=None,
        ack_detail=None,
    )
    old = "none" if old_isa13 is None else f"{old_isa13:09d}"
    detail = f"reissue requested by operator: new control numbers replace ISA13 {old}"
    if as2_id is not None:
        detail += f" (AS2 Message-ID <{as2_id}>)"
    add_event(conn, message_id, now, "reissue", detail)
    return Resent(message_id, MessageState.RECEIVED.value, detail)


def _requeue(conn: Connection, message_id: int, now: dt.datetime, **values: object) -> None:
    done = conn.execute(
        update(messages)
        .where(messages.c.id == message_id, messages.c.state.in_(RESENDABLE))
        .values(
            attempts=0,
            next_attempt_at=now,
            last_error=None,
            receipt=None,
            lease_owner=None,
            lease_expires_at=None,
            updated_at=now,
            **values,
        )
    ).rowcount
    if done != 1:
        raise ResendRefused(f"message {message_id} changed state meanwhile; not resent")
