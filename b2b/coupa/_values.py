"""Value readers shared by the cXML and Coupa XML parsers.

Each takes the text as found and a `where` naming it for the sender ("ItemOut line 2 @quantity"),
and raises InvalidDocument naming that place when the text is not what the standard allows.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from lxml import etree

from b2b.errors import InvalidDocument

_NAN = Decimal("NaN")


def text_of(element: etree._Element | None) -> str | None:
    """The element's text, stripped; None when the element or its text is absent or blank."""
    if element is None:
        return None
    text = element.text  # lxml builds a new str on each access: read it once
    return text.strip() or None if text is not None else None


def collapsed(text: str | None) -> str | None:
    """`text` with each run of whitespace (line breaks included) turned into one space."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def decimal(text: str, where: str, *, negative: bool = True) -> Decimal:
    """An exact Decimal from `text`; InvalidDocument naming `where` if it is not a number."""
    try:
        value = Decimal(text)  # strips white space itself, as str.strip() does
    except ArithmeticError:  # decimal.InvalidOperation
        value = _NAN
    # Plain decimal notation only: Decimal() alone also takes "NaN", "Infinity" and "1_000".
    if not value.is_finite() or "_" in text:
        raise InvalidDocument(f"{where}: {text!r} is not a number")
    if not negative and value < 0:
        raise InvalidDocument(f"{where}: {text!r} must not be negative")
    return value


def integer(text: str, where: str) -> int:
    """An int from `text`; a whole decimal such as "2.0" is accepted, "2.5" is not."""
    if text.isdecimal():  # the common case: digits only
        return int(text)
    value = decimal(text.strip(), where)
    if value != value.to_integral_value():
        raise InvalidDocument(f"{where}: {text!r} is not a whole number")
    return int(value)


def timestamp(text: str, where: str) -> dt.datetime:
    """An ISO 8601 date-time ("2024-06-10T09:18:40-07:00"; a date alone means midnight)."""
    try:
        return dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise InvalidDocument(f"{where}: {text!r} is not an ISO 8601 date-time") from exc


def date(text: str, where: str) -> dt.date:
    """The calendar date as written in an ISO 8601 date or date-time (no zone conversion)."""
    return timestamp(text, where).date()


def index(element: etree._Element | None) -> dict[str, etree._Element]:
    """The first child element of each tag: one pass instead of one `find` per field."""
    if element is None:
        return {}
    return {child.tag: child for child in reversed(element)}


def index_many(
    element: etree._Element, *repeated: str
) -> tuple[dict[str, etree._Element], dict[str, list[etree._Element]]]:
    """`index(element)`, and every child of each `repeated` tag in document order: one pass."""
    first: dict[str, etree._Element] = {}
    every: dict[str, list[etree._Element]] = {tag: [] for tag in repeated}
    for found in element:
        tag = found.tag
        if tag in every:
            every[tag].append(found)
        if tag not in first:
            first[tag] = found
    return first, every


def child(element: etree._Element | None, tag: str) -> etree._Element | None:
    """The first child element named `tag`, or None (also when `element` is None)."""
    if element is not None:
        for found in element:  # cheaper than iterchildren(tag) for the few children cXML has
            if found.tag == tag:
                return found
    return None
