"""Reading values out of a received transaction set: positions, typed elements, loops, parties.

Every failure is an InvalidDocument naming the element, the segment and its position in the set
(ST = 1, the first segment after ST = 2), the numbers a 997/999 reports (AK3/IK3, AK4/IK4).

    >>> bak = body(transaction)[0]
    >>> required(bak, 3, "purchase order number"), date(bak, 4)
    ('HMG-PO-100482', datetime.date(2024, 6, 10))
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal

from b2b.documents import Address, Contact, DocumentParty, EntityRole, ProductIdKind
from b2b.errors import InvalidDocument
from b2b.x12.model import ReadTransaction, Segment

_DECIMAL = re.compile(r"^-?(\d+\.?\d*|\.\d+)$")  # X12 R: optional sign, optional point
_INTEGER = re.compile(r"^-?\d+$")  # X12 N0 / Nn before the implied point
_DATE = re.compile(r"^\d{8}$")  # X12 DT, CCYYMMDD
_TIME = re.compile(r"^(\d{2})(\d{2})(\d{2})?(\d{1,2})?$")  # X12 TM, HHMM[SS[D[D]]]
_PARTY_TAGS = frozenset({"N2", "N3", "N4", "PER", "REF"})


@dataclass(frozen=True, slots=True)
class Located:
    """A segment and its position in the transaction set (ST = 1)."""

    position: int
    segment: Segment

    @property
    def tag(self) -> str:
        """The segment tag, e.g. "BAK"."""
        return self.segment.tag


def body(transaction: ReadTransaction) -> tuple[Located, ...]:
    """The segments between ST and SE with their positions (the first one is 2).

    >>> [s.position for s in body(transaction)][:2]
    [2, 3]
    """
    return tuple(Located(i, s) for i, s in enumerate(transaction.segments, start=2))


def invalid(where: Located, pos: int, problem: str) -> InvalidDocument:
    """An InvalidDocument for element `pos` of `where`: "BAK03 is missing (segment BAK at..."."""
    return InvalidDocument(
        f"{where.tag}{pos:02d} {problem} (segment {where.tag} at position {where.position})"
    )


def missing_segment(tag: str, what: str, position: int = 2) -> InvalidDocument:
    """An InvalidDocument for a required segment that is absent, naming where it was expected."""
    return InvalidDocument(f"{tag} ({what}) is missing (expected at position {position})")


def missing_in_loop(tag: str, what: str, loop: Located) -> InvalidDocument:
    """An InvalidDocument for a segment a loop requires: "SN1 (...) is missing from the HL loop
    at position 12"."""
    return InvalidDocument(
        f"{tag} ({what}) is missing from the {loop.tag} loop at position {loop.position}"
    )


def first(segments: Sequence[Located], tag: str) -> Located | None:
    """The first segment with `tag`, or None."""
    return next((s for s in segments if s.tag == tag), None)


def tagged(segments: Sequence[Located], tag: str) -> list[Located]:
    """Every segment with `tag`, in order."""
    return [s for s in segments if s.tag == tag]


def optional(where: Located, pos: int) -> str | None:
    """Element `pos`, stripped of padding; None when absent or blank."""
    return where.segment.get(pos).strip() or None


def required(where: Located, pos: int, what: str) -> str:
    """Element `pos`, or InvalidDocument naming it and `what` it means."""
    value = optional(where, pos)
    if value is None:
        raise invalid(where, pos, f"({what}) is missing")
    return value


def required_implied(where: Located, pos: int, what: str) -> Decimal:
    """Element `pos` as an amount with two implied decimals, or InvalidDocument when missing."""
    value = implied(where, pos)
    if value is None:
        raise invalid(where, pos, f"({what}) is missing")
    return value


def decimal(where: Located, pos: int) -> Decimal | None:
    """Element `pos` as an X12 decimal (R): "2.5", "-5", ".75"; None when absent."""
    value = optional(where, pos)
    if value is None:
        return None
    if not _DECIMAL.match(value):
        raise invalid(where, pos, f"{value!r} is not a number")
    return Decimal(value)


def required_decimal(where: Located, pos: int, what: str) -> Decimal:
    """Element `pos` as a decimal, or InvalidDocument when it is missing or not a number."""
    value = decimal(where, pos)
    if value is None:
        raise invalid(where, pos, f"({what}) is missing")
    return value


def implied(where: Located, pos: int, places: int = 2) -> Decimal | None:
    """Element `pos` as an X12 Nn number with `places` implied decimals: "255438" → 2554.38."""
    value = optional(where, pos)
    if value is None:
        return None
    if not _INTEGER.match(value):
        raise invalid(where, pos, f"{value!r} is not a whole number (N{places}, implied decimals)")
    return Decimal(value).scaleb(-places)


def integer(where: Located, pos: int) -> int | None:
    """Element `pos` as a whole number (N0); None when absent."""
    value = optional(where, pos)
    if value is None:
        return None
    if not _INTEGER.match(value):
        raise invalid(where, pos, f"{value!r} is not a whole number")
    return int(value)


def date(where: Located, pos: int) -> dt.date | None:
    """Element `pos` as a CCYYMMDD date; None when absent, InvalidDocument when impossible."""
    value = optional(where, pos)
    if value is None:
        return None
    if _DATE.match(value):
        try:
            return dt.date(int(value[:4]), int(value[4:6]), int(value[6:]))
        except ValueError:
            pass
    raise invalid(where, pos, f"{value!r} is not a date (CCYYMMDD)")


