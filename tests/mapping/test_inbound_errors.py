"""Broken copies of our samples: InvalidDocument names the set, the element, the segment and its
position (ST = 1), so an operator (and a 997/999) can point at the fault."""

from __future__ import annotations

import pytest

from b2b.documents import ShipNotice
from b2b.errors import InvalidDocument
from b2b.mapping import read_business_document
from b2b.x12 import read_interchanges
from tests.conftest import ROOT

SAMPLES = ROOT / "samples" / "x12"


def read_broken(name: str, old: str, new: str, version: str | None = None) -> str:
    """Read sample `name` with `old` replaced by `new` (once); the InvalidDocument's message."""
    data = (SAMPLES / name).read_text()
    assert old in data
    (interchange,) = read_interchanges(data.replace(old, new, 1).encode())
    (group,) = interchange.groups
    (transaction,) = group.transactions
    with pytest.raises(InvalidDocument) as raised:
        read_business_document(transaction, version or group.version)
    return str(raised.value)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "BAK*00*AC*HMG-PO-100482",
            "BAK*00*AC*",
            "BAK03 (purchase order number) is missing (segment BAK at position 2)",
        ),
        (
            "*20240610****",
            "*20241310****",
            "BAK04 '20241310' is not a date (CCYYMMDD) (segment BAK at position 2)",
        ),
        (
            "BAK*00*AC*",
            "BAK*00*QQ*",
            "BAK02 'QQ' is not an acknowledgment type (587) (segment BAK at position 2)",
        ),
        (
            "BAK*",
            "NTE*",
            "BAK (beginning segment for purchase order acknowledgment) is missing"
            " (expected at position 2)",
        ),
        (
            "PO1*2*4*EA",
            "PO1*2*four*EA",
            "PO102 'four' is not a number (segment PO1 at position 13)",
        ),
        (
            "ACK*IR*1*EA",
            "ACK*XX*1*EA",
            "ACK01 'XX' is not a line item status code (668) (segment ACK at position 22)",
        ),
        (
            "ACK*IB*4*EA*068*20240628",
            "ACK*IB*4*EA*068*20240631",
            "ACK05 '20240631' is not a date (CCYYMMDD) (segment ACK at position 15)",
        ),
    ],
)
def test_broken_855(old: str, new: str, message: str) -> None:
    assert read_broken("acme_855_004010.x12", old, new) == f"855 0001: {message}"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "BSN|00|SHP-100482-01",
            "BSN|00|",
            "BSN02 (shipment identification) is missing (segment BSN at position 2)",
        ),
        (
            "|20240613|1430|0001",
            "|20240613|2530|0001",
            "BSN04 '2530' is not a time (HHMM[SS]) (segment BSN at position 2)",
        ),
        ("SN1||10|BX", "SN1||ten|BX", "SN102 'ten' is not a number (segment SN1 at position 22)"),
        (
            "SN1||10|BX",
            "SN1||10",
            "SN103 (unit of measurement code) is missing (segment SN1 at position 22)",
        ),
        (
            "SN1||10|BX",
            "QTY|01|10",
            "SN1 (item detail (shipment)) is missing from the HL loop at position 20",
        ),
        (
            "TD1|CTN25|2|",
            "TD1|CTN25|2.5|",
            "TD102 '2.5' is not a whole number (segment TD1 at position 4)",
        ),
        (
            "PRF|HMG-PO-100482|||20240610",
            "REF|PO|HMG-PO-100482",
            "PRF (purchase order reference) is missing from the HL loop at position 16",
        ),
        (
            "PRF|HMG-PO-100482",
            "PRF|",
            "PRF01 (purchase order number) is missing (segment PRF at position 17)",
        ),
    ],
)
def test_broken_856(old: str, new: str, message: str) -> None:
    assert read_broken("globex_856_005010.x12", old, new) == f"856 0001: {message}"


def test_856_without_any_order_level() -> None:
    message = read_broken(
        "acme_856_004010.x12",
        "HL*2*1*O~\nPRF*HMG-PO-100482***20240610",
        "HL*2*1*X~\nREF*PO*HMG-PO-100482",
    )
    assert message == (
        "856 0001: no PRF names a purchase order: the 856 has no order-level HL (HL03 'O')"
        " with a PRF (segment BSN at position 2)"
    )


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "BIG*20240614*INV-100482-1",
            "BIG*20240614*",
            "BIG02 (invoice number) is missing (segment BIG at position 2)",
        ),
        (
            "BIG*20240614",
            "BIG*14062024",
            "BIG01 '14062024' is not a date (CCYYMMDD) (segment BIG at position 2)",
        ),
        (
            "*HMG-PO-100482*",
            "**",
            "BIG04 (purchase order number) is missing, and no REF PO names the order"
            " (segment BIG at position 2)",
        ),
        (
            "IT1*5*10*BX",
            "IT1*5**BX",
            "IT102 (quantity invoiced) is missing (segment IT1 at position 16)",
        ),
        (
            "TDS*14902",
            "TDS*149.02",
            "TDS01 '149.02' is not a whole number (N2, implied decimals)"
            " (segment TDS at position 18)",
        ),
        (
            "TDS*14902",
            "AMT*TT*149.02",
            "TDS (total monetary value summary) is missing (expected at position 21)",
        ),
        (
            "SAC*C*G830",
            "SAC*X*G830",
            "SAC01 'X' is not an allowance or charge indicator (248) (segment SAC at position 20)",
        ),
        (
            "TXI*ST*12.52",
            "TXI*ST*12,52",
            "TXI02 '12,52' is not a number (segment TXI at position 19)",
        ),
    ],
)
def test_broken_810(old: str, new: str, message: str) -> None:
    assert read_broken("acme_810_004010.x12", old, new) == f"810 0001: {message}"


def test_810_po_number_from_a_header_ref() -> None:
    data = (SAMPLES / "acme_810_004010.x12").read_text()
    data = data.replace("*HMG-PO-100482*", "**").replace("REF*VN*SO-55012", "REF*PO*HMG-PO-100482")
    (interchange,) = read_interchanges(data.encode())
    (group,) = interchange.groups
    doc = read_business_document(group.transactions[0], group.version)
    assert doc.po_number == "HMG-PO-100482"  # type: ignore[union-attr]


def test_unsupported_transaction_set() -> None:
    (interchange,) = read_interchanges((SAMPLES / "order_request_new.acme.850.x12").read_bytes())
    (group,) = interchange.groups
    with pytest.raises(InvalidDocument) as raised:
        read_business_document(group.transactions[0], group.version)
    assert str(raised.value) == (
        "850 0001: transaction set '850' is not one the gateway reads as a business document"
        " (810, 855, 856)"
    )


def test_unsupported_version() -> None:
    message = read_broken("acme_855_004010.x12", "BAK*", "BAK*", version="003010")
    assert message == "855 0001: version '003010' (GS08) is not read (004010-005050)"


def test_856_item_naming_itself_as_parent_still_finds_its_order() -> None:
    data = (SAMPLES / "acme_856_004010.x12").read_text().replace("HL*4*3*I", "HL*4*4*I")
    (interchange,) = read_interchanges(data.encode())
    (group,) = interchange.groups
    doc = read_business_document(group.transactions[0], group.version)
    assert isinstance(doc, ShipNotice)
    assert doc.items[0].po_number == "HMG-PO-100482"  # the last order before it
    assert doc.items[0].package_marks is None  # no pack holds it any more
