"""The supplier documents' code lists as data (maps/cxml/codes.toml), and units of measure going
back to Coupa's: each rule of UnitTranslation, then through the 855, 856 and 810 builders."""

from __future__ import annotations

import copy
import datetime as dt
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from b2b.coupa import (
    CxmlCodes,
    OrderReference,
    UnitTranslation,
    invoice_detail_request,
    ship_notice_request,
)
from b2b.documents import (
    AcknowledgmentType,
    ConfirmationLine,
    InvoiceLine,
    LineAcknowledgment,
    LineItemStatus,
    OrderLine,
    OrderType,
    PurchaseOrder,
    ShipNotice,
    ShippedItem,
    ShippedOrder,
)
from b2b.errors import ConfigurationError
from tests.coupa.test_supplier import (
    CODES,
    CREDENTIALS,
    NOW,
    PAYLOAD_ID,
    ROOT,
    ack,
    answer,
    confirm,
    one,
    root_of,
)
from tests.coupa.test_supplier_invoice import invoice

CODES_FILE = ROOT / "maps" / "cxml" / "codes.toml"
ACME_UOM = {"EA": "EA", "each": "EA", "BX": "BX", "box": "BX", "CS": "CA", "HR": "HR"}


# --- the code lists ----------------------------------------------------------------------------


def test_the_shipped_code_lists_load_with_what_the_builders_read() -> None:
    confirmation = CODES.confirmation
    assert confirmation.status_type(LineItemStatus.PARTIAL_SHIPMENT_BALANCE_BACKORDERED) == (
        "backordered"
    )
    assert confirmation.status_type(LineItemStatus.REJECTED_REORDER_AS_SURGE) == "reject"
    assert confirmation.status_type(LineItemStatus.DATE_RESCHEDULED) == "detail"
    assert confirmation.status_type(LineItemStatus.SCHEDULE_DATE_PENDING) == "unknown"
    assert set(confirmation.line_status) == set(LineItemStatus)  # every ACK01 code is named
    assert confirmation.order_rejections == {
        AcknowledgmentType.REJECTED_NO_DETAIL,
        AcknowledgmentType.REJECTED_WITH_DETAIL,
        AcknowledgmentType.REJECTED_WITH_EXCEPTION_DETAIL,
        AcknowledgmentType.REJECTED_WITH_COUNTER_OFFER,
    }
    assert "068" in confirmation.shipment_date_qualifiers
    assert CODES.invoice.tax_charge == "H850"
    assert CODES.invoice.shipping_charges == {"D240", "G830"}
    assert CODES.ship_notice.route_methods["X"] == "multimodal"


def _data() -> dict[str, Any]:
    return tomllib.loads(CODES_FILE.read_text(encoding="utf-8"))


def _refused(data: dict[str, Any]) -> str:
    with pytest.raises(ConfigurationError) as caught:
        CxmlCodes.from_data(data, source="maps/cxml/acme.toml")
    return str(caught.value)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d.update(extra={}), "maps/cxml/acme.toml: extra: unknown key"),
        (
            lambda d: d["confirmation"].update(ship_dates=["068"]),
            "confirmation.ship_dates: unknown key",
        ),
        (lambda d: d["invoice"].pop("tax_charge"), "invoice.tax_charge: is missing"),
        (
            lambda d: d["confirmation"]["line_status"].update(IA="maybe"),
            "confirmation.line_status.IA: 'maybe' is not one of accept, backordered",
        ),
        (
            lambda d: d["confirmation"]["line_status"].update(ZZ="accept"),
            "confirmation.line_status.ZZ: 'ZZ' is not a code of LineItemStatus",
        ),
        (
            lambda d: d["confirmation"].update(order_rejections=["RJ", "XX"]),
            "confirmation.order_rejections: 'XX' is not a code of AcknowledgmentType",
        ),
        (
            lambda d: d["confirmation"]["line_status"].update(IP="accept"),
            "confirmation.price_changes: IP is not a `detail` line_status",
        ),
        (
            lambda d: d["confirmation"].update(shipment_date_qualifiers=["68"]),
            "confirmation.shipment_date_qualifiers: '68' is not a valid code here",
        ),
        (
            lambda d: d["invoice"].update(shipping_charges=["D240", "H850"]),
            "invoice.shipping_charges: H850 is the tax_charge",
        ),
        (lambda d: d["invoice"].update(tax_charge="H85"), "invoice.tax_charge: 'H85' is not an"),
        (
            lambda d: d["ship_notice"]["route_methods"].update(M="truck"),
            "ship_notice.route_methods.M: 'truck' is not one of air, custom",
        ),
        (
            lambda d: d["ship_notice"]["weight_units"].update(LB=""),
            "ship_notice.weight_units.LB: '' is not a non-empty string",
        ),
    ],
)
def test_a_wrong_entry_is_refused_naming_the_file_and_the_entry(change: Any, message: str) -> None:
    data = copy.deepcopy(_data())
    change(data)

    assert message in _refused(data)


def test_an_unreadable_file_is_refused_naming_it(tmp_path: Path) -> None:
    path = tmp_path / "codes.toml"
    path.write_text("[confirmation\n", encoding="utf-8")

    with pytest.raises(ConfigurationError, match=r"codes\.toml"):
        CxmlCodes.load(path)


