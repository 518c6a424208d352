"""The 810 as a cXML InvoiceDetailRequest: values, sums that agree with TDS01, the shape of
Coupa's own examples, and validity against InvoiceDetail.dtd when the corpus holds it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from b2b.coupa import OrderReference, invoice_detail_request
from b2b.documents import (
    AllowanceCharge,
    AllowanceChargeIndicator,
    Invoice,
    InvoiceLine,
    Tax,
)
from b2b.errors import InvalidDocument, MappingError
from tests.coupa.test_supplier import (
    CODES,
    CREDENTIALS,
    DTD_DIR,
    NOW,
    ORDER,
    PAYLOAD_ID,
    child_tags,
    one,
    root_of,
    same_shape,
    sample,
    valid,
)

SAMPLES = ["acme_810_004010.x12", "globex_810_005010.x12"]
SUMMARY = "Request/InvoiceDetailRequest/InvoiceDetailSummary"


def bill(doc: Invoice, order: OrderReference = ORDER, currency: str | None = None) -> bytes:
    return invoice_detail_request(
        doc,
        order=order,
        codes=CODES,
        credentials=CREDENTIALS,
        payload_id=PAYLOAD_ID,
        timestamp=NOW,
        currency=currency,
    )


def sample_invoice(name: str = "acme_810_004010.x12") -> Invoice:
    doc = sample(name)
    assert isinstance(doc, Invoice)
    return doc


def amount_of(root: etree._Element, path: str) -> Decimal:
    return Decimal(one(root, f"{path}/Money").text or "")


def assert_sums_agree(root: etree._Element) -> None:
    """Subtotal = the lines'; Gross = subtotal + tax + charges; Net = Gross - discount = Due."""
    lines = sum(
        (amount_of(item, "SubtotalAmount") for item in root.iterfind(".//InvoiceDetailItem")),
        Decimal(0),
    )
    summary = one(root, SUMMARY)
    optional = [
        amount_of(summary, tag) if summary.find(tag) is not None else Decimal(0)
        for tag in ("SpecialHandlingAmount", "ShippingAmount", "InvoiceDetailDiscount")
    ]
    special, shipping, discount = optional
    subtotal = amount_of(summary, "SubtotalAmount")
    assert subtotal == lines
    gross = amount_of(summary, "GrossAmount")
    assert gross == subtotal + amount_of(summary, "Tax") + special + shipping
    assert amount_of(summary, "NetAmount") == gross - discount == amount_of(summary, "DueAmount")
    for item in root.iterfind(".//InvoiceDetailItem"):
        price, quantity = amount_of(item, "UnitPrice"), Decimal(item.get("quantity") or "")
        assert amount_of(item, "SubtotalAmount") == (quantity * price).quantize(Decimal("0.01"))


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_810_becomes_an_invoice_detail_request(name: str) -> None:
    body = bill(sample_invoice(name))
    root = root_of(body)

    assert b'"http://xml.cxml.org/schemas/cXML/1.2.063/InvoiceDetail.dtd"' in body.split(b"\n")[1]
    request = one(root, "Request/InvoiceDetailRequest")
    assert child_tags(request) == [
        "InvoiceDetailRequestHeader",
        "InvoiceDetailOrder",
        "InvoiceDetailSummary",
    ]
    header = one(request, "InvoiceDetailRequestHeader")
    assert dict(header.items()) == {
        "invoiceID": "INV-100482-1",
        "purpose": "standard",
        "operation": "new",
        "invoiceDate": "2024-06-14T00:00:00-07:00",
    }
    assert child_tags(header)[:2] == ["InvoiceDetailHeaderIndicator", "InvoiceDetailLineIndicator"]
    partners = [
        (c.get("role"), c.get("addressID")) for c in header.iterfind("InvoicePartner/Contact")
    ]
    assert partners[1] == ("billTo", "HMG-AP-01")
    assert partners[0][0] == "remitTo"
    terms = [
        (t.get("payInNumberOfDays"), t.find("Discount/DiscountPercent"))
        for t in header.iterfind("PaymentTerm")
    ]
    assert [(days, p.get("percent") if p is not None else None) for days, p in terms] == [
        ("10", "2"),
        ("30", None),
    ]
    reference = one(request, "InvoiceDetailOrder/InvoiceDetailOrderInfo/OrderReference")
    assert reference.get("orderID") == "HMG-PO-100482"
    assert one(reference, "DocumentReference").get("payloadID") == ORDER.payload_id
    items = [
        (
            i.get("invoiceLineNumber"),
            i.get("quantity"),
            one(i, "UnitOfMeasure").text,
            one(i, "UnitPrice/Money").text,
            one(i, "InvoiceDetailItemReference").get("lineNumber"),
            one(i, "InvoiceDetailItemReference/ItemID/SupplierPartID").text,
            one(i, "SubtotalAmount/Money").text,
        )
        for i in request.iterfind("InvoiceDetailOrder/InvoiceDetailItem")
    ]
    assert items == [
        ("1", "10", "BX", "8.95", "1", "GLV-NTR-M-100", "89.50"),
        ("2", "10", "BX", "3.45", "5", "BND-AST-50", "34.50"),
    ]
    summary = one(root, SUMMARY)
    assert child_tags(summary) == [
        "SubtotalAmount",
        "Tax",
        "ShippingAmount",
        "GrossAmount",
        "NetAmount",
        "DueAmount",
    ]
    amounts = [one(summary, f"{tag}/Money").text for tag in child_tags(summary)]
    assert amounts == ["124.00", "12.52", "12.50", "149.02", "149.02", "149.02"]
    assert {m.get("currency") for m in root.iter("Money")} == {"USD"}
    detail = one(summary, "Tax/TaxDetail")
    assert (detail.get("category"), detail.get("percentageRate")) == ("sales", "10.1")
    assert one(detail, "TaxLocation").text == "WA"
    assert_sums_agree(root)


