"""Coupa order-header XML → ReceivedOrder, on the project's sample and Coupa's documentation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from b2b.coupa import parse_order_headers
from b2b.documents import (
    Address,
    Contact,
    Credential,
    Money,
    OrderLine,
    OrderType,
    Party,
    PartyRole,
    PaymentTerms,
    ProductIdKind,
    PurchaseOrder,
    ReceivedOrder,
    SourceFormat,
)
from b2b.errors import InputError, InvalidDocument, MalformedDocument
from b2b.partners.registry import SUPPLIER_NUMBER_DOMAIN

SAMPLE = Path(__file__).resolve().parents[2] / "samples" / "coupa" / "order_header.xml"
DOCS = "coupa-compass-integration-docs"
PACIFIC = dt.timezone(dt.timedelta(hours=-7))
ADDRESS_US = {"country": "US", "state": "CA"}


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


EXPECTED_SAMPLE = ReceivedOrder(
    source_format=SourceFormat.COUPA_XML,
    document_key="7301:v1",
    recipients=(Credential(SUPPLIER_NUMBER_DOMAIN, "ACME-001"),),
    order=PurchaseOrder(
        number="7301",
        order_type=OrderType.NEW,
        version=1,
        order_date=dt.datetime(2024, 6, 11, 14, 5, 12, tzinfo=PACIFIC),
        currency="USD",
        total=usd("1857.00"),
        shipping_terms="FOB Origin",
        payment_terms=PaymentTerms(
            description="2/10 Net 30",
            net_days=30,
            discount_percent=Decimal("2.0"),
            discount_days=10,
        ),
        parties=(
            Party(
                role=PartyRole.SHIP_TO,
                name="Larkspur Foods Distribution Center",
                identifier="52",
                deliver_to=("Receiving - Dock 3",),
                address=Address(
                    street=("2250 Harbor Industrial Way", "Building 4"),
                    city="Sacramento",
                    postal_code="95815",
                    **ADDRESS_US,
                ),
                contact=Contact(name="Tessa Nguyen", email="receiving.sac@larkspur-foods.example"),
            ),
            Party(
                role=PartyRole.SUPPLIER,
                name="Acme Industrial Supply",
                identifier="ACME-001",
                address=Address(
                    street=("77 Foundry Road",), city="Stockton", postal_code="95206", **ADDRESS_US
                ),
                contact=Contact(
                    name="Helen Brandt",
                    email="orders@acme-industrial.example",
                    phone="+1 916 5550173",
                ),
            ),
            Party(
                role=PartyRole.END_USER,
                name="Marcus Ortega",
                contact=Contact(name="Marcus Ortega", email="marcus.ortega@larkspur-foods.example"),
            ),
        ),
        lines=(
            OrderLine(
                line_number="1",
                quantity=Decimal("6.0"),
                unit_of_measure="EA",
                unit_price=usd("189.50"),
                description="Stainless steel wire shelving unit, 48 x 18 x 72 in",
                product_ids=(
                    (ProductIdKind.VENDOR_PART, "SHL-4818-72"),
                    (ProductIdKind.VENDOR_AUXILIARY, "KIT-5TIER"),
                    (ProductIdKind.MANUFACTURER_PART, "WS-481872-SS"),
                    (ProductIdKind.BUYER_PART, "LF-SHELF-48"),
                ),
                need_by=dt.date(2024, 6, 20),
            ),
            OrderLine(
                line_number="2",
                quantity=Decimal(24),
                unit_of_measure="CS",
                unit_price=usd("11.25"),
                description="Food-grade lubricant spray, 16 oz",
                product_ids=((ProductIdKind.VENDOR_PART, "LUB-FG-16"),),
                need_by=dt.date(2024, 6, 20),
            ),
            OrderLine(
                line_number="3",
                quantity=Decimal(1),
                unit_of_measure="EA",
                unit_price=usd("450.00"),
                description="On-site installation of shelving units",
                need_by=dt.date(2024, 6, 24),
            ),
        ),
    ),
)


def test_sample_parses_to_every_value() -> None:
    assert parse_order_headers(SAMPLE.read_bytes()) == (EXPECTED_SAMPLE,)


def test_documented_purchase_order_parses(corpus: Path) -> None:
    (received,) = parse_order_headers((corpus / DOCS / "po_example_block11.xml").read_bytes())

    order = received.order
    (line,) = order.lines
    ship_to, supplier, end_user = order.parties
    assert received.document_key == "2400:v1"
    assert received.recipients == (Credential(SUPPLIER_NUMBER_DOMAIN, "28"),)
    assert (order.number, order.order_type, order.version) == ("2400", OrderType.NEW, 1)
    pst = dt.timezone(dt.timedelta(hours=-8))
    assert order.order_date == dt.datetime(2010, 12, 21, 12, 8, 43, tzinfo=pst)
    assert (order.currency, order.total) == ("USD", usd("500.00"))
    assert order.payment_terms == PaymentTerms(description="Net 45")
    assert order.shipping_terms == "UPS -Ground"
    # an OrderAmountLine: no quantity in Coupa, so quantity 1 at the line's price
    assert (line.line_number, line.quantity, line.unit_of_measure) == ("1", Decimal(1), "EA")
    assert line.unit_price == usd("500.00")
    assert line.description == "legal services for Q4"
    assert line.need_by == dt.date(2010, 12, 24)
    assert line.product_ids == ()  # <source-part-num /> and <supp-aux-part-num /> are empty
    assert ship_to == Party(
        role=PartyRole.SHIP_TO,
        identifier="1",  # <name nil="true" />, <attention />: absent
        address=Address(("250 Sycamore Avenue",), "Redwood City", "CA", "94029", "US"),
        contact=Contact(name="Coupa Support", email="upgrade90@coupa.com"),
    )
    assert supplier.name == "ABS Services 1"
    assert supplier.identifier == "28"
    assert supplier.contact == Contact(name="Paul Rodriguez", email="ben.mlynash@coupa.com")
    assert end_user.role is PartyRole.END_USER  # the requisition's requester
    assert end_user.name == "Coupa Support"


MISSING_ID = "order-header/id is missing"
# Coupa API request bodies (partial updates, _cancel, _close): each parses or names what is missing
API_BODIES = [
    ("po_example_block12.xml", InvalidDocument, MISSING_ID),
    ("po_example_block13.xml", InvalidDocument, MISSING_ID),
    ("po_example_block14.xml", InvalidDocument, MISSING_ID),
    ("po_example_block15.xml", InvalidDocument, MISSING_ID),
    ("po_example_block16.xml", InvalidDocument, MISSING_ID),
    ("po_api_block01.xml", InvalidDocument, MISSING_ID),
    ("po_api_block02.xml", InvalidDocument, MISSING_ID),
    ("po_api_block03.xml", InvalidDocument, MISSING_ID),
    ("po_change_block01.xml", MalformedDocument,
     "expected Coupa order-header or order-headers, got order-header-change"),
    ("po_revision_block03.xml", MalformedDocument,
     "expected Coupa order-header or order-headers, got order-header-revision"),
    ("po_change_block05.xml", MalformedDocument,
     "expected Coupa order-header or order-headers, got errors"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "error", "reason"), API_BODIES, ids=[row[0] for row in API_BODIES]
)
def test_documented_request_bodies_are_refused_by_what_they_lack(
    corpus: Path, name: str, error: type[InputError], reason: str
) -> None:
    with pytest.raises(error) as caught:
        parse_order_headers((corpus / DOCS / name).read_bytes())

    assert caught.value.reason == reason


def test_documented_line_creation_body_with_an_id_parses(corpus: Path) -> None:
    (received,) = parse_order_headers((corpus / DOCS / "po_example_block17.xml").read_bytes())

    (line,) = received.order.lines
    assert received.document_key == "4552:v1"
    assert received.recipients == ()  # no supplier: routing will say so
    assert (line.line_number, line.quantity, line.unit_of_measure) == ("1", Decimal(2), "EA")
    assert str(line.quantity) == "2.000000"
    assert line.unit_price == usd("20.00")
    assert line.need_by == dt.date(2015, 2, 5)


def variant(old: str, new: str) -> bytes:
    """The sample with `old` (which must occur) replaced by `new`."""
    text = SAMPLE.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new).encode()


def parse_one(body: bytes) -> ReceivedOrder:
    (received,) = parse_order_headers(body)
    return received


def test_an_array_gives_one_order_each() -> None:
    one = SAMPLE.read_text(encoding="utf-8").split("\n", 1)[1]
    two = one.replace('<id type="integer">7301</id>', '<id type="integer">7302</id>')
    two = two.replace("<po-number>7301</po-number>", "")
    body = f'<order-headers type="array">{one}{two}</order-headers>'.encode()

    received = parse_order_headers(body)

    assert [r.document_key for r in received] == ["7301:v1", "7302:v1"]
    assert [r.order.number for r in received] == ["7301", "7302"]


@pytest.mark.parametrize(
    ("version", "status", "key", "order_type"),
    [
        ('<version type="integer">2</version>', "issued", "7301:v2", OrderType.UPDATE),
        ('<version type="integer" nil="true" />', "issued", "7301:v1", OrderType.NEW),
        ("", "issued", "7301:v1", OrderType.NEW),
        ('<version type="integer">3</version>', "cancelled", "7301:v3:cancelled", OrderType.DELETE),
        ('<version type="integer">1</version>', "closed", "7301:v1:closed", OrderType.DELETE),
    ],
)
def test_version_and_status_decide_key_and_type(
    version: str, status: str, key: str, order_type: OrderType
) -> None:
    body = variant('<version type="integer">1</version>', version)
    body = body.replace(b"<status>issued</status>", f"<status>{status}</status>".encode())

    received = parse_one(body)

    assert (received.document_key, received.order.order_type) == (key, order_type)


def test_po_number_is_preferred_to_the_id() -> None:
    received = parse_one(variant("<po-number>7301</po-number>", "<po-number>LF-7301</po-number>"))

    assert (received.document_key, received.order.number) == ("7301:v1", "LF-7301")


def test_amount_line_takes_the_total_when_there_is_no_price() -> None:
    body = variant(
        '<price type="decimal">450.00</price>\n      <total type="decimal">450.00</total>',
        '<price type="decimal" nil="true" />\n      <total type="decimal">475.50</total>',
    )
    body = body.replace(
        b"<type>OrderAmountLine</type>", b"<type>OrderAmountLine</type><uom><code>LO</code></uom>"
    )

    line = parse_one(body).order.lines[2]

    assert (line.quantity, line.unit_of_measure, line.unit_price) == (
        Decimal(1),
        "LO",
        usd("475.50"),
    )


def test_line_currency_falls_back_to_the_header() -> None:
    line_currency = "<currency>\n        <code>USD</code>\n      </currency>\n      <uom>"
    body = variant(line_currency + "\n        <code>CS</code>", "<uom><code>CS</code>")

    assert parse_one(body).order.lines[1].unit_price == usd("11.25")


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        ('<id type="integer">7301</id>', '<id type="integer" nil="true" />', MISSING_ID),
        ('<quantity type="decimal">24</quantity>', '<quantity type="decimal" />',
         "order-header 7301 order-line 2: quantity is missing"),
        ('<quantity type="decimal">24</quantity>', '<quantity type="decimal">two dozen</quantity>',
         "order-header 7301 order-line 2: quantity: 'two dozen' is not a number"),
        ('<price type="decimal">11.25</price>', '<price type="decimal">$11.25</price>',
         "order-header 7301 order-line 2: price: '$11.25' is not a number"),
        ("<code>CS</code>", "<code />", "order-header 7301 order-line 2: uom/code is missing"),
        ('<version type="integer">1</version>', '<version type="integer">one</version>',
         "order-header 7301: version: 'one' is not a number"),
        ('<need-by-date type="dateTime">2024-06-24T00:00:00-07:00</need-by-date>',
         "<need-by-date>next week</need-by-date>",
         "order-header 7301 order-line 3: need-by-date: 'next week' is not an ISO 8601 date-time"),
        ('<days-for-net-payment type="integer">30</days-for-net-payment>',
         '<days-for-net-payment type="integer">30.5</days-for-net-payment>',
         "order-header 7301: payment-term/days-for-net-payment: '30.5' is not a whole number"),
    ],
)  # fmt: skip
def test_invalid_values_are_named(old: str, new: str, reason: str) -> None:
    with pytest.raises(InvalidDocument) as caught:
        parse_order_headers(variant(old, new))

    assert caught.value.reason == reason


def test_a_price_without_any_currency_is_invalid() -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    body = text.replace("<code>USD</code>", "").encode()

    with pytest.raises(InvalidDocument) as caught:
        parse_order_headers(body)

    assert caught.value.reason == "order-header 7301 order-line 1: currency/code is missing"


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<order-header><id>9</id></order-header>",
         "order-header 9 has no order-lines/order-line"),
        (b"<order-header><id>9</id><order-lines type='array'/></order-header>",
         "order-header 9 has no order-lines/order-line"),
        (b"<order-headers type='array'/>", "order-headers has no order-header"),
    ],
)  # fmt: skip
def test_orders_without_lines_are_invalid(body: bytes, reason: str) -> None:
    with pytest.raises(InvalidDocument) as caught:
        parse_order_headers(body)

    assert caught.value.reason == reason


def test_wrong_root_is_malformed_and_named() -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_order_headers(b"<cXML payloadID='1@h'/>")

    assert caught.value.reason == "expected Coupa order-header or order-headers, got cXML"


def test_without_a_supplier_number_there_is_no_recipient() -> None:
    body = variant("<number>ACME-001</number>", '<number nil="true" />')

    received = parse_one(body)

    supplier = received.order.party(PartyRole.SUPPLIER)
    assert received.recipients == ()
    assert supplier is not None
    assert supplier.identifier is None
