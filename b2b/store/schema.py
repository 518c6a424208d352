"""The tables. The store is also the queue: an outbound message is a row with a state.

documents        every accepted inbound document, raw bytes and the answer given
rejections       every refused document, raw bytes, the reason and the answer given
messages         one outbound interchange per accepted order: state, lease, exact bytes
message_events   every state transition of a message, with time and reason
control_numbers  the last interchange control number per sender/receiver pair
as2_outbound     the exact AS2 message built for an outbound message, and its MDN
as2_inbound      every AS2 message a partner sent us, with the MDN we answered
inbound_files    every file a partner sent us (AS2 payload, SFTP or folder pick-up), to be read
inbound_interchanges  every interchange read from them, checked, with the verdict we answered
business_documents    the 855/856/810 inside them, one row per PO they answer
api_keys         admin API keys: name, role, public prefix, SHA-256 of the token (never the token)
users            admin users: name, role, scrypt hash of the password (salt and parameters in it)
sessions         logged-in users: SHA-256 of the session token, role, expiry (any node accepts them)

A large body (over blobs.INLINE_LIMIT) is not in its row: the row's `*_blob` column holds its
key in the BlobStore, and the inline column is NULL.

A change to these tables is also an Alembic revision in b2b/store/migrations/versions/ (how to
write one: b2b/store/migrations/__init__.py); tests/store/test_migrations.py checks that the
revisions make exactly these tables. Revision 0001 is the schema that gateways before
migrations marked as `schema_version` 3: version 2 had added the `*_blob` columns, version 3
inbound X12 (the three inbound tables, the acknowledgment columns of `messages` (`ack_*`),
acknowledgments we send as messages (`document_id` NULL, `inbound_interchange_id` naming what
they answer), and cXML for Coupa as messages (`destination` "coupa", `url`)).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    Float,
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

metadata = MetaData()

Id = BigInteger().with_variant(Integer(), "sqlite")  # SQLite only autoincrements INTEGER keys
When = DateTime(timezone=True)
BlobKey = String(64)  # a large body's SHA-256 key in the BlobStore (b2b/store/blobs.py)

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
# A PO's documents, and the latest version a partner accepted (MAX read from the index): the
# ingest asks for it for every order (revision 0003; was po_number alone).
Index("ix_documents_po", documents.c.po_number, documents.c.partner_id, documents.c.po_version)

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
    Column("document_id", Id, ForeignKey("documents.id")),  # NULL for an acknowledgment we send
    Column("inbound_interchange_id", Id, ForeignKey("inbound_interchanges.id")),  # what it answers
    Column("partner_id", String(64), nullable=False),
    Column("po_number", String(64), nullable=False),  # "" for an acknowledgment
    Column("transaction_set", String(3), nullable=False),  # 850, 860, 997, 999, TA1; 855...
    # "partner": X12 to the trading partner; "coupa": the cXML of a partner's 855/856/810 to
    # Coupa, posted to `url`
    Column("destination", String(8), nullable=False, default="partner"),
    Column("url", Text),
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
    # The partner's 997/999/TA1 for what we sent: expected within ack_overdue_hours of sending.
    Column("ack_overdue_hours", Float),  # NULL: no acknowledgment expected
    Column("ack_due_at", When),  # set when sent
    Column(
        "ack_state", String(24)
    ),  # accepted | accepted-with-errors | partially-accepted | rejected
    Column("ack_received_at", When),
    Column("ack_detail", Text),  # JSON: the GroupResult (or TA1 InterchangeResult) as read
    Column("created_at", When, nullable=False),
    Column("updated_at", When, nullable=False),
)
Index("ix_messages_due", messages.c.state, messages.c.next_attempt_at)
Index("ix_messages_po", messages.c.po_number)
Index("ix_messages_group", messages.c.partner_id, messages.c.group_control_number)
_awaited = messages.c.ack_state.is_(None)  # acknowledgments still awaited (revision 0003)
Index(
    "ix_messages_ack_awaited",
    messages.c.ack_due_at,
    sqlite_where=_awaited,
    postgresql_where=_awaited,
)
Index("ix_messages_isa13", messages.c.interchange_control_number)
Index("ix_messages_gs06", messages.c.group_control_number)
Index("ix_messages_created", messages.c.created_at)
Index("ix_messages_document", messages.c.document_id)

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
Index("ix_message_events_state", message_events.c.state, message_events.c.message_id)

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

# Inbound X12: each file is recorded before it is removed from where it came from (SFTP, folder)
# or once its AS2 message is authenticated; a worker reads it under a lease, like `messages`.
inbound_files = Table(
    "inbound_files",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("partner_id", String(64), nullable=False),  # "" when no profile claims the sender
    Column("origin", String(16), nullable=False),  # as2 | sftp | directory
    Column("origin_ref", String(1024), nullable=False),  # the path, or the AS2 Message-ID
    Column("size", BigInteger, nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("received_at", When, nullable=False),
    Column("raw", LargeBinary),
    Column("raw_blob", BlobKey),  # set instead of raw when it is large
    Column("state", String(16), nullable=False),  # received | processed | failed
    Column("lease_owner", String(128)),
    Column("lease_expires_at", When),
    Column("processed_at", When),
    Column("error", Text),
    # A file taken again after a crash between recording and removing it is recognised here.
    UniqueConstraint(
        "partner_id", "origin", "origin_ref", "size", "sha256", name="uq_inbound_files_origin"
    ),
)
Index("ix_inbound_files_due", inbound_files.c.state, inbound_files.c.received_at)

inbound_interchanges = Table(
    "inbound_interchanges",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("file_id", Id, ForeignKey("inbound_files.id"), nullable=False),
    Column("partner_id", String(64)),  # NULL when no profile matches ISA05/ISA06
    Column("sender", String(32), nullable=False),  # ISA05:ISA06
    Column("receiver", String(32), nullable=False),  # ISA07:ISA08
    Column("control_number", String(16), nullable=False),  # ISA13 as written
    Column("received_at", When, nullable=False),
    Column("status", String(1), nullable=False),  # TA104: A | E | R
    Column("note_code", String(3), nullable=False),  # TA105
    Column("duplicate", Integer, nullable=False, default=0),
    Column("result", Text, nullable=False),  # JSON: the InterchangeResult we answered with
    Column("notes", Text, nullable=False, default=""),  # what we did: acks matched, documents read
)
Index(
    "ix_inbound_interchanges_sender",
    inbound_interchanges.c.sender,
    inbound_interchanges.c.control_number,
)

business_documents = Table(
    "business_documents",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("interchange_id", Id, ForeignKey("inbound_interchanges.id"), nullable=False),
    Column("partner_id", String(64), nullable=False),
    Column("transaction_set", String(3), nullable=False),  # 855 | 856 | 810
    Column("po_number", String(64), nullable=False),
    Column("control_number", String(16), nullable=False),  # ST02
    Column("received_at", When, nullable=False),
    Column("summary", Text, nullable=False),  # JSON
)
Index("ix_business_documents_po", business_documents.c.po_number)

# Admin authentication (b2b/store/auth.py): tokens and passwords are never stored in clear.
api_keys = Table(
    "api_keys",
    metadata,
    Column("id", Id, primary_key=True, autoincrement=True),
    Column("name", String(64), nullable=False),
    Column("role", String(16), nullable=False),  # viewer | operator
    Column("prefix", String(16), nullable=False),  # public: b2b_<prefix>_<secret>
    Column("token_hash", String(64), nullable=False),  # SHA-256 of the whole token, hex
    Column("created_at", When, nullable=False),
    Column("last_used_at", When),
    Column("revoked_at", When),
    UniqueConstraint("name", name="uq_api_keys_name"),
    UniqueConstraint("prefix", name="uq_api_keys_prefix"),
)

users = Table(
    "users",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("role", String(16), nullable=False),  # viewer | operator
    Column("password_hash", String(255), nullable=False),  # scrypt$n$r$p$salt$hash
    Column("created_at", When, nullable=False),
    Column("disabled_at", When),
)

sessions = Table(
    "sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),  # SHA-256 of the cookie's token, hex
    Column("user_name", String(64), ForeignKey("users.name"), nullable=False),
    Column("role", String(16), nullable=False),
    Column("created_at", When, nullable=False),
    Column("expires_at", When, nullable=False),
)
Index("ix_sessions_user", sessions.c.user_name)
Index("ix_sessions_expires", sessions.c.expires_at)
