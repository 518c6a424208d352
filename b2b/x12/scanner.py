"""Scan X12 interchanges: read past every envelope fault and record each one where it belongs.

`scan_interchanges` is the core both readers share: b2b.x12.reader.read_interchanges raises the
first fault that rejects, b2b.x12.check turns every fault into the TA1, AK9 or AK5/IK5 code that
reports it. Whitespace (CR, LF, tabs, spaces) between segments and several interchanges in one
text are accepted; repetitions are not split. TA1 segments outside any functional group are kept.

    >>> [len(s.faults) for s in scan_interchanges(text)]
    [0]
"""

from __future__ import annotations

from dataclasses import dataclass, field

from b2b.errors import X12EnvelopeError
from b2b.x12._isa import (
    WARNING_NOTE_CODES,
    WHITESPACE,
    digits,
    interchange_error,
    isa_errors,
    read_isa,
)
from b2b.x12.model import (
    Delimiters,
    Element,
    ReadGroup,
    ReadInterchange,
    ReadTransaction,
    Segment,
)

_ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE", "TA1"})
_MISSING_SE = Segment("SE", ())
_MISSING_GE = Segment("GE", ())
_SEGMENT_TAGS: set[str] = set()  # body tags seen valid by any scan: a memo of _valid_tag
_MAX_SEGMENT_TAGS = 4096  # bounds the memo against junk tags; past it, tags are checked each time


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
        number = isa.get(13) if isa is not None else ""
        if isa is None or self.delimiters is None or iea is None or not digits(number):
            return None
        return ReadInterchange(
            isa, self.delimiters, int(number), tuple(self.groups), iea, tuple(self.ta1)
        )


def scan_interchanges(text: str) -> list[ScannedInterchange]:
    """Every interchange in `text` with every envelope fault found in it, reading past faults.

    >>> [len(s.faults) for s in scan_interchanges(text)]
    [0]
    """
    pos = _skip_whitespace(text, 0)
    if pos == len(text):
        error = interchange_error("no ISA segment: the data is empty", "023")
        error.position = 1
        return [ScannedInterchange(pos, pos, faults=[Fault(error)])]
    found: list[ScannedInterchange] = []
    while pos < len(text):
        scanned = _scan_interchange(text, pos)
        found.append(scanned)
        pos = _skip_whitespace(text, scanned.end)
    return found


def _skip_whitespace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in WHITESPACE:
        pos += 1
    return pos


def _scan_interchange(text: str, start: int) -> ScannedInterchange:
    try:
        isa, delimiters, body_start = read_isa(text, start)
    except X12EnvelopeError as error:
        error.position = 1
        return ScannedInterchange(start, _unreadable_end(text, start), faults=[Fault(error)])
    scanner = _Scanner(ScannedInterchange(start, len(text), isa, delimiters))
    for isa_error in isa_errors(isa):
        scanner.fault(isa_error)
    scanner.run(text, body_start)
    return scanner.found


def _unreadable_end(text: str, start: int) -> int:
    """Where data that is not an interchange ends: before the next "ISA", or at the end."""
    end = text.find("ISA", start + 1)
    end = len(text) if end < 0 else end
    while end > start and text[end - 1] in WHITESPACE:
        end -= 1
    return end


