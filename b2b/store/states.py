"""Message states, as operators see them."""

from __future__ import annotations

import enum


class MessageState(enum.StrEnum):
    """Where an outbound message is.

    received → (mapped, control numbers assigned) → queued → sent
                                                        ↘ retry (same bytes, later) ↺
                                                        ↘ failed (a permanent failure: at once)
                                                        ↘ dead (retries used up: dead-lettered)
    awaiting-mdn: sent by AS2, the asynchronous MDN is awaited until next_attempt_at; then the
    same bytes are sent again (same Message-ID), until the partner's max attempts.
    An operator may resend a sent, failed or dead message: back to queued with the same
    bytes, or to received with new control numbers (a re-issue).
    A change or cancellation goes the same way as an 860 (or an 850 replace/delete, per
    partner); an acknowledgment we send, and the cXML of a partner's document for Coupa, start
    out queued, their bytes built when the partner's file was read.
    """

    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    DEAD = "dead"
    AWAITING_MDN = "awaiting-mdn"


#: States a worker may claim.
CLAIMABLE = (
    MessageState.RECEIVED.value,
    MessageState.QUEUED.value,
    MessageState.AWAITING_MDN.value,
)

#: States of a message not yet finished (a retry is queued or received, its time to come):
#: one of these holds back the later messages of its partner queue.
UNFINISHED = CLAIMABLE

#: States an operator may resend from.
RESENDABLE = (
    MessageState.SENT.value,
    MessageState.FAILED.value,
    MessageState.DEAD.value,
)
