"""Supplier documents back to Coupa: the 855 as a ConfirmationRequest, valid against the official
Fulfill.dtd; and the helpers the other supplier tests share (ship notice, invoice, corpus)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from b2b.coupa import (
    CxmlCodes,
    CxmlCredentials,
    OrderReference,
    UnitTranslation,
    confirmation_request,
    parse_order_request,
)
from b2b.documents import (
    AcknowledgmentType,
    ConfirmationLine,
    LineAcknowledgment,
    LineItemStatus,
    OrderConfirmation,
)
from b2b.mapping import BusinessDocument, read_business_document
from b2b.x12 import read_interchanges

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "x12"
PACIFIC = dt.timezone(dt.timedelta(hours=-7))
NOW = dt.datetime(2024, 6, 14, 9, 30, tzinfo=PACIFIC)
PAYLOAD_ID = "1718382600.4242.0a1b2c3d4e5f6071@b2b.example"
CREDENTIALS = CxmlCredentials(
    from_domain="DUNS",
    from_identity="123456789",
    to_domain="NetworkID",
    to_identity="harborview-medical",
    sender_domain="DUNS",
    sender_identity="123456789",
    shared_secret="demo-secret",
    user_agent="b2b gateway",
)
_RECEIVED = parse_order_request((ROOT / "samples" / "cxml" / "order_request_new.xml").read_bytes())
ORDER = OrderReference(_RECEIVED.order.number, _RECEIVED.order.order_date, _RECEIVED.document_key)
DTD_DIR = ("cxml-dtd", "1.2.063")
CODES = CxmlCodes.load(ROOT / "maps" / "cxml" / "codes.toml")


def read_x12(path: Path) -> list[BusinessDocument]:
    """Every 855, 856 and 810 in the file, as canonical documents."""
    return [
        read_business_document(transaction, group.version)
        for interchange in read_interchanges(path.read_bytes())
        for group in interchange.groups
        for transaction in group.transactions
        if transaction.set_id in {"855", "856", "810"}
    ]


def sample(name: str) -> BusinessDocument:
    (doc,) = read_x12(SAMPLES / name)
    return doc


def root_of(body: bytes) -> etree._Element:
    """The parsed document; the DOCTYPE is kept but never fetched."""
    return etree.fromstring(body, etree.XMLParser(load_dtd=False, no_network=True))


def valid(dtd: etree.DTD, body: bytes) -> bool:
    return bool(dtd.validate(root_of(body)))


def one(root: etree._Element, path: str) -> etree._Element:
    (found,) = root.iterfind(path)
    return found


def child_tags(element: etree._Element) -> list[str]:
    return [str(child.tag) for child in element]


def child_orders(root: etree._Element) -> dict[str, list[str]]:
    """For each tag, the order in which child tags first appear under its elements."""
    orders: dict[str, list[str]] = {}
    for element in root.iter():
        seen = orders.setdefault(str(element.tag), [])
        for tag in child_tags(element):
            if tag not in seen:
                seen.append(tag)
    return orders


def same_shape(ours: etree._Element, theirs: etree._Element) -> list[str]:
    """Tags whose children, where both documents have them, come in a different order."""
    mine, other = child_orders(ours), child_orders(theirs)
    differ = []
    for tag in mine.keys() & other.keys():
        common = set(mine[tag]) & set(other[tag])
        if [t for t in mine[tag] if t in common] != [t for t in other[tag] if t in common]:
            differ.append(tag)
    return sorted(differ)


@pytest.fixture
def fulfill_dtd(corpus: Path) -> etree.DTD:
    """The official Fulfill.dtd: ConfirmationRequest and ShipNoticeRequest."""
    return etree.DTD(str(corpus.joinpath(*DTD_DIR, "Fulfill.dtd")))


def confirm(
    doc: OrderConfirmation,
    order: OrderReference = ORDER,
    *,
    codes: CxmlCodes = CODES,
    units: UnitTranslation | None = None,
) -> etree._Element:
    body = confirmation_request(
        doc,
        order=order,
        codes=codes,
        credentials=CREDENTIALS,
        payload_id=PAYLOAD_ID,
        timestamp=NOW,
        units=units,
    )
    return root_of(body)


def statuses(root: etree._Element) -> list[tuple[str | None, ...]]:
    """(lineNumber, item quantity, type, status quantity, shipmentDate, deliveryDate) per status."""
    return [
        (
            item.get("lineNumber"),
            item.get("quantity"),
            status.get("type"),
            status.get("quantity"),
            status.get("shipmentDate"),
            status.get("deliveryDate"),
        )
        for item in root.iterfind(".//ConfirmationItem")
        for status in item.iterfind("ConfirmationStatus")
    ]


def answer(*lines: ConfirmationLine, ack: str = "AC") -> OrderConfirmation:
    return OrderConfirmation(
        purpose="00",
        acknowledgment_type=AcknowledgmentType(ack),
        po_number="HMG-PO-100482",
        po_date=dt.date(2024, 6, 10),
        lines=lines,
    )


def line(number: str | None, quantity: str, *acks: LineAcknowledgment) -> ConfirmationLine:
    return ConfirmationLine(number, Decimal(quantity), "EA", Decimal("9.5"), acknowledgments=acks)


def ack(status: str, quantity: str | None = None, **kwargs: Any) -> LineAcknowledgment:
    amount = None if quantity is None else Decimal(quantity)
    return LineAcknowledgment(LineItemStatus(status), amount, **kwargs)


@pytest.mark.parametrize("name", ["acme_855_004010.x12", "globex_855_005010.x12"])
def test_sample_855_becomes_a_detail_confirmation(name: str) -> None:
    doc = sample(name)
    assert isinstance(doc, OrderConfirmation)

    root = confirm(doc)

    header = one(root, "Request/ConfirmationRequest/ConfirmationHeader")
    assert (header.get("type"), header.get("confirmID"), header.get("noticeDate")) == (
        "detail",
        "ACK-100482-1",
        "2024-06-11T00:00:00-07:00",
    )
    reference = one(root, "Request/ConfirmationRequest/OrderReference")
    assert (reference.get("orderID"), reference.get("orderDate")) == (
        "HMG-PO-100482",
        "2024-06-10T09:18:40-07:00",
    )
    assert one(reference, "DocumentReference").get("payloadID") == (
        "1718036322.48213.7731942@procure.harborview-medical.example"
    )
    ship, deliver = "2024-06-13T00:00:00-07:00", "2024-06-17T00:00:00-07:00"
    assert statuses(root) == [
        ("1", "10", "accept", "10", ship, None),
        ("2", "4", "backordered", "4", "2024-06-28T00:00:00-07:00", None),
        ("3", "2.5", "accept", "2.5", None, deliver),
        ("4", "1", "reject", "1", None, None),
        ("5", "12", "accept", "10", ship, None),
        ("5", "12", "backordered", "2", "2024-07-01T00:00:00-07:00", None),
    ]
    units = [u.text for u in root.iterfind(".//ConfirmationItem/UnitOfMeasure")]
    assert units == ["BX", "EA", "HR", "EA", "BX"]


@pytest.mark.parametrize("name", ["acme_855_004010.x12", "globex_855_005010.x12"])
def test_sample_855_is_valid_against_fulfill_dtd(fulfill_dtd: etree.DTD, name: str) -> None:
    doc = sample(name)
    assert isinstance(doc, OrderConfirmation)
    body = confirmation_request(
        doc, order=ORDER, codes=CODES, credentials=CREDENTIALS, payload_id=PAYLOAD_ID, timestamp=NOW
    )

    assert valid(fulfill_dtd, body), str(fulfill_dtd.error_log)


def test_envelope_carries_the_supplier_credentials_and_the_fulfill_doctype() -> None:
    doc = sample("acme_855_004010.x12")
    assert isinstance(doc, OrderConfirmation)
    body = confirmation_request(
        doc, order=ORDER, codes=CODES, credentials=CREDENTIALS, payload_id=PAYLOAD_ID, timestamp=NOW
    )
    root = root_of(body)

    assert body.startswith(
        b'<?xml version="1.0" encoding="UTF-8"?>\n'
        b'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.063/Fulfill.dtd">\n<cXML '
    )
    assert (root.get("payloadID"), root.get("timestamp")) == (
        PAYLOAD_ID,
        "2024-06-14T09:30:00-07:00",
    )
    assert child_tags(one(root, "Header")) == ["From", "To", "Sender"]
    assert one(root, "Header/From/Credential").get("domain") == "DUNS"
    assert one(root, "Header/To/Credential/Identity").text == "harborview-medical"
    assert one(root, "Header/Sender/Credential/SharedSecret").text == "demo-secret"
    assert one(root, "Header/Sender/UserAgent").text == "b2b gateway"
    assert "demo-secret" not in repr(CREDENTIALS)


def test_all_accepted_lines_make_an_accept() -> None:
    root = confirm(answer(line("1", "3", ack("IA", "3")), line("2", "1", ack("IA", "1"))))

    assert one(root, ".//ConfirmationHeader").get("type") == "accept"
    assert [s[2] for s in statuses(root)] == ["accept", "accept"]


def test_all_backordered_lines_make_a_backordered() -> None:
    root = confirm(answer(line("1", "3", ack("IB", "3"))))

    assert one(root, ".//ConfirmationHeader").get("type") == "backordered"


def test_a_rejected_order_lists_no_items() -> None:
    every_line = confirm(answer(line("1", "2", ack("IR", "2")), line("2", "1", ack("R2", "1"))))
    no_lines = confirm(answer(ack="RJ"))

    for root in (every_line, no_lines):
        assert one(root, ".//ConfirmationHeader").get("type") == "reject"
        assert root.find(".//ConfirmationItem") is None


def test_an_855_without_lines_accepts_the_order() -> None:
    root = confirm(answer(ack="AK"))

    assert one(root, ".//ConfirmationHeader").get("type") == "accept"
    assert root.find(".//ConfirmationItem") is None


def test_a_rejected_line_with_quantity_zero_rejects_the_line() -> None:
    root = confirm(answer(line("1", "3", ack("IA", "3")), line("2", "2", ack("IR", "0"))))

    assert [(s[0], s[1], s[2], s[3]) for s in statuses(root)] == [
        ("1", "3", "accept", "3"),
        ("2", "2", "reject", "2"),
    ]


def test_quantities_left_over_are_unknown_and_a_missing_ack_quantity_takes_the_rest() -> None:
    root = confirm(
        answer(line("1", "10", ack("IA", "6")), line("2", "10", ack("IB", "4"), ack("IA")))
    )

    assert [(s[0], s[2], s[3]) for s in statuses(root)] == [
        ("1", "accept", "6"),
        ("1", "unknown", "4"),
        ("2", "backordered", "4"),
        ("2", "accept", "6"),
    ]
    assert one(root, ".//ConfirmationHeader").get("type") == "detail"


def test_price_change_is_a_detail_with_the_new_price_and_a_comment() -> None:
    doc = answer(line("1", "2", ack("IP", "2")))
    root = confirm(doc)

    status = one(root, ".//ConfirmationStatus")
    assert (status.get("type"), one(status, "UnitPrice/Money").text) == ("detail", "9.50")
    assert one(status, "UnitPrice/Money").get("currency") == "USD"
    assert one(status, "Comments").text == "Price changed (ACK01 IP)"


def test_rescheduled_delivery_is_a_detail_and_a_hold_is_unknown() -> None:
    rescheduled = ack("DR", "2", date_qualifier="067", scheduled_date=dt.date(2024, 7, 2))
    root = confirm(answer(line("1", "2", rescheduled), line("2", "1", ack("IH", "1"))))

    assert [(s[2], s[5]) for s in statuses(root)] == [
        ("detail", "2024-07-02T00:00:00-07:00"),
        ("unknown", None),
    ]


def test_a_line_without_ack_follows_the_header_and_line_numbers_are_uints() -> None:
    root = confirm(answer(line("000010", "1"), line("item-2", "4", ack("IA", "4")), ack="AD"))

    assert [(s[0], s[2]) for s in statuses(root)] == [("10", "accept"), ("2", "accept")]


def test_text_is_escaped_and_characters_xml_cannot_carry_are_replaced() -> None:
    doc = OrderConfirmation("00", AcknowledgmentType.ACCEPTED, 'PO <&> "1"', dt.date(2024, 6, 10))
    order = OrderReference('PO <&> "1"')
    body = confirmation_request(
        doc, order=order, codes=CODES, credentials=CREDENTIALS, payload_id="a\x00b", timestamp=NOW
    )

    root = root_of(body)
    assert one(root, ".//OrderReference").get("orderID") == 'PO <&> "1"'
    assert root.get("payloadID") == "a\ufffdb"


def test_unknown_payload_id_falls_back_to_the_order_number() -> None:
    root = confirm(answer(), OrderReference("HMG-PO-100482", dt.datetime(2024, 6, 10)))

    reference = one(root, ".//OrderReference")
    assert reference.get("orderDate") is None  # no time zone: left out
    assert one(reference, "DocumentReference").get("payloadID") == "HMG-PO-100482"


def test_a_timestamp_without_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="time zone"):
        confirmation_request(
            answer(),
            order=ORDER,
            codes=CODES,
            credentials=CREDENTIALS,
            payload_id=PAYLOAD_ID,
            timestamp=dt.datetime(2024, 6, 14, 9, 30),
        )
