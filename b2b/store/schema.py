"""The tables. The store is also the queue: an outbound message is a row with a state.

documents        every accepted inbound document, raw bytes and the answer given
rejections       every refused document, raw bytes, the reason and the answer given
messages         one outbound interchange per accepted order: state, lease, exact bytes
message_events   every state transition of a message, with time and reason
control_numbers  the last interchange control number per sender/receiver pair
as2_outbound     the exact AS2 message built for an outbound message, and its MDN
as2_inbound      every AS2 message a partner sent us, with the MDN we answered

A large body (over blobs.INLINE_LIMIT) is not in its row: the row's `*_blob` column holds its
key in the BlobStore, and the inline column is NULL.

Version 2 added the `*_blob` columns.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)

SCHEMA_VERSION = 2

metadata = MetaData()

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER keys
When = DateTime(timezone=True)
BlobKey = String(64)  # a large body's SHA-256 key in the BlobStore (b2b/store/blobs.py)

schema_version = Table("schema_version", metadata, Column("version", Integer, nullable=False))

documents = Table(
    "documents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_format", String(16), nullable=False),
    Column("document_key", String(512), nullable=False),
    Column("partner_id", String(64), nullable=False),
    Column("po_number", String(64), nullable=False),
    Column("po_version", Integer),
    Column("order_type", String(16), nullable=False),
    Column("received_at", When, nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("response_status", Integer, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
    UniqueConstraint("source_format", "document_key", name="uq_documents_key"),
)
Index("ix_documents_po", documents.c.po_number)

rejections = Table(
    "rejections",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("source_format", String(16), nullable=False),
    Column("document_key", String(512)),
    Column("po_number", String(64)),
    Column("received_at", When, nullable=False),
    Column("reason", Text, nullable=False),
    Column("error", String(64), nullable=False),
    Column("raw", LargeBinary, nullable=False),
    Column("response_status", Integer, nullable=False),
    Column("response_body", LargeBinary, nullable=False),
)
Index("ix_rejections_po", rejections.c.po_number)

messages = Table(
    "messages",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("document_id", Id, ForeignKey("documents.id"), nullable=False),
    Column("partner_id", String(64), nullable=False),
    Column("po_number", String(64), nullable=False),
    Column("transaction_set", String(3), nullable=False),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False, default=0),
    Column("next_attempt_at", When, nullable=False),
    Column("lease_owner", String(128)),
    Column("lease_expires_at", When),
    Column("interchange_control_number", Integer),
    Column("group_control_number", Integer),
    Column("transaction_control_numbers", String(256)),
    Column("filename", String(255)),
    Column("payload", LargeBinary),
    Column("payload_blob", BlobKey),  # set instead of payload when it is large
    Column("last_error", Text),
    Column("receipt", Text),
    Column("created_at", When, nullable=False),
    Column("updated_at", When, nullable=False),
)
Index("ix_messages_due", messages.c.state, messages.c.next_attempt_at)
Index("ix_messages_po", messages.c.po_number)

message_events = Table(
    "message_events",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("message_id", Id, ForeignKey("messages.id"), nullable=False),
    Column("at", When, nullable=False),
    Column("state", String(16), nullable=False),
    Column("detail", Text, nullable=False, default=""),
)
Index("ix_message_events_message", message_events.c.message_id)

control_numbers = Table(
    "control_numbers",
    metadata,
    Column("sender", String(32), primary_key=True),
    Column("receiver", String(32), primary_key=True),
    Column("last", Integer, nullable=False),
)

# AS2: what we built for an outbound message (sent again as is on a retry), and its MDN.
as2_outbound = Table(
    "as2_outbound",
    metadata,
    Column("message_id", Id, ForeignKey("messages.id"), primary_key=True),
    Column("as2_message_id", String(255), nullable=False, unique=True),
    Column("headers", Text, nullable=False),  # JSON [[name, value], ...]
    Column("body", LargeBinary),
    Column("body_blob", BlobKey),  # set instead of body when it is large
    Column("mic", String(128)),
    Column("mic_algorithm", String(16)),
    Column("built_at", When, nullable=False),
    Column("mdn_received_at", When),
    Column("mdn_disposition", Text),
    Column("mdn_signed", Integer),
    Column("mdn_raw", LargeBinary),
)

# AS2: every message a partner sent us, with the MDN we answered (a duplicate gets it again).
as2_inbound = Table(
    "as2_inbound",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("partner_id", String(64)),
    Column("as2_from", String(128), nullable=False),
    Column("as2_to", String(128), nullable=False),
    Column("as2_message_id", String(255), nullable=False),
    Column("received_at", When, nullable=False),
    Column("headers", Text, nullable=False),
    Column("body", LargeBinary),
    Column("body_blob", BlobKey),  # set instead of body when it is large
    Column("payload", LargeBinary),
    Column("payload_blob", BlobKey),  # set instead of payload when it is large
    Column("filename", String(255)),
    Column("status", String(16), nullable=False),  # processed | error
    Column("disposition", Text, nullable=False),
    Column("mdn_headers", Text),
    Column("mdn_body", LargeBinary),
    Column("mdn_url", Text),  # async MDN destination
    Column("mdn_state", String(16), nullable=False),  # none | sync | pending | sent | failed
    Column("mdn_attempts", Integer, nullable=False, default=0),
    Column("next_mdn_attempt_at", When),
    Column("last_mdn_error", Text),
)
# Authentication comes before duplicate detection: only a processed message uses up its ID.
Index(
    "uq_as2_inbound_processed",
    as2_inbound.c.as2_from,
    as2_inbound.c.as2_message_id,
    unique=True,
    sqlite_where=as2_inbound.c.status == "processed",
    postgresql_where=as2_inbound.c.status == "processed",
)
Index("ix_as2_inbound_mdn_due", as2_inbound.c.mdn_state, as2_inbound.c.next_mdn_attempt_at)
