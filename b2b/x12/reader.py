"""Read X12 interchanges from bytes, checking every envelope count and control number.

The ISA defines the delimiters (b2b.x12._isa): the element separator is the character after
"ISA", the component separator is ISA16 and the segment terminator is the character after it;
ISA11 is the repetition separator from version 00402 on (repetitions are not split). The ISA's
field widths are not enforced, so a padded-with-the-wrong-spaces ISA still reads. A UTF-8
byte-order mark, whitespace (CR, LF, tabs, spaces) between segments and several interchanges in
one file are accepted. Text is decoded as UTF-8, or as Latin-1 if it is not valid UTF-8. TA1
segments outside any functional group are kept in `ReadInterchange.ta1`.

One scanner (b2b.x12.scanner) serves two readers. `scan_interchanges` reads on past every fault
and records each one with the TA1, AK9 or AK5/IK5 code that reports it (b2b.x12.check turns that
into results); `read_interchanges` raises the first fault that rejects as X12EnvelopeError.
Faults in ISA values that do not change how the interchange reads (`WARNING_NOTE_CODES`) are
only recorded.

    >>> (interchange,) = read_interchanges(path.read_bytes())
    >>> interchange.groups[0].transactions[0].segments[0].get(3)  # BEG03
    '4711'
"""

from __future__ import annotations

from b2b.x12._isa import WARNING_NOTE_CODES
from b2b.x12.model import ReadInterchange
from b2b.x12.scanner import scan_interchanges

__all__ = ["WARNING_NOTE_CODES", "decode", "read_interchanges"]

_BOM = b"\xef\xbb\xbf"


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
