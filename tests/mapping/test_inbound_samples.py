"""Our golden 855, 856 and 810 answering HMG-PO-100482 read into documents, every value checked.

The samples are what Acme (004010) and Globex (005010, "|" and ":") would send us; their
envelopes name the partner as sender, as the partner profiles do.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

import pytest

from b2b.documents import (
    AcknowledgmentType,
    Address,
    AllowanceCharge,
    AllowanceChargeIndicator,
    Carrier,
    ConfirmationLine,
    Contact,
    DocumentParty,
    EntityRole,
    Invoice,
    InvoiceLine,
    LineAcknowledgment,
    LineItemStatus,
    OrderConfirmation,
    PaymentTerms,
    ProductIdKind,
    ShipNotice,
    ShippedItem,
    ShippedOrder,
    Tax,
)
from b2b.mapping import document_summary, read_business_document
from b2b.mapping.inbound import BusinessDocument
from b2b.x12 import ReadInterchange, read_interchanges
from tests.conftest import ROOT

SAMPLES = ROOT / "samples" / "x12"
VP, BP, MG = ProductIdKind.VENDOR_PART, ProductIdKind.BUYER_PART, ProductIdKind.MANUFACTURER_PART


@dataclass(frozen=True)
class Partner:
    """What differs between the two partners' samples: envelope, version and the seller."""

    id: str
    version: str
    sender: tuple[str, str]
    receiver: tuple[str, str]
    gs: tuple[str, str]
    element_separator: str
    seller: str
    duns: str
    contact: Contact
    sales_order: str
    ship_from: Address
    remit_to: Address


ACME = Partner(
    "acme",
    "004010",
    ("01", "123456789"),
    ("ZZ", "B2BGATEWAY"),
    ("123456789", "B2BGATEWAY"),
    "*",
    "Acme Industrial Supply",
    "123456789",
    Contact("Marcus Bell", "orders@acme-industrial.example", "+1 312 5550177"),
    "SO-55012",
    Address(("1800 W Fulton Market",), "Chicago", "IL", "60612", "US"),
    Address(("PO Box 7731",), "Chicago", "IL", "60680", "US"),
)
GLOBEX = Partner(
    "globex",
    "005010",
    ("ZZ", "GLOBEXEDI"),
    ("01", "987654321"),
    ("GLOBEX", "B2BGW"),
    "|",
    "Globex Corporation",
    "987654321",
    Contact("Lena Ortiz", "orders@globex.example", "+1 503 5550123"),
    "GX-90311",
    Address(("77 Industrial Loop",), "Portland", "OR", "97217", "US"),
    Address(("PO Box 4410",), "Portland", "OR", "97208", "US"),
)
PARTNERS = [pytest.param(ACME, id="acme-004010"), pytest.param(GLOBEX, id="globex-005010")]
SETS = {
    "855": ("PR", dt.datetime(2024, 6, 11, 10, 15)),
    "856": ("SH", dt.datetime(2024, 6, 13, 14, 30)),
    "810": ("IN", dt.datetime(2024, 6, 14, 9, 0)),
}
SHIP_TO = DocumentParty(
    EntityRole.SHIP_TO,
    "Harborview Medical Group - Eastside Clinic",
    "92",
    "HMG-SHIP-02",
    address=Address(
        ("4120 Lakeshore Parkway", "Building C, Suite 140"), "Bellevue", "WA", "98004", "US"
    ),
)
GLOVES = "Nitrile exam gloves, medium, box of 100"
BANDAGES = "Adhesive bandages, assorted sizes, box of 50"


def sample(partner: Partner, set_id: str) -> ReadInterchange:
    (interchange,) = read_interchanges(
        (SAMPLES / f"{partner.id}_{set_id}_{partner.version}.x12").read_bytes()
    )
    return interchange


def received(partner: Partner, set_id: str) -> BusinessDocument:
    (group,) = sample(partner, set_id).groups
    (transaction,) = group.transactions
    return read_business_document(transaction, group.version)


@pytest.mark.parametrize("partner", PARTNERS)
@pytest.mark.parametrize("set_id", ["855", "856", "810"])
def test_envelope_names_the_partner_as_sender(partner: Partner, set_id: str) -> None:
    interchange = sample(partner, set_id)
    functional_id, when = SETS[set_id]
    control_number = (1000 if partner is ACME else 2000) + int(set_id)
    assert (interchange.sender, interchange.receiver) == (partner.sender, partner.receiver)
    assert interchange.delimiters.element == partner.element_separator
    assert interchange.control_number == control_number
    (group,) = interchange.groups
    assert (group.functional_id, group.version, group.control_number) == (
        functional_id,
        partner.version,
        control_number,
    )
    assert (group.gs.get(2), group.gs.get(3), group.gs.get(4), group.gs.get(5)) == (
        *partner.gs,
        when.strftime("%Y%m%d"),
        when.strftime("%H%M"),
    )
    (transaction,) = group.transactions
    assert (transaction.set_id, transaction.control_number) == (set_id, "0001")
    assert transaction.st.get(3) == ("005010" if partner is GLOBEX else "")


