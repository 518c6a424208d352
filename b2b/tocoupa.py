"""A partner's 855, 856 and 810 become cXML for Coupa, built once when the X12 is read.

    855 ─► ConfirmationRequest    856 ─► ShipNoticeRequest    810 ─► InvoiceDetailRequest

Each refers to the order it answers as Coupa sent it (orderID, orderDate, and the payloadID of
the OrderRequest), found in the store; its units of measure are the order lines' again where the
partner's `x12.uom` table made the X12 code from them (UnitTranslation); its codes are read by
the gateway's `cxml_codes` (maps/cxml/codes.toml). It carries the supplier's credentials from
the partner's `[coupa.documents]` (the SharedSecret as REDACTED, put in when it is posted), and
is queued as a message to that buyer's Coupa URL.

>>> deliveries, notes = coupa_deliveries(gateway, partner, lookups, [("855", confirmation)])
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from b2b.coupa import (
    REDACTED,
    CxmlCodes,
    CxmlCredentials,
    OrderReference,
    UnitTranslation,
    confirmation_request,
    invoice_detail_request,
    new_payload_id,
    parse_order_headers,
    parse_order_request,
    ship_notice_request,
)
from b2b.documents import Invoice, OrderConfirmation, PurchaseOrder, ShipNotice, SourceFormat
from b2b.engine import Gateway
from b2b.errors import B2BError
from b2b.mapping import BusinessDocument
from b2b.partners import PartnerProfile
from b2b.partners.profile import CoupaDocuments
from b2b.store.inbound import CoupaDelivery, Lookups


@dataclass(frozen=True, slots=True)
class _Answered:
    """An order a supplier document answers: how to name it, and its lines' units."""

    reference: OrderReference
    units: UnitTranslation


def coupa_deliveries(
    gateway: Gateway,
    partner: PartnerProfile,
    lookups: Lookups,
    documents: Sequence[tuple[str, BusinessDocument]],
    now: dt.datetime,
) -> tuple[tuple[CoupaDelivery, ...], list[str]]:
    """The cXML to post for each (transaction set, document), and notes on what was not sent."""
    settings = partner.coupa.documents
    if settings is None:
        return (), []
    # Stored with REDACTED for the SharedSecret: b2b.outbound puts the partner's secret in
    # when it posts, so the secret never rests in messages.payload.
    credentials = _credentials(settings, REDACTED)
    found: list[CoupaDelivery] = []
    notes: list[str] = []
    for set_id, document in documents:
        if set_id not in settings.send:
            continue
        orders = {po: _answered(lookups, partner, po) for po in _po_numbers(document)}
        unknown = sorted(po for po, order in orders.items() if order is None)
        if unknown:
            notes.append(f"{set_id} not sent to Coupa: no order {', '.join(unknown)} from Coupa")
            continue
        known = {po: order for po, order in orders.items() if order is not None}
        payload_id = new_payload_id(gateway.settings.payload_id_host)
        try:
            body = _cxml(
                document,
                known,
                codes=gateway.cxml_codes,
                credentials=credentials,
                payload_id=payload_id,
                now=now,
            )
        except B2BError as exc:
            notes.append(f"{set_id} not sent to Coupa: {exc.reason}")
            continue
        first = next(iter(known))
        found.append(
            CoupaDelivery(partner.id, set_id, first, settings.url_for(set_id), body, payload_id)
        )
    return tuple(found), notes


def _cxml(
    document: BusinessDocument,
    orders: Mapping[str, _Answered],
    *,
    codes: CxmlCodes,
    credentials: CxmlCredentials,
    payload_id: str,
    now: dt.datetime,
) -> bytes:
    if isinstance(document, ShipNotice):
        return ship_notice_request(
            document,
            orders={po: order.reference for po, order in orders.items()},
            codes=codes,
            credentials=credentials,
            payload_id=payload_id,
            timestamp=now,
            units={po: order.units for po, order in orders.items()},
        )
    order = orders[document.po_number]
    if isinstance(document, OrderConfirmation):
        return confirmation_request(
            document,
            order=order.reference,
            codes=codes,
            credentials=credentials,
            payload_id=payload_id,
            timestamp=now,
            units=order.units,
        )
    assert isinstance(document, Invoice)
    return invoice_detail_request(
        document,
        order=order.reference,
        codes=codes,
        credentials=credentials,
        payload_id=payload_id,
        timestamp=now,
        units=order.units,
    )


def _po_numbers(document: BusinessDocument) -> tuple[str, ...]:
    if isinstance(document, ShipNotice):
        return tuple(dict.fromkeys(document.po_numbers))
    return (document.po_number,)


def _answered(lookups: Lookups, partner: PartnerProfile, po_number: str) -> _Answered | None:
    """The order as Coupa sent it: its date, the payloadID of its cXML OrderRequest, its units."""
    stored = lookups.order(partner.id, po_number)
    if stored is None:
        return None
    if stored.source_format == SourceFormat.CXML.value:
        order = parse_order_request(stored.raw).order
        reference = OrderReference(po_number, order.order_date, stored.document_key)
        return _Answered(reference, _units(order, partner))
    for received in parse_order_headers(stored.raw):
        if received.order.number == po_number:
            reference = OrderReference(po_number, received.order.order_date, None)
            return _Answered(reference, _units(received.order, partner))
    return _Answered(OrderReference(po_number, None, None), UnitTranslation(partner.x12.uom))


def _units(order: PurchaseOrder, partner: PartnerProfile) -> UnitTranslation:
    """The partner's X12 units back to the units of `order`'s lines (partner.x12.uom reversed)."""
    return UnitTranslation.for_order(order, partner.x12.uom)


def _credentials(settings: CoupaDocuments, shared_secret: str) -> CxmlCredentials:
    from_domain, from_identity = settings.from_identity.split(":", 1)
    to_domain, to_identity = settings.to_identity.split(":", 1)
    sender_domain, sender_identity = (settings.sender_identity or settings.from_identity).split(
        ":", 1
    )
    return CxmlCredentials(
        from_domain=from_domain,
        from_identity=from_identity,
        to_domain=to_domain,
        to_identity=to_identity,
        sender_domain=sender_domain,
        sender_identity=sender_identity,
        shared_secret=shared_secret,
        user_agent="b2b gateway",
    )
