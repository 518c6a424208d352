"""The admin API: a JSON twin of every dashboard screen, so that each can be scripted.

    $ curl -H "Authorization: Bearer $KEY" http://localhost:8080/orders/HMG-PO-100482/journey
    $ curl -OJ -H "Authorization: Bearer $KEY" http://localhost:8080/messages/12/raw

Mounted by `create_app`: `app.include_router(admin.router)`. Every route needs a viewer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request, Response

from b2b.api.auth import Role, require
from b2b.api.schemas import (
    CertificateOut,
    Journey,
    JourneyStepOut,
    MessageList,
    MessageOut,
    Overview,
    PartnerList,
    PartnerOut,
)
from b2b.api.views import (
    CertificateStatus,
    JourneyStep,
    PartnerStatus,
    certificate_status,
    journey,
    message_json,
    partner_status,
)
from b2b.engine import Gateway
from b2b.store import (
    MessageState,
    MessageView,
    find_business_documents,
    find_messages,
    find_rejections,
    utcnow,
)
from b2b.store.search import (
    DocumentKind,
    MessagePart,
    RawDocument,
    count_by_state,
    document_raw,
    find_as2,
    find_orders,
    message_raw,
    partner_activity,
    search_messages,
)

router = APIRouter(dependencies=[Depends(require(Role.VIEWER))])

#: Certificates within this many days of expiry (or expired) need attention.
ATTENTION_DAYS = 30
Limit = Annotated[int, Query(ge=1, le=1000)]


def gateway_of(request: Request) -> Gateway:
    """The gateway the app opened at start."""
    gateway: Gateway = request.app.state.gateway
    return gateway


def po_journey(gateway: Gateway, po: str) -> tuple[list[JourneyStep], list[MessageView]]:
    """The PO's timeline and its messages (newest first)."""
    engine = gateway.engine
    found = find_messages(engine=engine, po=po, limit=1000)
    steps = journey(
        find_orders(engine=engine, po=po),
        found,
        find_as2(engine=engine, message_ids=[m.id for m in found]),
        find_business_documents(engine=engine, po=po, limit=1000),
        find_rejections(engine=engine, po=po, limit=1000),
    )
    return steps, found


def certificates(gateway: Gateway, now: dt.datetime) -> dict[str, tuple[CertificateStatus, ...]]:
    """Certificates by partner id, and ours under "ours"."""
    ours = gateway.as2.ours
    found = {
        "ours": tuple(
            certificate_status("ours", pair.certificate, now)
            for pair in (ours.keys if ours else ())
        )
    }
    for as2_id, partner in gateway.as2.partners.items():
        found[partner.profile.id] = tuple(
            certificate_status(as2_id, c, now) for c in partner.security.certificates
        )
    return found


def partner_statuses(gateway: Gateway, now: dt.datetime) -> list[PartnerStatus]:
    """Every partner's transport health, queue and certificates, by id."""
    activity = partner_activity(engine=gateway.engine)
    certs = certificates(gateway, now)
    return [
        partner_status(p, activity.get(p.id), certs.get(p.id, ()))
        for p in sorted(gateway.partners, key=lambda p: p.id)
    ]


def overview(gateway: Gateway, now: dt.datetime) -> Overview:
    """Counts by state, what is overdue or dead, failing partners, expiring certificates."""
    counts = count_by_state(engine=gateway.engine)
    overdue = find_messages(engine=gateway.engine, overdue_at=now, limit=1000, with_events=False)
    partners = partner_statuses(gateway, now)
    expiring = [
        c
        for group in certificates(gateway, now).values()
        for c in group
        if c.days_left <= ATTENTION_DAYS
    ]
    return Overview(
        counts=counts,
        overdue_acks=len(overdue),
        dead_letters=counts.get(MessageState.DEAD.value, 0),
        partners_failing=[p.id for p in partners if p.health == "failing"],
        certificates_expiring=[CertificateOut(**asdict(c)) for c in expiring],
    )


def message_out(view: MessageView, now: dt.datetime) -> MessageOut:
    """The API model of a message."""
    return MessageOut.model_validate(message_json(view, now))


