"""What compiled maps run on: the scope of named values, and X12 text for canonical values."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from b2b.errors import MappingError
from b2b.partners.profile import X12Settings

Scope = dict[str, Any]
"""Names visible to an expression: "order", loop variables ("line", "party"...), SETTINGS."""

SETTINGS = "$settings"  # the partner's X12Settings; not a valid name in a map
DELIMITERS = "$delimiters"  # the partner's four delimiters, for the `clean` filter


class MapSpecError(Exception):
    """A problem in a map file; the loader adds file and segment and raises ConfigurationError."""


def delimiters(settings: X12Settings) -> tuple[str, ...]:
    """The partner's element, segment, component and repetition separators."""
    envelope = settings.envelope
    return (
        envelope.element_separator,
        envelope.segment_terminator,
        envelope.component_separator,
        envelope.repetition_separator,
    )


def present(value: object) -> bool:
    """Whether a value counts as given: not None, not "", not an empty list (0 is present)."""
    return value is not None and value not in ("", ())


def x12_decimal(value: Decimal | int) -> str:
    """X12 R (decimal) text: no exponent, no trailing zeros, "-" for negatives ("2.50" → "2.5")."""
    if isinstance(value, int):
        return str(value)
    text = str(value)
    if "E" in text or not text[-1].isdigit():  # an exponent, or NaN / Infinity
        if not value.is_finite():
            raise MappingError(f"{value} is not a number X12 can carry")
        text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def date8(value: dt.date) -> str:
    """CCYYMMDD (of a datetime's date: date.isoformat gives "CCYY-MM-DD" for both)."""
    return dt.date.isoformat(value).replace("-", "")


def text_of(value: object) -> str:
    """The X12 text of any canonical value (None → "")."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal | int):
        return x12_decimal(value)
    if isinstance(value, dt.date):
        return date8(value)
    raise MappingError(f"{value!r} has no X12 text form")


def line_context(scope: Scope) -> str:
    """ "line 3: " when inside a line loop, for error messages."""
    line = scope.get("line")
    number = getattr(line, "line_number", None)
    return f"line {number}: " if number is not None else ""
