"""856 ship notice → ShipNotice: the HL hierarchy's meaning, without its shape.

The segments before the first HL and those of shipment-level HLs (HL03 "S") give the shipment:
BSN, DTM 011/017, TD1 (first), TD5 (first), REF (BM bill of lading, CN carrier reference), N1
loops. Each PRF (normally in an order-level HL, "O") names an order the shipment covers, with the
order level's N1 loops. Each item-level HL ("I") is an item: LIN, SN1, PID, linked to the nearest
PRF up its HL02 parents (or, where parents are not given, the last order seen) and to the MAN
marks of the nearest pack or tare holding it. TD3, TD4, PO4, CLD and CTT are not read.

    >>> read_ship_notice(body(transaction)).items[0].po_number
    'HMG-PO-100482'
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TypedDict

from b2b.documents import Carrier, ShipNotice, ShippedItem, ShippedOrder
from b2b.errors import InvalidDocument
from b2b.mapping.inbound.elements import (
    Located,
    date,
    dated,
    decimal,
    description,
    first,
    integer,
    missing_in_loop,
    missing_segment,
    optional,
    product_ids,
    reference,
    references,
    required,
    required_date,
    required_decimal,
    split_loops,
    split_parties,
    time,
)

_SHIPMENT, _ORDER, _ITEM = "S", "O", "I"


@dataclass
class _Level:
    """One HL and the segments up to the next HL."""

    hl: Located
    segments: list[Located] = field(default_factory=list)
    parent: _Level | None = None

    @property
    def code(self) -> str:
        """HL03 hierarchical level code: S shipment, O order, P pack, T tare, I item..."""
        return optional(self.hl, 3) or ""

    def ancestry(self) -> Iterator[_Level]:
        """This level, its parent, its parent's parent..."""
        level: _Level | None = self
        while level is not None:
            yield level
            level = level.parent


def read_ship_notice(segments: Sequence[Located]) -> ShipNotice:
    """The ShipNotice an 856's body (from `elements.body`) states."""
    header, loops, _summary = split_loops(segments, "HL", end={"CTT"})
    bsn = first(header, "BSN")
    if bsn is None:
        raise missing_segment("BSN", "beginning segment for ship notice")
    levels = _levels(loops)
    shipment = header + [s for lv in levels if lv.code == _SHIPMENT for s in lv.segments]
    loose, parties = split_parties(shipment)
    orders = _orders(levels)
    if not orders:
        raise InvalidDocument(
            f"no PRF names a purchase order: the 856 has no order-level HL (HL03 'O') with a PRF"
            f" (segment BSN at position {bsn.position})"
        )
    return ShipNotice(
        purpose=required(bsn, 1, "transaction set purpose code"),
        shipment_id=required(bsn, 2, "shipment identification"),
        notice_date=required_date(bsn, 3, "date"),
        notice_time=time(bsn, 4),
        orders=orders,
        items=tuple(_item(lv, levels) for lv in levels if lv.code == _ITEM),
        shipped_date=dated(loose, "011"),
        delivery_date=dated(loose, "017"),
        carrier=_carrier(loose),
        bill_of_lading=reference(loose, "BM"),
        tracking_number=reference(loose, "CN"),
        references=references(loose),
        parties=parties,
        **_lading(first(loose, "TD1")),
    )


def _levels(loops: Sequence[Sequence[Located]]) -> list[_Level]:
    """The HLs, each linked to its HL02 parent; a parent must come first, so no cycle forms."""
    levels: list[_Level] = []
    by_id: dict[str | None, _Level] = {}
    for loop in loops:
        parent_id = optional(loop[0], 2)
        level = _Level(loop[0], list(loop[1:]), by_id.get(parent_id) if parent_id else None)
        by_id.setdefault(optional(loop[0], 1), level)
        levels.append(level)
    return levels


def _orders(levels: Sequence[_Level]) -> tuple[ShippedOrder, ...]:
    found: dict[str, ShippedOrder] = {}
    for lv in levels:
        prf = first(lv.segments, "PRF")
        if prf is None:
            if lv.code == _ORDER:
                raise missing_in_loop("PRF", "purchase order reference", lv.hl)
            continue
        number = required(prf, 1, "purchase order number")
        parties = split_parties(lv.segments)[1] if lv.code == _ORDER else ()
        found.setdefault(number, ShippedOrder(number, date(prf, 4), optional(prf, 2), parties))
    return tuple(found.values())


def _item(level: _Level, levels: Sequence[_Level]) -> ShippedItem:
    sn1 = first(level.segments, "SN1")
    if sn1 is None:
        raise missing_in_loop("SN1", "item detail (shipment)", level.hl)
    lin = first(level.segments, "LIN")
    return ShippedItem(
        quantity=required_decimal(sn1, 2, "number of units shipped"),
        unit_of_measure=required(sn1, 3, "unit of measurement code"),
        po_number=_po_number(level, levels),
        line_number=optional(lin, 1) if lin else None,
        product_ids=product_ids(lin, 2) if lin else (),
        quantity_ordered=decimal(sn1, 5),
        description=description(level.segments),
        package_marks=_marks(level),
    )


def _po_number(level: _Level, levels: Sequence[_Level]) -> str | None:
    for lv in level.ancestry():
        prf = first(lv.segments, "PRF")
        if prf is not None:
            return optional(prf, 1)
    before = levels[: levels.index(level)]  # no PRF up the HL02 chain: the last order before
    orders = (first(lv.segments, "PRF") for lv in reversed(before) if lv.code == _ORDER)
    return next((optional(prf, 1) for prf in orders if prf is not None), None)


def _marks(level: _Level) -> str | None:
    for lv in level.ancestry():
        man = first(lv.segments, "MAN")
        if man is not None:
            return optional(man, 2)
    return None


def _carrier(segments: Sequence[Located]) -> Carrier | None:
    td5 = first(segments, "TD5")
    if td5 is None:
        return None
    return Carrier(optional(td5, 2), optional(td5, 3), optional(td5, 4), optional(td5, 5))


class _Lading(TypedDict, total=False):
    packaging_code: str | None
    package_count: int | None
    weight: Decimal | None
    weight_unit: str | None


def _lading(td1: Located | None) -> _Lading:
    """TD1: packaging code, lading quantity, weight and its unit."""
    if td1 is None:
        return {}
    return {
        "packaging_code": optional(td1, 1),
        "package_count": integer(td1, 2),
        "weight": decimal(td1, 7),
        "weight_unit": optional(td1, 8),
    }
