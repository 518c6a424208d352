"""Write transaction sets into one X12 interchange (ISA/GS/ST ... SE/GE/IEA).

Control numbers are passed in (the store assigns them); the group control number GS06 equals the
interchange control number ISA13, and ST02 counts 0001, 0002... within the group.

Values are checked, never escaped: X12 has no escape character, so a value containing one of the
partner's delimiters raises MappingError naming the segment, the element and the value. Trailing
empty elements and trailing empty components are trimmed. The output is ASCII: a value with other
characters is transliterated: a few Latin letters by table ("ß" → "ss", "Ø" → "O"), then by
Unicode NFKD decomposition ("Müller" → "Muller", "ﬁ" → "fi"); whatever is left without an ASCII
form ("€", "東京") is dropped.

    >>> ic = write_interchange([tx], envelope, control_number=42, version="004010", now=now)
    >>> ic.data[:3], ic.transaction_control_numbers
    (b'ISA', ('0001',))
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from b2b.errors import MappingError
from b2b.partners.profile import Envelope
from b2b.x12.model import Element, Interchange, Segment, Transaction

_VERSION = re.compile(r"^00[2-9][0-9]{3}")
_MAX_CONTROL_NUMBER = 999_999_999
# Latin letters that Unicode does not decompose into ASCII ones
_LETTERS = str.maketrans(
    {
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Ø": "O",
        "ø": "o",
        "Œ": "OE",
        "œ": "oe",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "TH",
        "þ": "th",
        "ı": "i",
    }
)


def write_interchange(
    transactions: Sequence[Transaction],
    envelope: Envelope,
    *,
    control_number: int,
    version: str,
    now: datetime,
) -> Interchange:
    """One interchange with one functional group holding `transactions` (same GS01 and GS08).

    >>> write_interchange([tx], envelope, control_number=1, version="005010", now=now).data
    b'ISA*00*          *00*          *ZZ*SENDER ...'
    """
    functional_id = _check_group(transactions, version, control_number)
    repetition = _repetition(envelope, version)
    _check_value("GS", 1, functional_id, envelope, repetition)
    isa = _isa(envelope, control_number, version, now)
    gs = _gs(envelope, functional_id, control_number, version, now)
    numbers = tuple(f"{i:04d}" for i in range(1, len(transactions) + 1))
    text, counts = _assemble(transactions, envelope, gs, numbers, normalize=False)
    if envelope.element_separator + envelope.segment_terminator in text:
        # a trailing empty element somewhere: write again, trimming every segment
        text, counts = _assemble(transactions, envelope, gs, numbers, normalize=True)
    _check_delimiters(text, counts, envelope, repetition, transactions)
    return Interchange(control_number, control_number, numbers, (isa + text).encode("ascii"))


def _assemble(
    transactions: Sequence[Transaction],
    envelope: Envelope,
    gs: tuple[str, ...],
    numbers: tuple[str, ...],
    *,
    normalize: bool,
) -> tuple[str, tuple[int, int, int]]:
    """GS...IEA as ASCII text, and the element separators, component separators and segments
    it must contain if no value holds a delimiter."""
    es, cs = envelope.element_separator, envelope.component_separator
    control_number, version = gs[5], gs[7]  # GS06, GS08
    st_version = (version,) if version >= "005010" else ()
    lines = [es.join(("GS", *gs))]
    elements, components = len(gs), 0
    for number, transaction in zip(numbers, transactions, strict=True):
        body, body_elements, body_components = _render(transaction.segments, es, cs, normalize)
        lines.append(es.join(("ST", transaction.set_id, number, *st_version)))
        lines += body
        lines.append(f"SE{es}{len(body) + 2}{es}{number}")
        elements += body_elements + 4 + len(st_version)
        components += body_components
    lines.append(f"GE{es}{len(transactions)}{es}{control_number}")
    lines.append(f"IEA{es}1{es}{int(control_number):09d}")
    end = envelope.segment_terminator + envelope.segment_suffix
    text = end.join(lines) + end
    if not text.isascii():
        text = _ascii(text)
    return text, (elements + 4, components, len(lines))


def _render(
    segments: Sequence[Segment], es: str, cs: str, normalize: bool
) -> tuple[list[str], int, int]:
    """Segment texts (without terminators), element separators and component separators."""
    if not normalize:
        try:
            lines = [f"{s.tag}{es}{es.join(s.elements)}" for s in segments]  # type: ignore[arg-type]
            return lines, sum(len(s.elements) for s in segments), 0
        except TypeError:  # a composite element
            pass
    lines, elements, components = [], 0, 0
    for segment in segments:
        values = _normalize(segment.tag, segment.elements, cs)
        lines.append(f"{segment.tag}{es}{es.join(values)}")
        elements += len(values)
        components += sum(v.count(cs) for v in values)
    return lines, elements, components


def _check_group(transactions: Sequence[Transaction], version: str, control_number: int) -> str:
    if not transactions:
        raise MappingError("an interchange needs at least one transaction set")
    if not _VERSION.match(version):
        raise MappingError(f"GS08 version {version!r} is not an X12 version such as '004010'")
    if not 0 < control_number <= _MAX_CONTROL_NUMBER:
        raise MappingError(f"ISA13 control number {control_number} is not within 1..999999999")
    functional_id = transactions[0].functional_id
    for tx in transactions:
        if tx.functional_id != functional_id or tx.version != version:
            raise MappingError(
                f"ST {tx.set_id}: functional group {tx.functional_id}/{tx.version} cannot share"
                f" an interchange with {functional_id}/{version} (one group per interchange)"
            )
    return functional_id


def interchange_header(envelope: Envelope, control_number: int, version: str, now: datetime) -> str:
    """The ISA write_interchange writes (106 characters with its terminator, plus the suffix),
    for interchanges without groups such as a TA1's.

    >>> interchange_header(envelope, 9, "004010", now)[:3]
    'ISA'
    """
    if not _VERSION.match(version):
        raise MappingError(f"version {version!r} is not an X12 version such as '004010'")
    if not 0 < control_number <= _MAX_CONTROL_NUMBER:
        raise MappingError(f"ISA13 control number {control_number} is not within 1..999999999")
    return _isa(envelope, control_number, version, now)


def _isa(envelope: Envelope, control_number: int, version: str, now: datetime) -> str:
    """The fixed-width ISA (106 characters with its terminator) plus the segment suffix."""
    isa12 = version[:5]
    values = (
        "00",
        " " * 10,
        "00",
        " " * 10,
        envelope.sender_qualifier,
        envelope.sender_id.ljust(15),
        envelope.receiver_qualifier,
        envelope.receiver_id.ljust(15),
        f"{now.year % 100:02d}{now.month:02d}{now.day:02d}",  # YYMMDD, as strftime's %y%m%d
        _hhmm(now),
        _repetition(envelope, version) or "U",
        isa12,
        f"{control_number:09d}",
        "1" if envelope.acknowledgment_requested else "0",
        envelope.usage_indicator,
    )
    checked = "".join(values[:10] + values[11:])  # ISA11 is the repetition separator itself
    if not checked.isascii() or _holds_delimiter(checked, envelope):
        for pos, value in enumerate(values, 1):
            if pos != 11:
                _check_value("ISA", pos, value, envelope, _repetition(envelope, version), isa=True)
    es = envelope.element_separator
    return f"ISA{es}{es.join(values)}{es}{envelope.component_separator}" + (
        envelope.segment_terminator + envelope.segment_suffix
    )


def _holds_delimiter(text: str, envelope: Envelope) -> bool:
    return (
        envelope.element_separator in text
        or envelope.segment_terminator in text
        or envelope.component_separator in text
        or envelope.repetition_separator in text
    )


def _hhmm(now: datetime) -> str:
    """HHMM, as strftime's %H%M."""
    return f"{now.hour:02d}{now.minute:02d}"


