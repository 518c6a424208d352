"""855 purchase order acknowledgment → OrderConfirmation.

Reads BAK (purpose, acknowledgment type, PO number and date, release, the seller's reference and
date), CUR, header REFs and N1 loops, and each PO1 loop: the line as restated (PO1, PID) and its
ACKs (status, quantity, unit, scheduled date; a DTM in the loop stands in for a missing ACK05).
SCH, TD5, CTT and AMT are not read.

    >>> read_confirmation(body(transaction)).lines[1].status
    <LineItemStatus.BACKORDERED: 'IB'>
"""

from __future__ import annotations

from collections.abc import Sequence

from b2b.documents import (
    AcknowledgmentType,
    ConfirmationLine,
    LineAcknowledgment,
    LineItemStatus,
    OrderConfirmation,
)
from b2b.mapping.inbound.elements import (
    Located,
    date,
    decimal,
    description,
    first,
    invalid,
    missing_segment,
    optional,
    product_ids,
    references,
    required,
    required_date,
    split_loops,
    split_parties,
    tagged,
)


def read_confirmation(segments: Sequence[Located]) -> OrderConfirmation:
    """The OrderConfirmation an 855's body (from `elements.body`) states."""
    header, loops, _summary = split_loops(segments, "PO1", end={"CTT"})
    loose, parties = split_parties(header)
    bak = first(loose, "BAK")
    if bak is None:
        raise missing_segment("BAK", "beginning segment for purchase order acknowledgment")
    cur = first(loose, "CUR")
    return OrderConfirmation(
        purpose=required(bak, 1, "transaction set purpose code"),
        acknowledgment_type=_acknowledgment_type(bak),
        po_number=required(bak, 3, "purchase order number"),
        po_date=required_date(bak, 4, "purchase order date"),
        lines=tuple(_line(loop) for loop in loops),
        release_number=optional(bak, 5),
        confirmation_number=optional(bak, 8),
        confirmation_date=date(bak, 9),
        currency=optional(cur, 2) if cur else None,
        references=references(loose),
        parties=parties,
    )


def _acknowledgment_type(bak: Located) -> AcknowledgmentType:
    code = required(bak, 2, "acknowledgment type")
    try:
        return AcknowledgmentType(code)
    except ValueError:
        raise invalid(bak, 2, f"{code!r} is not an acknowledgment type (587)") from None


def _line(loop: Sequence[Located]) -> ConfirmationLine:
    po1 = loop[0]
    return ConfirmationLine(
        line_number=optional(po1, 1),
        quantity=decimal(po1, 2),
        unit_of_measure=optional(po1, 3),
        unit_price=decimal(po1, 4),
        product_ids=product_ids(po1, 6),
        description=description(loop),
        acknowledgments=tuple(_acknowledgment(ack, loop) for ack in tagged(loop, "ACK")),
    )


def _acknowledgment(ack: Located, loop: Sequence[Located]) -> LineAcknowledgment:
    qualifier, scheduled = optional(ack, 4), date(ack, 5)
    dtm = first(loop, "DTM")
    if scheduled is None and dtm is not None:
        qualifier, scheduled = optional(dtm, 1), date(dtm, 2)
    return LineAcknowledgment(
        status=_status(ack),
        quantity=decimal(ack, 2),
        unit_of_measure=optional(ack, 3),
        date_qualifier=qualifier,
        scheduled_date=scheduled,
    )


def _status(ack: Located) -> LineItemStatus:
    code = required(ack, 1, "line item status code")
    try:
        return LineItemStatus(code)
    except ValueError:
        raise invalid(ack, 1, f"{code!r} is not a line item status code (668)") from None
