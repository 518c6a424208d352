"""Hand-built purchase orders and partner settings for the mapping and X12 tests."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

from b2b.documents import (
    Address,
    Contact,
    Money,
    OrderLine,
    OrderType,
    Party,
    PartyRole,
    PaymentTerms,
    ProductIdKind,
    PurchaseOrder,
)
from b2b.partners.profile import Envelope, X12Settings

NOW = dt.datetime(2026, 11, 28, 14, 5, 33)


def envelope(**overrides: object) -> Envelope:
    """The buyer's envelope towards a supplier, with explicit GS application codes."""
    values: dict[str, object] = {
        "sender_qualifier": "ZZ",
        "sender_id": "COUPABUYER",
        "receiver_qualifier": "01",
        "receiver_id": "123456789",
        "application_sender_code": "BUYERAPP",
        "usage_indicator": "T",
    }
    values.update(overrides)
    return Envelope.model_validate(values)


def settings(version: str = "004010", **overrides: object) -> X12Settings:
    """A partner that wants buyer part numbers first and translates Coupa's unit names."""
    values: dict[str, object] = {
        "version": version,
        "envelope": envelope(),
        "product_id_qualifiers": ("BP", "VP", "MG"),
        "uom": {"each": "EA", "Box": "BX", "case": "CA"},
    }
    values.update(overrides)
    return X12Settings.model_validate(values)


def line(number: int, **overrides: object) -> OrderLine:
    """Line `number`: 2.50 * number units of "each" at 12.340, with three product IDs."""
    base = OrderLine(
        line_number=str(number),
        quantity=Decimal("2.50") * number,
        unit_of_measure="each",
        unit_price=Money(Decimal("12.340"), "USD"),
        description=f"Hex bolt M{number} zinc plated",
        product_ids=(
            (ProductIdKind.VENDOR_PART, f"VP-{number}"),
            (ProductIdKind.UPC, f"0001234{number}"),
            (ProductIdKind.BUYER_PART, f"BP{number}"),
        ),
        need_by=dt.date(2026, 12, number),
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]


def purchase_order(lines: int = 5, **overrides: object) -> PurchaseOrder:
    """A new order with ship-to, bill-to and buyer parties, terms, comments and a total."""
    order_lines = tuple(line(i) for i in range(1, lines + 1))
    base = PurchaseOrder(
        number="PO-1001",
        order_type=OrderType.NEW,
        lines=order_lines,
        version=3,
        order_date=dt.datetime(2026, 11, 27, 16, 45, tzinfo=dt.UTC),
        currency="USD",
        total=Money(sum((x.quantity * Decimal("12.34") for x in order_lines), Decimal(0)), "USD"),
        parties=(
            Party(
                PartyRole.BUYER,
                name="Acme Procurement",
                identifier="BUY-7",
                contact=Contact(name="Jane Roe", email="jane@acme.example", phone="+1 555 0100"),
            ),
            Party(PartyRole.BILL_TO, name="Acme Accounts Payable", identifier="AP-1"),
            Party(
                PartyRole.SHIP_TO,
                name="Acme Plant 2",
                identifier="SHIP-2",
                deliver_to=("Receiving dock 4",),
                address=Address(
                    ("100 Industrial Way", "Building C"), "Dayton", "OH", "45402", "US"
                ),
            ),
        ),
        payment_terms=PaymentTerms(
            "Net 45", net_days=45, discount_percent=Decimal("2.00"), discount_days=10
        ),
        shipping_terms="Delivered at place",
        comments=("Deliver between 8:00 and 15:00",),
    )
    return dataclasses.replace(base, **overrides)  # type: ignore[arg-type]
