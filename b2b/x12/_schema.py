"""The compiled form of maps/x12: element, segment and loop definitions as lookup structures.

`b2b.x12._schema_load` builds these from the TOML files once; `b2b.x12.validate` walks them.

    >>> ElementDef(1, "353", True, "ID", 2, 2, frozenset({"00", "05"})).check("ZZ")
    '7'
"""

from __future__ import annotations

from dataclasses import dataclass, field

UNBOUNDED = 1_000_000_000
"""The maximum use or loop repeat written ">1"."""

_DAYS = (31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


@dataclass(frozen=True, slots=True)
class SyntaxNote:
    """An X12 syntax note: `kind` P, R, C, E or L over 1-based element positions."""

    kind: str
    positions: tuple[int, ...]


@dataclass(frozen=True, slots=True)
class ElementDef:
    """One simple data element at one position of a segment (or component of a composite)."""

    position: int
    reference: str  # the data element number, e.g. "353"
    mandatory: bool
    kind: str  # AN, ID, DT, TM, R or N (N0..N9)
    min_length: int
    max_length: int
    codes: frozenset[str] | None = None  # a closed code list, or None

    def check(self, value: str) -> str | None:
        """The 723 code for a present `value`, or None when it is valid.

        >>> ElementDef(5, "373", True, "DT", 8, 8).check("20240231")
        '8'
        """
        problem = _TYPE_CHECKS[self.kind](value)
        if problem is not None:
            return problem
        length = _length(value) if self.kind in ("N", "R") else len(value)
        if length < self.min_length:
            return "4"
        if length > self.max_length:
            return "5"
        if self.codes is not None and value not in self.codes:
            return "7"
        return None


@dataclass(frozen=True, slots=True)
class CompositeDef:
    """A composite data element (C040, C030, C998...) at one position of a segment."""

    position: int
    reference: str  # the composite ID, e.g. "C040"
    mandatory: bool
    components: tuple[ElementDef, ...]
    syntax: tuple[SyntaxNote, ...] = ()
    repeat: int = 1


@dataclass(frozen=True, slots=True)
class SimpleSlot:
    """A simple element at one position of a segment, with its repeat count (005010)."""

    element: ElementDef
    repeat: int = 1


Slot = SimpleSlot | CompositeDef


@dataclass(frozen=True, slots=True)
class SegmentDef:
    """A segment's elements by position, and its syntax notes."""

    tag: str
    slots: tuple[Slot, ...]
    syntax: tuple[SyntaxNote, ...] = ()


@dataclass(frozen=True, slots=True)
class SegmentUse:
    """A segment at its place in a set: requirement and maximum use."""

    tag: str
    mandatory: bool
    max_use: int
    definition: SegmentDef | None  # None: checked for its place and count only


@dataclass(slots=True)
class Loop:
    """A loop (or the whole set, with id ""): its children and where each tag can go."""

    loop_id: str
    mandatory: bool
    repeat: int
    children: list[SegmentUse | Loop] = field(default_factory=list)
    places: dict[str, tuple[int, ...]] = field(default_factory=dict)

    @property
    def trigger(self) -> str:
        """The tag of the loop's first segment, which starts each iteration."""
        first = self.children[0]
        return first.tag if isinstance(first, SegmentUse) else first.trigger

    def index(self) -> None:
        """Fill `places`: for each tag, the children it can start (a segment or a loop)."""
        places: dict[str, list[int]] = {}
        for number, child in enumerate(self.children):
            tag = child.tag if isinstance(child, SegmentUse) else child.trigger
            places.setdefault(tag, []).append(number)
            if isinstance(child, Loop):
                child.index()
        self.places = {tag: tuple(numbers) for tag, numbers in places.items()}


@dataclass(frozen=True, slots=True)
class CompiledSet:
    """One transaction set in one version, ready to validate against."""

    set_id: str
    version: str
    root: Loop
    tags: frozenset[str]  # every segment ID the set's structure lists


def _length(value: str) -> int:
    """The length of a numeric value: its digits, without sign or decimal point."""
    return len(value) - value.startswith("-") - ("." in value)


def _text(value: str) -> str | None:
    for char in value:
        if char < " " or char == "\x7f":
            return "6"
    return None


def _numeric(value: str) -> str | None:
    digits = value[1:] if value.startswith("-") else value
    return None if digits.isascii() and digits.isdigit() else "6"


def _decimal(value: str) -> str | None:
    digits = value[1:] if value.startswith("-") else value
    whole, _, fraction = digits.partition(".")
    number = whole + fraction
    return None if number.isascii() and number.isdigit() else "6"


def _date(value: str) -> str | None:
    if not (value.isascii() and value.isdigit() and len(value) in (6, 8)):
        return "8"
    month, day = int(value[-4:-2]), int(value[-2:])
    year = int(value[:-4])
    if not 1 <= month <= 12 or not 1 <= day <= _DAYS[month - 1]:
        return "8"
    leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0 or len(value) == 6)
    return "8" if month == 2 and day == 29 and not leap else None


def _time(value: str) -> str | None:
    if not (value.isascii() and value.isdigit() and len(value) in (4, 6, 7, 8)):
        return "9"
    hours, minutes = int(value[:2]), int(value[2:4])
    seconds = int(value[4:6]) if len(value) >= 6 else 0
    return None if hours < 24 and minutes < 60 and seconds < 60 else "9"


_TYPE_CHECKS = {
    "AN": _text,
    "ID": _text,
    "N": _numeric,
    "R": _decimal,
    "DT": _date,
    "TM": _time,
}
