"""Changes out: a changed or cancelled order becomes an 860, or an 850 that replaces or deletes.

`order_change` compares the version the partner was sent with the current one, line by line
(lines match by line number); `map_order_change` picks the partner's way (`x12.changes`):

- "860-delta": an 860 of what changed. Each changed line is one POC whose POC02 says what:
  AI added, DI deleted, QI/QD quantity, PC price, CT date; several at once take X12's combined
  code (PQ price and quantity, PR price and date, RQ date and quantity, MU all three), and any
  other change to a line (unit, description, product IDs, comments) CA. Unchanged lines are left
  out, so a change to the header only (ship-to, terms...), or to nothing the gateway carries, is
  an 860 without POC loops: its header restates the order and BCH05 names the new version. That
  is not an error: Coupa raises the version when the supplier must be sent the order again.
- "860-replace": an 860 restating every current line with RZ (replace all values), added lines
  as AI and removed ones as DI when the earlier version is known.
- "850": an 850 carrying the whole current order, BEG01 05 (replace), or 03 (delete) for a
  cancellation.

A cancellation (OrderType.DELETE) is an 860 header cancel (BCH01 01) without lines. Without the
earlier version (never sent, or unknown) an update is a full replacement: every line RZ, and a
line removed since cannot be named.

    >>> change = order_change(sent, current)
    >>> transaction = map_order_change(sent, current, partner.x12, maps, request_date=today)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator

from b2b.documents import (
    ChangePurpose,
    LineChange,
    LineChangeType,
    OrderChange,
    OrderLine,
    OrderType,
    PurchaseOrder,
)
from b2b.errors import MappingError
from b2b.mapping.library import MapLibrary, map_purchase_order
from b2b.partners.profile import X12Settings
from b2b.x12.model import Transaction

_T = LineChangeType
_KIND = {  # a quantity change is one kind, up or down
    _T.QUANTITY_INCREASE: "quantity",
    _T.QUANTITY_DECREASE: "quantity",
    _T.PRICE: "price",
    _T.DATE: "date",
}
_COMBINED = {  # X12 670's codes for several changes on one line
    frozenset({"price", "quantity"}): _T.PRICE_QUANTITY,
    frozenset({"price", "date"}): _T.PRICE_DATE,
    frozenset({"date", "quantity"}): _T.DATE_QUANTITY,
    frozenset({"price", "quantity", "date"}): _T.PRICE_QUANTITY_DATE,
}


def order_change(
    previous: PurchaseOrder | None,
    current: PurchaseOrder,
    *,
    replace_all: bool = False,
    request_date: dt.date | None = None,
) -> OrderChange:
    """What changed from `previous` (the version the partner has, None if unknown) to `current`.

    `replace_all` restates every current line (RZ) instead of only the changed ones. A MappingError
    when the two are different orders, or an order repeats a line number.

        >>> [line.change for line in order_change(sent, current).lines]
        [<LineChangeType.QUANTITY_INCREASE: 'quantity-increase'>, <LineChangeType.ADDED: 'added'>]
    """
    if previous is not None and previous.number != current.number:
        raise MappingError(
            f"PO {current.number} cannot be sent as a change of PO {previous.number}"
        )
    if current.order_type is OrderType.DELETE:
        return OrderChange(current, ChangePurpose.CANCELLATION, (), request_date)
    if previous is None:
        lines = tuple(_restated(line, None) for line in _by_number(current).values())
    else:
        lines = tuple(_line_changes(_by_number(previous), _by_number(current), replace_all))
    return OrderChange(current, ChangePurpose.CHANGE, lines, request_date)


def map_order_change(
    previous: PurchaseOrder | None,
    current: PurchaseOrder,
    partner: X12Settings,
    maps: MapLibrary,
    *,
    request_date: dt.date | None = None,
) -> Transaction:
    """The partner's transaction for a changed or cancelled order: 860 or 850, by `x12.changes`.

    The 860 comes from the map `x12.change_order_map`, the 850 from `x12.purchase_order_map`;
    `request_date` is the 860's change request date (BCH11). A MappingError when the change
    cannot be expressed: `previous` is another order, or an order repeats a line number.

        >>> map_order_change(sent, current, partner.x12, maps, request_date=today).set_id
        '860'
    """
    if partner.changes == "850":
        return map_purchase_order(_replacement(previous, current), partner, maps)
    change = order_change(
        previous,
        current,
        replace_all=partner.changes == "860-replace",
        request_date=request_date,
    )
    return maps.get(partner.change_order_map, partner.version).transaction(change, partner)


def _replacement(previous: PurchaseOrder | None, current: PurchaseOrder) -> PurchaseOrder:
    """`current` as an 850 that replaces the order sent before (05), or deletes it (03)."""
    if previous is not None and previous.number != current.number:
        raise MappingError(f"PO {current.number} cannot replace PO {previous.number}")
    if current.order_type is OrderType.DELETE:
        return current
    return dataclasses.replace(current, order_type=OrderType.UPDATE)


def _by_number(order: PurchaseOrder) -> dict[str, OrderLine]:
    lines: dict[str, OrderLine] = {}
    for line in order.lines:
        if line.line_number in lines:
            raise MappingError(
                f"PO {order.number} has line number {line.line_number} twice; changes match"
                " lines by number"
            )
        lines[line.line_number] = line
    return lines


def _line_changes(
    previous: dict[str, OrderLine], current: dict[str, OrderLine], replace_all: bool
) -> Iterator[LineChange]:
    """The current lines in order (added, changed, restated), then the deleted ones."""
    for number, line in current.items():
        before = previous.get(number)
        if before is None:
            yield LineChange(number, _T.ADDED, line)
        elif replace_all:
            yield _restated(line, before)
        elif before != line:
            yield _changed(line, before)
    for number, before in previous.items():
        if number not in current:
            yield LineChange(number, _T.DELETED, None, before)


def _restated(line: OrderLine, before: OrderLine | None) -> LineChange:
    changes = () if before is None else _differences(before, line)
    return LineChange(line.line_number, _T.REPLACE_ALL, line, before, changes)


def _changed(line: OrderLine, before: OrderLine) -> LineChange:
    changes = _differences(before, line)
    return LineChange(line.line_number, _change_code(changes), line, before, changes)


def _differences(before: OrderLine, after: OrderLine) -> tuple[LineChangeType, ...]:
    """The single changes from `before` to `after`: quantity, price, date, anything else."""
    found: list[LineChangeType] = []
    if after.quantity > before.quantity:
        found.append(_T.QUANTITY_INCREASE)
    elif after.quantity < before.quantity:
        found.append(_T.QUANTITY_DECREASE)
    if after.unit_price != before.unit_price:
        found.append(_T.PRICE)
    if after.need_by != before.need_by:
        found.append(_T.DATE)
    rest = dataclasses.replace(
        after, quantity=before.quantity, unit_price=before.unit_price, need_by=before.need_by
    )
    if rest != before:
        found.append(_T.LINE_ITEM)
    return tuple(found)


def _change_code(changes: tuple[LineChangeType, ...]) -> LineChangeType:
    """One POC02 for a line's changes: the single one, X12's combined code, or CA."""
    if len(changes) == 1:
        return changes[0]
    if _T.LINE_ITEM in changes or not changes:
        return _T.LINE_ITEM
    return _COMBINED[frozenset(_KIND[c] for c in changes)]
