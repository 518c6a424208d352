"""CMS CompressedData with zlib (RFC 3274), as AS2 compression (RFC 5402) uses it.

Decompression stops as soon as the output would pass `limit` bytes, so a small message that
inflates to gigabytes (a decompression bomb) costs only the work up to the limit.

    >>> decompress(compress(b"ISA*00*...~"), limit=1 << 20)
    b'ISA*00*...~'
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Protocol, cast

from b2b.as2 import asn1
from b2b.as2.signed_data import ID_DATA
from b2b.errors import AS2DecompressionFailed, AS2MalformedMessage


class _Inflater(Protocol):
    @property
    def eof(self) -> bool: ...
    @property
    def unconsumed_tail(self) -> bytes: ...

    def decompress(self, data: memoryview, max_length: int = ..., /) -> bytes: ...


_decompressobj: Callable[[], _Inflater]
_INFLATE_ERRORS: tuple[type[Exception], ...]
_isal: ModuleType | None
# ISA-L reads and writes the same zlib streams, faster: it inflates about 1.7x faster (bench/b2)
# and deflates 2x to 7x faster. On bench/b1's 10 KB of X12 its levels also deflate smaller than
# the zlib levels they stand for: zlib 1 -> 4,096 bytes in 57 us, ISA-L 1 -> 3,763 in 28; zlib 6
# -> 3,720 in 201 us, ISA-L 2 -> 3,761 in 29; ISA-L 3 -> 3,685 in 32. zlib otherwise.
try:
    from isal import isal_zlib

    _isal = isal_zlib
    _decompressobj = isal_zlib.decompressobj
    _INFLATE_ERRORS = (zlib.error, cast("type[Exception]", isal_zlib.error))
except ImportError:  # pragma: no cover - isal is an optional accelerator
    _isal = None
    _decompressobj = zlib.decompressobj
    _INFLATE_ERRORS = (zlib.error,)

ID_COMPRESSED_DATA = asn1.oid("1.2.840.113549.1.9.16.1.9")
_ZLIB_OID = asn1.oid("1.2.840.113549.1.9.16.3.8")
_ZLIB = asn1.algorithm(_ZLIB_OID)
_ZLIB_NULL = asn1.algorithm(_ZLIB_OID, asn1.NULL)
#: compressed input fed to zlib per call (bounded work and output per step)
_SLICE = 1 << 18


def compress(content: bytes, *, level: int = 6) -> bytes:
    """A CompressedData ContentInfo (DER) with `content` deflated into a zlib stream.

    `level` is zlib's, 0 (stored) to 9; with ISA-L, 1-3, 4-6 and 7-9 are its levels 1, 2, 3.
    """
    return b"".join(compress_chunks([content], level=level))


def compress_chunks(content: Sequence[bytes], *, level: int = 6) -> list[bytes]:
    """`compress` for content given as chunks, returning the DER as chunks."""
    deflate, level = _deflate(level)
    if sum(map(len, content)) <= _SLICE:  # in one call: ISA-L deflates separate calls worse
        return _wrap_deflated([deflate.compress(b"".join(content), level)])
    deflater = deflate.compressobj(level)
    deflated = []  # in pieces, so the next layer can release them as it consumes them
    for chunk in content:
        view = memoryview(chunk)
        for at in range(0, len(view), _SLICE):
            if piece := deflater.compress(view[at : at + _SLICE]):
                deflated.append(piece)
    deflated.append(deflater.flush())
    return _wrap_deflated(deflated)


def _deflate(level: int) -> tuple[ModuleType, int]:
    """The module that deflates at zlib's `level`, and the level it has for it."""
    if not 0 <= level <= 9:
        raise ValueError(f"zlib level {level} is not 0 to 9")
    if _isal is None or level == 0:  # 0 is stored, which ISA-L does not do
        return zlib, level
    return _isal, (level + 2) // 3


def from_deflated(deflated: bytes) -> bytes:
    """A CompressedData ContentInfo (DER) around an already zlib-deflated stream."""
    return b"".join(_wrap_deflated([deflated]))


def _wrap_deflated(deflated: list[bytes]) -> list[bytes]:
    octets = asn1.wrap(asn1.OCTET_STRING, deflated)
    encapsulated = asn1.wrap(asn1.SEQUENCE, [ID_DATA, *asn1.wrap(0xA0, octets)])
    compressed = asn1.wrap(asn1.SEQUENCE, [asn1.integer(0), _ZLIB, *encapsulated])
    return asn1.wrap(asn1.SEQUENCE, [ID_COMPRESSED_DATA, *asn1.wrap(0xA0, compressed)])


def decompress(der: bytes, *, limit: int, start: int = 0) -> bytearray:
    """The content of a CompressedData ContentInfo (at offset `start` of `der`: a MIME body
    is read in place), refused past `limit` bytes.

    Raises AS2DecompressionFailed for corrupt data, another algorithm, or too much output.
    """
    try:
        data = _compressed_octets(der, start)
    except AS2MalformedMessage as exc:
        raise AS2DecompressionFailed(f"the compressed data cannot be read: {exc}") from exc
    return inflate(data, limit=limit)


def inflate(data: bytes | memoryview, *, limit: int) -> bytearray:
    """zlib-inflate `data`, refusing output past `limit` bytes (work stops at the limit).

    The input is fed in slices and the output grows one buffer, so a large message is held
    once compressed and once inflated, never as a list of pieces joined at the end.
    """
    inflater, out, view = _decompressobj(), bytearray(), memoryview(data)
    try:
        for at in range(0, len(view), _SLICE):
            out += inflater.decompress(view[at : at + _SLICE], limit + 1 - len(out))
            if len(out) > limit or inflater.unconsumed_tail:
                raise AS2DecompressionFailed(
                    f"the content inflates past the limit of {limit} bytes"
                )
    except _INFLATE_ERRORS as exc:
        raise AS2DecompressionFailed(f"the compressed data is corrupt: {exc}") from exc
    if not inflater.eof:
        raise AS2DecompressionFailed("the compressed data is truncated")
    return out


def _compressed_octets(der: bytes, start: int) -> bytes | memoryview:
    root = asn1.read(der, start)
    kind = asn1.first(der, root)
    if asn1.element(der, kind) != ID_COMPRESSED_DATA:
        raise AS2MalformedMessage("not CMS CompressedData")
    body = asn1.first(der, asn1.following(der, kind, root))
    algorithm = asn1.following(der, asn1.first(der, body), body)
    if asn1.element(der, algorithm) not in (_ZLIB, _ZLIB_NULL):
        raise AS2DecompressionFailed("the compression algorithm is not zlib")
    encapsulated = asn1.following(der, algorithm, body)
    content = asn1.following(der, asn1.first(der, encapsulated), encapsulated)
    return asn1.view(der, asn1.first(der, content))
