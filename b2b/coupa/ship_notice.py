"""A partner's 856 (ShipNotice) as a cXML ShipNoticeRequest for Coupa.

ShipNoticeHeader    shipmentID BSN02; noticeDate BSN03/BSN04; shipmentDate DTM 011 (else
                    BSN03); deliveryDate DTM 017; ServiceLevel TD505; Contacts shipFrom (SF)
                    and shipTo (ST); Packaging TD101 code and TD107/TD108 weight
ShipControl         CarrierIdentifier TD503 (TD502 2 SCAC, 1 DUNS, 4 IATA); ShipmentIdentifier
                    REF CN (trackingNumber) and REF BM (billOfLading); PackageIdentification
                    1..TD102; Route from TD504. Left out when the carrier or both numbers are
                    missing (the DTD requires both).
ShipNoticePortion   one per purchase order (PRF01), in order of appearance, with the order's
                    OrderReference (`orders`; an order not in it is named by its number only)
ShipNoticeItem      one per order line: the items of a line (one per pack in the 856) are
                    added up, each pack's SSCC (MAN) becoming a Packaging with its quantity.
                    lineNumber is LIN01, else the item's position in its order; SN103 goes
                    back to the order's unit through the order's UnitTranslation (`units`).

The code lists (TD502 carrier qualifiers, TD504 transportation methods, TD108 weight units) are
`[ship_notice.*]` in maps/cxml/codes.toml, passed in as `codes`.

>>> ship_notice_request(doc, orders={"HMG-PO-100482": order}, codes=codes, credentials=creds, ...)
b'<?xml version="1.0" encoding="UTF-8"?>\\n<!DOCTYPE cXML SYSTEM ".../Fulfill.dtd">...'
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from lxml import etree

from b2b.coupa.codes import CxmlCodes, ShipNoticeCodes
from b2b.coupa.supplier import (
    FULFILL_DTD_URL,
    LANG,
    CxmlCredentials,
    OrderReference,
    UnitTranslation,
    contact,
    element,
    envelope,
    item_id,
    line_number,
    number,
    on,
    order_reference,
    serialize,
)
from b2b.documents import EntityRole, ShipNotice, ShippedItem

__all__ = ["ship_notice_request"]

_PARTY_ROLES = ((EntityRole.SHIP_FROM, "shipFrom"), (EntityRole.SHIP_TO, "shipTo"))
_PACKAGE = "package"  # PackagingCode when the 856 gives no TD101


@dataclass(frozen=True, slots=True)
class _Line:
    """The items of one order line in this shipment, added up."""

    line_number: str
    items: tuple[ShippedItem, ...]

    @property
    def quantity(self) -> Decimal:
        return sum((item.quantity for item in self.items), Decimal(0))


def ship_notice_request(
    doc: ShipNotice,
    *,
    orders: Mapping[str, OrderReference],
    codes: CxmlCodes,
    credentials: CxmlCredentials,
    payload_id: str,
    timestamp: dt.datetime,
    units: Mapping[str, UnitTranslation] | None = None,
) -> bytes:
    """The cXML ShipNoticeRequest (Fulfill.dtd) telling Coupa what shipped against which orders.

    `orders` maps each purchase order number (PRF01) to its OrderReference, `units` to the
    UnitTranslation of its lines (an order not in it keeps the X12 units); `codes` says what the
    856's codes mean (maps/cxml/codes.toml); `timestamp` (with a time zone) is the document's.

        ship_notice_request(doc, orders={po: ref}, codes=codes, credentials=creds,
                            payload_id=pid, timestamp=now, units={po: translation})
    """
    rules = codes.ship_notice
    root, request = envelope(credentials, payload_id=payload_id, timestamp=timestamp)
    notice = element(request, "ShipNoticeRequest")
    _header(notice, doc, timestamp, rules)
    _ship_control(notice, doc, rules)
    for po_number, items in _by_order(doc).items():
        portion = element(notice, "ShipNoticePortion")
        order_reference(portion, orders.get(po_number) or OrderReference(po_number))
        translation = (units or {}).get(po_number) or UnitTranslation()
        for line in _lines(items):
            _item(portion, line, doc.packaging_code or _PACKAGE, translation)
    return serialize(root, FULFILL_DTD_URL)


def _header(
    parent: etree._Element, doc: ShipNotice, timestamp: dt.datetime, rules: ShipNoticeCodes
) -> None:
    header = element(
        parent,
        "ShipNoticeHeader",
        shipmentID=doc.shipment_id,
        noticeDate=on(doc.notice_date, timestamp, doc.notice_time),
        shipmentDate=on(doc.shipped_date or doc.notice_date, timestamp),
        deliveryDate=on(doc.delivery_date, timestamp) if doc.delivery_date else None,
    )
    if doc.carrier is not None and doc.carrier.routing:
        element(header, "ServiceLevel", doc.carrier.routing, lang=LANG)
    for role, cxml_role in _PARTY_ROLES:
        party = doc.party(role)
        if party is not None:
            contact(header, party, cxml_role)
    _packaging(header, doc, rules)


def _packaging(parent: etree._Element, doc: ShipNotice, rules: ShipNoticeCodes) -> None:
    """The shipment's lading: `<Packaging>` with TD101's code and TD107's weight."""
    weight_unit = rules.weight_units.get(doc.weight_unit or "", doc.weight_unit)
    has_weight = doc.weight is not None and weight_unit is not None
    if doc.packaging_code is None and not has_weight:
        return
    packaging = element(parent, "Packaging")
    if doc.packaging_code is not None:
        element(packaging, "PackagingCode", doc.packaging_code, lang=LANG)
    if doc.weight is not None and weight_unit is not None:
        dimension = element(packaging, "Dimension", quantity=number(doc.weight), type="weight")
        element(dimension, "UnitOfMeasure", weight_unit)