def seller_party(
    partner: Partner,
    role: EntityRole,
    address: Address | None = None,
    contact: Contact | None = None,
) -> DocumentParty:
    return DocumentParty(role, partner.seller, "1", partner.duns, address=address, contact=contact)


@pytest.mark.parametrize("partner", PARTNERS)
def test_855_reads_with_every_value(partner: Partner) -> None:
    assert received(partner, "855") == OrderConfirmation(
        purpose="00",
        acknowledgment_type=AcknowledgmentType.WITH_DETAIL_AND_CHANGE,
        po_number="HMG-PO-100482",
        po_date=dt.date(2024, 6, 10),
        confirmation_number="ACK-100482-1",
        confirmation_date=dt.date(2024, 6, 11),
        currency="USD",
        references=(("VN", partner.sales_order),),
        parties=(SHIP_TO, seller_party(partner, EntityRole.SELLER, contact=partner.contact)),
        lines=(
            ConfirmationLine(
                "1",
                Decimal(10),
                "BX",
                Decimal("8.95"),
                ((VP, "GLV-NTR-M-100"), (BP, "HMG-000731"), (MG, "MX-4410-M")),
                GLOVES,
                (
                    LineAcknowledgment(
                        LineItemStatus.ACCEPTED, Decimal(10), "BX", "068", dt.date(2024, 6, 13)
                    ),
                ),
            ),
            ConfirmationLine(
                "2",
                Decimal(4),
                "EA",
                Decimal("42.1"),
                ((VP, "TRY-SS-1208"),),
                "Stainless steel instrument tray, 12 x 8 in",
                (
                    LineAcknowledgment(
                        LineItemStatus.BACKORDERED, Decimal(4), "EA", "068", dt.date(2024, 6, 28)
                    ),
                ),
            ),
            ConfirmationLine(
                "3",
                Decimal("2.5"),
                "HR",
                Decimal(95),
                ((VP, "SVC-CAL-HR"),),
                "Biomedical equipment calibration, on site",
                (
                    LineAcknowledgment(
                        LineItemStatus.ACCEPTED, Decimal("2.5"), "HR", "067", dt.date(2024, 6, 17)
                    ),
                ),
            ),
            ConfirmationLine(
                "4",
                Decimal(1),
                "EA",
                Decimal("129.99"),
                ((VP, "THM-DGT-220"), (MG, "DT-220")),
                "Digital thermometer with oral probe",
                (LineAcknowledgment(LineItemStatus.REJECTED, Decimal(1), "EA"),),
            ),
            ConfirmationLine(
                "5",
                Decimal(12),
                "BX",
                Decimal("3.45"),
                ((VP, "BND-AST-50"),),
                BANDAGES,
                (
                    LineAcknowledgment(
                        LineItemStatus.ACCEPTED, Decimal(10), "BX", "068", dt.date(2024, 6, 13)
                    ),
                    LineAcknowledgment(
                        LineItemStatus.BACKORDERED, Decimal(2), "BX", "068", dt.date(2024, 7, 1)
                    ),
                ),
            ),
        ),
    )


def test_855_line_status_helpers() -> None:
    confirmation = received(ACME, "855")
    assert isinstance(confirmation, OrderConfirmation)
    assert [line.status for line in confirmation.lines] == ["IA", "IB", "IA", "IR", "IA"]
    assert [bool(line.status and line.status.rejected) for line in confirmation.lines] == [
        False,
        False,
        False,
        True,
        False,
    ]
    assert [bool(line.status and line.status.backordered) for line in confirmation.lines] == [
        False,
        True,
        False,
        False,
        False,
    ]
    assert confirmation.lines[0].product_id(ProductIdKind.BUYER_PART) == "HMG-000731"
    assert confirmation.party(EntityRole.SHIP_TO) == SHIP_TO
    assert confirmation.party("BT") is None


@pytest.mark.parametrize("partner", PARTNERS)
def test_856_reads_with_every_value(partner: Partner) -> None:
    assert received(partner, "856") == ShipNotice(
        purpose="00",
        shipment_id="SHP-100482-01",
        notice_date=dt.date(2024, 6, 13),
        notice_time=dt.time(14, 30),
        orders=(ShippedOrder("HMG-PO-100482", dt.date(2024, 6, 10)),),
        items=(
            ShippedItem(
                Decimal(10),
                "BX",
                "HMG-PO-100482",
                "1",
                ((VP, "GLV-NTR-M-100"), (BP, "HMG-000731")),
                None,
                GLOVES,
                "00012345670000004821",
            ),
            ShippedItem(
                Decimal(10),
                "BX",
                "HMG-PO-100482",
                "5",
                ((VP, "BND-AST-50"),),
                Decimal(12),
                BANDAGES,
                "00012345670000004838",
            ),
        ),
        shipped_date=dt.date(2024, 6, 13),
        delivery_date=dt.date(2024, 6, 17),
        carrier=Carrier("2", "UPSN", "U", "UPS Ground"),
        bill_of_lading="BOL-7730012",
        tracking_number="1Z999AA10123456784",
        package_count=2,
        packaging_code="CTN25",
        weight=Decimal("18.4"),
        weight_unit="LB",
        references=(("BM", "BOL-7730012"), ("CN", "1Z999AA10123456784")),
        parties=(seller_party(partner, EntityRole.SHIP_FROM, partner.ship_from), SHIP_TO),
    )


