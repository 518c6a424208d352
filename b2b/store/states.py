"""Message states, as operators see them."""

from __future__ import annotations

import enum


class MessageState(enum.StrEnum):
    """Where an outbound message is.

    received → (mapped, control numbers assigned) → queued → sent
                                                        ↘ failed (reason; after retries or at once)
    awaiting-mdn: sent by AS2, the asynchronous MDN is awaited until next_attempt_at; then the
    same bytes are sent again (same Message-ID), until the partner's max attempts.
    A change or cancellation goes the same way as an 860 (or an 850 replace/delete, per
    partner); an acknowledgment we send, and the cXML of a partner's document for Coupa, start
    out queued, their bytes built when the partner's file was read.
    """

    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    AWAITING_MDN = "awaiting-mdn"


#: States a worker may claim.
CLAIMABLE = (
    MessageState.RECEIVED.value,
    MessageState.QUEUED.value,
    MessageState.AWAITING_MDN.value,
)
