"""Message states, as operators see them."""

from __future__ import annotations

import enum


class MessageState(enum.StrEnum):
    """Where an outbound message is.

    received → (mapped, control numbers assigned) → queued → sent
                                                        ↘ failed (reason; after retries or at once)
    """

    RECEIVED = "received"
    QUEUED = "queued"
    SENT = "sent"
    FAILED = "failed"


#: States a worker may claim.
CLAIMABLE = (MessageState.RECEIVED.value, MessageState.QUEUED.value)
