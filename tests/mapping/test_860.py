"""Changes out: a changed or cancelled order → 860 (delta or replace) or 850 → interchange → read
back and validated with maps/x12, in 4010 and 5010.

Regenerate the golden files after an intended change with `B2B_UPDATE_GOLDEN=1 pytest
tests/mapping/test_860.py`, then review the diff.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pytest

from b2b.documents import Money, OrderType, PurchaseOrder
from b2b.errors import ConfigurationError, MappingError
from b2b.mapping import MapLibrary, map_order_change
from b2b.partners import load_partners
from b2b.partners.profile import X12Settings
from b2b.x12 import ReadTransaction, Segment, SetSchemas, read_interchanges, write_interchange
from tests.mapping.orders import NOW, line, purchase_order, settings

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "samples" / "x12"
VERSIONS = ["004010", "005010"]
STYLES = ["860-delta", "860-replace", "850"]
TODAY = dt.date(2026, 11, 28)
SENT = purchase_order(lines=3)  # version 3: lines 1..3 of 2.5, 5 and 7.5 "each" at 12.34 USD
LATER = dt.date(2027, 1, 15)
CHEAPER = Money(Decimal("11.90"), "USD")


@pytest.fixture(scope="module")
def maps() -> MapLibrary:
    return MapLibrary.load(ROOT / "maps")


@pytest.fixture(scope="module")
def schemas() -> SetSchemas:
    return SetSchemas.load(ROOT / "maps" / "x12")


def updated(*lines: object, order_type: OrderType = OrderType.UPDATE) -> PurchaseOrder:
    return dataclasses.replace(SENT, order_type=order_type, version=4, lines=lines)  # type: ignore[arg-type]


# scenario → (current order, the delta's POC01:POC02, the replacement's POC01:POC02)
SCENARIOS: dict[str, tuple[Callable[[], PurchaseOrder], list[str], list[str]]] = {
    "quantity up": (
        lambda: updated(line(1), line(2, quantity=Decimal("8")), line(3)),
        ["2:QI"],
        ["1:RZ", "2:RZ", "3:RZ"],
    ),
    "quantity down": (
        lambda: updated(line(1), line(2, quantity=Decimal("1")), line(3)),
        ["2:QD"],
        ["1:RZ", "2:RZ", "3:RZ"],
    ),
    "price": (
        lambda: updated(line(1), line(2, unit_price=CHEAPER), line(3)),
        ["2:PC"],
        ["1:RZ", "2:RZ", "3:RZ"],
    ),
    "date": (
        lambda: updated(line(1), line(2), line(3, need_by=LATER)),
        ["3:CT"],
        ["1:RZ", "2:RZ", "3:RZ"],
    ),
    "added line": (
        lambda: updated(line(1), line(2), line(3), line(4)),
        ["4:AI"],
        ["1:RZ", "2:RZ", "3:RZ", "4:AI"],
    ),
    "removed line": (
        lambda: updated(line(1), line(3)),
        ["2:DI"],
        ["1:RZ", "3:RZ", "2:DI"],
    ),
    "several on one line": (
        lambda: updated(
            line(1, quantity=Decimal("4"), unit_price=CHEAPER), line(2), line(3, need_by=LATER)
        ),
        ["1:PQ", "3:CT"],
        ["1:RZ", "2:RZ", "3:RZ"],
    ),
    "all three on one line": (
        lambda: updated(line(1), line(2, quantity=Decimal(9), unit_price=CHEAPER, need_by=LATER)),
        ["2:MU", "3:DI"],
        ["1:RZ", "2:RZ", "3:DI"],
    ),
    "cancel": (
        lambda: updated(*SENT.lines, order_type=OrderType.DELETE),
        [],
        [],
    ),
}


def delivered(
    previous: PurchaseOrder | None,
    current: PurchaseOrder,
    partner: X12Settings,
    maps: MapLibrary,
    control_number: int = 31,
) -> tuple[bytes, ReadTransaction]:
    """Map, write and read back: the interchange and its one transaction set."""
    transaction = map_order_change(previous, current, partner, maps, request_date=TODAY)
    data = write_interchange(
        [transaction],
        partner.envelope,
        control_number=control_number,
        version=partner.version,
        now=NOW,
    ).data
    (interchange,) = read_interchanges(data)
    (group,) = interchange.groups
    assert (group.control_number, group.version) == (control_number, partner.version)
    (read,) = group.transactions
    assert read.segments == transaction.segments  # nothing lost or changed on the way
    assert group.functional_id == ("PO" if read.set_id == "850" else "PC")
    return data, read


def tagged(tx: ReadTransaction, tag: str) -> list[Segment]:
    return [s for s in tx.segments if s.tag == tag]


def poc_codes(tx: ReadTransaction) -> list[str]:
    return [f"{s.get(1)}:{s.get(2)}" for s in tagged(tx, "POC")]


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("style", STYLES)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_each_change_in_each_style_reads_back_and_validates_clean(
    maps: MapLibrary, schemas: SetSchemas, scenario: str, style: str, version: str
) -> None:
    current_of, delta, replacement = SCENARIOS[scenario]
    current = current_of()
    _, tx = delivered(SENT, current, settings(version, changes=style), maps)
    assert schemas.validate(tx, version) == ()
    cancel = current.order_type is OrderType.DELETE
    if style == "850":
        assert tx.set_id == "850"
        assert tx.segments[0] == Segment(
            "BEG", ("03" if cancel else "05", "SA", "PO-1001", "4", "20261127")
        )
        assert [s.get(1) for s in tagged(tx, "PO1")] == [x.line_number for x in current.lines]
        return
    assert tx.set_id == "860"
    assert tx.segments[0] == Segment(
        "BCH",
        (
            "01" if cancel else "04",
            "SA",
            "PO-1001",
            "",
            "4",
            "20261127",
            "",
            "",
            "",
            "",
            "20261128",
        ),
    )
    assert poc_codes(tx) == (delta if style == "860-delta" else replacement)


@pytest.mark.parametrize("version", VERSIONS)
def test_a_quantity_increase_is_one_poc_with_the_new_values(maps: MapLibrary, version: str) -> None:
    current = updated(line(1), line(2, quantity=Decimal("8")), line(3))
    _, tx = delivered(SENT, current, settings(version), maps)  # 860-delta is the default
    tags = [s.tag for s in tx.segments]
    assert tags == [
        "BCH", "CUR", "REF", "PER", "FOB", "ITD", "N9", "MSG",
        "N1", "N2", "N3", "N4", "N1", "N1",
        "POC", "PID", "DTM", "CTT", "AMT",
    ]  # fmt: skip
    assert tagged(tx, "REF") == [Segment("REF", ("PP", "4"))]
    # the new quantity, the partner's unit and product ID order (BP, VP, MG); POC04 left out
    assert tagged(tx, "POC") == [
        Segment("POC", ("2", "QI", "8", "", "EA", "12.34", "", "BP", "BP2", "VP", "VP-2"))
    ]
    assert tagged(tx, "PID") == [Segment("PID", ("F", "", "", "", "Hex bolt M2 zinc plated"))]
    assert tagged(tx, "DTM") == [Segment("DTM", ("002", "20261202"))]
    assert tagged(tx, "CTT") == [Segment("CTT", ("1", "8"))]  # POC count, hash total of POC03
    assert tagged(tx, "AMT") == [Segment("AMT", ("TT", "185.1"))]  # the order's total


def test_a_deleted_line_is_named_by_its_number_only(maps: MapLibrary) -> None:
    _, tx = delivered(SENT, updated(line(1), line(3)), settings(), maps)
    assert tx.segments[-3:] == (
        Segment("POC", ("2", "DI")),
        Segment("CTT", ("1", "0")),
        Segment("AMT", ("TT", "185.1")),  # the order's total as Coupa gives it
    )


@pytest.mark.parametrize("style", ["860-delta", "860-replace"])
def test_a_cancellation_is_the_header_without_lines_or_totals(
    maps: MapLibrary, schemas: SetSchemas, style: str
) -> None:
    cancelled = updated(*SENT.lines, order_type=OrderType.DELETE)
    _, tx = delivered(SENT, cancelled, settings(changes=style), maps)
    assert tx.segments[0].get(1) == "01"
    assert [s.tag for s in tx.segments if s.tag in ("POC", "CTT", "AMT")] == []
    assert schemas.validate(tx, "004010") == ()


def test_without_the_earlier_version_the_change_replaces_every_line(maps: MapLibrary) -> None:
    _, tx = delivered(None, updated(line(1), line(4)), settings(), maps)
    assert poc_codes(tx) == ["1:RZ", "4:RZ"]
    assert tagged(tx, "CTT") == [Segment("CTT", ("2", "12.5"))]


@pytest.mark.parametrize("version", VERSIONS)
def test_a_header_only_change_is_an_860_without_lines(
    maps: MapLibrary, schemas: SetSchemas, version: str
) -> None:
    moved = dataclasses.replace(updated(*SENT.lines), shipping_terms="Ex works")
    _, tx = delivered(SENT, moved, settings(version), maps)
    assert tx.segments[0].get(1) == "04"
    assert tagged(tx, "FOB") == [Segment("FOB", ("DF", "ZZ", "Ex works"))]
    assert tagged(tx, "POC") == tagged(tx, "CTT") == []
    assert schemas.validate(tx, version) == ()


def test_a_new_version_with_nothing_changed_still_tells_the_supplier(maps: MapLibrary) -> None:
    _, tx = delivered(SENT, updated(*SENT.lines), settings(), maps)
    assert [s.tag for s in tx.segments][:2] == ["BCH", "CUR"]
    assert tx.segments[0].get(5) == "4"
    assert tagged(tx, "POC") == []


def test_without_a_request_date_bch_ends_with_the_po_date(maps: MapLibrary) -> None:
    transaction = map_order_change(SENT, updated(line(1)), settings(), maps)
    assert transaction.segments[0] == Segment("BCH", ("04", "SA", "PO-1001", "", "4", "20261127"))


def test_850_style_sends_an_order_typed_new_as_a_replacement(maps: MapLibrary) -> None:
    resent = dataclasses.replace(SENT, version=4)  # order_type NEW
    _, tx = delivered(None, resent, settings(changes="850"), maps)
    assert tx.segments[0].get(1) == "05"


def test_a_change_of_another_order_is_refused(maps: MapLibrary) -> None:
    other = dataclasses.replace(SENT, number="PO-2002")
    for style in STYLES:
        with pytest.raises(MappingError, match="PO-2002"):
            map_order_change(other, updated(line(1)), settings(changes=style), maps)


def test_a_change_order_map_that_reads_purchase_orders_is_a_configuration_error(
    maps: MapLibrary,
) -> None:
    wrong = settings(change_order_map="850")
    with pytest.raises(ConfigurationError, match="map '850' reads PurchaseOrder, not OrderChange"):
        map_order_change(SENT, updated(line(1)), wrong, maps)


def test_a_map_for_an_unknown_document_names_the_known_ones(tmp_path: Path) -> None:
    text = (ROOT / "maps" / "860.toml").read_text()
    (tmp_path / "860.toml").write_text(text.replace('"OrderChange"', '"OrderChanges"'))
    with pytest.raises(ConfigurationError, match=r"'OrderChanges' is not one of \['OrderChange',"):
        MapLibrary.load(tmp_path)


def test_change_codes_are_data_in_the_map(tmp_path: Path) -> None:
    text = (ROOT / "maps" / "860.toml").read_text()
    (tmp_path / "860.toml").write_text(
        text.replace('price-quantity = "PQ"', 'price-quantity = "CA"')
    )
    own = MapLibrary.load(tmp_path)
    current = updated(line(1, quantity=Decimal("4"), unit_price=CHEAPER), line(2), line(3))
    transaction = map_order_change(SENT, current, settings(), own)
    assert [s.get(2) for s in transaction.segments if s.tag == "POC"] == ["CA"]


# Golden files: a change to three lines and a new one, as Acme (4010, delta) and Globex (5010,
# replace) receive it.
GOLDEN_CURRENT = updated(
    line(1, quantity=Decimal("4")),
    line(2, unit_price=CHEAPER, need_by=LATER),
    line(4, description="Hex nut M4, stainless"),
)
GOLDEN = [
    ("acme", "860-delta", "order_change_delta.acme.860.x12", ["1:QI", "2:PR", "4:AI", "3:DI"]),
    (
        "globex",
        "860-replace",
        "order_change_replace.globex.860.x12",
        ["1:RZ", "2:RZ", "4:AI", "3:DI"],
    ),
]


@pytest.mark.parametrize(("partner_id", "style", "name", "pocs"), GOLDEN)
def test_golden_change_files(
    maps: MapLibrary, schemas: SetSchemas, partner_id: str, style: str, name: str, pocs: list[str]
) -> None:
    partner = load_partners(ROOT / "partners").get(partner_id).x12
    partner = partner.model_copy(update={"changes": style})
    data, tx = delivered(SENT, GOLDEN_CURRENT, partner, maps, control_number=4712)
    golden = SAMPLES / name
    if os.environ.get("B2B_UPDATE_GOLDEN") == "1":
        golden.write_bytes(data)
    assert data.decode() == golden.read_text(), f"{golden} differs; see the module docstring"
    assert poc_codes(tx) == pocs
    assert schemas.validate(tx, partner.version) == ()
