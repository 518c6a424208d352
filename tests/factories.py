"""Small builders of canonical documents for tests that are not about parsing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from b2b.documents import (
    Credential,
    Money,
    OrderLine,
    OrderType,
    ProductIdKind,
    PurchaseOrder,
    ReceivedOrder,
    SourceFormat,
)
from b2b.store import Acceptance


def purchase_order(number: str = "4711", lines: int = 2) -> PurchaseOrder:
    return PurchaseOrder(
        number=number,
        order_type=OrderType.NEW,
        order_date=dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC),
        currency="USD",
        lines=tuple(
            OrderLine(
                line_number=str(i),
                quantity=Decimal(i),
                unit_of_measure="EA",
                unit_price=Money(Decimal("9.99"), "USD"),
                description=f"Widget {i}",
                product_ids=((ProductIdKind.VENDOR_PART, f"W-{i}"),),
            )
            for i in range(1, lines + 1)
        ),
    )


def received(number: str = "4711", key: str | None = None) -> ReceivedOrder:
    return ReceivedOrder(
        source_format=SourceFormat.CXML,
        document_key=key or f"payload-{number}@test",
        order=purchase_order(number),
        recipients=(Credential("DUNS", "123456789"),),
    )


def acceptance(
    number: str = "4711",
    key: str | None = None,
    answer: bytes = b"OK",
    at: dt.datetime | None = None,
) -> Acceptance:
    return Acceptance(
        received=received(number, key),
        partner_id="acme",
        transaction_set="850",
        raw=f"<cXML>{number}</cXML>".encode(),
        response_status=200,
        response_body=answer,
        received_at=at or dt.datetime.now(dt.UTC),
    )
