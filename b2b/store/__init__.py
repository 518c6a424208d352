"""The SQL store: documents, rejections, the outbound queue and its history.

Functions are keyword-only and each is one transaction. SQLite is the embedded default;
PostgreSQL serves several gateway nodes on one database.
"""

from b2b.store.db import open_engine, transaction, utcnow
from b2b.store.ingest import (
    Acceptance,
    Accepted,
    IngestWriter,
    Rejection,
    accept_documents,
    record_rejection,
)
from b2b.store.queries import (
    BusinessDocumentView,
    Event,
    InboundView,
    MessageView,
    RejectionView,
    find_business_documents,
    find_inbound,
    find_messages,
    find_rejections,
    get_message,
)
from b2b.store.queue import (
    Built,
    Claim,
    LeaseLost,
    claim_next,
    previous_document,
    record_failure,
    record_mapped,
    record_sent,
    release,
)
from b2b.store.resend import Resent, request_resend
from b2b.store.states import MessageState

__all__ = [
    "Acceptance",
    "Accepted",
    "Built",
    "BusinessDocumentView",
    "Claim",
    "Event",
    "InboundView",
    "IngestWriter",
    "LeaseLost",
    "MessageState",
    "MessageView",
    "Rejection",
    "RejectionView",
    "Resent",
    "accept_documents",
    "claim_next",
    "find_business_documents",
    "find_inbound",
    "find_messages",
    "find_rejections",
    "get_message",
    "open_engine",
    "previous_document",
    "record_failure",
    "record_mapped",
    "record_rejection",
    "record_sent",
    "release",
    "request_resend",
    "transaction",
    "utcnow",
]
