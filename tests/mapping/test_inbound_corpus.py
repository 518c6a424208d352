"""Every third-party 855, 856 and 810 in ../shared/corpus reads into a document; the values
checked here were read off the files' bytes. Skipped, saying so, when the corpus is absent."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

import pytest

from b2b.documents import (
    AcknowledgmentType,
    AllowanceChargeIndicator,
    EntityRole,
    Invoice,
    LineItemStatus,
    OrderConfirmation,
    ProductIdKind,
    ShipNotice,
)
from b2b.mapping import BusinessDocument, document_summary, read_business_document
from b2b.x12 import read_interchanges

T = TypeVar("T")

FILES = [
    "node-x12/855.edi",
    "node-x12/856.edi",
    "staedi/multi-tx-transaction-type.edi",
    "staedi/simple810.edi",
    "staedi/invoice810_po850_dual.edi",
    "X12Parser/810_Example4_Adobe.txt",
    "X12Parser/855_Example1_Adobe.txt",
    "X12Parser/856_Example1.txt",
    "bots-plugins/810_1.x12",
    "bots-plugins/856_1.x12",
    "EDI.Net/x12.810a.edi",
    "EDI.Net/x12.810b.edi",
    "EDI.Net/x12.810c.edi",
    "EdiEngine/856.Crossdock.OK.edi",
    "bootstrap-archived/855_5010_inbound.edi",
]


def documents(corpus: Path, name: str) -> list[BusinessDocument]:
    """The business documents of every 855, 856 and 810 in the file, in order."""
    return [
        read_business_document(tx, group.version)
        for interchange in read_interchanges((corpus / name).read_bytes())
        for group in interchange.groups
        for tx in group.transactions
        if tx.set_id in {"855", "856", "810"}
    ]


def one(corpus: Path, name: str, kind: type[T]) -> T:
    (doc,) = documents(corpus, name)
    assert isinstance(doc, kind)
    return doc


@pytest.mark.parametrize("name", FILES)
def test_every_file_reads_and_summarises(corpus: Path, name: str) -> None:
    docs = documents(corpus, name)
    assert docs
    for doc in docs:
        summary = document_summary(doc)
        po_numbers = summary["po_numbers"]
        assert isinstance(po_numbers, list)
        assert po_numbers
        assert all(isinstance(n, str) and n for n in po_numbers)


def test_node_x12_855_rejects_two_of_four_lines(corpus: Path) -> None:
    doc = one(corpus, "node-x12/855.edi", OrderConfirmation)
    assert (doc.purpose, doc.acknowledgment_type, doc.po_number) == (
        "00",
        AcknowledgmentType.WITH_DETAIL_NO_CHANGE,
        "POTEST1112",
    )
    assert (doc.po_date, doc.confirmation_date, doc.currency) == (
        dt.date(2020, 10, 15),
        dt.date(2020, 10, 15),
        "USD",
    )
    assert [line.status for line in doc.lines] == ["IA", "IR", "IR", "IA"]
    first = doc.lines[0]
    assert (first.line_number, first.quantity, first.unit_of_measure, first.unit_price) == (
        "1",
        Decimal(3),
        "UN",
        Decimal("4.5"),
    )
    assert first.product_id(ProductIdKind.GTIN) == "9780446360265"
    assert first.description == "DIC WEBSTERS NEW WORLD"
    assert doc.lines[1].acknowledgments[0].quantity == 0
    ship_to = doc.party(EntityRole.SHIP_TO)
    assert ship_to is not None
    assert ship_to.address is not None
    assert ship_to.address.street == (
        "REGULAR EDI ACCOUNT",
        "ATTN ACQ SERVS",
        "7615 DISALLE BOULEVARD",
    )
    assert (ship_to.address.city, ship_to.address.postal_code) == ("FORT WAYNE", "46825")


def test_bootstrap_855_5010(corpus: Path) -> None:
    doc = one(corpus, "bootstrap-archived/855_5010_inbound.edi", OrderConfirmation)
    assert (doc.po_number, doc.po_date, doc.confirmation_date) == (
        "365465413",
        dt.date(2022, 9, 14),
        dt.date(2022, 9, 13),
    )
    assert doc.references == (("CO", "ACME-4567"),)
    assert [(line.line_number, line.status) for line in doc.lines] == [
        ("item-1", LineItemStatus.ACCEPTED),
        ("item-2", LineItemStatus.ACCEPTED),
    ]
    assert doc.lines[0].product_ids == (("VC", "VND1234567"), ("SK", "ACM/8900-400"))
    assert doc.lines[1].acknowledgments[0].quantity == 4
    assert [p.role for p in doc.parties] == ["SE", "ST"]


def test_staedi_855s_without_lines(corpus: Path) -> None:
    docs = documents(corpus, "staedi/multi-tx-transaction-type.edi")
    assert [(d.po_number, d.lines) for d in docs if isinstance(d, OrderConfirmation)] == [
        ("ORDER1", ()),
        ("ORDER2", ()),
    ]


def test_x12parser_855_newline_terminated(corpus: Path) -> None:
    doc = one(corpus, "X12Parser/855_Example1_Adobe.txt", OrderConfirmation)
    assert (doc.po_number, doc.po_date, doc.currency) == ("0132710645", dt.date(2009, 6, 12), "USD")
    (line,) = doc.lines
    assert (line.line_number, line.quantity, line.unit_price, line.status) == (
        "000010",
        Decimal(1),
        Decimal(369),
        None,
    )
    assert line.product_id(ProductIdKind.MANUFACTURER_PART) == "00065008880AD01A00"
    assert [p.role for p in doc.parties] == ["BY", "BT", "PR", "CA", "II", "SE", "ST"]
    ship_to = doc.party("ST")
    assert ship_to is not None
    assert ship_to.contact is not None
    assert ship_to.contact.name == "JOHN DOE"


def test_node_x12_856_version_00406(corpus: Path) -> None:
    doc = one(corpus, "node-x12/856.edi", ShipNotice)
    assert (doc.purpose, doc.shipment_id, doc.notice_date, doc.notice_time) == (
        "14",
        "829716",
        dt.date(2011, 12, 6),
        dt.time(14, 24, 28),
    )
    assert (doc.bill_of_lading, doc.tracking_number, doc.shipped_date) == (
        "999999-001",
        "5787970539",
        dt.date(2011, 12, 6),
    )
    assert (doc.package_count, doc.weight, doc.weight_unit) == (2, Decimal("60.310"), "LB")
    assert doc.po_numbers == ("99999817",)
    assert doc.orders[0].po_date == dt.date(2011, 12, 5)
    assert [(i.line_number, i.quantity, i.unit_of_measure) for i in doc.items] == [
        ("1", Decimal(24), "EA"),
        ("2", Decimal(6), "EA"),
    ]
    assert doc.items[1].product_id(ProductIdKind.UPC) == "999999311746"
    assert {i.po_number for i in doc.items} == {"99999817"}
    assert [p.role for p in doc.parties] == ["SH", "OB", "SF"]


def test_x12parser_856_odd_delimiters(corpus: Path) -> None:
    doc = one(corpus, "X12Parser/856_Example1.txt", ShipNotice)
    assert (doc.shipment_id, doc.shipped_date, doc.delivery_date) == (
        "123456",
        dt.date(2001, 4, 20),
        dt.date(2001, 4, 22),
    )
    assert doc.po_numbers == ("123456",)
    assert [(i.product_id("CB"), i.quantity, i.unit_of_measure) for i in doc.items] == [
        ("1234-123456", Decimal(16), "PC"),
        ("1234-654321", Decimal(23), "LB"),
        ("1234-223456", Decimal(16), "PC"),
    ]
    assert doc.references == (("PK", "012345678901234"),)


def test_bots_856_pick_and_pack(corpus: Path) -> None:
    doc = one(corpus, "bots-plugins/856_1.x12", ShipNotice)
    assert doc.po_numbers == ("ordernumber",)
    assert len(doc.items) == 58
    first, last = doc.items[0], doc.items[-1]
    assert (first.line_number, first.quantity, first.product_id("BP")) == (
        "4",
        Decimal(11),
        "01113481",
    )
    assert first.package_marks == "0000123456781234567892"
    assert (last.line_number, last.quantity, last.package_marks) == (
        "58",
        Decimal(8),
        "0000123456781234567890",
    )
    assert sum(i.quantity for i in doc.items) == 427


def test_ediengine_856_crossdock_two_orders(corpus: Path) -> None:
    doc = one(corpus, "EdiEngine/856.Crossdock.OK.edi", ShipNotice)
    assert doc.po_numbers == ("POREF00", "POREF01")
    assert [i.po_number for i in doc.items] == ["POREF00"] * 4 + ["POREF01"]
    assert doc.items[1].product_id(ProductIdKind.GTIN) == "0000000000831"
    assert doc.items[4].package_marks == "00000715670002152111"
    assert doc.carrier is not None
    assert (doc.carrier.id_qualifier, doc.carrier.identifier, doc.carrier.routing) == (
        "2",
        "OVNT",
        "OVERNITE",
    )
    assert (doc.package_count, doc.packaging_code, doc.weight) == (5, "CTN", Decimal(24))
    buyer = doc.orders[1].parties[0]
    assert (buyer.role, buyer.name, buyer.identifier) == ("BY", "SRTORE", "003")


@pytest.mark.parametrize("name", ["staedi/simple810.edi", "staedi/invoice810_po850_dual.edi"])
def test_staedi_810s(corpus: Path, name: str) -> None:
    first, second = documents(corpus, name)
    assert isinstance(first, Invoice)
    assert isinstance(second, Invoice)
    assert (first.invoice_number, first.invoice_date, first.po_number, first.po_date) == (
        "00001",
        dt.date(1997, 12, 11),
        "A99999-01",
        None,
    )
    assert first.total == Decimal("2554.38")
    assert [line.quantity for line in first.lines] == [16, 13, 32, 51, 9, 85, 1]
    assert first.lines[0].product_id("UA") == "002840022222"
    assert first.lines[0].line_number is None
    assert first.terms[0].discount_percent == Decimal("1.000")
    assert (first.terms[0].discount_days, first.terms[0].net_days) == (15, 16)
    assert first.terms[0].description == "1/15 NET 30"
    remit = first.party(EntityRole.REMITTANCE_RECEIVER)
    assert remit is not None
    assert remit.address is not None
    assert remit.address.postal_code == "723224444"
    assert (second.po_number, len(second.lines)) == ("A99999-04", 2)


def test_x12parser_810_adobe(corpus: Path) -> None:
    doc = one(corpus, "X12Parser/810_Example4_Adobe.txt", Invoice)
    assert (doc.invoice_number, doc.po_number, doc.po_date) == (
        "0013833070",
        "V8748745",
        dt.date(2007, 1, 29),
    )
    assert (doc.transaction_type, doc.purpose, doc.currency) == ("DI", "00", "USD")
    assert doc.total == Decimal("160.00")
    (line,) = doc.lines
    assert (line.quantity, line.unit_price, line.product_id(ProductIdKind.UPC)) == (
        Decimal(1),
        Decimal(160),
        "883919019161",
    )
    assert doc.shipped_date == dt.date(2007, 1, 29)
    assert [t.tax_type for t in doc.taxes] == ["ST"]
    assert ("CO", "121212") in doc.references


def test_bots_810(corpus: Path) -> None:
    doc = one(corpus, "bots-plugins/810_1.x12", Invoice)
    assert (doc.po_number, doc.transaction_type, doc.total) == (
        "ordernumber",
        "DR",
        Decimal("12345.79"),
    )
    (line,) = doc.lines
    assert line.product_ids == (("VN", "X357-W2"), ("BP", "525"))  # the blank pair is skipped
    assert doc.terms[0].discount_percent == Decimal("2.5")
    assert doc.terms[0].discount_days == 30
    bill_to = doc.party(EntityRole.BILL_TO)
    assert bill_to is not None
    assert bill_to.additional_names == ("ACCOUNTS  PAYABLE DEPARTMENT",)


def test_edinet_810a_summary_charges(corpus: Path) -> None:
    doc = one(corpus, "EDI.Net/x12.810a.edi", Invoice)
    assert (doc.invoice_number, doc.po_number, doc.total) == (
        "DO091003TESTINV01",
        "DO091003",
        Decimal("365.96"),
    )
    assert [(c.indicator, c.code, c.amount) for c in doc.charges] == [
        (AllowanceChargeIndicator.CHARGE, "G830", Decimal("6.00")),
        (AllowanceChargeIndicator.CHARGE, "H850", Decimal("0.00")),
    ]
    assert doc.charges[1].description == "no tax"
    assert [t.discount_percent for t in doc.terms] == [10, 5, 0, -5, -10]
    line = doc.lines[0]
    assert [(c.indicator, c.amount, c.percent) for c in line.charges] == [
        (AllowanceChargeIndicator.NO_ALLOWANCE_OR_CHARGE, Decimal("199.98"), Decimal(100)),
        (AllowanceChargeIndicator.CHARGE, Decimal("3.00"), None),
    ]
    assert [p.role for p in doc.parties] == ["SO", "RI"]  # the lines' N1 loops are not the header's


def test_edinet_810b_taxes(corpus: Path) -> None:
    doc = one(corpus, "EDI.Net/x12.810b.edi", Invoice)
    assert [
        (t.tax_type, t.amount, t.percent, t.jurisdiction, t.basis_amount) for t in doc.taxes
    ] == [
        ("ST", Decimal("28.78"), Decimal(8), "CA", Decimal("359.96")),
        ("FD", Decimal("7.18"), Decimal(2), None, Decimal("359.96")),
    ]
    assert [t.amount for t in doc.lines[1].taxes] == [Decimal("12.79"), Decimal("3.19")]
    assert doc.total == Decimal("401.92")


def test_edinet_810c_po_number_from_the_line(corpus: Path) -> None:
    doc = one(corpus, "EDI.Net/x12.810c.edi", Invoice)
    assert doc.po_number == "DO091003"  # BIG04 is blank; the one IT1 names it as a "PO" ID
    assert doc.total == Decimal("411.92")
    (line,) = doc.lines
    assert (line.line_number, line.quantity, line.unit_of_measure) == (None, Decimal(1), "ZZ")
    assert doc.charges[0].indicator is AllowanceChargeIndicator.ALLOWANCE
    assert (doc.charges[0].amount, doc.charges[0].percent) == (Decimal("41.19"), Decimal(10))