def _find_iea_end(text: str, start: int, es: str, term: str) -> int:
    """The offset just past the terminator of the first IEA segment from `start`, or -1."""
    needle, pos = "IEA" + es, start
    while (at := text.find(needle, pos)) >= 0:
        before = at
        while before > start and text[before - 1] in WHITESPACE and text[before - 1] != term:
            before -= 1
        if before == start or text[before - 1] == term:
            end = text.find(term, at)
            return len(text) if end < 0 else end + 1
        pos = at + 1
    return -1


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

    def __init__(self, found: ScannedInterchange) -> None:
        assert found.isa is not None
        assert found.delimiters is not None
        self.found = found
        self.delimiters = found.delimiters
        self.number = found.isa.get(13)
        self.group: _OpenGroup | None = None
        self.tx: _OpenTransaction | None = None
        self.codes: set[str] = set()  # interchange note codes already recorded
        self.at = 1  # the position of the segment in hand (the ISA is 1), for fault reasons

    def run(self, text: str, body_start: int) -> None:
        """Read the body from `body_start` up to the IEA (or a new ISA, or the end of `text`)."""
        es, cs, term = self.delimiters.element, self.delimiters.component, self.delimiters.segment
        iea_end = _find_iea_end(text, body_start, es, term)
        body_end = len(text) if iea_end < 0 else iea_end
        parts = text[body_start:body_end].split(term)
        known = _SEGMENT_TAGS
        body: list[Segment] | None = None  # the open transaction set's segments
        for index, part in enumerate(parts):
            raw = part.lstrip(WHITESPACE)
            if not raw:
                continue
            elements = raw.split(es)
            tag, composite = elements[0], cs in raw
            if elements[-1] and not composite:  # the usual segment, made inline
                segment = Segment(tag, tuple(elements[1:]))
            else:
                segment = _segment(elements, raw, cs)
            if tag in known or (tag not in _ENVELOPE_TAGS and self.new_tag(raw, tag, index)):
                if body is not None:
                    body.append(segment)
                    continue
            elif tag == "ISA" or tag not in _ENVELOPE_TAGS:
                if tag == "ISA" or (raw.startswith("ISA") and not raw[3:4].isalnum()):
                    self.new_isa(body_start + sum(map(len, parts[:index])) + index, text)
                    return
                continue  # not a segment tag: reported by new_tag
            self.at = index + 2  # the envelope segments, off the hot path
            if composite:
                segment = self.envelope_segment(segment)
            if self.feed(segment):
                self.found.end = body_end
                return
            body = self.tx.segments if self.tx is not None else None
        self.premature_end("the data ends before")

    def new_tag(self, raw: str, tag: str, index: int) -> bool:
        """True if `tag` is a segment tag (remembered); else the fault is recorded."""
        self.at = index + 2
        if _valid_tag(tag):
            if len(_SEGMENT_TAGS) < _MAX_SEGMENT_TAGS:
                _SEGMENT_TAGS.add(tag)
            return True
        if not raw.startswith("ISA"):
            self.fault(interchange_error(f"{raw[:40]!r} does not start with a segment tag", "024"))
        return False

    def fault(self, error: X12EnvelopeError) -> None:
        """Record `error` where the scanner is: in the open transaction set, group, or above."""
        if error.position is None:
            error.position = self.at
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
                self.fault(interchange_error(reason, "027"))
        elements = tuple(v if isinstance(v, str) else cs.join(v) for v in segment.elements)
        return Segment(segment.tag, elements)

    def close_transaction(self, se: Segment, before: str = "") -> None:
        """Close the open set with `se`, or (any other tag) report its SE missing."""
        tx, group = self.tx, self.group
        assert tx is not None
        assert group is not None
        st, segments = tx.st, tuple(tx.segments)
        set_id, number = st.get(1), st.get(2)
        if se.tag != "SE":
            reason = f"ST {number}: {before or se.tag} arrived before the SE trailer (SE missing)"
            self.transaction_fault(reason, "2", number)
            se = _MISSING_SE
        else:
            self.check_transaction(set_id, number, se, len(segments) + 2)
        if number in group.numbers:
            code = "23" if group.gs.get(8) >= "003060" else "7"
            reason = f"ST02 {number!r} is not unique within functional group {group.gs.get(6)}"
            self.transaction_fault(reason, code, number)
        group.numbers.add(number)
        group.transactions.append(ReadTransaction(set_id, number, segments, st, se))
        self.tx = None

    def check_transaction(self, set_id: str, number: str, se: Segment, count: int) -> None:
        if not set_id:
            self.transaction_fault("ST01 transaction set identifier is missing", "6", number)
        elif not (len(set_id) == 3 and set_id.isalnum() and set_id.isascii()):
            reason = f"ST01 transaction set identifier {set_id!r} is invalid"
            self.transaction_fault(reason, "6", number)
        if not number:
            self.transaction_fault("ST02 transaction set control number is missing", "7", number)
        se01, se02 = se.get(1), se.get(2)
        if se02 != number:
            reason = f"SE02 {se02!r} does not match ST02 {number!r}"
            self.transaction_fault(reason, "3", number)
        if se01 != str(count):
            reason = f"ST {number}: SE01 says {se01!r} segments but the set has {count} (ST..SE)"
            self.transaction_fault(reason, "4", number)

    def transaction_fault(self, reason: str, code: str, number: str) -> None:
        self.fault(X12EnvelopeError(reason, level="transaction", code=code, control_number=number))

    def close_group(self, ge: Segment, before: str = "") -> None:
        """Close the open group with `ge`; `before` names the tag that arrived instead of GE."""
        group = self.group
        if group is None:
            return
        gs = group.gs
        number = gs.get(6)
        control_number = int(number) if digits(number) else None
        if before:
            self.group_fault(f"GS {number}: {before} arrived before the GE trailer", "3", number)
        else:
            self.check_group(number, control_number, ge, len(group.transactions))
        read = ReadGroup(
            gs.get(1), control_number or 0, gs.get(8), tuple(group.transactions), gs, ge
        )
        self.found.groups.append(read)
        self.group = None

    def check_group(self, number: str, control_number: int | None, ge: Segment, count: int) -> None:
        if control_number is None:
            self.group_fault(f"GS06 group control number {number!r} is not numeric", "6", number)
        ge01, ge02 = ge.get(1), ge.get(2)
        if ge02 != number and not (
            control_number is not None and digits(ge02) and int(ge02) == control_number
        ):
            self.group_fault(f"GE02 {ge02!r} does not match GS06 {number!r}", "4", number)
        if ge01 != str(count):
            reason = f"GS {number}: GE01 says {ge01!r} transaction sets but the group has {count}"
            self.group_fault(reason, "5", number)

    def group_fault(self, reason: str, code: str, number: str) -> None:
        self.fault(X12EnvelopeError(reason, level="group", code=code, control_number=number))

    def close_interchange(self, iea: Segment) -> None:
        number, groups = self.number, len(self.found.groups)
        iea01, iea02 = iea.get(1), iea.get(2)
        if not digits(number) or (
            iea02 != number and not (digits(iea02) and int(iea02) == int(number))
        ):
            reason = f"IEA02 {iea02!r} does not match ISA13 {number!r}"
            self.fault(interchange_error(reason, "001", number))
        if iea01 != str(groups):
            reason = (
                f"ISA {number}: IEA01 says {iea01!r} functional groups but the interchange"
                f" has {groups}"
            )
            self.fault(interchange_error(reason, "021", number))
        self.found.iea = iea

    def new_isa(self, at: int, text: str) -> None:
        """An ISA arrived before the IEA: this interchange ends just before it."""
        while text[at] in WHITESPACE:
            at += 1
        isa = Segment("ISA", ())
        if self.tx is not None:
            self.close_transaction(isa)
        self.close_group(_MISSING_GE, before="ISA")
        self.premature_end("an ISA arrived before")
        end = at
        while end > self.found.start and text[end - 1] in WHITESPACE:
            end -= 1
        self.found.end = end

    def premature_end(self, what: str) -> None:
        missing = "SE" if self.tx is not None else "GE" if self.group is not None else "IEA"
        reason = f"{what} {missing}: interchange {self.number} is incomplete"
        self.fault(interchange_error(reason, "023", self.number))
        if self.tx is not None:
            self.close_transaction(Segment("", ()), before="the end of the data")
        self.close_group(_MISSING_GE, before="the end of the data")

    def out_of_place(self, segment: Segment, group: _OpenGroup | None) -> None:
        tag = segment.tag
        where = "inside a functional group" if group is not None else "outside any functional group"
        reason = f"segment {tag} is {where} and outside any transaction set"
        self.fault(interchange_error(reason, "024", self.number))
