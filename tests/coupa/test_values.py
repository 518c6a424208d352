"""b2b.coupa._values: the number forms cXML and Coupa XML values may take, and the child index."""

from __future__ import annotations

import pytest
from lxml import etree

from b2b.coupa._values import decimal, index, index_many, integer
from b2b.errors import InvalidDocument


@pytest.mark.parametrize(
    ("text", "expected"),
    [("10", "10"), (" 7 ", "7"), ("2.50", "2.50"), (".5", "0.5"), ("5.", "5"), ("+1e3", "1E+3"),
     ("-0", "-0"), ("\u0663", "3")],
)  # fmt: skip
def test_plain_decimal_notation_is_read_exactly(text: str, expected: str) -> None:
    assert str(decimal(text, "where")) == expected


@pytest.mark.parametrize(
    "text", ["", " ", "NaN", "sNaN", "Infinity", "-Inf", "1_000", "1,5", "0x10", "1e", "e3"]
)
def test_other_forms_are_not_numbers(text: str) -> None:
    with pytest.raises(InvalidDocument) as caught:
        decimal(text, "ItemOut line 1 @quantity")

    assert caught.value.reason == f"ItemOut line 1 @quantity: {text!r} is not a number"


def test_negative_numbers_can_be_refused() -> None:
    with pytest.raises(InvalidDocument, match="'-4' must not be negative"):
        decimal("-4", "where", negative=False)


@pytest.mark.parametrize(
    ("text", "expected"), [("30", 30), (" 30 ", 30), ("+3", 3), ("2.0", 2), ("1e2", 100)]
)
def test_whole_numbers(text: str, expected: int) -> None:
    assert integer(text, "where") == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [("2.5", "is not a whole number"), ("v1", "is not a number"), ("1_0", "is not a number")],
)
def test_other_forms_are_not_whole_numbers(text: str, reason: str) -> None:
    with pytest.raises(InvalidDocument, match=reason):
        integer(text, "where")


def test_index_keeps_the_first_child_of_each_tag_and_index_many_every_repeated_one() -> None:
    element = etree.fromstring(b"<h><a>1</a><c>x</c><a>2</a><b/><c>y</c></h>")

    first, every = index_many(element, "c")

    assert {tag: e.text for tag, e in index(element).items()} == {"a": "1", "c": "x", "b": None}
    assert {tag: e.text for tag, e in first.items()} == {"a": "1", "c": "x", "b": None}
    assert [e.text for e in every["c"]] == ["x", "y"]
    assert index(None) == {}
