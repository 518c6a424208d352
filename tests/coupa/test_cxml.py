"""cXML OrderRequest → ReceivedOrder, on the project's samples and the third-party corpus."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from b2b.coupa import parse_order_request
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
from b2b.errors import InvalidDocument, MalformedDocument
from tests.test_xmlsafe import BILLION_LAUGHS

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
NEW = SAMPLES / "cxml" / "order_request_new.xml"
MINIMAL = SAMPLES / "cxml" / "order_request_minimal.xml"
PACIFIC = dt.timezone(dt.timedelta(hours=-7))
VP, VA, BP, MG = (
    ProductIdKind.VENDOR_PART,
    ProductIdKind.VENDOR_AUXILIARY,
    ProductIdKind.BUYER_PART,
    ProductIdKind.MANUFACTURER_PART,
)


def usd(amount: str) -> Money:
    return Money(Decimal(amount), "USD")


def line(
    number: str, quantity: str, uom: str, price: str, description: str, **kw: object
) -> OrderLine:
    return OrderLine(
        line_number=number,
        quantity=Decimal(quantity),
        unit_of_measure=uom,
        unit_price=usd(price),
        description=description,
        **kw,  # type: ignore[arg-type]
    )


EXPECTED_NEW = ReceivedOrder(
    source_format=SourceFormat.CXML,
    document_key="1718036322.48213.7731942@procure.harborview-medical.example",
    recipients=(Credential("DUNS", "123456789"),),
    sender=Credential("NetworkID", "harborview-medical"),
    originators=(Credential("NetworkID", "harborview-medical"),),
    shared_secret="demo-secret",
    order=PurchaseOrder(
        number="HMG-PO-100482",
        order_type=OrderType.NEW,
        version=1,
        order_date=dt.datetime(2024, 6, 10, 9, 18, 40, tzinfo=PACIFIC),
        currency="USD",
        total=usd("666.79"),
        shipping_terms="UPS Ground",
        comments=("Please reference HMG-PO-100482 on all packing slips.",),
        payment_terms=PaymentTerms(net_days=30, discount_percent=Decimal(2), discount_days=10),
        parties=(
            Party(
                role=PartyRole.SHIP_TO,
                name="Harborview Medical Group - Eastside Clinic",
                identifier="HMG-SHIP-02",
                deliver_to=("Central Supply", "Attn: Dana Whitfield"),
                address=Address(
                    street=("4120 Lakeshore Parkway", "Building C, Suite 140"),
                    city="Bellevue",
                    state="WA",
                    postal_code="98004",
                    country="US",
                ),
                contact=Contact(
                    email="receiving@harborview-medical.example", phone="+1 425 5550148"
                ),
            ),
            Party(
                role=PartyRole.BILL_TO,
                name="Harborview Medical Group",
                identifier="HMG-AP-01",
                deliver_to=("Accounts Payable",),
                address=Address(
                    street=("900 Pine Street", "Floor 7"),
                    city="Seattle",
                    state="WA",
                    postal_code="98101",
                    country="US",
                ),
                contact=Contact(email="ap@harborview-medical.example"),
            ),
            Party(
                role=PartyRole.BUYER,
                name="Priya Raman",
                contact=Contact(
                    name="Priya Raman",
                    email="priya.raman@harborview-medical.example",
                    phone="+1 206 5550192 x314",
                ),
            ),
            Party(
                role=PartyRole.END_USER,
                name="Dana Whitfield",
                contact=Contact(
                    name="Dana Whitfield", email="dana.whitfield@harborview-medical.example"
                ),
            ),
        ),
        lines=(
            line(
                "1", "10", "BX", "8.95", "Nitrile exam gloves, medium, box of 100",
                product_ids=((VP, "GLV-NTR-M-100"), (VA, "CASE-10"), (BP, "HMG-000731"),
                             (MG, "MX-4410-M")),
                need_by=dt.date(2024, 6, 17), classification="42132203",
                comments=("Latex-free only.",),
            ),
            line(
                "2", "4", "EA", "42.10", "Stainless steel instrument tray, 12 x 8 in",
                product_ids=((VP, "TRY-SS-1208"),), need_by=dt.date(2024, 6, 17),
                classification="42291613",
            ),
            line(
                "3", "2.5", "HR", "95.00", "Biomedical equipment calibration, on site",
                product_ids=((VP, "SVC-CAL-HR"),), need_by=dt.date(2024, 6, 17),
                classification="81141504",
            ),
            line(
                "4", "1", "EA", "129.99", "Digital thermometer with oral probe",
                product_ids=((VP, "THM-DGT-220"), (MG, "DT-220")),
                need_by=dt.date(2024, 6, 21), classification="42182200",
            ),
            line(
                "5", "12", "BX", "3.45", "Adhesive bandages, assorted sizes, box of 50",
                product_ids=((VP, "BND-AST-50"),), need_by=dt.date(2024, 6, 24),
                classification="42311505", comments=("Partial shipment acceptable.",),
            ),
        ),
    ),
)  # fmt: skip

EXPECTED_MINIMAL = ReceivedOrder(
    source_format=SourceFormat.CXML,
    document_key="1718040007.51102.2291807@procure.harborview-medical.example",
    recipients=(Credential("DUNS", "123456789"),),
    sender=Credential("NetworkID", "harborview-medical"),
    originators=(Credential("NetworkID", "harborview-medical"),),
    shared_secret="demo-secret",
    order=PurchaseOrder(
        number="HMG-PO-100483",
        order_type=OrderType.NEW,
        order_date=dt.datetime(2024, 6, 10, 10, 20, 5, tzinfo=PACIFIC),
        currency="USD",
        total=usd("24.00"),
        parties=(Party(role=PartyRole.BILL_TO, name="Harborview Medical Group"),),
        lines=(
            line(
                "1",
                "3",
                "BX",
                "8.00",
                "Sterile gauze pads 4 x 4 in, box of 25",
                product_ids=((VP, "PAD-STR-4X4"),),
                classification="42311512",
            ),
        ),
    ),
)


@pytest.mark.parametrize(("path", "expected"), [(NEW, EXPECTED_NEW), (MINIMAL, EXPECTED_MINIMAL)])
def test_samples_parse_to_every_value(path: Path, expected: ReceivedOrder) -> None:
    received = parse_order_request(path.read_bytes())

    assert received == expected
    assert received.shared_secret == "demo-secret"


@pytest.mark.parametrize("path", [NEW, MINIMAL], ids=lambda p: p.name)
def test_samples_are_valid_against_the_official_dtd(corpus: Path, path: Path) -> None:
    dtd = etree.DTD(str(corpus / "cxml-dtd" / "1.2.063" / "cXML.dtd"))
    document = etree.parse(str(path), etree.XMLParser(load_dtd=False, no_network=True))

    assert dtd.validate(document), str(dtd.error_log)


# file, payloadID, orderID, line count, first line: SupplierPartID, quantity, unit price
CORPUS_ORDERS = [
    ("cxml/order_request.xml", "1585687161.003309@stg1565utl2.int.coupahost.com", "3309", 2,
     "product:1861", "1", "8.1"),
    ("cxml/purchase_order_request_200.xml", "1452186890.009162@ip-10-7-14-126", "6112", 2,
     "223-4511", "1", "1505.0"),
    ("cxml-php/OrderRequest.xml", "1625586002.193314.7293@dev", "DO1234", 2, "1233244", "10",
     "2.10"),
    ("cxml-php/builder_order_request.xml", "933695160894", "myorder-1", 2, "5555", "3", "763.20"),
    ("cxml-php/handling_order_request.xml", "1737963337.319.1846511.7249@eu-hub", "acme-1-1", 1,
     "QA-ACME-AUTOTEST", "1", "10.00"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "payload_id", "order_id", "count", "part", "quantity", "price"),
    CORPUS_ORDERS,
    ids=[row[0] for row in CORPUS_ORDERS],
)
def test_corpus_order_requests_parse(
    corpus: Path,
    name: str,
    payload_id: str,
    order_id: str,
    count: int,
    part: str,
    quantity: str,
    price: str,
) -> None:
    received = parse_order_request((corpus / name).read_bytes())

    first = received.order.lines[0]
    assert received.document_key == payload_id
    assert received.order.number == order_id
    assert received.order.order_type is OrderType.NEW
    assert len(received.order.lines) == count
    assert first.product_id(VP) == part
    assert first.quantity == Decimal(quantity)
    assert first.unit_price is not None
    assert first.unit_price.amount == Decimal(price)
    assert str(first.unit_price.amount) == price  # exact, as written


def test_coupa_generated_order_keeps_its_details(corpus: Path) -> None:
    received = parse_order_request((corpus / "cxml" / "order_request.xml").read_bytes())

    order = received.order
    ship_to = order.party(PartyRole.SHIP_TO)
    assert received.recipients == (Credential("alksjflkasjdfasdf", "development@officeluv.com"),)
    assert received.shared_secret == "alsdkfjalksdjflaksjdfklj"
    assert order.total == usd("91.71")
    assert ship_to is not None
    assert ship_to.identifier == "21444"
    assert ship_to.deliver_to == ("Venkat",)
    assert ship_to.address == Address(("Main Street",), "New York", "NY", "10018", "US")
    assert order.shipping_terms is None  # <Description/> is empty
    assert order.lines[1].product_id(VA) == "product-requisition:6235"
    assert order.lines[1].quantity == 9


def test_header_delivery_date_is_the_default_for_lines(corpus: Path) -> None:
    body = (corpus / "cxml-php" / "handling_order_request.xml").read_bytes()

    assert parse_order_request(body).order.lines[0].need_by == dt.date(2025, 1, 28)


def variant(old: str, new: str, sample: Path = NEW) -> bytes:
    """The sample with `old` (which must occur) replaced by `new`."""
    text = sample.read_text(encoding="utf-8")
    assert old in text, old
    return text.replace(old, new).encode()


@pytest.mark.parametrize(
    ("old", "new", "reason"),
    [
        (' orderID="HMG-PO-100482"', "", "OrderRequestHeader@orderID is missing"),
        ('payloadID="1718036322.48213.7731942@procure.harborview-medical.example"', "",
         "cXML@payloadID is missing"),
        ('quantity="4"', 'quantity="four"', "ItemOut line 2 @quantity: 'four' is not a number"),
        ('quantity="4"', 'quantity="-4"', "ItemOut line 2 @quantity: '-4' must not be negative"),
        ('quantity="4"', 'quantity="NaN"', "ItemOut line 2 @quantity: 'NaN' is not a number"),
        ('quantity="4"', 'quantity="1_000"', "ItemOut line 2 @quantity: '1_000' is not a number"),
        ('quantity="4"', "", "ItemOut line 2: @quantity is missing"),
        ("<Money currency=\"USD\">42.10</Money>", "<Money currency=\"USD\">42,10</Money>",
         "ItemOut line 2 UnitPrice/Money: '42,10' is not a number"),
        ("<Money currency=\"USD\">42.10</Money>", "<Money>42.10</Money>",
         "ItemOut line 2 UnitPrice/Money@currency is missing"),
        ("<Money currency=\"USD\">666.79</Money>", "<Money currency=\"USD\">Infinity</Money>",
         "OrderRequestHeader/Total/Money: 'Infinity' is not a number"),
        ('type="new"', 'type="replace"',
         "OrderRequestHeader@type: 'replace' is not one of new, update, delete"),
        ('orderVersion="1"', 'orderVersion="v1"',
         "OrderRequestHeader@orderVersion: 'v1' is not a number"),
        ('orderDate="2024-06-10T09:18:40-07:00"', 'orderDate="10/06/2024"',
         "OrderRequestHeader@orderDate: '10/06/2024' is not an ISO 8601 date-time"),
        ('requestedDeliveryDate="2024-06-21"', 'requestedDeliveryDate="soon"',
         "ItemOut line 4 @requestedDeliveryDate: 'soon' is not an ISO 8601 date-time"),
        ("<UnitOfMeasure>HR</UnitOfMeasure>", "",
         "ItemOut line 3: ItemDetail/UnitOfMeasure is missing"),
        ('<DiscountPercent percent="2"/>', '<DiscountPercent percent="two"/>',
         "PaymentTerm/Discount/DiscountPercent@percent: 'two' is not a number"),
        ('<Credential domain="DUNS">', "<Credential>", "Header/To/Credential@domain is missing"),
    ],
)  # fmt: skip
def test_invalid_values_are_named(old: str, new: str, reason: str) -> None:
    with pytest.raises(InvalidDocument) as caught:
        parse_order_request(variant(old, new))

    assert caught.value.reason == reason


def test_an_order_without_lines_is_invalid() -> None:
    text = NEW.read_text(encoding="utf-8")
    body = text[: text.index("<ItemOut")] + "</OrderRequest></Request></cXML>"

    with pytest.raises(InvalidDocument) as caught:
        parse_order_request(body.encode())

    assert caught.value.reason == "OrderRequest has no ItemOut lines"


@pytest.mark.parametrize(
    ("body", "got"),
    [
        (b"<order-header><id>1</id></order-header>", "got order-header"),
        (b"<cXML payloadID='1@h' timestamp='2024-01-01T00:00:00Z'><Response>"
         b"<Status code='200' text='OK'/></Response></cXML>", "got cXML/Response"),
        (b"<cXML payloadID='1@h'><Header/><Request><ProfileRequest/></Request></cXML>",
         "got cXML/Request/ProfileRequest"),
        (b"<cXML payloadID='1@h'><Header/><Message><PunchOutOrderMessage/></Message></cXML>",
         "got cXML/Message/PunchOutOrderMessage"),
    ],
)  # fmt: skip
def test_other_documents_are_refused_by_name(body: bytes, got: str) -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_order_request(body)

    assert caught.value.reason == f"expected cXML OrderRequest, {got}"


def test_malformed_xml_is_refused_with_position() -> None:
    body = variant("</ItemDetail>", "</ItemDetial>")

    with pytest.raises(MalformedDocument) as caught:
        parse_order_request(body)

    assert "ItemDetial" in caught.value.reason
    assert ", line " in caught.value.reason


def test_billion_laughs_is_refused() -> None:
    with pytest.raises(MalformedDocument, match="entity declarations"):
        parse_order_request(BILLION_LAUGHS)


def test_external_entity_is_refused_and_not_read() -> None:
    body = variant(
        '<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.063/cXML.dtd">',
        '<!DOCTYPE cXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>',
    ).replace(b"<Identity>123456789</Identity>", b"<Identity>&x;</Identity>")

    with pytest.raises(MalformedDocument) as caught:
        parse_order_request(body)

    assert "entity declarations" in caught.value.reason
    assert "root:" not in caught.value.reason


def test_dtd_on_loopback_is_not_fetched() -> None:
    body = variant("http://xml.cxml.org/schemas", "http://127.0.0.1:9/schemas")

    assert parse_order_request(body).order.number == "HMG-PO-100482"


@pytest.mark.parametrize(
    ("kind", "expected"), [("update", OrderType.UPDATE), ("delete", OrderType.DELETE)]
)
def test_order_types(kind: str, expected: OrderType) -> None:
    body = variant('type="new" orderVersion="1"', f'type="{kind}" orderVersion="3"')

    order = parse_order_request(body).order

    assert (order.order_type, order.version) == (expected, 3)


def test_shipping_terms_fall_back_to_the_route_then_the_instructions() -> None:
    no_shipping = variant("<Description xml:lang=\"en-US\">UPS Ground</Description>",
                          "<Description xml:lang=\"en-US\"/>")  # fmt: skip
    no_route = no_shipping.replace(b'<Route method="motor"/>', b"")

    assert parse_order_request(no_shipping).order.shipping_terms == "motor"
    assert parse_order_request(no_route).order.shipping_terms == (
        "Receiving dock open weekdays 8am to 4pm"
    )


def test_line_details_cxml_leaves_open() -> None:
    body = (
        variant(
            '<ItemOut quantity="4" lineNumber="2" requestedDeliveryDate="2024-06-17">',
            '<ItemOut quantity="4">',
        )
        .replace(
            b'<Classification domain="UNSPSC">42291613</Classification>',
            b'<Classification domain="custom">TRAYS</Classification>'
            b'<Classification domain="unspsc">42291613</Classification>',
        )
        .replace(
            b"Stainless steel instrument tray, 12 x 8 in</Description>",
            b"\n  Stainless steel\n  instrument tray<ShortName>Tray</ShortName></Description>"
            b'<Description xml:lang="fr">Plateau</Description>',
        )
    )

    second = parse_order_request(body).order.lines[1]

    assert second.line_number == "2"  # its position
    assert second.need_by is None
    assert second.classification == "42291613"
    assert second.description == "Stainless steel instrument tray"


def test_supplier_and_several_recipients() -> None:
    body = variant(
        '<Contact role="buyer">',
        '<Supplier><Name xml:lang="en">Acme Industrial Supply</Name>'
        '<SupplierID domain="DUNS">123456789</SupplierID></Supplier><Contact role="buyer">',
    ).replace(
        b"</To>",
        b'<Credential domain="NetworkID"><Identity>AN01000000001</Identity></Credential></To>',
    )

    received = parse_order_request(body)

    assert received.recipients == (
        Credential("DUNS", "123456789"),
        Credential("NetworkID", "AN01000000001"),
    )
    assert received.order.party(PartyRole.SUPPLIER) == Party(
        role=PartyRole.SUPPLIER, name="Acme Industrial Supply", identifier="123456789"
    )


def test_comments_leave_attachments_out(corpus: Path) -> None:
    order = parse_order_request((corpus / "cxml-php" / "OrderRequest.xml").read_bytes()).order

    assert order.comments == ()  # only an Attachment
    assert order.lines[1].comments == ("Test comment",)