@pytest.mark.parametrize("partner", PARTNERS)
def test_810_reads_with_every_value(partner: Partner) -> None:
    assert received(partner, "810") == Invoice(
        invoice_number="INV-100482-1",
        invoice_date=dt.date(2024, 6, 14),
        po_number="HMG-PO-100482",
        total=Decimal("149.02"),
        lines=(
            InvoiceLine(
                "1",
                Decimal(10),
                "BX",
                Decimal("8.95"),
                ((VP, "GLV-NTR-M-100"), (BP, "HMG-000731")),
                GLOVES,
            ),
            InvoiceLine("5", Decimal(10), "BX", Decimal("3.45"), ((VP, "BND-AST-50"),), BANDAGES),
        ),
        po_date=dt.date(2024, 6, 10),
        transaction_type="DI",
        purpose="00",
        currency="USD",
        references=(("VN", partner.sales_order),),
        parties=(
            seller_party(partner, EntityRole.REMIT_TO, partner.remit_to),
            DocumentParty(
                EntityRole.BILL_TO,
                "Harborview Medical Group",
                "92",
                "HMG-AP-01",
                address=Address(("900 Pine Street", "Floor 7"), "Seattle", "WA", "98101", "US"),
            ),
            DocumentParty(
                EntityRole.SHIP_TO,
                "Harborview Medical Group - Eastside Clinic",
                "92",
                "HMG-SHIP-02",
            ),
        ),
        terms=(PaymentTerms("2/10 Net 30", 30, Decimal(2), 10),),
        shipped_date=dt.date(2024, 6, 13),
        charges=(
            AllowanceCharge(
                AllowanceChargeIndicator.CHARGE, "G830", Decimal("12.50"), None, "UPS Ground"
            ),
        ),
        taxes=(Tax("ST", Decimal("12.52"), Decimal("10.1"), "WA", None, Decimal(124)),),
    )


def test_810_total_is_lines_plus_charges_plus_tax() -> None:
    invoice = received(GLOBEX, "810")
    assert isinstance(invoice, Invoice)
    lines = sum(line.quantity * (line.unit_price or 0) for line in invoice.lines)
    extras = sum(c.amount or 0 for c in invoice.charges) + sum(t.amount or 0 for t in invoice.taxes)
    assert lines + extras == invoice.total


@pytest.mark.parametrize("partner", PARTNERS)
def test_summaries_for_the_timeline(partner: Partner) -> None:
    assert document_summary(received(partner, "855")) == {
        "kind": "order_confirmation",
        "transaction_set": "855",
        "po_numbers": ["HMG-PO-100482"],
        "po_date": "2024-06-10",
        "purpose": "00",
        "acknowledgment_type": "AC",
        "confirmation_number": "ACK-100482-1",
        "confirmation_date": "2024-06-11",
        "line_count": 5,
        "line_statuses": {"IA": 3, "IB": 2, "IR": 1},
    }
    assert document_summary(received(partner, "856")) == {
        "kind": "ship_notice",
        "transaction_set": "856",
        "po_numbers": ["HMG-PO-100482"],
        "shipment_id": "SHP-100482-01",
        "purpose": "00",
        "notice_date": "2024-06-13",
        "shipped_date": "2024-06-13",
        "delivery_date": "2024-06-17",
        "carrier": "UPS Ground",
        "tracking_number": "1Z999AA10123456784",
        "bill_of_lading": "BOL-7730012",
        "package_count": 2,
        "item_count": 2,
        "quantity_shipped": "20",
    }
    assert document_summary(received(partner, "810")) == {
        "kind": "invoice",
        "transaction_set": "810",
        "po_numbers": ["HMG-PO-100482"],
        "invoice_number": "INV-100482-1",
        "invoice_date": "2024-06-14",
        "transaction_type": "DI",
        "line_count": 2,
        "total": "149.02",
        "currency": "USD",
        "tax": "12.52",
    }


def test_summaries_are_json() -> None:
    import json

    for set_id in SETS:
        summary = document_summary(received(ACME, set_id))
        assert json.loads(json.dumps(summary)) == summary
