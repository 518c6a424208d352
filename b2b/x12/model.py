"""X12 values: segments, transaction sets, delimiters, and interchanges as written or read.

Positions are 1-based as in the standard: BEG03 is `segment.get(3)` (`elements[2]`).

    >>> beg = Segment("BEG", ("00", "SA", "4711", "", "20240131"))
    >>> beg.get(3), beg.get(9)
    ('4711', '')
"""

from __future__ import annotations

from dataclasses import dataclass

Element = str | tuple[str, ...]
"""A simple element, or the components of a composite element."""


@dataclass(frozen=True, slots=True)
class Segment:
    """One segment: its tag (`BEG`) and its elements, without trailing empty elements."""

    tag: str
    elements: tuple[Element, ...]

    def get(self, pos: int) -> str:
        """Element `pos` (1-based) as text; "" if absent; a composite gives its first component."""
        if 0 < pos <= len(self.elements):
            value = self.elements[pos - 1]
            if isinstance(value, str):
                return value
            return value[0] if value else ""
        return ""

    def component(self, pos: int, sub: int) -> str:
        """Component `sub` (1-based) of element `pos`; a simple element is its own component 1."""
        if not 0 < pos <= len(self.elements):
            return ""
        value = self.elements[pos - 1]
        if isinstance(value, str):
            return value if sub == 1 else ""
        return value[sub - 1] if 0 < sub <= len(value) else ""


@dataclass(frozen=True, slots=True)
class Transaction:
    """A transaction set body (the segments between ST and SE) and the group it belongs in."""

    set_id: str  # ST01, e.g. "850"
    functional_id: str  # GS01, e.g. "PO"
    version: str  # GS08, e.g. "004010"
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class Delimiters:
    """The four separators an ISA defines (`repetition` is "" before version 00402)."""

    element: str
    segment: str
    component: str
    repetition: str


@dataclass(frozen=True, slots=True)
class Interchange:
    """A written interchange: its bytes and the control numbers assigned to it."""

    control_number: int  # ISA13 == IEA02
    group_control_number: int  # GS06 == GE02
    transaction_control_numbers: tuple[str, ...]  # ST02 of each set, in order
    data: bytes


@dataclass(frozen=True, slots=True)
class ReadTransaction:
    """A transaction set as read: the body without ST/SE, and the raw ST and SE.

    A set whose SE is missing (b2b.x12.check reports it, code 2) has `se == Segment("SE", ())`.
    """

    set_id: str
    control_number: str
    segments: tuple[Segment, ...]
    st: Segment
    se: Segment


@dataclass(frozen=True, slots=True)
class ReadGroup:
    """A functional group as read (GS ... GE).

    b2b.x12.check also gives groups it rejects: a missing GE reads as `Segment("GE", ())`, and
    `control_number` is 0 when GS06 is not a number.
    """

    functional_id: str
    control_number: int
    version: str
    transactions: tuple[ReadTransaction, ...]
    gs: Segment
    ge: Segment


@dataclass(frozen=True, slots=True)
class ReadInterchange:
    """An interchange as read (ISA ... IEA). `isa` keeps ISA01..ISA16 verbatim (with padding).

    `ta1` holds the TA1 segments found outside any functional group (a partner's interchange
    acknowledgments); b2b.x12.acks.read_acknowledgments reads them.
    """

    isa: Segment
    delimiters: Delimiters
    control_number: int
    groups: tuple[ReadGroup, ...]
    iea: Segment
    ta1: tuple[Segment, ...] = ()

    @property
    def sender(self) -> tuple[str, str]:
        """(ISA05 qualifier, ISA06 identifier without padding)."""
        return self.isa.get(5), self.isa.get(6).strip()

    @property
    def receiver(self) -> tuple[str, str]:
        """(ISA07 qualifier, ISA08 identifier without padding)."""
        return self.isa.get(7), self.isa.get(8).strip()
