"""A JSON-safe summary of a partner's business document, for the timeline of a purchase order.

Decimals become strings ("292.14"), dates ISO strings, codes their X12 values. Every summary has
`kind`, `transaction_set` and `po_numbers` (a list), so the timeline can find its orders.

    >>> document_summary(invoice)
    {'kind': 'invoice', 'transaction_set': '810', 'po_numbers': ['HMG-PO-100482'], ...}
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from decimal import Decimal

from b2b.documents import Invoice, OrderConfirmation, ShipNotice


def document_summary(doc: OrderConfirmation | ShipNotice | Invoice) -> dict[str, object]:
    """Kind, PO number(s), key numbers, dates, status, line count and totals of `doc`.

    >>> document_summary(confirmation)["line_statuses"]
    {'IA': 3, 'IB': 2, 'IR': 1}
    """
    if isinstance(doc, OrderConfirmation):
        return _confirmation(doc)
    if isinstance(doc, ShipNotice):
        return _ship_notice(doc)
    return _invoice(doc)


def _confirmation(doc: OrderConfirmation) -> dict[str, object]:
    statuses = Counter(str(a.status) for line in doc.lines for a in line.acknowledgments)
    return {
        "kind": "order_confirmation",
        "transaction_set": "855",
        "po_numbers": [doc.po_number],
        "po_date": _iso(doc.po_date),
        "purpose": doc.purpose,
        "acknowledgment_type": str(doc.acknowledgment_type),
        "confirmation_number": doc.confirmation_number,
        "confirmation_date": _iso(doc.confirmation_date),
        "line_count": len(doc.lines),
        "line_statuses": dict(sorted(statuses.items())),
    }


def _ship_notice(doc: ShipNotice) -> dict[str, object]:
    carrier = doc.carrier
    return {
        "kind": "ship_notice",
        "transaction_set": "856",
        "po_numbers": list(doc.po_numbers),
        "shipment_id": doc.shipment_id,
        "purpose": doc.purpose,
        "notice_date": _iso(doc.notice_date),
        "shipped_date": _iso(doc.shipped_date),
        "delivery_date": _iso(doc.delivery_date),
        "carrier": (carrier.routing or carrier.identifier) if carrier else None,
        "tracking_number": doc.tracking_number,
        "bill_of_lading": doc.bill_of_lading,
        "package_count": doc.package_count,
        "item_count": len(doc.items),
        "quantity_shipped": _total(item.quantity for item in doc.items),
    }


def _invoice(doc: Invoice) -> dict[str, object]:
    return {
        "kind": "invoice",
        "transaction_set": "810",
        "po_numbers": [doc.po_number],
        "invoice_number": doc.invoice_number,
        "invoice_date": _iso(doc.invoice_date),
        "transaction_type": doc.transaction_type,
        "line_count": len(doc.lines),
        "total": str(doc.total),
        "currency": doc.currency,
        "tax": _total(t.amount for t in doc.taxes if t.amount is not None) if doc.taxes else None,
    }


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


def _total(values: Iterable[Decimal]) -> str:
    return str(sum(values, Decimal(0)))
