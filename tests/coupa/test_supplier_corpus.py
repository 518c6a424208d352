"""Every third-party 855, 856 and 810 in ../shared/corpus becomes cXML for Coupa: confirmations
and ship notices valid against the official Fulfill.dtd, invoices with sums that agree (and valid
against InvoiceDetail.dtd when the corpus holds it). Invoices whose amounts do not add up to
their TDS01 are refused, naming the amounts. Skipped, saying so, when the corpus is absent."""

from __future__ import annotations

from pathlib import Path

import pytest
from lxml import etree

from b2b.coupa import (
    OrderReference,
    confirmation_request,
    invoice_detail_request,
    ship_notice_request,
)
from b2b.documents import Invoice, OrderConfirmation, ShipNotice
from b2b.errors import InvalidDocument
from b2b.mapping import BusinessDocument
from tests.conftest import CORPUS
from tests.coupa.test_supplier import CODES, CREDENTIALS, DTD_DIR, NOW, PAYLOAD_ID, read_x12, valid
from tests.coupa.test_supplier_invoice import assert_sums_agree
from tests.mapping.test_inbound_corpus import FILES

# (file, index of the document in it): test data whose lines do not add up to TDS01
NOT_ADDING_UP = {
    ("staedi/simple810.edi", 1): "lines 1851.00 + tax 0",
    ("staedi/invoice810_po850_dual.edi", 1): "lines 1851.00 + tax 0",
    ("bots-plugins/810_1.x12", 0): "= 1320.00, but TDS01 is 12345.79",
    ("EDI.Net/x12.810c.edi", 0): "allowances 41.19 = 370.73, but TDS01 is 411.92",
}


def to_cxml(doc: BusinessDocument) -> bytes:
    common = {
        "codes": CODES,
        "credentials": CREDENTIALS,
        "payload_id": PAYLOAD_ID,
        "timestamp": NOW,
    }
    if isinstance(doc, ShipNotice):
        orders = {po: OrderReference(po) for po in doc.po_numbers}
        return ship_notice_request(doc, orders=orders, **common)  # type: ignore[arg-type]
    order = OrderReference(doc.po_number)
    if isinstance(doc, OrderConfirmation):
        return confirmation_request(doc, order=order, **common)  # type: ignore[arg-type]
    return invoice_detail_request(doc, order=order, **common)  # type: ignore[arg-type]


def cases() -> list[tuple[str, int]]:
    return [(name, index) for name in FILES for index in range(_count(name))]


def _count(name: str) -> int:
    """Documents in the file; an absent corpus still yields one case, which skips."""
    path = CORPUS / name
    return len(read_x12(path)) if path.is_file() else 1


@pytest.mark.parametrize(("name", "index"), cases())
def test_corpus_document_becomes_valid_cxml(corpus: Path, name: str, index: int) -> None:
    doc = read_x12(corpus / name)[index]
    expected_error = NOT_ADDING_UP.get((name, index))
    if expected_error is not None:
        with pytest.raises(InvalidDocument, match="TDS01") as raised:
            to_cxml(doc)
        assert expected_error in str(raised.value)
        return

    body = to_cxml(doc)

    if isinstance(doc, Invoice):
        assert_sums_agree(etree.fromstring(body, etree.XMLParser(load_dtd=False)))
        invoice_dtd = corpus.joinpath(*DTD_DIR, "InvoiceDetail.dtd")
        if invoice_dtd.is_file():
            dtd = etree.DTD(str(invoice_dtd))
            assert valid(dtd, body), str(dtd.error_log)
        return
    dtd = etree.DTD(str(corpus.joinpath(*DTD_DIR, "Fulfill.dtd")))
    assert valid(dtd, body), str(dtd.error_log)