def _repetition(envelope: Envelope, version: str) -> str:
    """ISA11 is the repetition separator from version 00402 on; before that it is "U"."""
    return envelope.repetition_separator if version[:5] >= "00402" else ""


def _gs(
    envelope: Envelope, functional_id: str, control_number: int, version: str, now: datetime
) -> tuple[str, ...]:
    return (
        functional_id,
        envelope.gs_sender,
        envelope.gs_receiver,
        f"{now.year}{now.month:02d}{now.day:02d}",  # CCYYMMDD, as strftime's %Y%m%d
        _hhmm(now),
        str(control_number),
        "X",
        version,
    )


def _normalize(tag: str, elements: Sequence[Element], cs: str) -> list[str]:
    """Composites joined by `cs`, trailing empties trimmed, ASCII; a segment needs one value."""
    values = [v if isinstance(v, str) else _composite(v, cs) for v in elements]
    values = [v if v.isascii() else _ascii(v) for v in values]
    while values and not values[-1]:
        values.pop()
    if not values:
        raise MappingError(f"segment {tag} has no values; leave it out instead")
    return values


def _composite(components: tuple[str, ...], cs: str) -> str:
    values = list(components)
    while values and not values[-1]:
        values.pop()
    return cs.join(values)


def _check_delimiters(
    text: str,
    counts: tuple[int, int, int],
    envelope: Envelope,
    repetition: str,
    transactions: Sequence[Transaction],
) -> None:
    """MappingError naming the value if `text` holds a delimiter the writer did not put there."""
    elements, components, segments = counts
    suffix = envelope.segment_suffix
    expected = {
        envelope.element_separator: elements,
        envelope.component_separator: components,
        envelope.segment_terminator: segments,
    }
    if repetition:
        expected[repetition] = 0
    for delimiter, count in expected.items():
        if text.count(delimiter) != count + segments * suffix.count(delimiter):
            _find_delimiter(transactions, envelope, repetition)
            raise MappingError(f"a value contains the delimiter {delimiter!r}")


