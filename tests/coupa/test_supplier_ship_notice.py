"""The 856 as a cXML ShipNoticeRequest: values, packs, carrier, validity against the official
Fulfill.dtd, and the shape of the cxml-php example."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from lxml import etree

from b2b.coupa import OrderReference, ship_notice_request
from b2b.documents import Carrier, ShipNotice, ShippedItem, ShippedOrder
from tests.coupa.test_supplier import (
    CODES,
    CREDENTIALS,
    NOW,
    ORDER,
    PAYLOAD_ID,
    child_tags,
    fulfill_dtd,
    one,
    root_of,
    same_shape,
    sample,
    valid,
)

__all__ = ["fulfill_dtd"]  # the fixture, shared


def notify(doc: ShipNotice, orders: dict[str, OrderReference] | None = None) -> etree._Element:
    body = ship_notice_request(
        doc,
        orders={ORDER.order_id: ORDER} if orders is None else orders,
        codes=CODES,
        credentials=CREDENTIALS,
        payload_id=PAYLOAD_ID,
        timestamp=NOW,
    )
    return root_of(body)


@pytest.mark.parametrize("name", ["acme_856_004010.x12", "globex_856_005010.x12"])
def test_sample_856_becomes_a_ship_notice(name: str) -> None:
    doc = sample(name)
    assert isinstance(doc, ShipNotice)

    root = notify(doc)

    request = one(root, "Request/ShipNoticeRequest")
    assert child_tags(request) == ["ShipNoticeHeader", "ShipControl", "ShipNoticePortion"]
    header = one(request, "ShipNoticeHeader")
    assert dict(header.items()) == {
        "shipmentID": "SHP-100482-01",
        "noticeDate": "2024-06-13T14:30:00-07:00",
        "shipmentDate": "2024-06-13T00:00:00-07:00",
        "deliveryDate": "2024-06-17T00:00:00-07:00",
    }
    assert one(header, "ServiceLevel").text == "UPS Ground"
    roles = [(c.get("role"), c.get("addressID")) for c in header.iterfind("Contact")]
    assert roles[1] == ("shipTo", "HMG-SHIP-02")
    assert roles[0][0] == "shipFrom"
    assert one(header, "Contact[@role='shipTo']/PostalAddress/City").text == "Bellevue"
    assert one(header, "Packaging/PackagingCode").text == "CTN25"
    weight = one(header, "Packaging/Dimension")
    assert (weight.get("quantity"), weight.get("type"), one(weight, "UnitOfMeasure").text) == (
        "18.4",
        "weight",
        "LBR",
    )
    control = one(request, "ShipControl")
    carrier = one(control, "CarrierIdentifier")
    assert (carrier.get("domain"), carrier.text) == ("SCAC", "UPSN")
    assert [(s.get("domain"), s.text) for s in control.iterfind("ShipmentIdentifier")] == [
        ("trackingNumber", "1Z999AA10123456784"),
        ("billOfLading", "BOL-7730012"),
    ]
    packages = one(control, "PackageIdentification")
    assert (packages.get("rangeBegin"), packages.get("rangeEnd")) == ("1", "2")
    portion = one(request, "ShipNoticePortion")
    assert one(portion, "OrderReference").get("orderID") == "HMG-PO-100482"
    assert one(portion, "OrderReference/DocumentReference").get("payloadID") == ORDER.payload_id
    items = [
        (
            i.get("lineNumber"),
            i.get("quantity"),
            one(i, "UnitOfMeasure").text,
            one(i, "ItemID/SupplierPartID").text,
            one(i, "Packaging/ShippingContainerSerialCode").text,
            one(i, "Packaging/DispatchQuantity").get("quantity"),
        )
        for i in portion.iterfind("ShipNoticeItem")
    ]
    assert items == [
        ("1", "10", "BX", "GLV-NTR-M-100", "00012345670000004821", "10"),
        ("5", "10", "BX", "BND-AST-50", "00012345670000004838", "10"),
    ]
    assert one(portion, "ShipNoticeItem[@lineNumber='5']/OrderedQuantity").get("quantity") == "12"


@pytest.mark.parametrize("name", ["acme_856_004010.x12", "globex_856_005010.x12"])
def test_sample_856_is_valid_against_fulfill_dtd(fulfill_dtd: etree.DTD, name: str) -> None:
    doc = sample(name)
    assert isinstance(doc, ShipNotice)
    body = ship_notice_request(
        doc,
        orders={ORDER.order_id: ORDER},
        codes=CODES,
        credentials=CREDENTIALS,
        payload_id=PAYLOAD_ID,
        timestamp=NOW,
    )

    assert valid(fulfill_dtd, body), str(fulfill_dtd.error_log)


def shipment(*items: ShippedItem, carrier: Carrier | None = None) -> ShipNotice:
    return ShipNotice(
        purpose="00",
        shipment_id="S-1",
        notice_date=dt.date(2024, 6, 13),
        orders=(ShippedOrder("PO-A"), ShippedOrder("PO-B")),
        items=items,
        carrier=carrier,
        tracking_number="1Z1",
    )


def test_one_line_in_two_packs_is_one_item_with_two_packages() -> None:
    doc = shipment(
        ShippedItem(Decimal(4), "EA", "PO-A", "2", package_marks="SSCC-1"),
        ShippedItem(Decimal(6), "EA", "PO-A", "2", package_marks="SSCC-2"),
        ShippedItem(Decimal(1), "EA", "PO-B", None),
    )

    root = notify(doc, {})

    portions = root.findall(".//ShipNoticePortion")
    assert [one(p, "OrderReference").get("orderID") for p in portions] == ["PO-A", "PO-B"]
    (item,) = portions[0].iterfind("ShipNoticeItem")
    assert (item.get("lineNumber"), item.get("quantity")) == ("2", "10")
    packages = [
        (one(p, "PackagingCode").text, one(p, "ShippingContainerSerialCode").text)
        for p in item.iterfind("Packaging")
    ]
    assert packages == [("package", "SSCC-1"), ("package", "SSCC-2")]
    assert one(portions[1], "ShipNoticeItem").get("lineNumber") == "1"  # no LIN01: position


def test_without_a_carrier_there_is_no_ship_control(fulfill_dtd: etree.DTD) -> None:
    doc = shipment(ShippedItem(Decimal(1), "EA", "PO-A", "1"))
    body = ship_notice_request(
        doc, orders={}, codes=CODES, credentials=CREDENTIALS, payload_id=PAYLOAD_ID, timestamp=NOW
    )

    assert root_of(body).find(".//ShipControl") is None
    assert valid(fulfill_dtd, body), str(fulfill_dtd.error_log)


def test_carrier_route_and_unknown_qualifier() -> None:
    carrier = Carrier(id_qualifier="ZZ", identifier="ACMEFREIGHT", transport_method="M")
    root = notify(shipment(ShippedItem(Decimal(1), "EA", "PO-A", "1"), carrier=carrier))

    assert one(root, ".//ShipControl/CarrierIdentifier").get("domain") == "ZZ"
    assert one(root, ".//ShipControl/Route").get("method") == "motor"


def test_ship_notice_has_the_shape_of_the_cxml_php_example(corpus: Path) -> None:
    theirs = etree.parse(
        str(corpus / "cxml-php" / "ShipNoticeRequest.xml"),
        etree.XMLParser(load_dtd=False, no_network=True, remove_comments=True),
    ).getroot()
    doc = sample("acme_856_004010.x12")
    assert isinstance(doc, ShipNotice)

    assert same_shape(notify(doc), theirs) == []
