"""b2b.coupa._build: the parsers' fast constructors build exactly what the classes build."""

from __future__ import annotations

import dataclasses
import datetime as dt
from decimal import Decimal

import pytest

from b2b import documents
from b2b.coupa import _build as build
from b2b.coupa._build import constructor


def test_each_constructor_builds_the_same_frozen_object_as_its_class() -> None:
    line = build.OrderLine(
        line_number="1",
        quantity=Decimal("2.5"),
        unit_of_measure="EA",
        unit_price=build.Money(amount=Decimal("8.95"), currency="USD"),
        need_by=dt.date(2024, 6, 17),
    )
    expected = documents.OrderLine(
        line_number="1",
        quantity=Decimal("2.5"),
        unit_of_measure="EA",
        unit_price=documents.Money(Decimal("8.95"), "USD"),
        need_by=dt.date(2024, 6, 17),
    )

    assert line == expected
    assert hash(line) == hash(expected)
    assert type(line) is documents.OrderLine
    assert line.product_ids == ()  # the class's defaults
    assert line.comments == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        line.quantity = Decimal(3)  # type: ignore[misc]


def test_constructors_take_positional_arguments_and_keep_repr_rules() -> None:
    received = build.ReceivedOrder(
        documents.SourceFormat.CXML,
        "1@host",
        build.PurchaseOrder(number="4711", order_type=documents.OrderType.NEW, lines=()),
        shared_secret="s3cret",
    )

    assert received == documents.ReceivedOrder(
        documents.SourceFormat.CXML,
        "1@host",
        documents.PurchaseOrder("4711", documents.OrderType.NEW, ()),
        shared_secret="s3cret",
    )
    assert "s3cret" not in repr(received)


def test_a_missing_argument_is_refused_as_by_the_class() -> None:
    with pytest.raises(TypeError, match="currency"):
        build.Money(amount=Decimal(1))  # type: ignore[call-arg]


@dataclasses.dataclass(frozen=True)
class _NoSlots:
    a: int


@dataclasses.dataclass(frozen=True, slots=True)
class _PostInit:
    a: int

    def __post_init__(self) -> None:
        pass


@dataclasses.dataclass(frozen=True, slots=True)
class _Factory:
    a: list[int] = dataclasses.field(default_factory=list)


@pytest.mark.parametrize("cls", [_NoSlots, _PostInit, _Factory, int])
def test_a_class_it_cannot_copy_exactly_is_refused(cls: type) -> None:
    with pytest.raises(TypeError):
        constructor(cls)