def _ship_control(parent: etree._Element, doc: ShipNotice, rules: ShipNoticeCodes) -> None:
    carrier = doc.carrier
    numbers = [(doc.tracking_number, "trackingNumber"), (doc.bill_of_lading, "billOfLading")]
    numbers = [(value, domain) for value, domain in numbers if value]
    if carrier is None or carrier.identifier is None or not numbers:
        return
    control = element(parent, "ShipControl")
    domain = rules.carrier_domains.get(carrier.id_qualifier or "", carrier.id_qualifier or "SCAC")
    element(control, "CarrierIdentifier", carrier.identifier, domain=domain)
    for value, number_domain in numbers:
        element(control, "ShipmentIdentifier", value, domain=number_domain)
    if doc.package_count:
        element(control, "PackageIdentification", rangeBegin="1", rangeEnd=str(doc.package_count))
    method = rules.route_methods.get(carrier.transport_method or "")
    if method is not None:
        element(control, "Route", method=method)


def _by_order(doc: ShipNotice) -> dict[str, list[ShippedItem]]:
    """The items of each purchase order, orders in order of appearance (items' own POs last)."""
    grouped: dict[str, list[ShippedItem]] = {po: [] for po in doc.po_numbers}
    first = doc.po_numbers[0] if doc.po_numbers else None
    for item in doc.items:
        po_number = item.po_number or first
        if po_number is not None:
            grouped.setdefault(po_number, []).append(item)
    return grouped


def _lines(items: Sequence[ShippedItem]) -> list[_Line]:
    """One entry per order line (cXML mentions a line once per ship notice), in first order."""
    grouped: dict[str, list[ShippedItem]] = {}
    for position, item in enumerate(items, start=1):
        grouped.setdefault(line_number(item.line_number, position), []).append(item)
    return [_Line(number, tuple(group)) for number, group in grouped.items()]


def _item(parent: etree._Element, line: _Line, packaging_code: str, units: UnitTranslation) -> None:
    first = line.items[0]
    node = element(
        parent, "ShipNoticeItem", quantity=number(line.quantity), lineNumber=line.line_number
    )
    item_id(node, first.product_ids)
    element(node, "UnitOfMeasure", units.coupa_unit(line.line_number, first.unit_of_measure))
    for item in line.items:
        if item.package_marks:
            _package(
                node, item, packaging_code, units.coupa_unit(line.line_number, item.unit_of_measure)
            )
    ordered = first.quantity_ordered
    if ordered is not None:
        element(node, "OrderedQuantity", quantity=number(ordered))


def _package(parent: etree._Element, item: ShippedItem, packaging_code: str, unit: str) -> None:
    """The pack holding `item`: its SSCC (MAN) and the quantity of the item in it (in `unit`)."""
    packaging = element(parent, "Packaging")
    element(packaging, "PackagingCode", packaging_code, lang=LANG)
    element(packaging, "ShippingContainerSerialCode", item.package_marks)
    dispatched = element(packaging, "DispatchQuantity", quantity=number(item.quantity))
    element(dispatched, "UnitOfMeasure", unit)
