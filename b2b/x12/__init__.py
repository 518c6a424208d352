"""ANSI X12: the segment model, the interchange writer and the reader.

>>> interchange = write_interchange([tx], envelope, control_number=7, version="004010", now=now)
>>> read_interchanges(interchange.data)[0].control_number
7
"""

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
from b2b.x12.writer import write_interchange

__all__ = [
    "Delimiters",
    "Element",
    "Interchange",
    "ReadGroup",
    "ReadInterchange",
    "ReadTransaction",
    "Segment",
    "Transaction",
    "read_interchanges",
    "write_interchange",
]
