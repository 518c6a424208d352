"""Indexes for the ingest, the operators' searches and the overdue-acknowledgment figures.

Revision 0003. A PO's documents by partner and version (every order received asks for the
latest version accepted: without it, that read grew with the PO's documents); messages by
document. ISA13 and GS06 alone (the dashboard's search box names a control number without
its partner), the creation time (date filters), events by state (the partners page's last
success and failure), and the acknowledgments still awaited by due time: a partial index, so
that counting overdue ones reads the few waiting rows, not every message ever acknowledged.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

AWAITED = sa.text("ack_state IS NULL")


def upgrade() -> None:
    op.drop_index("ix_documents_po", table_name="documents")
    op.create_index("ix_documents_po", "documents", ["po_number", "partner_id", "po_version"])
    op.create_index("ix_messages_document", "messages", ["document_id"])
    op.drop_index("ix_messages_ack_due", table_name="messages")
    op.create_index(
        "ix_messages_ack_awaited",
        "messages",
        ["ack_due_at"],
        sqlite_where=AWAITED,
        postgresql_where=AWAITED,
    )
    op.create_index("ix_messages_isa13", "messages", ["interchange_control_number"])
    op.create_index("ix_messages_gs06", "messages", ["group_control_number"])
    op.create_index("ix_messages_created", "messages", ["created_at"])
    op.create_index("ix_message_events_state", "message_events", ["state", "message_id"])


def downgrade() -> None:
    op.drop_index("ix_message_events_state", table_name="message_events")
    op.drop_index("ix_messages_created", table_name="messages")
    op.drop_index("ix_messages_gs06", table_name="messages")
    op.drop_index("ix_messages_isa13", table_name="messages")
    op.drop_index("ix_messages_ack_awaited", table_name="messages")
    op.create_index("ix_messages_ack_due", "messages", ["ack_due_at"])
    op.drop_index("ix_messages_document", table_name="messages")
    op.drop_index("ix_documents_po", table_name="documents")
    op.create_index("ix_documents_po", "documents", ["po_number"])
