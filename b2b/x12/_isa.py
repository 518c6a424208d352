"""The ISA: where it ends, the delimiters it defines, and the checks on its values.

The element separator is the character after "ISA", the component separator is ISA16 and the
segment terminator is the character after it; ISA11 is the repetition separator from version
00402 on. The field widths are not enforced, so a padded-with-the-wrong-spaces ISA still reads.

    >>> isa, delimiters, body_start = read_isa(text, 0)
    >>> delimiters.element, [error.code for error in isa_errors(isa)]
    ('*', [])
"""

from __future__ import annotations

import datetime as dt
from typing import cast

from b2b.errors import X12EnvelopeError
from b2b.x12.model import Delimiters, Segment

WHITESPACE = " \t\r\n"
_ISA_SEPARATORS = 16  # "ISA" then 16 elements, each after an element separator
_ISA16_AT = 103  # where the separator before ISA16 is when the fields have their widths
_ISA01 = frozenset({"00", "01", "02", "03", "04", "05", "06"})  # authorization qualifier
_ISA03 = frozenset({"00", "01"})  # security qualifier
_ISA14 = frozenset({"0", "1"})  # acknowledgment requested
_ISA15 = frozenset({"P", "T", "I"})  # usage indicator

#: TA105 note codes (I18) for ISA values that are wrong but do not change how the interchange
#: reads: its TA104 is E (accepted with errors) and read_interchanges does not raise them.
#: 010/012 ISA01/ISA03 qualifiers, 014/015 ISA09 date/ISA10 time, 016 ISA11 before 00402,
#: 017 ISA12 version, 019 ISA14, 020 ISA15. Every other note code rejects the interchange (R).
WARNING_NOTE_CODES = frozenset({"010", "012", "014", "015", "016", "017", "019", "020"})


def interchange_error(reason: str, code: str, number: str | None = None) -> X12EnvelopeError:
    """An interchange-level (TA1) fault with note `code`."""
    return X12EnvelopeError(reason, level="interchange", code=code, control_number=number)


def digits(value: str) -> bool:
    """ASCII digits only ("³" and "٣" are digits to str.isdigit, not to X12)."""
    return value.isascii() and value.isdigit()


def read_isa(text: str, start: int) -> tuple[Segment, Delimiters, int]:
    """The ISA at `start`, its delimiters, and the offset just after its terminator.

    Raises X12EnvelopeError (022, 023, 026, 027 or 004) when no ISA can be read there.
    """
    if not text.startswith("ISA", start):
        found = text[start : start + 20]
        raise interchange_error(
            f"expected an ISA segment at offset {start}, found {found!r}", "022"
        )
    es = text[start + 3 : start + 4]
    if not es or es.isalnum() or es in WHITESPACE:
        raise interchange_error(f"ISA element separator {es!r} is not a delimiter", "026")
    end = start + _ISA16_AT
    if text[end : end + 1] != es or text.count(es, start + 3, end) != _ISA_SEPARATORS - 1:
        end = _before_isa16(text, start, es)  # not the fixed-width ISA
    cs, term = text[end + 1 : end + 2], text[end + 2 : end + 3]
    if not term:
        raise interchange_error("the data ends inside the ISA (premature end of data)", "023")
    if cs.isalnum() or cs in WHITESPACE or cs in (es, term):
        raise interchange_error(f"ISA16 component separator {cs!r} is not a delimiter", "027")
    if term.isalnum() or term in (" ", es):
        raise interchange_error(f"segment terminator {term!r} after ISA16 is invalid", "004")
    values = text[start + 4 : end].split(es)
    isa = Segment("ISA", (*values, cs))
    repetition = values[10] if values[11] >= "00402" and not values[10].isalnum() else ""
    return isa, Delimiters(es, term, cs, repetition), end + 3


def _before_isa16(text: str, start: int, es: str) -> int:
    """The offset of the element separator before ISA16 in the ISA at `start`."""
    end = start + 3
    for _ in range(_ISA_SEPARATORS - 1):
        end = text.find(es, end + 1)
        if end < 0:
            raise interchange_error("the ISA ends before ISA16 (premature end of data)", "023")
    return end


def isa_errors(isa: Segment) -> list[X12EnvelopeError]:
    """The faults in the values of `isa` (from read_isa): 018 (rejects) and the warnings."""
    values = cast("tuple[str, ...]", isa.elements)  # read_isa splits no composites
    number = values[12]
    errors = []
    if not digits(number):
        reason = f"ISA13 control number {number!r} is not numeric"
        errors.append(interchange_error(reason, "018", number))
    for code, reason in _isa_warnings(values):
        errors.append(interchange_error(reason, code, number))
    return errors


def _isa_warnings(values: tuple[str, ...]) -> list[tuple[str, str]]:
    """(note code, reason) for each ISA value that is wrong without changing the reading."""
    isa01, _, isa03, _, _, _, _, _, isa09, isa10, isa11, isa12, _, isa14, isa15, _ = values
    if (
        isa01 in _ISA01
        and isa03 in _ISA03
        and isa14 in _ISA14
        and isa15 in _ISA15
        and (isa12 >= "00402" or isa11 == "U")
        and len(isa12) == 5
        and digits(isa12)
        and _valid_date(isa09)
        and _valid_time(isa10)
    ):
        return []
    checks = (
        ("010", 1, isa01 in _ISA01),
        ("012", 3, isa03 in _ISA03),
        ("014", 9, _valid_date(isa09)),
        ("015", 10, _valid_time(isa10)),
        ("016", 11, isa12 >= "00402" or isa11 == "U"),
        ("017", 12, len(isa12) == 5 and digits(isa12)),
        ("019", 14, isa14 in _ISA14),
        ("020", 15, isa15 in _ISA15),
    )
    return [
        (code, f"ISA{pos:02d} {values[pos - 1]!r} is not a valid value")
        for code, pos, ok in checks
        if not ok
    ]


def _valid_date(yymmdd: str) -> bool:
    """A real date, read as 20YY-MM-DD."""
    if len(yymmdd) != 6 or not digits(yymmdd):
        return False
    try:
        dt.date.fromisoformat("20" + yymmdd)  # YYYYMMDD: ISO 8601 basic format
    except ValueError:
        return False
    return True


def _valid_time(hhmm: str) -> bool:
    """00:00 to 23:59 (two ASCII digits compare as their numbers do)."""
    return len(hhmm) == 4 and digits(hhmm) and hhmm[:2] < "24" and hhmm[2] < "6"