def _ascii(text: str) -> str:
    if text.isascii():  # ASCII is its own NFKD form
        return text
    decomposed = unicodedata.normalize("NFKD", text.translate(_LETTERS))
    return decomposed.encode("ascii", "ignore").decode("ascii")


def _find_delimiter(
    transactions: Sequence[Transaction], envelope: Envelope, repetition: str
) -> None:
    """Raise MappingError for the first value that holds a delimiter."""
    for pos, value in enumerate((envelope.gs_sender, envelope.gs_receiver), 2):
        _check_value("GS", pos, value, envelope, repetition)
    for tx in transactions:
        _check_value("ST", 1, tx.set_id, envelope, repetition)
        for segment in tx.segments:
            _check_segment(segment, envelope, repetition)


def _check_segment(segment: Segment, envelope: Envelope, repetition: str) -> None:
    _check_value(segment.tag, 0, segment.tag, envelope, repetition)
    for pos, element in enumerate(segment.elements, 1):
        for value in (element,) if isinstance(element, str) else element:
            _check_value(segment.tag, pos, value, envelope, repetition)


def _check_value(
    tag: str, pos: int, value: str, envelope: Envelope, repetition: str = "", *, isa: bool = False
) -> None:
    delimiters = {
        envelope.element_separator: "element separator",
        envelope.segment_terminator: "segment terminator",
        envelope.component_separator: "component separator",
    }
    if repetition:
        delimiters[repetition] = "repetition separator"
    where = f"{tag}{pos:02d}" if pos else f"segment tag {tag!r}"
    if isa and not value.isascii():
        raise MappingError(f"{where} {value!r} must be ASCII (it is fixed-width)")
    written = _ascii(value)
    for char, name in delimiters.items():
        if char in written:
            raise MappingError(f"{where} value {value!r} contains the {name} {char!r}")
