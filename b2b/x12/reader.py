"""Read X12 interchanges from bytes, checking every envelope count and control number.

The ISA defines the delimiters: the element separator is the character after "ISA", the component
separator is ISA16 and the segment terminator is the character after it; ISA11 is the repetition
separator from version 00402 on (repetitions are not split). The ISA's field widths are not
enforced, so a padded-with-the-wrong-spaces ISA still reads. A UTF-8 byte-order mark, whitespace
(CR, LF, tabs, spaces) between segments and several interchanges in one file are accepted. Text
is decoded as UTF-8, or as Latin-1 if it is not valid UTF-8.

Every fault raises X12EnvelopeError with the TA1, AK9 or AK5/IK5 code that reports it.

    >>> (interchange,) = read_interchanges(path.read_bytes())
    >>> interchange.groups[0].transactions[0].segments[0].get(3)  # BEG03
    '4711'
"""

from __future__ import annotations

from dataclasses import dataclass, field

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
_ENVELOPE_TAGS = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
_ISA_SEPARATORS = 16  # "ISA" then 16 elements, each after an element separator


def read_interchanges(data: bytes) -> tuple[ReadInterchange, ...]:
    """Every interchange in `data`, in order; any envelope fault raises X12EnvelopeError.

    >>> [ic.control_number for ic in read_interchanges(b"ISA*00*...~IEA*1*000000001~")]
    [1]
    """
    text = _decode(data)
    pos = _skip_whitespace(text, 0)
    if pos == len(text):
        raise _interchange_error("no ISA segment: the data is empty", "023")
    found: list[ReadInterchange] = []
    while pos < len(text):
        interchange, pos = _read_interchange(text, pos)
        found.append(interchange)
        pos = _skip_whitespace(text, pos)
    return tuple(found)


