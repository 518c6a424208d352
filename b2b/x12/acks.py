"""Acknowledgments: write 997/999 and TA1 from check results, read the ones partners send.

`functional_acknowledgment` answers one functional group: a 997 (version 004010) for groups
before 005010, a 999 (005010X231A1, AK1 with AK103, IK3/IK4/IK5; the optional CTX is left out)
from 005010 on. Every set received gets its AK2 ... AK5/IK5 loop, accepted ones included
(AK5*A): the 997 allows AK2 to be left out for accepted sets, but a partner reconciling set by
set then has to infer acceptance from AK9, and the X231 999 asks for one AK2 loop per set.

`read_acknowledgments` reads a partner's TA1s and 997/999 sets into the same result types, so
the store can reconcile them to the interchanges we sent. AK501/AK901 codes M, W and X (rejected
for security reasons) read as R. A malformed acknowledgment raises X12Error naming the set and
the segment position (ST = 1).

    >>> fa = functional_acknowledgment(checked.result.groups[0])
    >>> write_interchange([fa], envelope, control_number=8, version=fa.version, now=now)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from b2b.errors import X12Error
from b2b.partners.profile import Envelope
from b2b.x12.model import (
    Element,
    Interchange,
    ReadInterchange,
    ReadTransaction,
    Segment,
    Transaction,
)
from b2b.x12.results import (
    AckStatus,
    ElementError,
    GroupResult,
    InterchangeResult,
    SegmentError,
    TransactionResult,
)
from b2b.x12.writer import interchange_header

VERSION_997 = "004010"
VERSION_999 = "005010X231A1"
_REJECTED_FOR_SECURITY = frozenset({"M", "W", "X"})


@dataclass(frozen=True, slots=True)
class Acknowledgments:
    """What one interchange from a partner acknowledges: TA1s, and one GroupResult per 997/999
    set describing the group it answers."""

    ta1s: tuple[InterchangeResult, ...] = ()
    groups: tuple[GroupResult, ...] = ()


def functional_acknowledgment(group: GroupResult) -> Transaction:
    """The 997 (group version before 005010) or 999 that answers `group`.

    >>> functional_acknowledgment(result.groups[0]).set_id
    '997'
    """
    is_999 = group.version[:6] >= "005010"
    ak1: tuple[str, ...] = (group.functional_id, group.control_number)
    segments = [Segment("AK1", (*ak1, group.version) if is_999 else ak1)]
    for tx in group.transactions:
        segments += _set_response(tx, is_999)
    counts = (str(group.included), str(group.received), str(group.accepted))
    segments.append(Segment("AK9", (group.status.value, *counts, *group.codes)))
    if is_999:
        return Transaction("999", "FA", VERSION_999, tuple(segments))
    return Transaction("997", "FA", VERSION_997, tuple(segments))


def _set_response(tx: TransactionResult, is_999: bool) -> Iterator[Segment]:
    segment_tag, element_tag = ("IK3", "IK4") if is_999 else ("AK3", "AK4")
    yield Segment("AK2", (tx.set_id, tx.control_number))
    for error in tx.segments:
        yield Segment(
            segment_tag, (error.segment_id, str(error.position), error.loop_id, error.code)
        )
        for element in error.elements:
            yield Segment(element_tag, _element_note(element))
    yield Segment("IK5" if is_999 else "AK5", (tx.status.value, *tx.codes))


def _element_note(error: ElementError) -> tuple[Element, ...]:
    position: Element = str(error.position)
    if error.component is not None:
        position = (str(error.position), str(error.component))
    return (position, error.reference, error.code, error.value)


def ta1_interchange(
    result: InterchangeResult,
    envelope: Envelope,
    *,
    control_number: int,
    version: str,
    now: datetime,
) -> Interchange:
    """An interchange holding only the TA1 for `result`: ISA, TA1, IEA (IEA01 0).

    >>> ta1_interchange(checked.result, envelope, control_number=9, version="004010", now=now)
    """
    isa = interchange_header(envelope, control_number, version, now)
    es, end = envelope.element_separator, envelope.segment_terminator + envelope.segment_suffix
    ta1 = es.join(
        ("TA1", result.control_number, result.date, result.time, result.status.value,
         result.note_code)
    )  # fmt: skip
    iea = es.join(("IEA", "0", f"{control_number:09d}"))
    data = isa + ta1 + end + iea + end
    return Interchange(control_number, 0, (), data.encode("ascii"))


def read_acknowledgments(interchange: ReadInterchange) -> Acknowledgments:
    """The TA1s and the 997/999 sets in `interchange`; other sets are ignored.

    >>> [g.status for g in read_acknowledgments(interchange).groups]
    [<AckStatus.ACCEPTED: 'A'>]
    """
    ta1s = tuple(_read_ta1(segment) for segment in interchange.ta1)
    groups = tuple(
        _GroupReader(tx).read()
        for group in interchange.groups
        for tx in group.transactions
        if tx.set_id in ("997", "999")
    )
    return Acknowledgments(ta1s, groups)


def _read_ta1(ta1: Segment) -> InterchangeResult:
    status = _status(ta1.get(4), f"TA1 {ta1.get(1)}: TA104")
    return InterchangeResult(ta1.get(1), ta1.get(2), ta1.get(3), status, ta1.get(5) or "000")


def _status(value: str, where: str) -> AckStatus:
    if value in _REJECTED_FOR_SECURITY:
        return AckStatus.REJECTED
    try:
        return AckStatus(value)
    except ValueError:
        raise X12Error(f"{where} {value!r} is not an acknowledgment code") from None


class _GroupReader:
    """Reads one 997/999 body: AK1, AK2 loops (AK3/AK4 or IK3/IK4/CTX, AK5/IK5), AK9."""

    def __init__(self, tx: ReadTransaction) -> None:
        self.tx = tx
        self.transactions: list[TransactionResult] = []
        self.open: tuple[Segment, list[SegmentError]] | None = None

    def read(self) -> GroupResult:
        segments = self.tx.segments
        if not segments or segments[0].tag != "AK1":
            raise self.error(2, "the set must start with AK1")
        ak1, ak9 = segments[0], segments[-1]
        ends_with_ak9 = len(segments) > 1 and ak9.tag == "AK9"
        for position, segment in enumerate(segments[1 : -1 if ends_with_ak9 else None], 3):
            self.take(position, segment)
        if self.open is not None or not ends_with_ak9:
            raise self.error(len(segments) + 1, "the set must end with AK9 after the last AK5/IK5")
        where = len(segments) + 1
        return GroupResult(
            functional_id=ak1.get(1),
            control_number=ak1.get(2),
            version=ak1.get(3),
            status=_status(ak9.get(1), self.where(where, "AK901")),
            included=self.count(ak9, 2, where),
            received=self.count(ak9, 3, where),
            accepted=self.count(ak9, 4, where),
            codes=tuple(ak9.get(pos) for pos in range(5, 10) if ak9.get(pos)),
            transactions=tuple(self.transactions),
        )

    def take(self, position: int, segment: Segment) -> None:
        tag = segment.tag
        if tag == "AK2" and self.open is None:
            self.open = (segment, [])
        elif tag in ("AK3", "IK3") and self.open is not None:
            self.open[1].append(self.segment_error(position, segment))
        elif tag in ("AK4", "IK4") and self.open is not None and self.open[1]:
            errors = self.open[1]
            last = errors[-1]
            element = self.element_error(position, segment)
            errors[-1] = SegmentError(
                last.segment_id, last.position, last.loop_id, last.code, (*last.elements, element)
            )
        elif tag == "CTX" and self.open is not None:
            pass  # 999 context (segment or business unit): not kept
        elif tag in ("AK5", "IK5") and self.open is not None:
            ak2, errors = self.open
            status = _status(segment.get(1), self.where(position, f"{tag}01"))
            codes = tuple(segment.get(pos) for pos in range(2, 7) if segment.get(pos))
            self.transactions.append(
                TransactionResult(ak2.get(1), ak2.get(2), status, codes, tuple(errors))
            )
            self.open = None
        else:
            raise self.error(position, f"{tag} is not expected here")

    def segment_error(self, position: int, segment: Segment) -> SegmentError:
        at = self.number(segment.get(2), position, f"{segment.tag}02")
        return SegmentError(segment.get(1), at, segment.get(3), segment.get(4))

    def element_error(self, position: int, segment: Segment) -> ElementError:
        tag = segment.tag
        at = self.number(segment.component(1, 1), position, f"{tag}01-1")
        component = segment.component(1, 2)
        sub = self.number(component, position, f"{tag}01-2") if component else None
        return ElementError(at, sub, segment.get(2), segment.get(3), segment.get(4))

    def count(self, ak9: Segment, pos: int, position: int) -> int:
        return self.number(ak9.get(pos), position, f"AK9{pos:02d}")

    def number(self, value: str, position: int, element: str) -> int:
        if not (value.isascii() and value.isdigit()):
            raise self.error(position, f"{element} {value!r} is not a number")
        return int(value)

    def where(self, position: int, element: str) -> str:
        return f"{self.tx.set_id} {self.tx.control_number} segment {position}: {element}"

    def error(self, position: int, reason: str) -> X12Error:
        return X12Error(f"{self.tx.set_id} {self.tx.control_number} segment {position}: {reason}")