def required_date(where: Located, pos: int, what: str) -> dt.date:
    """Element `pos` as a date, or InvalidDocument when it is missing or impossible."""
    value = date(where, pos)
    if value is None:
        raise invalid(where, pos, f"({what}) is missing")
    return value


def time(where: Located, pos: int) -> dt.time | None:
    """Element `pos` as an HHMM[SS[DD]] time; None when absent, InvalidDocument when impossible."""
    value = optional(where, pos)
    if value is None:
        return None
    match = _TIME.match(value)
    if match:
        hour, minute, second, fraction = match.groups()
        try:
            micro = int((fraction or "0").ljust(2, "0")) * 10_000
            return dt.time(int(hour), int(minute), int(second or 0), micro)
        except ValueError:
            pass
    raise invalid(where, pos, f"{value!r} is not a time (HHMM[SS])")


def product_ids(where: Located, start: int) -> tuple[tuple[str, str], ...]:
    """The (qualifier, value) pairs from element `start` on (PO106/07, LIN02/03...).

    A known qualifier becomes its ProductIdKind; a pair with a blank side is skipped.
    """
    pairs: list[tuple[str, str]] = []
    for pos in range(start, len(where.segment.elements) + 1, 2):
        qualifier, value = optional(where, pos), optional(where, pos + 1)
        if qualifier and value:
            pairs.append((_known(ProductIdKind, qualifier), value))
    return tuple(pairs)


def _known(codes: type[ProductIdKind] | type[EntityRole], code: str) -> str:
    try:
        return codes(code)
    except ValueError:
        return code


def references(segments: Sequence[Located]) -> tuple[tuple[str, str], ...]:
    """The (REF01, REF02) pairs of `segments`' REFs; a REF with only REF03 keeps that text."""
    found: list[tuple[str, str]] = []
    for ref in tagged(segments, "REF"):
        qualifier = required(ref, 1, "reference identification qualifier")
        value = optional(ref, 2) or optional(ref, 3)
        if value:
            found.append((qualifier, value))
    return tuple(found)


def reference(segments: Sequence[Located], qualifier: str) -> str | None:
    """REF02 of the first REF with REF01 `qualifier`, or None."""
    return next((value for q, value in references(segments) if q == qualifier), None)


def dated(segments: Sequence[Located], qualifier: str) -> dt.date | None:
    """DTM02 of the first DTM with DTM01 `qualifier` (011 shipped, 017 delivery...), or None."""
    for dtm in tagged(segments, "DTM"):
        if optional(dtm, 1) == qualifier:
            return date(dtm, 2)
    return None


def description(segments: Sequence[Located]) -> str | None:
    """PID05 of the first PID that has one (free-form description)."""
    return next((d for pid in tagged(segments, "PID") if (d := optional(pid, 5))), None)


def split_loops(
    segments: Sequence[Located], start: str, end: Collection[str]
) -> tuple[list[Located], list[list[Located]], list[Located]]:
    """(header, loops, summary): the loops begin at each `start` tag; the summary at the first
    `end` tag after the header."""
    header: list[Located] = []
    loops: list[list[Located]] = []
    summary: list[Located] = []
    for s in segments:
        if summary or (s.tag in end and (loops or s.tag != start)):
            summary.append(s)
        elif s.tag == start:
            loops.append([s])
        elif loops:
            loops[-1].append(s)
        else:
            header.append(s)
    return header, loops, summary


def split_parties(segments: Sequence[Located]) -> tuple[list[Located], tuple[DocumentParty, ...]]:
    """The segments outside N1 loops, and the parties the N1 loops (N1 N2 N3 N4 PER REF) name."""
    loose: list[Located] = []
    loops: list[list[Located]] = []
    in_party = False
    for s in segments:
        if s.tag == "N1":
            loops.append([s])
            in_party = True
        elif in_party and s.tag in _PARTY_TAGS:
            loops[-1].append(s)
        else:
            in_party = False
            loose.append(s)
    return loose, tuple(_party(loop) for loop in loops)


def _party(loop: Sequence[Located]) -> DocumentParty:
    n1 = loop[0]
    return DocumentParty(
        role=_known(EntityRole, required(n1, 1, "entity identifier code")),
        name=optional(n1, 2),
        id_qualifier=optional(n1, 3),
        identifier=optional(n1, 4),
        additional_names=tuple(n for n2 in tagged(loop, "N2") for n in _values(n2, 1, 2)),
        address=_address(loop),
        contact=_contact(loop),
    )


def _values(where: Located, *positions: int) -> list[str]:
    return [v for pos in positions if (v := optional(where, pos))]


def _address(loop: Sequence[Located]) -> Address | None:
    street = tuple(v for n3 in tagged(loop, "N3") for v in _values(n3, 1, 2))
    n4 = first(loop, "N4")
    if not street and n4 is None:
        return None
    if n4 is None:
        return Address(street=street)
    return Address(street, optional(n4, 1), optional(n4, 2), optional(n4, 3), optional(n4, 4))


def _contact(loop: Sequence[Located]) -> Contact | None:
    pers = tagged(loop, "PER")
    if not pers:
        return None
    numbers = {
        optional(per, pos): optional(per, pos + 1) for per in reversed(pers) for pos in (3, 5, 7)
    }
    name = next((n for per in pers if (n := optional(per, 2))), None)
    return Contact(name=name, email=numbers.get("EM"), phone=numbers.get("TE"))
