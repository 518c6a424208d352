"""Value readers shared by the cXML and Coupa XML parsers.

Each takes the text as found and a `where` naming it for the sender ("ItemOut line 2 @quantity"),
and raises InvalidDocument naming that place when the text is not what the standard allows.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from lxml import etree

from b2b.errors import InvalidDocument

# Plain decimal notation only: Decimal() alone would also take "NaN", "Infinity" and "1_000".
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_INTEGER = re.compile(r"[+-]?\d+")


def text_of(element: etree._Element | None) -> str | None:
    """The element's text, stripped; None when the element or its text is absent or blank."""
    if element is None or element.text is None:
        return None
    return element.text.strip() or None


def collapsed(text: str | None) -> str | None:
    """`text` with each run of whitespace (line breaks included) turned into one space."""
    if text is None:
        return None
    return " ".join(text.split()) or None


def decimal(text: str, where: str, *, negative: bool = True) -> Decimal:
    """An exact Decimal from `text`; InvalidDocument naming `where` if it is not a number."""
    stripped = text.strip()
    if not _NUMBER.fullmatch(stripped):
        raise InvalidDocument(f"{where}: {text!r} is not a number")
    value = Decimal(stripped)
    if not negative and value < 0:
        raise InvalidDocument(f"{where}: {text!r} must not be negative")
    return value


def integer(text: str, where: str) -> int:
    """An int from `text`; a whole decimal such as "2.0" is accepted, "2.5" is not."""
    stripped = text.strip()
    if _INTEGER.fullmatch(stripped):
        return int(stripped)
    value = decimal(stripped, where)
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


def child(element: etree._Element | None, tag: str) -> etree._Element | None:
    """The first child element named `tag`, or None (also when `element` is None)."""
    if element is None:
        return None
    return next(element.iterchildren(tag), None)


def texts(element: etree._Element | None, tag: str) -> tuple[str, ...]:
    """The non-blank texts of every child named `tag`, in document order."""
    if element is None:
        return ()
    return tuple(t for e in element.iterchildren(tag) if (t := text_of(e)) is not None)
