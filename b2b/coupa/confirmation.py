"""A partner's 855 (OrderConfirmation) as a cXML ConfirmationRequest for Coupa.

Each ACK of a line becomes a ConfirmationStatus; the header type sums them up:

    ACK01                                    ConfirmationStatus@type
    IA AC AR                                 accept
    IB BP                                    backordered
    IR ID R1..R8                             reject
    IP IC IQ IS DR                           detail when it carries a new UnitPrice (PO104) or
                                             a delivery date, else accept; a comment names the code
    IH IF IW IE SP                           unknown (on hold or pending)

The header is `accept`, `backordered` or `reject` when every status is that one (a rejection
lists no items, as the DTD requires), else `detail`. An 855 without lines is `reject` when BAK02
rejects the order (RJ, RD, RF, RO), else `accept`; a line without ACK takes that status too.
Quantities are made to add up to the line's (PO102): what the ACKs leave over goes to the line's
rejection when it has one (ACK02 is often 0 on a rejected line), else to an `unknown` status.
ACK04 068, 010, 011, 037, 038, 070 and 079 give a shipmentDate; any other qualifier a
deliveryDate.

    >>> confirmation_request(doc, order=order, credentials=creds, payload_id=pid, timestamp=now)
    b'<?xml version="1.0" encoding="UTF-8"?>\\n<!DOCTYPE cXML SYSTEM ".../Fulfill.dtd">...'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from decimal import Decimal

from lxml import etree

from b2b.coupa.supplier import (
    FULFILL_DTD_URL,
    LANG,
    CxmlCredentials,
    OrderReference,
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
    AcknowledgmentType,
    ConfirmationLine,
    LineAcknowledgment,
    LineItemStatus,
    OrderConfirmation,
)

__all__ = ["confirmation_request"]

ACCEPT, BACKORDERED, REJECT, DETAIL, UNKNOWN = (
    "accept",
    "backordered",
    "reject",
    "detail",
    "unknown",
)

_PLAIN = {LineItemStatus.ACCEPTED: ACCEPT, LineItemStatus.ACCEPTED_AND_SHIPPED: ACCEPT}
_PLAIN |= {LineItemStatus.ACCEPTED_AND_RELEASED: ACCEPT}
_CHANGES = frozenset(
    {
        LineItemStatus.PRICE_CHANGED,
        LineItemStatus.CHANGES_MADE,
        LineItemStatus.QUANTITY_CHANGED,
        LineItemStatus.SUBSTITUTION_MADE,
        LineItemStatus.DATE_RESCHEDULED,
    }
)
_PRICE_CHANGES = frozenset(
    {LineItemStatus.PRICE_CHANGED, LineItemStatus.CHANGES_MADE, LineItemStatus.SUBSTITUTION_MADE}
)
_REJECTIONS = frozenset(
    {
        AcknowledgmentType.REJECTED_NO_DETAIL,
        AcknowledgmentType.REJECTED_WITH_DETAIL,
        AcknowledgmentType.REJECTED_WITH_EXCEPTION_DETAIL,
        AcknowledgmentType.REJECTED_WITH_COUNTER_OFFER,
    }
)
_SHIP_DATES = frozenset({"010", "011", "037", "038", "068", "070", "079"})  # X12 374
_SELF_EXPLAINED = {LineItemStatus.ACCEPTED, LineItemStatus.BACKORDERED, LineItemStatus.REJECTED}


@dataclass(frozen=True, slots=True)
class _Status:
    """One ConfirmationStatus to write."""

    type: str
    quantity: Decimal
    unit_of_measure: str
    ack: LineAcknowledgment | None = None
    unit_price: Decimal | None = None


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
    credentials: CxmlCredentials,
    payload_id: str,
    timestamp: dt.datetime,
    currency: str | None = None,
) -> bytes:
    """The cXML ConfirmationRequest (Fulfill.dtd) telling Coupa the supplier's answer to `order`.

    `timestamp` (with a time zone) is the document's; `currency` is the order's, used for a
    changed UnitPrice when the 855 has no CUR (USD when neither is known).

        confirmation_request(doc, order=order, credentials=creds, payload_id=pid, timestamp=now)
    """
    root, request = envelope(credentials, payload_id=payload_id, timestamp=timestamp)
    confirmation = element(request, "ConfirmationRequest")
    items = _items(doc)
    header_type = _header_type(doc, items)
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


def _header_type(doc: OrderConfirmation, items: tuple[_Item, ...]) -> str:
    types = {status.type for item in items for status in item.statuses}
    if not types:
        return REJECT if doc.acknowledgment_type in _REJECTIONS else ACCEPT
    if len(types) == 1 and types <= {ACCEPT, BACKORDERED, REJECT}:
        return types.pop()
    return DETAIL


def _items(doc: OrderConfirmation) -> tuple[_Item, ...]:
    default = REJECT if doc.acknowledgment_type in _REJECTIONS else ACCEPT
    return tuple(_item(line, position, default) for position, line in enumerate(doc.lines, start=1))


def _item(line: ConfirmationLine, position: int, default: str) -> _Item:
    unit = line.unit_of_measure or _first_unit(line) or "EA"
    acks = line.acknowledgments
    statuses = [_status(a, q, line, unit) for a, q in zip(acks, _quantities(line), strict=True)]
    stated = sum((s.quantity for s in statuses), Decimal(0))
    quantity = line.quantity if line.quantity is not None else stated
    if not statuses:
        statuses = [_Status(default, quantity, unit)]
    elif stated < quantity:
        statuses = _settle(statuses, quantity - stated, unit)
    total = sum((s.quantity for s in statuses), Decimal(0))
    kept = tuple(s for s in statuses if s.quantity) or (statuses[0],)
    return _Item(line_number(line.line_number, position), max(quantity, total), unit, kept)


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
    ack: LineAcknowledgment, quantity: Decimal, line: ConfirmationLine, unit: str
) -> _Status:
    price = line.unit_price if ack.status in _PRICE_CHANGES else None
    kind = _status_type(ack, price)
    return _Status(
        kind, quantity, ack.unit_of_measure or unit, ack, price if kind == DETAIL else None
    )


def _status_type(ack: LineAcknowledgment, price: Decimal | None) -> str:
    status = ack.status
    if status.rejected:
        return REJECT
    if status.backordered:
        return BACKORDERED
    if status in _PLAIN:
        return ACCEPT
    if status in _CHANGES:
        return DETAIL if price is not None or _delivery_date(ack) else ACCEPT
    return UNKNOWN


def _settle(statuses: list[_Status], shortfall: Decimal, unit: str) -> list[_Status]:
    """Give what the ACKs leave of the line's quantity to its rejection, else to `unknown`."""
    for index, status in enumerate(statuses):
        if status.type == REJECT:
            statuses[index] = replace(status, quantity=status.quantity + shortfall)
            return statuses
    return [*statuses, _Status(UNKNOWN, shortfall, unit)]


def _delivery_date(ack: LineAcknowledgment) -> bool:
    return ack.scheduled_date is not None and ack.date_qualifier not in _SHIP_DATES


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
    ack = status.ack
    if ack is not None and ack.scheduled_date is not None and status.type != REJECT:
        date = on(ack.scheduled_date, timestamp)
        node.set("deliveryDate" if _delivery_date(ack) else "shipmentDate", date)
    element(node, "UnitOfMeasure", status.unit_of_measure)
    if status.unit_price is not None:
        price = element(node, "UnitPrice")
        element(price, "Money", amount(status.unit_price), currency=currency)
    if ack is not None and ack.status not in _SELF_EXPLAINED:
        element(node, "Comments", _describe(ack.status), lang=LANG)


def _describe(status: LineItemStatus) -> str:
    """ "Date rescheduled (ACK01 DR)"."""
    return f"{status.name.replace('_', ' ').capitalize()} (ACK01 {status.value})"
