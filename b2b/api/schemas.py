"""Response models of the admin API: what /openapi.json tells a script it will get."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, Field


class ControlNumbers(BaseModel):
    """The X12 envelope numbers assigned to a message once, kept for every resend."""

    ISA13: str | None = Field(None, description="interchange control number, 9 digits")
    GS06: int | None = Field(None, description="group control number")
    ST02: list[str] = Field(default_factory=list, description="transaction set control numbers")


class EventOut(BaseModel):
    """One step in a message's life."""

    at: dt.datetime
    state: str
    detail: str


class MessageOut(BaseModel):
    """An outbound message: an 850/860 to a partner, an ack we send, or cXML for Coupa."""

    id: int
    partner_id: str
    po_number: str
    po_version: int | None
    order_type: str | None
    document_key: str | None = Field(description="the Coupa order's payloadID or document key")
    source_format: str | None
    transaction_set: str
    destination: str = Field(description="partner (X12) or coupa (cXML)")
    url: str | None
    state: str
    attempts: int
    filename: str | None
    last_error: str | None
    receipt: str | None
    next_attempt_at: dt.datetime
    created_at: dt.datetime
    updated_at: dt.datetime
    ack_state: str | None = Field(description="the partner's 997/999/TA1 verdict")
    ack_due_at: dt.datetime | None
    ack_received_at: dt.datetime | None
    ack_detail: Any = Field(None, description="the acknowledgment as read")
    overdue: bool = Field(description="an acknowledgment was due and has not come")
    control_numbers: ControlNumbers
    events: list[EventOut]


class MessageList(BaseModel):
    """A page of messages, newest first."""

    messages: list[MessageOut]
    offset: int = 0
    limit: int


class JourneyStepOut(BaseModel):
    """One hop of a PO's life."""

    at: dt.datetime
    kind: str = Field(description="order, 850, 860, mdn, ack, 855, 856, 810, cxml or refused")
    title: str
    state: str | None
    references: dict[str, str] = Field(description="control numbers, payloadID, Message-ID")
    detail: str
    message_id: int | None
    raw: str | None = Field(description="the path of the raw bytes in this API")


class Journey(BaseModel):
    """A PO from the Coupa order to the cXML back to Coupa, oldest step first."""

    po_number: str
    steps: list[JourneyStepOut]
    messages: list[MessageOut]


class CertificateOut(BaseModel):
    """A certificate and how close it is to expiry."""

    owner: str = Field(description='"ours", or the partner\'s AS2 name')
    subject: str
    not_after: dt.datetime
    days_left: int
    level: str = Field(description="ok, notice (30 days), warning (14), critical (7), expired")


class PartnerOut(BaseModel):
    """A partner's transport health, queue and certificates."""

    id: str
    name: str
    transport: str = Field(description="as2, sftp or directory")
    endpoint: str = Field(description="URL, sftp://user@host:port/dir, or folder")
    health: str = Field(description="ok, failing (the last attempt failed) or idle")
    last_success_at: dt.datetime | None
    last_failure_at: dt.datetime | None
    last_failure: str | None = Field(description="the reason of the last failure")
    queue: dict[str, int] = Field(description="messages by state")
    certificates: list[CertificateOut]


class PartnerList(BaseModel):
    """Every partner, and our own certificates."""

    partners: list[PartnerOut]
    ours: list[CertificateOut]


class Overview(BaseModel):
    """What needs attention, at a glance."""

    counts: dict[str, int] = Field(description="messages by state")
    overdue_acks: int
    dead_letters: int
    partners_failing: list[str]
    certificates_expiring: list[CertificateOut] = Field(description="within 30 days, or expired")