@pytest.fixture
def invoice_dtd(corpus: Path) -> etree.DTD:
    """The official InvoiceDetail.dtd, when the corpus holds one (today: cXML and Fulfill only)."""
    path = corpus.joinpath(*DTD_DIR, "InvoiceDetail.dtd")
    if not path.is_file():
        pytest.skip(
            f"no {path}: the corpus has cXML.dtd and Fulfill.dtd only; InvoiceDetailRequest is"
            " checked structurally here (it was validated against InvoiceDetail.mod 1.2.037)"
        )
    return etree.DTD(str(path))


@pytest.mark.parametrize("name", SAMPLES)
def test_sample_810_is_valid_against_invoice_detail_dtd(invoice_dtd: etree.DTD, name: str) -> None:
    assert valid(invoice_dtd, bill(sample_invoice(name))), str(invoice_dtd.error_log)


@pytest.mark.parametrize(
    "example", ["invoice_taxes_at_line.xml", "invoice_backed_by_multiple_pos.xml"]
)
def test_invoice_has_the_shape_of_coupas_examples(corpus: Path, example: str) -> None:
    theirs = etree.parse(
        str(corpus / "cxml" / example), etree.XMLParser(load_dtd=False, no_network=True)
    ).getroot()

    assert same_shape(root_of(bill(sample_invoice())), theirs) == []


def invoice(*lines: InvoiceLine, total: str, **kwargs: Any) -> Invoice:
    return Invoice(
        invoice_number="INV-9",
        invoice_date=dt.date(2024, 6, 14),
        po_number="PO-9",
        total=Decimal(total),
        lines=lines,
        **kwargs,
    )


def item(quantity: str, price: str, number: str | None = "1", **kwargs: Any) -> InvoiceLine:
    return InvoiceLine(number, Decimal(quantity), "EA", Decimal(price), **kwargs)


def charge(indicator: str, code: str, amount: str) -> AllowanceCharge:
    return AllowanceCharge(AllowanceChargeIndicator(indicator), code, Decimal(amount))


def test_allowances_and_other_charges_make_discount_and_special_handling() -> None:
    doc = invoice(
        item("3", "10.005"),
        total="28.02",  # 30.02 + 3.00 handling + 5.00 freight - 10.00 allowance
        charges=(
            charge("C", "H090", "3.00"),
            charge("C", "D240", "5.00"),
            charge("A", "C310", "10.00"),
            charge("N", "B840", "99.00"),
        ),
    )

    root = root_of(bill(doc, OrderReference("PO-9"), currency="EUR"))

    summary = one(root, SUMMARY)
    assert [(t, one(summary, f"{t}/Money").text) for t in child_tags(summary)] == [
        ("SubtotalAmount", "30.02"),
        ("Tax", "0.00"),
        ("SpecialHandlingAmount", "3.00"),
        ("ShippingAmount", "5.00"),
        ("GrossAmount", "38.02"),
        ("InvoiceDetailDiscount", "10.00"),
        ("NetAmount", "28.02"),
        ("DueAmount", "28.02"),
    ]
    assert {m.get("currency") for m in root.iter("Money")} == {"EUR"}
    assert_sums_agree(root)


def test_line_taxes_are_on_the_lines_and_add_up_in_the_summary() -> None:
    tax = Tax("VA", Decimal("2.00"), Decimal("20"))
    doc = invoice(item("1", "10", taxes=(tax,)), item("2", "0.5", "2"), total="13.00")

    root = root_of(bill(doc))

    assert one(root, ".//InvoiceDetailLineIndicator").get("isTaxInLine") == "yes"
    line_tax = one(root, ".//InvoiceDetailItem[@invoiceLineNumber='1']/Tax")
    assert (one(line_tax, "Money").text, one(line_tax, "TaxDetail").get("category")) == (
        "2.00",
        "vat",
    )
    assert one(root, f"{SUMMARY}/Tax/Money").text == "2.00"
    assert_sums_agree(root)


def test_a_tax_charge_stands_in_for_a_missing_txi() -> None:
    doc = invoice(item("1", "10"), total="10.80", charges=(charge("C", "H850", "0.80"),))

    summary = one(root_of(bill(doc)), SUMMARY)

    assert one(summary, "Tax/Money").text == "0.80"
    assert summary.find("SpecialHandlingAmount") is None


def test_amounts_that_do_not_add_up_to_tds01_are_refused() -> None:
    doc = invoice(item("2", "5"), total="11.00")

    with pytest.raises(InvalidDocument, match=r"INV-9: lines 10\.00 .* = 10\.00, but TDS01 is 11"):
        bill(doc)


def test_credit_memos_and_invoices_without_lines_are_not_sent() -> None:
    with pytest.raises(MappingError, match="credit"):
        bill(invoice(item("1", "5"), total="5", transaction_type="CR"))
    with pytest.raises(MappingError, match="no IT1 lines"):
        bill(invoice(total="5"))
    with pytest.raises(InvalidDocument, match="no unit price"):
        bill(invoice(InvoiceLine("1", Decimal(1), "EA"), total="5"))
