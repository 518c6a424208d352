"""Read X12 interchanges from bytes, checking every envelope count and control number.

The ISA defines the delimiters: the element separator is the character after "ISA", the component
separator is ISA16 and the segment terminator is the character after it; ISA11 is the repetition
separator from version 00402 on (repetitions are not split). The ISA's field widths are not
enforced, so a padded-with-the-wrong-spaces ISA still reads. A UTF-8 byte-order mark, whitespace
(CR, LF, tabs, spaces) between segments and several interchanges in one file are accepted. Text
is decoded as UTF-8, or as Latin-1 if it is not valid UTF-8. TA1 segments outside any functional
group are kept in `ReadInterchange.ta1`.

One scanner serves two readers. `scan_interchanges` reads on past every fault and records each
one with the TA1, AK9 or AK5/IK5 code that reports it (b2b.x12.check turns that into results);
`read_interchanges` raises the first fault that rejects as X12EnvelopeError. Faults in ISA
values that do not change how the interchange reads (`WARNING_NOTE_CODES`) are only recorded.

    >>> (interchange,) = read_interchanges(path.read_bytes())
    >>> interchange.groups[0].transactions[0].segments[0].get(3)  # BEG03
    '4711'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import cast

from b2b.errors import X12EnvelopeError
from b2b.x12.model import (
    Delimiters,
    Element,
    ReadGroup,
    ReadInterchange,
    ReadTransaction,
    Segment,
)

_WHITESPACE = " \t\r\n"
_BOM = b"\xef\xbb\xbf"
_ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"})
_ISA_SEPARATORS = 16  # "ISA" then 16 elements, each after an element separator
_MISSING_SE = Segment("SE", ())
_MISSING_GE = Segment("GE", ())
_ISA01 = frozenset({"00", "01", "02", "03", "04", "05", "06"})  # authorization qualifier
_ISA03 = frozenset({"00", "01"})  # security qualifier
_ISA14 = frozenset({"0", "1"})  # acknowledgment requested
_ISA15 = frozenset({"P", "T", "I"})  # usage indicator

#: TA105 note codes (I18) for ISA values that are wrong but do not change how the interchange
#: reads: its TA104 is E (accepted with errors) and read_interchanges does not raise them.
#: 010/012 ISA01/ISA03 qualifiers, 014/015 ISA09 date/ISA10 time, 016 ISA11 before 00402,
#: 017 ISA12 version, 019 ISA14, 020 ISA15. Every other note code rejects the interchange (R).
WARNING_NOTE_CODES = frozenset({"010", "012", "014", "015", "016", "017", "019", "020"})


@dataclass(frozen=True, slots=True)
class Fault:
    """One envelope fault: the error to raise or report, and the group and transaction set it
    belongs to (indexes into the scanned groups and their transactions; -1 for the level above).
    """

    error: X12EnvelopeError
    group: int = -1
    transaction: int = -1

    @property
    def rejects(self) -> bool:
        """False only for interchange faults in WARNING_NOTE_CODES (TA104 E)."""
        return self.error.level != "interchange" or self.error.code not in WARNING_NOTE_CODES


@dataclass(slots=True)
class ScannedInterchange:
    """What the scanner found from one ISA (or unreadable data) up to the IEA terminator.

    `start` and `end` are offsets in the decoded text; `isa` is None when the ISA is unreadable,
    `iea` when the IEA is missing.
    """

    start: int
    end: int
    isa: Segment | None = None
    delimiters: Delimiters | None = None
    groups: list[ReadGroup] = field(default_factory=list)
    ta1: list[Segment] = field(default_factory=list)
    iea: Segment | None = None
    faults: list[Fault] = field(default_factory=list)

    def interchange(self) -> ReadInterchange | None:
        """The interchange as read, or None when its ISA, ISA13 or IEA cannot be trusted."""
        isa, iea = self.isa, self.iea
        if isa is None or self.delimiters is None or iea is None or not _digits(isa.get(13)):
            return None
        number = int(isa.get(13))
        return ReadInterchange(
            isa, self.delimiters, number, tuple(self.groups), iea, tuple(self.ta1)
        )


def read_interchanges(data: bytes) -> tuple[ReadInterchange, ...]:
    """Every interchange in `data`, in order; the first rejecting fault raises X12EnvelopeError.

    >>> [ic.control_number for ic in read_interchanges(b"ISA*00*...~IEA*1*000000001~")]
    [1]
    """
    found: list[ReadInterchange] = []
    for scanned in scan_interchanges(decode(data)):
        for fault in scanned.faults:
            if fault.rejects:
                raise fault.error
        interchange = scanned.interchange()
        assert interchange is not None  # without a rejecting fault, ISA13 and IEA are there
        found.append(interchange)
    return tuple(found)


def decode(data: bytes) -> str:
    """`data` without a UTF-8 byte-order mark, as UTF-8 or else as Latin-1 text."""
    data = data.removeprefix(_BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def scan_interchanges(text: str) -> list[ScannedInterchange]:
    """Every interchange in `text` with every envelope fault found in it, reading past faults.

    >>> [len(s.faults) for s in scan_interchanges(text)]
    [0]
    """
    pos = _skip_whitespace(text, 0)
    if pos == len(text):
        error = _interchange_error("no ISA segment: the data is empty", "023")
        return [ScannedInterchange(pos, pos, faults=[Fault(error)])]
    found: list[ScannedInterchange] = []
    known_tags: set[str] = set()
    while pos < len(text):
        scanned = _scan_interchange(text, pos, known_tags)
        found.append(scanned)
        pos = _skip_whitespace(text, scanned.end)
    return found


def _skip_whitespace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _interchange_error(reason: str, code: str, number: str | None = None) -> X12EnvelopeError:
    return X12EnvelopeError(reason, level="interchange", code=code, control_number=number)


def _scan_interchange(text: str, start: int, known_tags: set[str]) -> ScannedInterchange:
    try:
        isa, delimiters, body_start = _read_isa(text, start)
    except X12EnvelopeError as error:
        return ScannedInterchange(start, _unreadable_end(text, start), faults=[Fault(error)])
    scanner = _Scanner(ScannedInterchange(start, len(text), isa, delimiters), known_tags)
    scanner.check_isa()
    scanner.run(text, body_start)
    return scanner.found


def _unreadable_end(text: str, start: int) -> int:
    """Where data that is not an interchange ends: before the next "ISA", or at the end."""
    end = text.find("ISA", start + 1)
    end = len(text) if end < 0 else end
    while end > start and text[end - 1] in _WHITESPACE:
        end -= 1
    return end


def _read_isa(text: str, start: int) -> tuple[Segment, Delimiters, int]:
    """The ISA at `start`, its delimiters, and the offset just after its terminator."""
    if not text.startswith("ISA", start):
        found = text[start : start + 20]
        raise _interchange_error(
            f"expected an ISA segment at offset {start}, found {found!r}", "022"
        )
    es = text[start + 3 : start + 4]
    if not es or es.isalnum() or es in _WHITESPACE:
        raise _interchange_error(f"ISA element separator {es!r} is not a delimiter", "026")
    end = start + 3
    for _ in range(_ISA_SEPARATORS - 1):
        end = text.find(es, end + 1)
        if end < 0:
            raise _interchange_error("the ISA ends before ISA16 (premature end of data)", "023")
    cs, term = text[end + 1 : end + 2], text[end + 2 : end + 3]
    if not term:
        raise _interchange_error("the data ends inside the ISA (premature end of data)", "023")
    if cs.isalnum() or cs in _WHITESPACE or cs in (es, term):
        raise _interchange_error(f"ISA16 component separator {cs!r} is not a delimiter", "027")
    if term.isalnum() or term in (" ", es):
        raise _interchange_error(f"segment terminator {term!r} after ISA16 is invalid", "004")
    values = text[start + 4 : end].split(es)
    isa = Segment("ISA", (*values, cs))
    repetition = values[10] if values[11] >= "00402" and not values[10].isalnum() else ""
    return isa, Delimiters(es, term, cs, repetition), end + 3


def _digits(value: str) -> bool:
    """ASCII digits only ("³" and "٣" are digits to str.isdigit, not to X12)."""
    return value.isascii() and value.isdigit()


def _find_iea_end(text: str, start: int, es: str, term: str) -> int:
    """The offset just past the terminator of the first IEA segment from `start`, or -1."""
    needle, pos = "IEA" + es, start
    while (at := text.find(needle, pos)) >= 0:
        before = at
        while before > start and text[before - 1] in _WHITESPACE and text[before - 1] != term:
            before -= 1
        if before == start or text[before - 1] == term:
            end = text.find(term, at)
            return len(text) if end < 0 else end + 1
        pos = at + 1
    return -1


def _isa_warnings(isa: Segment) -> list[tuple[str, str]]:
    """(note code, reason) for each ISA value that is wrong without changing the reading."""
    values = cast(tuple[str, ...], isa.elements)  # _read_isa splits no composites
    isa01, _, isa03, _, _, _, _, _, isa09, isa10, isa11, isa12, _, isa14, isa15, _ = values
    if (
        isa01 in _ISA01
        and isa03 in _ISA03
        and isa14 in _ISA14
        and isa15 in _ISA15
        and (isa12 >= "00402" or isa11 == "U")
        and len(isa12) == 5
        and _digits(isa12)
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
        ("017", 12, len(isa12) == 5 and _digits(isa12)),
        ("019", 14, isa14 in _ISA14),
        ("020", 15, isa15 in _ISA15),
    )
    return [
        (code, f"ISA{pos:02d} {isa.get(pos)!r} is not a valid value")
        for code, pos, ok in checks
        if not ok
    ]


def _valid_date(yymmdd: str) -> bool:
    if len(yymmdd) != 6 or not _digits(yymmdd):
        return False
    try:
        dt.date(2000 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:]))
    except ValueError:
        return False
    return True


def _valid_time(hhmm: str) -> bool:
    return len(hhmm) == 4 and _digits(hhmm) and int(hhmm[:2]) < 24 and int(hhmm[2:]) < 60


def _segment(parts: list[str], raw: str, cs: str) -> Segment:
    """A segment from `raw` split at the element separator (`parts[0]` is the tag)."""
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    if cs in raw:
        elements: tuple[Element, ...] = tuple(
            tuple(p.split(cs)) if cs in p else p for p in parts[1:]
        )
        return Segment(parts[0], elements)
    return Segment(parts[0], tuple(parts[1:]))


def _valid_tag(tag: str) -> bool:
    return 2 <= len(tag) <= 3 and tag.isalnum() and tag.isascii()


@dataclass
class _OpenTransaction:
    st: Segment
    segments: list[Segment] = field(default_factory=list)


@dataclass
class _OpenGroup:
    gs: Segment
    transactions: list[ReadTransaction] = field(default_factory=list)
    numbers: set[str] = field(default_factory=set)


class _Scanner:
    """Reads the segments of one interchange, keeping the open group and transaction set."""

    def __init__(self, found: ScannedInterchange, known_tags: set[str]) -> None:
        assert found.isa is not None
        assert found.delimiters is not None
        self.found = found
        self.known_tags = known_tags  # body tags already seen valid, shared by one scan
        self.isa = found.isa
        self.delimiters = found.delimiters
        self.number = found.isa.get(13)
        self.group: _OpenGroup | None = None
        self.tx: _OpenTransaction | None = None
        self.codes: set[str] = set()  # interchange note codes already recorded

    def check_isa(self) -> None:
        if not _digits(self.number):
            reason = f"ISA13 control number {self.number!r} is not numeric"
            self.fault(_interchange_error(reason, "018", self.number))
        for code, reason in _isa_warnings(self.isa):
            self.fault(_interchange_error(reason, code, self.number))

    def run(self, text: str, body_start: int) -> None:
        """Read the body from `body_start` up to the IEA (or a new ISA, or the end of `text`)."""
        es, cs, term = self.delimiters.element, self.delimiters.component, self.delimiters.segment
        iea_end = _find_iea_end(text, body_start, es, term)
        body_end = len(text) if iea_end < 0 else iea_end
        parts = text[body_start:body_end].split(term)
        known = self.known_tags
        body: list[Segment] | None = None  # the open transaction set's segments
        for index, part in enumerate(parts):
            raw = part.lstrip(_WHITESPACE)
            if not raw:
                continue
            elements = raw.split(es)
            tag = elements[0]
            if tag in known or (tag not in _ENVELOPE_TAGS and self.new_tag(raw, tag)):
                if body is not None:
                    if elements[-1] and cs not in raw:  # the usual segment, made inline
                        body.append(Segment(tag, tuple(elements[1:])))
                    else:
                        body.append(_segment(elements, raw, cs))
                    continue
            elif tag == "ISA" or tag not in _ENVELOPE_TAGS:
                if tag == "ISA" or (raw.startswith("ISA") and not raw[3:4].isalnum()):
                    self.new_isa(body_start + sum(map(len, parts[:index])) + index, text)
                    return
                continue  # not a segment tag: reported by new_tag
            if self.feed(_segment(elements, raw, cs)):
                self.found.end = body_end
                return
            body = self.tx.segments if self.tx is not None else None
        self.premature_end("the data ends before")

    def new_tag(self, raw: str, tag: str) -> bool:
        """True if `tag` is a segment tag (remembered); else the fault is recorded."""
        if _valid_tag(tag):
            self.known_tags.add(tag)
            return True
        if not raw.startswith("ISA"):
            self.fault(_interchange_error(f"{raw[:40]!r} does not start with a segment tag", "024"))
        return False

    def fault(self, error: X12EnvelopeError) -> None:
        """Record `error` where the scanner is: in the open transaction set, group, or above."""
        if error.level == "interchange":
            if error.code in self.codes:
                return
            self.codes.add(error.code)
        group = len(self.found.groups) if self.group is not None else -1
        tx = len(self.group.transactions) if self.group is not None else -1
        self.found.faults.append(Fault(error, group, tx if error.level == "transaction" else -1))

    def feed(self, segment: Segment) -> bool:
        """Take the next segment outside a transaction body; True once the IEA arrives."""
        tag, tx, group = segment.tag, self.tx, self.group
        segment = self.envelope_segment(segment)
        if tx is not None:
            self.close_transaction(segment)
            if tag == "SE":
                return False
        if tag == "ST" and self.group is not None:
            self.tx = _OpenTransaction(segment)
        elif tag == "GE" and self.group is not None:
            self.close_group(segment)
        elif tag == "IEA":
            self.close_group(_MISSING_GE, before="IEA")
            self.close_interchange(segment)
            return True
        elif tag == "GS":
            self.close_group(_MISSING_GE, before="GS")
            self.group = _OpenGroup(segment)
        elif tag == "TA1" and self.group is None:
            self.found.ta1.append(segment)
        else:
            self.out_of_place(segment, group)
        return False

    def envelope_segment(self, segment: Segment) -> Segment:
        """Envelope elements are simple; a composite means the delimiters were misread."""
        if segment.tag not in _ENVELOPE_TAGS or all(isinstance(v, str) for v in segment.elements):
            return segment
        cs = self.delimiters.component
        for pos, value in enumerate(segment.elements, 1):
            if not isinstance(value, str):
                joined = cs.join(value)
                reason = (
                    f"{segment.tag}{pos:02d} {joined!r} contains the component separator {cs!r}"
                    " (ISA16); is ISA16 missing from the ISA?"
                )
                self.fault(_interchange_error(reason, "027"))
        elements = tuple(v if isinstance(v, str) else cs.join(v) for v in segment.elements)
        return Segment(segment.tag, elements)

    def close_transaction(self, se: Segment, before: str = "") -> None:
        """Close the open set with `se`, or (any other tag) report its SE missing."""
        tx, group = self.tx, self.group
        assert tx is not None
        assert group is not None
        st, segments = tx.st, tuple(tx.segments)
        number = st.get(2)
        if se.tag != "SE":
            reason = f"ST {number}: {before or se.tag} arrived before the SE trailer (SE missing)"
            self.transaction_fault(reason, "2", number)
            se = _MISSING_SE
        else:
            self.check_transaction(st, se, len(segments) + 2)
        if number in group.numbers:
            code = "23" if group.gs.get(8) >= "003060" else "7"
            reason = f"ST02 {number!r} is not unique within functional group {group.gs.get(6)}"
            self.transaction_fault(reason, code, number)
        group.numbers.add(number)
        group.transactions.append(ReadTransaction(st.get(1), number, segments, st, se))
        self.tx = None

    def check_transaction(self, st: Segment, se: Segment, count: int) -> None:
        number, set_id = st.get(2), st.get(1)
        if not set_id:
            self.transaction_fault("ST01 transaction set identifier is missing", "6", number)
        elif not (len(set_id) == 3 and set_id.isalnum() and set_id.isascii()):
            reason = f"ST01 transaction set identifier {set_id!r} is invalid"
            self.transaction_fault(reason, "6", number)
        if not number:
            self.transaction_fault("ST02 transaction set control number is missing", "7", number)
        if se.get(2) != number:
            reason = f"SE02 {se.get(2)!r} does not match ST02 {number!r}"
            self.transaction_fault(reason, "3", number)
        if se.get(1) != str(count):
            reason = (
                f"ST {number}: SE01 says {se.get(1)!r} segments but the set has {count} (ST..SE)"
            )
            self.transaction_fault(reason, "4", number)

    def transaction_fault(self, reason: str, code: str, number: str) -> None:
        self.fault(X12EnvelopeError(reason, level="transaction", code=code, control_number=number))

    def close_group(self, ge: Segment, before: str = "") -> None:
        """Close the open group with `ge`; `before` names the tag that arrived instead of GE."""
        group = self.group
        if group is None:
            return
        number = group.gs.get(6)
        if before:
            self.group_fault(f"GS {number}: {before} arrived before the GE trailer", "3", number)
        else:
            self.check_group(number, ge, len(group.transactions))
        gs = group.gs
        control_number = int(number) if _digits(number) else 0
        read = ReadGroup(gs.get(1), control_number, gs.get(8), tuple(group.transactions), gs, ge)
        self.found.groups.append(read)
        self.group = None

    def check_group(self, number: str, ge: Segment, count: int) -> None:
        numeric = _digits(number)
        if not numeric:
            self.group_fault(f"GS06 group control number {number!r} is not numeric", "6", number)
        ge02 = ge.get(2)
        if not (int(ge02) == int(number) if numeric and _digits(ge02) else ge02 == number):
            self.group_fault(f"GE02 {ge02!r} does not match GS06 {number!r}", "4", number)
        if ge.get(1) != str(count):
            reason = (
                f"GS {number}: GE01 says {ge.get(1)!r} transaction sets but the group has {count}"
            )
            self.group_fault(reason, "5", number)

    def group_fault(self, reason: str, code: str, number: str) -> None:
        self.fault(X12EnvelopeError(reason, level="group", code=code, control_number=number))

    def close_interchange(self, iea: Segment) -> None:
        number, groups = self.number, len(self.found.groups)
        iea02 = iea.get(2)
        if not (_digits(iea02) and _digits(number) and int(iea02) == int(number)):
            reason = f"IEA02 {iea02!r} does not match ISA13 {number!r}"
            self.fault(_interchange_error(reason, "001", number))
        if iea.get(1) != str(groups):
            reason = (
                f"ISA {number}: IEA01 says {iea.get(1)!r} functional groups but the interchange"
                f" has {groups}"
            )
            self.fault(_interchange_error(reason, "021", number))
        self.found.iea = iea

    def new_isa(self, at: int, text: str) -> None:
        """An ISA arrived before the IEA: this interchange ends just before it."""
        while text[at] in _WHITESPACE:
            at += 1
        isa = Segment("ISA", ())
        if self.tx is not None:
            self.close_transaction(isa)
        self.close_group(_MISSING_GE, before="ISA")
        self.premature_end("an ISA arrived before")
        end = at
        while end > self.found.start and text[end - 1] in _WHITESPACE:
            end -= 1
        self.found.end = end

    def premature_end(self, what: str) -> None:
        missing = "SE" if self.tx is not None else "GE" if self.group is not None else "IEA"
        reason = f"{what} {missing}: interchange {self.number} is incomplete"
        self.fault(_interchange_error(reason, "023", self.number))
        if self.tx is not None:
            self.close_transaction(Segment("", ()), before="the end of the data")
        self.close_group(_MISSING_GE, before="the end of the data")

    def out_of_place(self, segment: Segment, group: _OpenGroup | None) -> None:
        tag = segment.tag
        where = "inside a functional group" if group is not None else "outside any functional group"
        reason = f"segment {tag} is {where} and outside any transaction set"
        self.fault(_interchange_error(reason, "024", self.number))
