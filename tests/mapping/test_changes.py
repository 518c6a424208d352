"""order_change: what changed between the order a partner has and the current one, line by line."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from b2b.documents import (
    ChangePurpose,
    LineChangeType,
    Money,
    OrderLine,
    OrderType,
    PurchaseOrder,
)
from b2b.errors import MappingError
from b2b.mapping import order_change
from tests.mapping.orders import line, purchase_order

T = LineChangeType
SENT = purchase_order(lines=3)  # version 3, lines 1..3: 2.5, 5 and 7.5 each at 12.340 USD


def updated(*lines: OrderLine, **header: object) -> PurchaseOrder:
    """SENT as version 4 with `lines`, an update unless `header` says otherwise."""
    values: dict[str, object] = {"order_type": OrderType.UPDATE, "version": 4, "lines": lines}
    return dataclasses.replace(SENT, **{**values, **header})  # type: ignore[arg-type]


def with_line_2(**changes: object) -> PurchaseOrder:
    """Version 4 with line 2 changed as given, lines 1 and 3 as they were."""
    return updated(line(1), line(2, **changes), line(3))


def codes(previous: PurchaseOrder | None, current: PurchaseOrder, **options: bool) -> list[str]:
    return [
        f"{c.line_number}:{c.change.value}"
        for c in order_change(previous, current, **options).lines
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"quantity": Decimal("8")}, T.QUANTITY_INCREASE),
        ({"quantity": Decimal("1")}, T.QUANTITY_DECREASE),
        ({"unit_price": Money(Decimal("11.90"), "USD")}, T.PRICE),
        ({"unit_price": Money(Decimal("12.34"), "EUR")}, T.PRICE),
        ({"unit_price": None}, T.PRICE),
        ({"need_by": dt.date(2027, 1, 15)}, T.DATE),
        ({"need_by": None}, T.DATE),
        ({"description": "Hex bolt M2, stainless"}, T.LINE_ITEM),
        ({"unit_of_measure": "Box"}, T.LINE_ITEM),
        ({"comments": ("Call before delivery",)}, T.LINE_ITEM),
    ],
)
def test_one_change_on_a_line_is_its_own_code(
    changes: dict[str, object], expected: LineChangeType
) -> None:
    (change,) = order_change(SENT, with_line_2(**changes)).lines
    assert (change.line_number, change.change, change.changes) == ("2", expected, (expected,))
    assert change.previous == SENT.lines[1]
    assert change.ordered == line(2, **changes)


@pytest.mark.parametrize(
    ("changes", "expected", "single"),
    [
        (
            {"quantity": Decimal("8"), "unit_price": Money(Decimal("11"), "USD")},
            T.PRICE_QUANTITY,  # PQ
            (T.QUANTITY_INCREASE, T.PRICE),
        ),
        (
            {"unit_price": Money(Decimal("11"), "USD"), "need_by": dt.date(2027, 1, 15)},
            T.PRICE_DATE,  # PR
            (T.PRICE, T.DATE),
        ),
        (
            {"quantity": Decimal("1"), "need_by": dt.date(2027, 1, 15)},
            T.DATE_QUANTITY,  # RQ
            (T.QUANTITY_DECREASE, T.DATE),
        ),
        (
            {
                "quantity": Decimal("8"),
                "unit_price": Money(Decimal("11"), "USD"),
                "need_by": dt.date(2027, 1, 15),
            },
            T.PRICE_QUANTITY_DATE,  # MU
            (T.QUANTITY_INCREASE, T.PRICE, T.DATE),
        ),
        (
            {"quantity": Decimal("8"), "description": "Hex bolt M2, stainless"},
            T.LINE_ITEM,  # CA: the receiver reads the whole line again
            (T.QUANTITY_INCREASE, T.LINE_ITEM),
        ),
    ],
)
def test_several_changes_on_a_line_take_one_combined_code(
    changes: dict[str, object], expected: LineChangeType, single: tuple[LineChangeType, ...]
) -> None:
    (change,) = order_change(SENT, with_line_2(**changes)).lines
    assert (change.change, change.changes) == (expected, single)


def test_added_and_removed_lines_after_the_current_ones() -> None:
    current = updated(line(1, quantity=Decimal("3")), line(3), line(4))
    change = order_change(SENT, current)
    assert codes(SENT, current) == ["1:quantity-increase", "4:added", "2:deleted"]
    added, deleted = change.lines[1], change.lines[2]
    assert (added.ordered, added.previous, added.changes) == (line(4), None, ())
    assert (deleted.ordered, deleted.previous) == (None, SENT.lines[1])


def test_unchanged_lines_are_left_out_and_equal_numbers_are_no_change() -> None:
    same_values = updated(
        line(1, quantity=Decimal("2.5000")),
        line(2, unit_price=Money(Decimal("12.34"), "USD")),
        line(3),
    )
    change = order_change(SENT, same_values)
    assert change.purpose is ChangePurpose.CHANGE
    assert change.lines == ()
    assert change.order is same_values


def test_a_header_only_change_has_no_lines() -> None:
    current = updated(*SENT.lines, shipping_terms="Ex works")
    assert order_change(SENT, current).lines == ()


def test_replace_all_restates_every_line_and_still_names_added_and_removed() -> None:
    current = updated(line(1), line(2, quantity=Decimal("8")), line(4))
    change = order_change(SENT, current, replace_all=True)
    assert codes(SENT, current, replace_all=True) == [
        "1:replace-all",
        "2:replace-all",
        "4:added",
        "3:deleted",
    ]
    assert change.lines[0].changes == ()  # restated, unchanged
    assert change.lines[1].changes == (T.QUANTITY_INCREASE,)  # what the RZ carries


def test_without_the_earlier_version_every_line_is_replaced() -> None:
    current = updated(line(1), line(4))
    change = order_change(None, current)
    assert codes(None, current) == ["1:replace-all", "4:replace-all"]
    assert all(c.previous is None and c.changes == () for c in change.lines)


@pytest.mark.parametrize("previous", [SENT, None])
def test_a_cancellation_is_a_header_cancel_without_lines(previous: PurchaseOrder | None) -> None:
    cancelled = updated(line(1), order_type=OrderType.DELETE)
    change = order_change(previous, cancelled, replace_all=True)
    assert (change.purpose, change.lines, change.order) == (
        ChangePurpose.CANCELLATION,
        (),
        cancelled,
    )


def test_request_date_is_carried() -> None:
    change = order_change(SENT, with_line_2(), request_date=dt.date(2026, 11, 28))
    assert change.request_date == dt.date(2026, 11, 28)


def test_another_orders_previous_version_is_refused() -> None:
    other = dataclasses.replace(SENT, number="PO-2002")
    with pytest.raises(MappingError, match="PO PO-1001 cannot be sent as a change of PO PO-2002"):
        order_change(other, with_line_2())


@pytest.mark.parametrize("twice", ["previous", "current"])
def test_a_repeated_line_number_is_refused(twice: str) -> None:
    repeated = dataclasses.replace(SENT, lines=(line(1), line(2), line(2, quantity=Decimal(1))))
    previous, current = (repeated, with_line_2()) if twice == "previous" else (SENT, repeated)
    with pytest.raises(MappingError, match="has line number 2 twice"):
        order_change(previous, current)
