"""What an acknowledgment says: the result of checking an interchange, level by level.

One tree serves both directions. Checking what a partner sent gives an `InterchangeResult`; the
997/999/TA1 writers turn it into the acknowledgment we send back. Reading the 997/999/TA1 a
partner sent gives the same types, which the store reconciles to the interchange we sent.

    InterchangeResult       TA1      (ISA13, TA104 status, TA105 note code)
    └── GroupResult         AK1/AK9  (GS06, AK901 status, AK902-904 counts, AK905-909 codes)
        └── TransactionResult  AK2/AK5 (4010) or AK2/IK5 (5010) (ST02, status, 718 codes)
            └── SegmentError      AK3 or IK3 (segment ID, position from ST = 1, loop, 720 code)
                └── ElementError     AK4 or IK4 (position, component, reference, 723 code, value)

Codes are kept as the standard writes them ("001", "5", "I5"): code lists grow between versions.

    >>> TransactionResult("850", "0001", AckStatus.ACCEPTED).accepted
    True
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class AckStatus(enum.StrEnum):
    """TA104, AK901, AK501/IK501 acknowledgment codes (X12 element 717 and 718 lists)."""

    ACCEPTED = "A"
    ACCEPTED_WITH_ERRORS = "E"
    PARTIALLY_ACCEPTED = "P"  # groups only: at least one transaction set was rejected
    REJECTED = "R"

    @property
    def accepted(self) -> bool:
        """True for A and E (and P at group level): the content is taken, not to be resent."""
        return self is not AckStatus.REJECTED


@dataclass(frozen=True, slots=True)
class ElementError:
    """AK4 (997) / IK4 (999): one bad data element of a segment."""

    position: int  # AK401-1 / IK401-1: the element's position in the segment, 1-based
    component: int | None  # AK401-2 / IK401-2: the component's position in a composite
    reference: str  # AK402 / IK402: the data element reference number, e.g. "353"; "" unknown
    code: str  # AK403 / IK403 (723): "1" mandatory missing, "4" too short, "7" invalid code...
    value: str = ""  # AK404 / IK404: a copy of the bad data, "" when missing


@dataclass(frozen=True, slots=True)
class SegmentError:
    """AK3 (997) / IK3 (999): one segment in error, with its element errors."""

    segment_id: str  # AK301 / IK301, e.g. "N1"
    position: int  # AK302 / IK302: position in the transaction set, ST counting as 1
    loop_id: str  # AK303 / IK303: the loop identifier, "" when not in a loop
    code: str  # AK304 / IK304 (720): "3" mandatory missing, "8" has data element errors...
    elements: tuple[ElementError, ...] = ()


@dataclass(frozen=True, slots=True)
class TransactionResult:
    """AK2..AK5 (997) / AK2..IK5 (999): one transaction set's verdict."""

    set_id: str  # AK201: ST01
    control_number: str  # AK202: ST02
    status: AckStatus  # AK501 / IK501: A, E or R
    codes: tuple[str, ...] = ()  # AK502-AK506 / IK502-IK506 (718): "5" segments in error...
    segments: tuple[SegmentError, ...] = ()

    @property
    def accepted(self) -> bool:
        """True when the set is taken (A or E)."""
        return self.status.accepted


@dataclass(frozen=True, slots=True)
class GroupResult:
    """AK1..AK9: one functional group's verdict and the verdict of each of its sets."""

    functional_id: str  # AK101: GS01, e.g. "PO"
    control_number: str  # AK102: GS06 as written
    version: str  # AK103 (999): GS08, e.g. "005010"
    status: AckStatus  # AK901: A, E, P or R
    included: int  # AK902: the number of sets GE01 declares
    received: int  # AK903: the number of sets received
    accepted: int  # AK904: the number of sets accepted
    codes: tuple[str, ...] = ()  # AK905-AK909 (716): "4" GS06/GE02 differ, "5" bad GE01...
    transactions: tuple[TransactionResult, ...] = ()


@dataclass(frozen=True, slots=True)
class InterchangeResult:
    """TA1: the interchange envelope's verdict, and the groups inside it."""

    control_number: str  # TA101: ISA13 as written
    date: str  # TA102: ISA09 (YYMMDD)
    time: str  # TA103: ISA10 (HHMM)
    status: AckStatus  # TA104: A, E or R
    note_code: str = "000"  # TA105 (I18): "000" no error, "001" ISA13/IEA02 differ, "025"...
    groups: tuple[GroupResult, ...] = ()
