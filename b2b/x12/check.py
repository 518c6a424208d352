"""Check inbound interchanges: read past every envelope fault and say what the acks will say.

`check_interchanges` reads like `read_interchanges` but never raises: every fault becomes a code
in the `InterchangeResult` tree (b2b.x12.results), which is exactly what our TA1 and 997/999
answer. The levels and their codes:

- interchange (TA104, TA105 from the I18 list): 001 IEA02 differs from ISA13, 004 invalid
  segment terminator, 018 ISA13 not numeric, 021 IEA01 differs from the groups received, 022
  invalid control structure (no ISA where one must start), 023 premature end (ISA cut short, IEA
  missing, an ISA before the IEA), 024 invalid content (a segment outside any set, a bad tag),
  026/027 invalid element/component separator. These reject (R). ISA values that are wrong but
  do not change the reading (010, 012, 014, 015, 016, 017, 019, 020: b2b.x12.reader.
  WARNING_NOTE_CODES) give E, accepted with errors: the groups are still processed. One TA1
  carries one note code: the first rejecting fault's, else the first warning's.
- group (AK901 R, AK905-AK909 from the 716 list): 3 GE missing, 4 GE02 differs from GS06,
  5 GE01 differs from the sets received, 6 GS06 is not a number.
- transaction set (AK501/IK501 R, AK502-AK506/IK502-IK506 from the 718 list): 1 set not
  supported (`validator.supports` is false), 2 SE missing, 3 SE02 differs from ST02, 4 SE01
  differs from the segments counted, 5 segments in error (`validator.validate` found some),
  6 ST01 missing or not three letters/digits, 7 ST02 missing, 23 ST02 not unique in its group.
  Duplicate ST02 is 718 code 23 "Transaction Set Control Number Not Unique within the
  Functional Group" from version 003060 on (in the 003060 and 004010 lists, e.g.
  internal.dcsnewyork.com/tech/edi/x12/EDI_4010/el718.htm), and 7 before; it is not a 716
  (group) code: 716 code 23 is "S3E Security End Segment Missing" in 004010 and 005030.

A group with a fault of its own is R and accepts no set (AK904 0); otherwise its status comes
from its sets: all A → A, all rejected → R, some rejected → P, else any E → E. The validator
only sees sets whose envelope is sound. AK902 is GE01 as declared (the sets received when GE01
is missing or not a number).

    >>> (checked,) = check_interchanges(path.read_bytes(), validator=SetSchemas.load(maps))
    >>> checked.result.status, [g.status for g in checked.result.groups]
    (<AckStatus.ACCEPTED: 'A'>, [<AckStatus.PARTIALLY_ACCEPTED: 'P'>])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from b2b.errors import X12EnvelopeError
from b2b.x12.model import Delimiters, ReadGroup, ReadInterchange, ReadTransaction
from b2b.x12.reader import decode
from b2b.x12.results import (
    AckStatus,
    GroupResult,
    InterchangeResult,
    SegmentError,
    TransactionResult,
)
from b2b.x12.scanner import Fault, ScannedInterchange, scan_interchanges

_MAX_CODES = 5  # AK502-AK506 and AK905-AK909 hold five codes each
_BOM = b"\xef\xbb\xbf"


class SetValidator(Protocol):
    """Checks transaction set bodies against their schemas (b2b.x12.validate.SetSchemas).

    `version` is GS08 as written ("004010", "005010X222A1").
    """

    def supports(self, set_id: str, version: str) -> bool:
        """True if sets `set_id` of `version` can be validated (else 718 code 1)."""
        ...

    def validate(
        self, transaction: ReadTransaction, version: str, *, delimiters: Delimiters | None = None
    ) -> tuple[SegmentError, ...]:
        """The segments in error in `transaction`; () when it is valid.

        `delimiters` are the interchange's, to split repeating elements (5010).
        """
        ...


@dataclass(frozen=True, slots=True)
class CheckedInterchange:
    """One interchange as received, and the verdict to acknowledge it with.

    `interchange` is None when nothing inside can be trusted (unreadable ISA, ISA13 not a
    number, IEA missing); `result.groups` follows `interchange.groups` and their transactions
    one to one. `data` is this interchange's bytes as received, ISA through the IEA terminator.
    `faults` lists every envelope fault found, in reading order, with its reason for people.
    """

    interchange: ReadInterchange | None
    result: InterchangeResult
    sender: tuple[str, str]  # ISA05, ISA06 without padding; ("", "") if unreadable
    receiver: tuple[str, str]  # ISA07, ISA08 without padding
    acknowledgment_requested: bool  # ISA14 == "1"
    usage_indicator: str  # ISA15: P, T or I
    data: bytes
    faults: tuple[X12EnvelopeError, ...] = ()


def check_interchanges(
    data: bytes, *, validator: SetValidator | None = None
) -> tuple[CheckedInterchange, ...]:
    """Every interchange in `data` with its acknowledgment results; never raises X12Error.

    >>> [c.result.note_code for c in check_interchanges(data)]
    ['000']
    """
    text = decode(data)
    offset = _ByteOffset(data, text)
    return tuple(_checked(scanned, offset, validator) for scanned in scan_interchanges(text))


class _ByteOffset:
    """Maps offsets in the decoded text back to offsets in the bytes received."""

    def __init__(self, data: bytes, text: str) -> None:
        self.data, self.text = data, text
        self.bom = len(_BOM) if data.startswith(_BOM) else 0
        self.one_byte = len(data) - self.bom == len(text)  # ASCII or Latin-1

    def slice(self, start: int, end: int) -> bytes:
        if self.one_byte:
            return self.data[self.bom + start : self.bom + end]
        first = self.bom + len(self.text[:start].encode("utf-8"))
        return self.data[first : first + len(self.text[start:end].encode("utf-8"))]


def _checked(
    scanned: ScannedInterchange, offset: _ByteOffset, validator: SetValidator | None
) -> CheckedInterchange:
    isa = scanned.isa
    check = _SetCheck(validator, scanned.delimiters)
    codes = _codes_by_place(scanned.faults)
    groups = tuple(
        _group_result(index, group, codes, check) for index, group in enumerate(scanned.groups)
    )
    status, note_code = _interchange_status(scanned.faults)
    result = InterchangeResult(
        control_number=isa.get(13) if isa else "",
        date=isa.get(9) if isa else "",
        time=isa.get(10) if isa else "",
        status=status,
        note_code=note_code,
        groups=groups,
    )
    return CheckedInterchange(
        interchange=scanned.interchange(),
        result=result,
        sender=(isa.get(5), isa.get(6).strip()) if isa else ("", ""),
        receiver=(isa.get(7), isa.get(8).strip()) if isa else ("", ""),
        acknowledgment_requested=isa.get(14) == "1" if isa else False,
        usage_indicator=isa.get(15) if isa else "",
        data=offset.slice(scanned.start, scanned.end),
        faults=tuple(fault.error for fault in scanned.faults),
    )


def _interchange_status(faults: Sequence[Fault]) -> tuple[AckStatus, str]:
    """TA104 and TA105: the first rejecting fault's code, else the first warning's, else 000."""
    found = [fault for fault in faults if fault.error.level == "interchange"]
    for fault in found:
        if fault.rejects:
            return AckStatus.REJECTED, fault.error.code
    if found:
        return AckStatus.ACCEPTED_WITH_ERRORS, found[0].error.code
    return AckStatus.ACCEPTED, "000"


def _codes_by_place(faults: Sequence[Fault]) -> dict[tuple[str, int, int], list[str]]:
    """The distinct fault codes of each (level, group, transaction set), in reading order. One
    pass: looked up per set, the faults made a file with a fault in every set quadratic (25 MB of
    such 850s took 22 s to check, against 2.3 s now)."""
    found: dict[tuple[str, int, int], list[str]] = {}
    for fault in faults:
        codes = found.setdefault((fault.error.level, fault.group, fault.transaction), [])
        if fault.error.code not in codes:
            codes.append(fault.error.code)
    return found


def _group_result(
    index: int,
    group: ReadGroup,
    codes_by_place: dict[tuple[str, int, int], list[str]],
    check: _SetCheck,
) -> GroupResult:
    transactions = tuple(
        check.result(tx, group.version, codes_by_place.get(("transaction", index, position), []))
        for position, tx in enumerate(group.transactions)
    )
    codes = codes_by_place.get(("group", index, -1), [])
    accepted = 0 if codes else sum(1 for tx in transactions if tx.accepted)
    declared = group.ge.get(1)
    return GroupResult(
        functional_id=group.functional_id,
        control_number=group.gs.get(6),
        version=group.version,
        status=AckStatus.REJECTED if codes else _status_of(transactions),
        included=int(declared) if declared.isascii() and declared.isdigit() else len(transactions),
        received=len(transactions),
        accepted=accepted,
        codes=tuple(codes[:_MAX_CODES]),
        transactions=transactions,
    )


def _status_of(transactions: Sequence[TransactionResult]) -> AckStatus:
    """AK901 from the sets: all A → A, all rejected → R, some rejected → P, any E → E."""
    rejected = sum(1 for tx in transactions if not tx.accepted)
    if rejected:
        return AckStatus.REJECTED if rejected == len(transactions) else AckStatus.PARTIALLY_ACCEPTED
    if any(tx.status is AckStatus.ACCEPTED_WITH_ERRORS for tx in transactions):
        return AckStatus.ACCEPTED_WITH_ERRORS
    return AckStatus.ACCEPTED


@dataclass(frozen=True, slots=True)
class _SetCheck:
    """The set validator, if any, with the delimiters of the interchange being checked."""

    validator: SetValidator | None
    delimiters: Delimiters | None

    def result(self, tx: ReadTransaction, version: str, codes: list[str]) -> TransactionResult:
        """AK5/IK5 for `tx`: its envelope `codes`, else what the validator finds."""
        segments: tuple[SegmentError, ...] = ()
        validator = self.validator
        if validator is not None and not codes:
            if not validator.supports(tx.set_id, version):
                codes = ["1"]
            else:
                segments = validator.validate(tx, version, delimiters=self.delimiters)
                codes = ["5"] if segments else []
        status = AckStatus.REJECTED if codes else AckStatus.ACCEPTED
        return TransactionResult(
            tx.set_id, tx.control_number, status, tuple(codes[:_MAX_CODES]), segments
        )
