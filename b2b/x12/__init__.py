"""ANSI X12: the segment model, the interchange writer, the reader, checks and acknowledgments.

>>> interchange = write_interchange([tx], envelope, control_number=7, version="004010", now=now)
>>> read_interchanges(interchange.data)[0].control_number
7
"""

from b2b.x12.acks import (
    Acknowledgments,
    functional_acknowledgment,
    read_acknowledgments,
    ta1_interchange,
)
from b2b.x12.check import CheckedInterchange, SetValidator, check_interchanges
from b2b.x12.model import (
    Delimiters,
    Element,
    Interchange,
    ReadGroup,
    ReadInterchange,
    ReadTransaction,
    Segment,
    Transaction,
)
from b2b.x12.reader import read_interchanges
from b2b.x12.results import (
    AckStatus,
    ElementError,
    GroupResult,
    InterchangeResult,
    SegmentError,
    TransactionResult,
)
from b2b.x12.validate import SetSchemas
from b2b.x12.writer import write_interchange

__all__ = [
    "AckStatus",
    "Acknowledgments",
    "CheckedInterchange",
    "Delimiters",
    "Element",
    "ElementError",
    "GroupResult",
    "Interchange",
    "InterchangeResult",
    "ReadGroup",
    "ReadInterchange",
    "ReadTransaction",
    "Segment",
    "SegmentError",
    "SetSchemas",
    "SetValidator",
    "Transaction",
    "TransactionResult",
    "check_interchanges",
    "functional_acknowledgment",
    "read_acknowledgments",
    "read_interchanges",
    "ta1_interchange",
    "write_interchange",
]
