"""The shipped maps/850.toml: canonical order → 850 → interchange → read back, 4010 and 5010."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import pytest

from b2b.documents import Contact, OrderType, PartyRole, ProductIdKind, PurchaseOrder
from b2b.errors import MappingError
from b2b.mapping import MapLibrary, map_purchase_order
from b2b.partners.profile import X12Settings
from b2b.x12 import ReadTransaction, Segment, read_interchanges, write_interchange
from tests.mapping.orders import NOW, line, purchase_order, settings

MAPS = Path(__file__).resolve().parents[2] / "maps"
VERSIONS = ["004010", "005010"]


@pytest.fixture(scope="module")
def maps() -> MapLibrary:
    return MapLibrary.load(MAPS)


def round_trip(
    order: PurchaseOrder, partner: X12Settings, maps: MapLibrary, control_number: int = 907
) -> ReadTransaction:
    """Map, write and read back: the one transaction set of the one interchange."""
    transaction = map_purchase_order(order, partner, maps)
    interchange = write_interchange(
        [transaction],
        partner.envelope,
        control_number=control_number,
        version=partner.version,
        now=NOW,
    )
    (read,) = read_interchanges(interchange.data)
    assert read.control_number == control_number
    (group,) = read.groups
    assert (group.functional_id, group.control_number, group.version) == (
        "PO",
        control_number,
        partner.version,
    )
    (read_tx,) = group.transactions
    assert read_tx.segments == transaction.segments  # nothing lost or changed on the way
    return read_tx


def tagged(tx: ReadTransaction, tag: str) -> list[Segment]:
    return [s for s in tx.segments if s.tag == tag]


@pytest.mark.parametrize("version", VERSIONS)
def test_header_segments(maps: MapLibrary, version: str) -> None:
    tx = round_trip(purchase_order(), settings(version), maps)
    assert tx.set_id == "850"
    assert tx.control_number == "0001"
    assert tx.st.get(3) == (version if version == "005010" else "")
    assert tx.segments[0] == Segment("BEG", ("00", "SA", "PO-1001", "3", "20261127"))
    assert tagged(tx, "CUR") == [Segment("CUR", ("BY", "USD"))]
    assert tagged(tx, "REF") == [Segment("REF", ("PP", "3"))]
    assert tagged(tx, "ITD") == [
        Segment("ITD", ("01", "3", "2", "", "10", "", "45", "", "", "", "", "Net 45"))
    ]
    assert tagged(tx, "FOB") == [Segment("FOB", ("DF", "ZZ", "Delivered at place"))]
    header_per = tx.segments[3]
    assert header_per == Segment(
        "PER", ("BD", "Jane Roe", "TE", "+1 555 0100", "EM", "jane@acme.example")
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_parties_in_profile_role_order(maps: MapLibrary, version: str) -> None:
    tx = round_trip(purchase_order(), settings(version), maps)
    assert [s.get(1) for s in tagged(tx, "N1")] == ["ST", "BT", "BY"]  # map order, not input
    ship_to = tx.segments.index(Segment("N1", ("ST", "Acme Plant 2", "92", "SHIP-2")))
    assert tx.segments[ship_to + 1 : ship_to + 4] == (
        Segment("N2", ("Receiving dock 4",)),
        Segment("N3", ("100 Industrial Way", "Building C")),
        Segment("N4", ("Dayton", "OH", "45402", "US")),
    )
    assert tagged(tx, "N1")[1] == Segment("N1", ("BT", "Acme Accounts Payable", "92", "AP-1"))


@pytest.mark.parametrize("version", VERSIONS)
def test_lines_quantities_uom_and_product_ids(maps: MapLibrary, version: str) -> None:
    tx = round_trip(purchase_order(), settings(version), maps)
    po1s = tagged(tx, "PO1")
    assert len(po1s) == 5
    # partner order BP, VP, MG: the line's UPC is not wanted, MG is absent; "each" → EA
    assert po1s[0] == Segment("PO1", ("1", "2.5", "EA", "12.34", "", "BP", "BP1", "VP", "VP-1"))
    assert po1s[3].get(2) == "10"  # 2.50 * 4 with no trailing zeros
    assert tagged(tx, "PID")[2] == Segment("PID", ("F", "", "", "", "Hex bolt M3 zinc plated"))
    assert tagged(tx, "DTM")[4] == Segment("DTM", ("002", "20261205"))
    assert tagged(tx, "CTT") == [Segment("CTT", ("5", "37.5"))]  # lines, hash total of PO102
    assert tagged(tx, "AMT") == [Segment("AMT", ("TT", "462.75"))]
    assert tx.se.get(1) == str(len(tx.segments) + 2)


def test_product_id_order_follows_the_partner(maps: MapLibrary) -> None:
    upc_first = settings(product_id_qualifiers=("UP", "MG", "VP"))
    po1 = tagged(round_trip(purchase_order(lines=1), upc_first, maps), "PO1")[0]
    assert po1.elements[5:] == ("UP", "00012341", "VP", "VP-1")


def test_uom_translation_fallbacks(maps: MapLibrary) -> None:
    lines = (
        line(1, unit_of_measure="Box"),  # translated by the profile
        line(2, unit_of_measure="DZ"),  # already a 2-character X12 code
        line(3, unit_of_measure="bag"),  # unknown: the profile's default
    )
    partner = settings(uom_default="EA")
    order = dataclasses.replace(purchase_order(), lines=lines)
    units = [s.get(3) for s in tagged(round_trip(order, partner, maps), "PO1")]
    assert units == ["BX", "DZ", "EA"]


def test_unknown_unit_without_default_names_line_and_unit(maps: MapLibrary) -> None:
    order = dataclasses.replace(purchase_order(), lines=(line(1), line(2, unit_of_measure="bag")))
    with pytest.raises(MappingError, match=r"PO103: line 2: unit of measure 'bag'"):
        map_purchase_order(order, settings(), maps)


@pytest.mark.parametrize(
    ("order_type", "purpose"),
    [(OrderType.NEW, "00"), (OrderType.UPDATE, "05"), (OrderType.DELETE, "03")],
)
def test_beg01_purpose_follows_order_type(
    maps: MapLibrary, order_type: OrderType, purpose: str
) -> None:
    tx = round_trip(purchase_order(order_type=order_type), settings(), maps)
    assert tx.segments[0].get(1) == purpose


def test_minimal_order_leaves_out_what_it_does_not_have(maps: MapLibrary) -> None:
    bare = PurchaseOrder(
        number="7", order_type=OrderType.NEW, lines=(line(1, description=None, need_by=None),)
    )
    tx = round_trip(bare, settings(), maps)
    assert [s.tag for s in tx.segments] == ["BEG", "PO1", "CTT"]
    assert tx.segments[0] == Segment("BEG", ("00", "SA", "7"))


def test_free_text_delimiters_become_spaces_but_identifiers_refuse(maps: MapLibrary) -> None:
    text = dataclasses.replace(purchase_order(), comments=("ship ~ fast * now",))
    msg = tagged(round_trip(text, settings(), maps), "MSG")
    assert msg == [Segment("MSG", ("ship   fast   now",))]
    bad_part = line(1, product_ids=((ProductIdKind.BUYER_PART, "A*B"),))
    with pytest.raises(MappingError, match=r"PO107 value 'A\*B' contains the element separator"):
        round_trip(dataclasses.replace(purchase_order(), lines=(bad_part,)), settings(), maps)


def test_po_number_longer_than_beg03_allows(maps: MapLibrary) -> None:
    with pytest.raises(MappingError, match=r"BEG03: .*longer than 22"):
        map_purchase_order(purchase_order(number="X" * 23), settings(), maps)


def test_header_per_needs_a_buyer_contact(maps: MapLibrary) -> None:
    no_buyer = tuple(p for p in purchase_order().parties if p.role is not PartyRole.BUYER)
    tx = round_trip(dataclasses.replace(purchase_order(), parties=no_buyer), settings(), maps)
    assert tagged(tx, "PER") == []
    assert [s.get(1) for s in tagged(tx, "N1")] == ["ST", "BT"]


def test_negative_and_fractional_quantities_are_x12_decimals(maps: MapLibrary) -> None:
    lines = (line(1, quantity=Decimal("-1.500")), line(2, quantity=Decimal("1E+3")))
    tx = round_trip(dataclasses.replace(purchase_order(), lines=lines), settings(), maps)
    assert [s.get(2) for s in tagged(tx, "PO1")] == ["-1.5", "1000"]
    assert tagged(tx, "CTT")[0].get(2) == "998.5"


def test_party_contacts_carry_role_codes_and_the_buyer_is_not_repeated(maps: MapLibrary) -> None:
    order = purchase_order()
    ship_to = dataclasses.replace(order.parties[2], contact=Contact(name="Dock lead", phone="555"))
    tx = round_trip(
        dataclasses.replace(order, parties=(*order.parties[:2], ship_to)), settings(), maps
    )
    assert [s.get(1) for s in tagged(tx, "PER")] == ["BD", "DC"]  # header buyer, ship-to
    assert tagged(tx, "PER")[1] == Segment("PER", ("DC", "Dock lead", "TE", "555"))
