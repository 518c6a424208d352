"""A partner's 855 (OrderConfirmation) as a cXML ConfirmationRequest for Coupa.

Each ACK of a line becomes a ConfirmationStatus whose type the ACK01 code gives, by the table
`[confirmation.line_status]` of maps/cxml/codes.toml (as shipped):

    ACK01                                    ConfirmationStatus@type
    IA AC AR                                 accept
    IB BP                                    backordered
    IR ID R1..R8                             reject
    IP IC IQ IS DR                           detail when it carries a new UnitPrice (PO104, for
                                             the `price_changes` codes) or a delivery date, else
                                             accept; a comment names the code
    IH IF IW IE SP                           unknown (on hold or pending)

The header is `accept`, `backordered` or `reject` when every status is that one (a rejection
lists no items, as the DTD requires), else `detail`. An 855 without lines is `reject` when BAK02
is one of the `order_rejections` (RJ, RD, RF, RO), else `accept`; a line without ACK takes that
status too. Quantities are made to add up to the line's (PO102): what the ACKs leave over goes
to the line's rejection when it has one (ACK02 is often 0 on a rejected line), else to an
`unknown` status. The ACK04 `shipment_date_qualifiers` (010, 011, 037, 038, 068, 070, 079) give a
shipmentDate; any other qualifier a deliveryDate. Units (PO103, ACK03) go back to the order's
through a UnitTranslation.

    >>> confirmation_request(doc, order=order, codes=codes, credentials=creds, payload_id=pid,
    ...                      timestamp=now, units=units)
    b'<?xml version="1.0" encoding="UTF-8"?>\\n<!DOCTYPE cXML SYSTEM ".../Fulfill.dtd">...'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from lxml import etree

from b2b.coupa.codes import (
    ACCEPT,
    BACKORDERED,
    DETAIL,
    REJECT,
    UNKNOWN,
    ConfirmationCodes,
    CxmlCodes,
)
from b2b.coupa.supplier import (
    FULFILL_DTD_URL,
    LANG,
    CxmlCredentials,
    OrderReference,
    UnitTranslation,
    amount,
    element,
    envelope,
    line_number,
    number,
    on,
    order_reference,
    serialize,
    tz,
)
from b2b.documents import (
    ConfirmationLine,
    LineAcknowledgment,
    LineItemStatus,
    OrderConfirmation,
)

__all__ = ["confirmation_request"]


@dataclass(frozen=True, slots=True)
class _Status:
    """One ConfirmationStatus to write; `date` is (shipmentDate or deliveryDate, the ACK05)."""

    type: str
    quantity: Decimal
    unit_of_measure: str
    date: tuple[str, dt.date] | None = None
    unit_price: Decimal | None = None
    comment: str | None = None


@dataclass(frozen=True, slots=True)
class _Item:
    """One ConfirmationItem to write."""

    line_number: str
    quantity: Decimal
    unit_of_measure: str
    statuses: tuple[_Status, ...]


def confirmation_request(
    doc: OrderConfirmation,
    *,
    order: OrderReference,
    codes: CxmlCodes,
    credentials: CxmlCredentials,
    payload_id: str,
    timestamp: dt.datetime,
    currency: str | None = None,
    units: UnitTranslation | None = None,
) -> bytes:
    """The cXML ConfirmationRequest (Fulfill.dtd) telling Coupa the supplier's answer to `order`.

    `codes` says what the 855's codes mean (maps/cxml/codes.toml); `units` turns the partner's
    X12 units back into the order's (none: the X12 codes as they are). `timestamp` (with a time
    zone) is the document's; `currency` is the order's, used for a changed UnitPrice when the
    855 has no CUR (USD when neither is known).

        confirmation_request(doc, order=order, codes=codes, credentials=creds, payload_id=pid,
                             timestamp=now, units=UnitTranslation.for_order(po, partner.x12.uom))
    """
    rules = codes.confirmation
    root, request = envelope(credentials, payload_id=payload_id, timestamp=timestamp)
    confirmation = element(request, "ConfirmationRequest")
    items = _items(doc, rules, units or UnitTranslation())
    header_type = _header_type(doc, items, rules)
    notice = on(doc.confirmation_date, timestamp) if doc.confirmation_date else tz(timestamp)
    element(
        confirmation,
        "ConfirmationHeader",
        confirmID=doc.confirmation_number,
        type=header_type,
        noticeDate=notice,
    )
    order_reference(confirmation, order)
    if header_type != REJECT:
        for item in items:
            _write_item(confirmation, item, timestamp, doc.currency or currency or "USD")
    return serialize(root, FULFILL_DTD_URL)


def _header_type(doc: OrderConfirmation, items: tuple[_Item, ...], rules: ConfirmationCodes) -> str:
    types = {status.type for item in items for status in item.statuses}
    if not types:
        return _order_default(doc, rules)
    if len(types) == 1 and types <= {ACCEPT, BACKORDERED, REJECT}:
        return types.pop()
    return DETAIL


def _order_default(doc: OrderConfirmation, rules: ConfirmationCodes) -> str:
    """BAK02's answer for the whole order: `reject` or `accept`."""
    return REJECT if doc.acknowledgment_type in rules.order_rejections else ACCEPT