def partner_out(status: PartnerStatus) -> PartnerOut:
    """The API model of a partner's status."""
    data: dict[str, Any] = asdict(status)
    return PartnerOut.model_validate(data)


def download(raw: RawDocument | None, what: str) -> Response:
    """The bytes as an attachment under their filename, or 404 naming what is missing."""
    if raw is None:
        raise HTTPException(404, f"no {what}")
    disposition = f'attachment; filename="{raw.filename}"'
    return Response(
        raw.content,
        media_type=raw.media_type,
        headers={"Content-Disposition": disposition, "X-Content-Type-Options": "nosniff"},
    )


_RAW = {"content": {"application/octet-stream": {}}, "description": "the bytes, as stored"}


@router.get(
    "/messages/{message_id}/raw",
    tags=["messages"],
    summary="The exact bytes of a message as sent (payload), its AS2 body, MDN or ack",
    response_class=Response,
    responses={200: _RAW, 404: {"description": "no such message or part"}},
)
def raw_message(
    request: Request, message_id: int, part: MessagePart = MessagePart.PAYLOAD
) -> Response:
    gateway = gateway_of(request)
    found = message_raw(
        engine=gateway.engine, blobs=gateway.blobs, message_id=message_id, part=part
    )
    return download(found, f"{part.value} for message {message_id}")


@router.get(
    "/documents/{document_id}/raw",
    tags=["messages"],
    summary="What was received: a Coupa order (redacted), a partner's 855/856/810 file, "
    "an inbound file, a refused document",
    response_class=Response,
    responses={200: _RAW, 404: {"description": "no such document"}},
)
def raw_document(
    request: Request, document_id: int, kind: DocumentKind = DocumentKind.ORDER
) -> Response:
    gateway = gateway_of(request)
    found = document_raw(
        engine=gateway.engine, blobs=gateway.blobs, kind=kind, document_id=document_id
    )
    return download(found, f"{kind.value} {document_id}")


@router.get(
    "/orders/{po}/journey",
    tags=["messages"],
    summary="A PO's journey: Coupa order → 850 → MDN → 997 → 860 → 855 → 856 → 810 → Coupa",
)
def order_journey(request: Request, po: str) -> Journey:
    steps, found = po_journey(gateway_of(request), po)
    if not steps:
        raise HTTPException(404, f"nothing known about PO {po}")
    now = utcnow()
    return Journey(
        po_number=po,
        steps=[JourneyStepOut.model_validate(asdict(s)) for s in steps],
        messages=[message_out(m, now) for m in found],
    )


@router.get(
    "/acks/overdue",
    tags=["acknowledgments"],
    summary="Messages whose 997/999 was due and has not come, oldest due first",
)
def overdue_acks(request: Request, limit: Limit = 100) -> MessageList:
    now = utcnow()
    found = find_messages(engine=gateway_of(request).engine, overdue_at=now, limit=limit)
    found.sort(key=lambda m: m.ack_due_at or now)
    return MessageList(messages=[message_out(m, now) for m in found], limit=limit)


@router.get(
    "/dead-letters",
    tags=["messages"],
    summary="Messages whose retries are used up; resend with POST /messages/{id}/resend",
)
def dead_letters(
    request: Request, limit: Limit = 100, offset: Annotated[int, Query(ge=0)] = 0
) -> MessageList:
    now = utcnow()
    found = search_messages(
        engine=gateway_of(request).engine,
        state=MessageState.DEAD.value,
        limit=limit,
        offset=offset,
    )
    return MessageList(messages=[message_out(m, now) for m in found], offset=offset, limit=limit)


@router.get(
    "/partners",
    tags=["partners"],
    summary="Partners: transport, last success and failure, queue by state, certificates",
)
def partners(request: Request) -> PartnerList:
    gateway, now = gateway_of(request), utcnow()
    ours = certificates(gateway, now)["ours"]
    return PartnerList(
        partners=[partner_out(s) for s in partner_statuses(gateway, now)],
        ours=[CertificateOut(**asdict(c)) for c in ours],
    )


@router.get(
    "/overview",
    tags=["messages"],
    summary="Counts by state, overdue acknowledgments, dead letters, what needs attention",
)
def summary(request: Request) -> Overview:
    return overview(gateway_of(request), utcnow())
