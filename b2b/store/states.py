"""Message states, as operators see them."""

from __future__ import annotations

import enum


class MessageState(enum.StrEnum):
    """Where an outbound message is.

    received → (mapped, control numbers assigned) → queued → sent
                                                        ↘ failed (reason; after retries or at once)
    held: stored, not sent: an order update or cancellation, whose X12 (860 or 850 replace,
    per partner) is not built yet.
    """

    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"
    HELD = "held"


#: States a worker may claim.
CLAIMABLE = (MessageState.RECEIVED.value, MessageState.QUEUED.value)