def _items(
    doc: OrderConfirmation, rules: ConfirmationCodes, units: UnitTranslation
) -> tuple[_Item, ...]:
    default = _order_default(doc, rules)
    return tuple(
        _item(line, line_number(line.line_number, position), default, rules, units)
        for position, line in enumerate(doc.lines, start=1)
    )


def _item(
    line: ConfirmationLine,
    number: str,
    default: str,
    rules: ConfirmationCodes,
    units: UnitTranslation,
) -> _Item:
    unit = units.coupa_unit(number, line.unit_of_measure or _first_unit(line) or "EA")
    statuses = [
        _status(ack, quantity, line, rules, _unit(ack, number, unit, units))
        for ack, quantity in zip(line.acknowledgments, _quantities(line), strict=True)
    ]
    stated = sum((s.quantity for s in statuses), Decimal(0))
    quantity = line.quantity if line.quantity is not None else stated
    if not statuses:
        statuses = [_Status(default, quantity, unit)]
    elif stated < quantity:
        statuses = _settle(statuses, quantity - stated, unit)
    total = sum((s.quantity for s in statuses), Decimal(0))
    kept = tuple(s for s in statuses if s.quantity) or (statuses[0],)
    return _Item(number, max(quantity, total), unit, kept)


def _unit(ack: LineAcknowledgment, number: str, line_unit: str, units: UnitTranslation) -> str:
    """The ACK's unit (ACK03) for Coupa, else the line's."""
    return units.coupa_unit(number, ack.unit_of_measure) if ack.unit_of_measure else line_unit


def _first_unit(line: ConfirmationLine) -> str | None:
    return next((a.unit_of_measure for a in line.acknowledgments if a.unit_of_measure), None)


def _quantities(line: ConfirmationLine) -> list[Decimal]:
    """Each ACK's quantity; the first ACK without one gets what the others leave of the line's."""
    stated = sum((a.quantity for a in line.acknowledgments if a.quantity is not None), Decimal(0))
    rest = max((line.quantity or Decimal(0)) - stated, Decimal(0))
    quantities = []
    for ack in line.acknowledgments:
        if ack.quantity is None:
            quantities.append(rest)
            rest = Decimal(0)
        else:
            quantities.append(ack.quantity)
    return quantities


def _status(
    ack: LineAcknowledgment,
    quantity: Decimal,
    line: ConfirmationLine,
    rules: ConfirmationCodes,
    unit: str,
) -> _Status:
    price = line.unit_price if ack.status in rules.price_changes else None
    date = _date(ack, rules)
    kind = rules.status_type(ack.status)
    if kind == DETAIL and price is None and (date is None or date[0] != "deliveryDate"):
        kind = ACCEPT  # a change that changes nothing Coupa can show
    return _Status(
        kind,
        quantity,
        unit,
        date if kind != REJECT else None,
        price if kind == DETAIL else None,
        None if ack.status in rules.self_explained else _describe(ack.status),
    )


def _date(ack: LineAcknowledgment, rules: ConfirmationCodes) -> tuple[str, dt.date] | None:
    """ACK05 as (shipmentDate, date) for the ACK04 qualifiers that say so, else deliveryDate."""
    if ack.scheduled_date is None:
        return None
    shipment = ack.date_qualifier in rules.shipment_date_qualifiers
    return ("shipmentDate" if shipment else "deliveryDate", ack.scheduled_date)


def _settle(statuses: list[_Status], shortfall: Decimal, unit: str) -> list[_Status]:
    """Give what the ACKs leave of the line's quantity to its rejection, else to `unknown`."""
    for index, status in enumerate(statuses):
        if status.type == REJECT:
            statuses[index] = replace(status, quantity=status.quantity + shortfall)
            return statuses
    return [*statuses, _Status(UNKNOWN, shortfall, unit)]


def _write_item(parent: etree._Element, item: _Item, timestamp: dt.datetime, currency: str) -> None:
    node = element(
        parent,
        "ConfirmationItem",
        quantity=number(item.quantity),
        lineNumber=item.line_number,
    )
    element(node, "UnitOfMeasure", item.unit_of_measure)
    for status in item.statuses:
        _write_status(node, status, timestamp, currency)


def _write_status(
    parent: etree._Element, status: _Status, timestamp: dt.datetime, currency: str
) -> None:
    node = element(parent, "ConfirmationStatus", quantity=number(status.quantity), type=status.type)
    if status.date is not None:
        attribute, date = status.date
        node.set(attribute, on(date, timestamp))
    element(node, "UnitOfMeasure", status.unit_of_measure)
    if status.unit_price is not None:
        price = element(node, "UnitPrice")
        element(price, "Money", amount(status.unit_price), currency=currency)
    if status.comment is not None:
        element(node, "Comments", status.comment, lang=LANG)


def _describe(status: LineItemStatus) -> str:
    """ "Date rescheduled (ACK01 DR)"."""
    return f"{status.name.replace('_', ' ').capitalize()} (ACK01 {status.value})"
