"""The schema of gateways before migrations, which marked it `schema_version` 3.

Revision 0001, the first. A database such a gateway made is stamped at it, not made again.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

Id = sa.BigInteger().with_variant(sa.Integer(), "sqlite")  # SQLite autoincrements only INTEGER
When = sa.DateTime(timezone=True)
PROCESSED = sa.text("status = 'processed'")


def upgrade() -> None:
    op.create_table(
        "as2_inbound",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("as2_from", sa.String(length=128), nullable=False),
        sa.Column("as2_to", sa.String(length=128), nullable=False),
        sa.Column("as2_message_id", sa.String(length=255), nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("body_blob", sa.String(length=64), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("payload_blob", sa.String(length=64), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("disposition", sa.Text(), nullable=False),
        sa.Column("mdn_headers", sa.Text(), nullable=True),
        sa.Column("mdn_body", sa.LargeBinary(), nullable=True),
        sa.Column("mdn_url", sa.Text(), nullable=True),
        sa.Column("mdn_state", sa.String(length=16), nullable=False),
        sa.Column("mdn_attempts", sa.Integer(), nullable=False),
        sa.Column("next_mdn_attempt_at", When, nullable=True),
        sa.Column("last_mdn_error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_as2_inbound_mdn_due", "as2_inbound", ["mdn_state", "next_mdn_attempt_at"])
    op.create_index(
        "uq_as2_inbound_processed",
        "as2_inbound",
        ["as2_from", "as2_message_id"],
        unique=True,
        sqlite_where=PROCESSED,
        postgresql_where=PROCESSED,
    )
    op.create_table(
        "control_numbers",
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("receiver", sa.String(length=32), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("sender", "receiver"),
    )
    op.create_table(
        "documents",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source_format", sa.String(length=16), nullable=False),
        sa.Column("document_key", sa.String(length=512), nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=False),
        sa.Column("po_version", sa.Integer(), nullable=True),
        sa.Column("order_type", sa.String(length=16), nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("source_format", "document_key", name="uq_documents_key"),
    )
    op.create_index("ix_documents_po", "documents", ["po_number"])
    op.create_table(
        "inbound_files",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("origin_ref", sa.String(length=1024), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=True),
        sa.Column("raw_blob", sa.String(length=64), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", When, nullable=True),
        sa.Column("processed_at", When, nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint(
            "partner_id", "origin", "origin_ref", "size", "sha256", name="uq_inbound_files_origin"
        ),
    )
    op.create_index("ix_inbound_files_due", "inbound_files", ["state", "received_at"])
    op.create_table(
        "rejections",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("source_format", sa.String(length=16), nullable=False),
        sa.Column("document_key", sa.String(length=512), nullable=True),
        sa.Column("po_number", sa.String(length=64), nullable=True),
        sa.Column("received_at", When, nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("error", sa.String(length=64), nullable=False),
        sa.Column("raw", sa.LargeBinary(), nullable=False),
        sa.Column("response_status", sa.Integer(), nullable=False),
        sa.Column("response_body", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_rejections_po", "rejections", ["po_number"])
    op.create_table(
        "inbound_interchanges",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("file_id", Id, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=True),
        sa.Column("sender", sa.String(length=32), nullable=False),
        sa.Column("receiver", sa.String(length=32), nullable=False),
        sa.Column("control_number", sa.String(length=16), nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("status", sa.String(length=1), nullable=False),
        sa.Column("note_code", sa.String(length=3), nullable=False),
        sa.Column("duplicate", sa.Integer(), nullable=False),
        sa.Column("result", sa.Text(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["inbound_files.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_inbound_interchanges_sender", "inbound_interchanges", ["sender", "control_number"]
    )
    op.create_table(
        "business_documents",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("interchange_id", Id, nullable=False),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("transaction_set", sa.String(length=3), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=False),
        sa.Column("control_number", sa.String(length=16), nullable=False),
        sa.Column("received_at", When, nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["interchange_id"],
            ["inbound_interchanges.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_business_documents_po", "business_documents", ["po_number"])
    op.create_table(
        "messages",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("document_id", Id, nullable=True),
        sa.Column("inbound_interchange_id", Id, nullable=True),
        sa.Column("partner_id", sa.String(length=64), nullable=False),
        sa.Column("po_number", sa.String(length=64), nullable=False),
        sa.Column("transaction_set", sa.String(length=3), nullable=False),
        sa.Column("destination", sa.String(length=8), nullable=False),
        sa.Column("url", sa.Text(), nullable=True),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", When, nullable=False),
        sa.Column("lease_owner", sa.String(length=128), nullable=True),
        sa.Column("lease_expires_at", When, nullable=True),
        sa.Column("interchange_control_number", sa.Integer(), nullable=True),
        sa.Column("group_control_number", sa.Integer(), nullable=True),
        sa.Column("transaction_control_numbers", sa.String(length=256), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=True),
        sa.Column("payload", sa.LargeBinary(), nullable=True),
        sa.Column("payload_blob", sa.String(length=64), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("receipt", sa.Text(), nullable=True),
        sa.Column("ack_overdue_hours", sa.Float(), nullable=True),
        sa.Column("ack_due_at", When, nullable=True),
        sa.Column("ack_state", sa.String(length=24), nullable=True),
        sa.Column("ack_received_at", When, nullable=True),
        sa.Column("ack_detail", sa.Text(), nullable=True),
        sa.Column("created_at", When, nullable=False),
        sa.Column("updated_at", When, nullable=False),
        sa.ForeignKeyConstraint(
            ["document_id"],
            ["documents.id"],
        ),
        sa.ForeignKeyConstraint(
            ["inbound_interchange_id"],
            ["inbound_interchanges.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_messages_ack_due", "messages", ["ack_due_at"])
    op.create_index("ix_messages_due", "messages", ["state", "next_attempt_at"])
    op.create_index("ix_messages_group", "messages", ["partner_id", "group_control_number"])
    op.create_index("ix_messages_po", "messages", ["po_number"])
    op.create_table(
        "as2_outbound",
        sa.Column("message_id", Id, nullable=False),
        sa.Column("as2_message_id", sa.String(length=255), nullable=False),
        sa.Column("headers", sa.Text(), nullable=False),
        sa.Column("body", sa.LargeBinary(), nullable=True),
        sa.Column("body_blob", sa.String(length=64), nullable=True),
        sa.Column("mic", sa.String(length=128), nullable=True),
        sa.Column("mic_algorithm", sa.String(length=16), nullable=True),
        sa.Column("built_at", When, nullable=False),
        sa.Column("mdn_received_at", When, nullable=True),
        sa.Column("mdn_disposition", sa.Text(), nullable=True),
        sa.Column("mdn_signed", sa.Integer(), nullable=True),
        sa.Column("mdn_raw", sa.LargeBinary(), nullable=True),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("message_id"),
        sa.UniqueConstraint("as2_message_id"),
    )
    op.create_table(
        "message_events",
        sa.Column("id", Id, autoincrement=True, nullable=False),
        sa.Column("message_id", Id, nullable=False),
        sa.Column("at", When, nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_message_events_message", "message_events", ["message_id"])


def downgrade() -> None:
    op.drop_table("message_events")
    op.drop_table("as2_outbound")
    op.drop_table("messages")
    op.drop_table("business_documents")
    op.drop_table("inbound_interchanges")
    op.drop_table("rejections")
    op.drop_table("inbound_files")
    op.drop_table("documents")
    op.drop_table("control_numbers")
    op.drop_table("as2_inbound")