def _decode(data: bytes) -> str:
    data = data.removeprefix(_BOM)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _skip_whitespace(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in _WHITESPACE:
        pos += 1
    return pos


def _interchange_error(reason: str, code: str, number: str | None = None) -> X12EnvelopeError:
    return X12EnvelopeError(reason, level="interchange", code=code, control_number=number)


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


def _control_number(isa: Segment) -> int:
    value = isa.get(13)
    if not _digits(value):
        raise _interchange_error(f"ISA13 control number {value!r} is not numeric", "018", value)
    return int(value)


@dataclass
class _OpenTransaction:
    st: Segment
    segments: list[Segment] = field(default_factory=list)


@dataclass
class _OpenGroup:
    gs: Segment
    transactions: list[ReadTransaction] = field(default_factory=list)


class _InterchangeReader:
    """Reads the segments of one interchange, keeping the open group and transaction set."""

    def __init__(self, isa: Segment, delimiters: Delimiters) -> None:
        self.isa = isa
        self.delimiters = delimiters
        self.groups: list[ReadGroup] = []
        self.group: _OpenGroup | None = None
        self.tx: _OpenTransaction | None = None

    def feed(self, segment: Segment) -> ReadInterchange | None:
        """Take the next segment; the interchange once its IEA arrives."""
        tag, tx, group = segment.tag, self.tx, self.group
        if tx is not None and tag not in _ENVELOPE_TAGS:
            tx.segments.append(segment)
            return None
        segment = _envelope_segment(segment, self.delimiters.component)
        if tx is not None and group is not None:
            _expect_se(segment, tx)
            group.transactions.append(_close_transaction(tx, segment))
            self.tx = None
        elif tag == "ST" and group is not None:
            self.tx = _OpenTransaction(segment)
        elif tag == "GS" and group is None:
            self.group = _OpenGroup(segment)
        elif tag == "GE" and group is not None:
            self.groups.append(_close_group(group, segment))
            self.group = None
        elif tag == "IEA" and group is None:
            iea = _check_iea(segment, self.isa, len(self.groups))
            number = _control_number(self.isa)
            return ReadInterchange(self.isa, self.delimiters, number, tuple(self.groups), iea)
        else:
            raise _out_of_place(segment, group, self.isa)
        return None

    def premature_end(self) -> X12EnvelopeError:
        missing = "SE" if self.tx is not None else "GE" if self.group is not None else "IEA"
        return _interchange_error(
            f"the data ends before {missing}: interchange {self.isa.get(13)} is incomplete",
            "023",
            self.isa.get(13),
        )


def _read_interchange(text: str, start: int) -> tuple[ReadInterchange, int]:
    isa, delimiters, body_start = _read_isa(text, start)
    _control_number(isa)
    reader = _InterchangeReader(isa, delimiters)
    es, cs, term = delimiters.element, delimiters.component, delimiters.segment
    offset = body_start
    for raw in text[body_start:].split(term):
        offset += len(raw) + 1
        segment = _segment(raw.lstrip(_WHITESPACE), es, cs)
        if segment is not None:
            interchange = reader.feed(segment)
            if interchange is not None:
                return interchange, min(offset, len(text))
    raise reader.premature_end()


def _segment(raw: str, es: str, cs: str) -> Segment | None:
    if not raw:
        return None
    parts = raw.split(es)
    tag = parts[0]
    if not (2 <= len(tag) <= 3 and tag.isalnum() and tag.isascii()):
        raise _interchange_error(f"{raw[:40]!r} does not start with a segment tag", "024")
    while len(parts) > 1 and not parts[-1]:
        parts.pop()
    if cs in raw:
        elements: tuple[Element, ...] = tuple(
            tuple(p.split(cs)) if cs in p else p for p in parts[1:]
        )
        return Segment(tag, elements)
    return Segment(tag, tuple(parts[1:]))


def _envelope_segment(segment: Segment, cs: str) -> Segment:
    """Envelope elements are simple; a composite means the delimiters were misread."""
    for pos, value in enumerate(segment.elements, 1):
        if not isinstance(value, str):
            joined = cs.join(value)
            raise _interchange_error(
                f"{segment.tag}{pos:02d} {joined!r} contains the component separator {cs!r}"
                " (ISA16); is ISA16 missing from the ISA?",
                "027",
            )
    return segment


def _expect_se(segment: Segment, tx: _OpenTransaction) -> None:
    if segment.tag != "SE":
        number = tx.st.get(2)
        raise X12EnvelopeError(
            f"ST {number}: {segment.tag} arrived before the SE trailer (SE missing)",
            level="transaction",
            code="2",
            control_number=number,
        )


def _close_transaction(tx: _OpenTransaction, se: Segment) -> ReadTransaction:
    st, segments = tx.st, tuple(tx.segments)
    number = st.get(2)
    _transaction_check(bool(st.get(1)), "ST01 transaction set identifier is missing", "6", number)
    _transaction_check(bool(number), "ST02 transaction set control number is missing", "7", number)
    _transaction_check(
        se.get(2) == number, f"SE02 {se.get(2)!r} does not match ST02 {number!r}", "3", number
    )
    count = len(segments) + 2
    _transaction_check(
        se.get(1) == str(count),
        f"ST {number}: SE01 says {se.get(1)!r} segments but the set has {count} (ST..SE)",
        "4",
        number,
    )
    return ReadTransaction(st.get(1), number, segments, st, se)


def _transaction_check(ok: bool, reason: str, code: str, number: str) -> None:
    if not ok:
        raise X12EnvelopeError(reason, level="transaction", code=code, control_number=number)


def _close_group(group: _OpenGroup, ge: Segment) -> ReadGroup:
    gs = group.gs
    number = gs.get(6)
    transactions = tuple(group.transactions)
    if not _digits(number):
        raise _group_error(f"GS06 group control number {number!r} is not numeric", "6", number)
    if not _digits(ge.get(2)) or int(ge.get(2)) != int(number):
        raise _group_error(f"GE02 {ge.get(2)!r} does not match GS06 {number!r}", "4", number)
    if ge.get(1) != str(len(transactions)):
        raise _group_error(
            f"GS {number}: GE01 says {ge.get(1)!r} transaction sets but the group has"
            f" {len(transactions)}",
            "5",
            number,
        )
    return ReadGroup(gs.get(1), int(number), gs.get(8), transactions, gs, ge)


def _group_error(reason: str, code: str, number: str) -> X12EnvelopeError:
    return X12EnvelopeError(reason, level="group", code=code, control_number=number)


def _check_iea(iea: Segment, isa: Segment, groups: int) -> Segment:
    number = isa.get(13)
    if not _digits(iea.get(2)) or int(iea.get(2)) != int(number):
        raise _interchange_error(
            f"IEA02 {iea.get(2)!r} does not match ISA13 {number!r}", "001", number
        )
    if iea.get(1) != str(groups):
        raise _interchange_error(
            f"ISA {number}: IEA01 says {iea.get(1)!r} functional groups but the interchange has"
            f" {groups}",
            "021",
            number,
        )
    return iea


def _out_of_place(segment: Segment, group: _OpenGroup | None, isa: Segment) -> X12EnvelopeError:
    tag = segment.tag
    if group is not None and tag in ("GS", "IEA", "ISA"):
        number = group.gs.get(6)
        return _group_error(f"GS {number}: {tag} arrived before the GE trailer", "3", number)
    where = "inside a functional group" if group is not None else "outside any functional group"
    return _interchange_error(
        f"segment {tag} is {where} and outside any transaction set", "024", isa.get(13)
    )