def test_a_partner_table_changes_what_a_code_means() -> None:
    data = _data()
    data["confirmation"]["line_status"]["IH"] = "backordered"  # this partner's hold is a backorder
    codes = CxmlCodes.from_data(data, source="partner")
    doc = answer(_line("1", "5", "EA", ack("IH", "5")))

    root = confirm(doc, codes=codes)

    assert one(root, ".//ConfirmationHeader").get("type") == "backordered"


# --- units: one test per rule ------------------------------------------------------------------


def _order(*units: str) -> PurchaseOrder:
    lines = tuple(
        OrderLine(str(number), Decimal(1), unit) for number, unit in enumerate(units, start=1)
    )
    return PurchaseOrder("HMG-PO-100482", OrderType.NEW, lines)


def test_a_unit_the_table_made_from_the_line_s_unit_is_the_line_s_unit() -> None:
    units = UnitTranslation.for_order(_order("CS", "each"), ACME_UOM)

    assert units.coupa_unit("1", "CA") == "CS"
    assert units.coupa_unit("2", "EA") == "each"  # though EA alone would be ambiguous


def test_the_line_s_own_unit_stays_the_line_s_unit() -> None:
    units = UnitTranslation.for_order(_order("CS", "PL"), ACME_UOM)

    assert units.coupa_unit("1", "CS") == "CS"
    assert units.coupa_unit("2", "PL") == "PL"  # not in the table, sent as it is


def test_another_unit_is_the_one_coupa_unit_the_table_turns_into_it() -> None:
    units = UnitTranslation.for_order(_order("EA"), ACME_UOM)

    assert units.coupa_unit("1", "CA") == "CS"  # a line answered in another unit
    assert units.coupa_unit("9", "CA") == "CS"  # a line the order does not have


def test_a_unit_several_coupa_units_turn_into_stays_the_x12_code() -> None:
    units = UnitTranslation.for_order(_order("CS"), ACME_UOM)

    assert units.coupa_unit("1", "BX") == "BX"  # BX and box both become BX
    assert units.coupa_unit("1", "KG") == "KG"  # no Coupa unit becomes KG
    assert UnitTranslation().coupa_unit("1", "CA") == "CA"  # nothing known


def test_order_line_numbers_are_matched_as_cxml_writes_them() -> None:
    order = PurchaseOrder(
        "PO-1",
        OrderType.NEW,
        (OrderLine("0010", Decimal(1), "CS"), OrderLine("A", Decimal(1), "HR")),
    )
    units = UnitTranslation.for_order(order, ACME_UOM)

    assert units.ordered == {"10": "CS", "2": "HR"}


# --- units through the builders ----------------------------------------------------------------


def _line(number: str, quantity: str, unit: str, *acks: LineAcknowledgment) -> ConfirmationLine:
    return ConfirmationLine(number, Decimal(quantity), unit, Decimal("9.5"), acknowledgments=acks)


def test_a_confirmation_tells_coupa_the_order_s_units() -> None:
    units = UnitTranslation.for_order(_order("CS", "each", "BX"), ACME_UOM)
    doc = answer(
        _line("1", "4", "CA", ack("IA", "4")),
        _line("2", "3", "EA", ack("IB", "3", unit_of_measure="EA")),
        _line("3", "2", "BX", ack("IA", "2", unit_of_measure="CA")),  # answered in cases
    )

    root = confirm(doc, units=units)

    items = root.findall(".//ConfirmationItem")
    assert [one(i, "UnitOfMeasure").text for i in items] == ["CS", "each", "BX"]
    assert [s.findtext("UnitOfMeasure") for s in root.iterfind(".//ConfirmationStatus")] == [
        "CS",
        "each",
        "CS",
    ]


def test_a_ship_notice_tells_coupa_each_order_s_units() -> None:
    doc = ShipNotice(
        purpose="00",
        shipment_id="S-1",
        notice_date=dt.date(2024, 6, 13),
        orders=(ShippedOrder("PO-A"), ShippedOrder("PO-B")),
        items=(
            ShippedItem(Decimal(2), "CA", "PO-A", "1", package_marks="SSCC-1"),
            ShippedItem(Decimal(2), "EA", "PO-B", "1"),
        ),
    )
    body = ship_notice_request(
        doc,
        orders={"PO-A": OrderReference("PO-A"), "PO-B": OrderReference("PO-B")},
        codes=CODES,
        credentials=CREDENTIALS,
        payload_id=PAYLOAD_ID,
        timestamp=NOW,
        units={
            "PO-A": UnitTranslation.for_order(_order("CS"), ACME_UOM),
            "PO-B": UnitTranslation.for_order(_order("each"), ACME_UOM),
        },
    )

    root = root_of(body)
    assert [i.findtext("UnitOfMeasure") for i in root.iterfind(".//ShipNoticeItem")] == [
        "CS",
        "each",
    ]
    assert one(root, ".//DispatchQuantity/UnitOfMeasure").text == "CS"


def test_an_invoice_tells_coupa_the_order_s_units() -> None:
    doc = invoice(InvoiceLine("1", Decimal(2), "CA", Decimal(5)), total="10")
    body = invoice_detail_request(
        doc,
        order=OrderReference("PO-9"),
        codes=CODES,
        credentials=CREDENTIALS,
        payload_id=PAYLOAD_ID,
        timestamp=NOW,
        units=UnitTranslation.for_order(_order("CS"), ACME_UOM),
    )

    assert one(root_of(body), ".//InvoiceDetailItem/UnitOfMeasure").text == "CS"
