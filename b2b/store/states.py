"""Message states, as operators see them."""

from __future__ import annotations

import enum


class MessageState(enum.StrEnum):
    """Where an outbound message is.

    received → (mapped, control numbers assigned) → queued → sent
                                                        ↘ failed (reason; after retries or at once)
    awaiting-mdn: sent by AS2, the asynchronous MDN is awaited until next_attempt_at; then the
    same bytes are sent again (same Message-ID), until the partner's max attempts.
    held: stored, not sent: an order update or cancellation, whose X12 (860 or 850 replace,
    per partner) is not built yet.
    """

    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"
    AWAITING_MDN = "awaiting-mdn"


#: States a worker may claim.
CLAIMABLE = (
    MessageState.RECEIVED.value,
    MessageState.QUEUED.value,
    MessageState.AWAITING_MDN.value,
)
