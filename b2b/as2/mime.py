"""The MIME subset AS2 uses, byte for byte: entities, multipart/signed, transfer encodings.

Bytes are never re-encoded on the way in: a signed part is hashed exactly as it arrived, so the
parser returns slices of the input. Header names are case-insensitive, folded headers are
unfolded, and both CRLF and bare LF line ends are read. What we write uses CRLF throughout.

    >>> entity = parse_entity(b"Content-Type: application/edi-x12\\r\\n\\r\\nISA*00~")
    >>> entity.content_type.mime_type, entity.body
    ('application/edi-x12', b'ISA*00~')
"""

from __future__ import annotations

import binascii
import functools
import hashlib
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import UTC, datetime
from types import MappingProxyType
from typing import NamedTuple, TypeVar, cast, overload

from b2b.errors import AS2MalformedMessage

CRLF = b"\r\n"
#: what an entity's bytes may be: a large decrypted or inflated layer is a bytearray, read in
#: place rather than copied into bytes
Bytes = bytes | bytearray
_T = TypeVar("_T")
_FIELD_NAME = re.compile(rb"^[!-9;-~]+[ \t]*:")
_FOLD = re.compile(r"\r?\n[ \t]+")
_FIELD = re.compile(r"^([^:\r\n]+):([^\r\n]*)", re.MULTILINE)
_PARAMETER = re.compile(r';\s*([^=;\s]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)')


class Headers(Mapping[str, str]):
    """Header fields in order, looked up case-insensitively; the first of a repeated name wins.

    >>> Headers([("AS2-From", "acme")])["as2-from"]
    'acme'
    """

    __slots__ = ("_index", "_items")
    _items: tuple[tuple[str, str], ...]
    _index: dict[str, str]

    def __init__(self, items: Iterable[tuple[str, str]] | Mapping[str, str] = ()) -> None:
        # `type(...)`/`hasattr` rather than isinstance(Mapping): the ABC check is slow
        pairs: tuple[tuple[str, str], ...]
        if type(items) is Headers:  # immutable: share the other's fields and index
            self._items, self._index = items._items, items._index
            return
        if hasattr(items, "items"):
            pairs = tuple(cast("Mapping[str, str]", items).items())
        else:
            pairs = tuple(items)
        self._items = pairs
        self._index = {name.lower(): value for name, value in reversed(pairs)}

    def __getitem__(self, name: str) -> str:
        return self._index[name.lower()]

    @overload
    def get(self, name: str, /) -> str | None: ...
    @overload
    def get(self, name: str, /, default: str | _T) -> str | _T: ...
    def get(self, name: str, /, default: object = None) -> object:
        """The first value of a header field, looked up case-insensitively, or `default`."""
        return self._index.get(name.lower(), default)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self._items)

    def __len__(self) -> int:
        return len(self._items)

    def pairs(self) -> tuple[tuple[str, str], ...]:
        """The fields as (name, value) pairs, in their original order and spelling."""
        return self._items


class ContentType(NamedTuple):
    """A Content-Type value: lower-case type/subtype and lower-case parameter names."""

    mime_type: str
    params: Mapping[str, str]

    def param(self, name: str) -> str | None:
        """A parameter's value (unquoted), or None."""
        return self.params.get(name.lower())


class Entity:
    """One MIME entity: its headers and its body (still transfer-encoded).

    The body is `data[start:]`, sliced only when asked for: a large body is not copied at
    every layer (functions that take a `start` offset read it in place).
    """

    __slots__ = ("_content_type", "data", "headers", "start")

    def __init__(self, headers: Headers, data: Bytes, start: int = 0) -> None:
        self.headers = headers
        self.data = data
        self.start = start
        self._content_type: ContentType | None = None

    def __repr__(self) -> str:
        size = len(self.data) - self.start
        return f"Entity({self.headers.get('content-type')!r}, {size} bytes)"

    @property
    def body(self) -> Bytes:
        """The body bytes (a copy when the entity does not start at offset 0)."""
        return self.data[self.start :] if self.start else self.data

    @property
    def content_type(self) -> ContentType:
        """The parsed Content-Type (text/plain when absent, as RFC 2045 says)."""
        if self._content_type is None:
            value = self.headers.get("content-type") or "text/plain"
            self._content_type = parse_parameters(value)
        return self._content_type

    def decoded(self) -> bytes:
        """The body with its Content-Transfer-Encoding undone."""
        return decode_transfer(self.body, self.headers.get("content-transfer-encoding"))

    def decoded_at(self) -> tuple[Bytes, int]:
        """`decoded()` as (buffer, offset of the body in it): a binary body is not copied.

        >>> data, start = entity.decoded_at(); data[start:] == entity.decoded()
        True
        """
        if _identity(self.headers.get("content-transfer-encoding")):
            return self.data, self.start
        return self.decoded(), 0

    def take_decoded(self) -> Bytes:
        """`decoded()`, cutting a binary body's headers off a bytearray in place (no copy).

        The entity must not be used afterwards: its buffer then holds the body only.
        """
        if type(self.data) is bytearray and _identity(
            self.headers.get("content-transfer-encoding")
        ):
            data, start = self.data, self.start
            self.data, self.start = bytearray(), 0
            del data[:start]  # CPython moves the buffer's start: nothing is copied
            return data
        return self.decoded()


def parse_entity(data: Bytes) -> Entity:
    """Split an entity into headers and body (LF or CRLF line ends)."""
    head, start = split_head(data)
    return Entity(parse_headers(head), data, start)


def parse_inner_entity(data: Bytes) -> Entity | None:
    """The entity inside a CMS layer, or None when `data` is bare content: it must start with
    header lines, a Content-Type among them, then an empty line (bare content may well have a
    first line that looks like "name: value")."""
    head, start = split_head(data)
    if not head or start == len(head) or not _FIELD_NAME.match(head):
        return None
    headers = parse_headers(head)
    return Entity(headers, data, start) if "content-type" in headers else None


def split_head(data: Bytes) -> tuple[bytes, int]:
    """The header block and the offset where the body starts (after the first empty line)."""
    if data.startswith(b"\n"):
        return b"", 1
    if data.startswith(CRLF):
        return b"", 2
    crlf = data.find(b"\n\r\n")
    lf = data.find(b"\n\n", 0, len(data) if crlf < 0 else crlf)
    if lf >= 0:
        return bytes(data[: lf + 1]), lf + 2
    if crlf >= 0:
        return bytes(data[: crlf + 1]), crlf + 3
    return bytes(data), len(data)


def parse_headers(block: bytes) -> Headers:
    """Header fields from a header block; folded lines are joined, lines without ':' skipped."""
    if len(block) <= _CACHED_BLOCK:
        return _parse_headers_cached(block)
    return _parse_headers(block)


#: header blocks up to this size are cached (a partner repeats its inner entities' headers)
_CACHED_BLOCK = 1024


@functools.lru_cache(maxsize=256)
def _parse_headers_cached(block: bytes) -> Headers:
    return _parse_headers(block)


def _parse_headers(block: bytes) -> Headers:
    text = block.decode("latin-1")
    if "\n " in text or "\n\t" in text:
        text = _FOLD.sub(" ", text)
    return Headers([(name.strip(), value.strip()) for name, value in _FIELD.findall(text)])


@functools.lru_cache(maxsize=512)
def parse_parameters(value: str) -> ContentType:
    """`type/subtype; name=value; name="quoted \\"value\\""` → ContentType (also for
    Content-Disposition, whose "type" is e.g. `attachment`). Cached: partners repeat them."""
    kind, *pieces = value.split(";")
    if '"' in value and any(piece.count('"') % 2 for piece in pieces):  # a quoted ";"
        pieces = [f"{name}={raw}" for name, raw in _PARAMETER.findall(value[len(kind) :])]
    params = {}
    for piece in pieces:
        name, _, raw = piece.partition("=")
        params[name.strip().lower()] = _unquote(raw.strip())
    return ContentType(kind.strip().lower(), MappingProxyType(params))


def split_multipart(body: Bytes, boundary: str, start: int = 0) -> list[bytes]:
    """The raw bytes of each body part, exactly as sent (without the CRLF before a delimiter).

    `start`: where the multipart body begins in `body` (an Entity's `data` and `start`).
    Each part is copied once, straight into bytes.
    """
    whole = memoryview(body)
    delimiter = b"--" + boundary.encode("latin-1")
    parts: list[bytes] = []
    pos = _first_delimiter(body, delimiter, start)
    while pos >= 0:
        after = pos + len(delimiter)
        if body[after : after + 2] == b"--":
            return parts
        line_end = body.find(b"\n", after)
        if line_end < 0:
            break
        following = _next_delimiter(body, delimiter, line_end)
        end = len(body) if following < 0 else following - 1
        end -= body[end - 1 : end] == b"\r"
        parts.append(bytes(whole[line_end + 1 : max(end, line_end + 1)]))
        pos = following
    if not parts:
        raise AS2MalformedMessage(f"no body part with boundary {boundary!r}")
    return parts


def _first_delimiter(body: Bytes, delimiter: bytes, start: int) -> int:
    """Offset of the first delimiter line: at `start` itself, or after a line end."""
    if body.startswith(delimiter, start) and _delimiter_ends(body, start + len(delimiter)):
        return start
    return _next_delimiter(body, delimiter, start)


def _next_delimiter(body: Bytes, delimiter: bytes, start: int) -> int:
    """Offset of the next delimiter line that follows a line end at or after `start`."""
    needle = b"\n" + delimiter
    found = body.find(needle, start)
    while found >= 0 and not _delimiter_ends(body, found + len(needle)):
        found = body.find(needle, found + 1)
    return found + 1 if found >= 0 else -1


def _delimiter_ends(body: Bytes, at: int) -> bool:
    return body[at : at + 1] in (b"", b"\r", b"\n", b"-", b" ", b"\t")


def _identity(encoding: str | None) -> bool:
    return (encoding or "binary").strip().lower() in ("binary", "7bit", "8bit")


def decode_transfer(body: Bytes, encoding: str | None) -> bytes:
    """Undo a Content-Transfer-Encoding (base64, quoted-printable, binary, 7bit, 8bit)."""
    name = (encoding or "binary").strip().lower()
    if name in ("binary", "7bit", "8bit"):
        return body if type(body) is bytes else bytes(body)
    try:
        if name == "base64":
            return binascii.a2b_base64(body)
        if name == "quoted-printable":
            return binascii.a2b_qp(body)
    except binascii.Error as exc:
        raise AS2MalformedMessage(f"bad {name} content: {exc}") from exc
    raise AS2MalformedMessage(f"unknown Content-Transfer-Encoding {encoding!r}")


def _straddles(chunks: Sequence[bytes], needle: bytes) -> bool:
    """True when `needle` spans the junction of two consecutive chunks."""
    edge = len(needle) - 1
    return any(needle in chunks[i][-edge:] + chunks[i + 1][:edge] for i in range(len(chunks) - 1))


def base64_lines(data: bytes) -> bytes:
    """Base64 in 76-character lines ending in CRLF (RFC 2045)."""
    encoded = binascii.b2a_base64(data, newline=False)
    if not encoded:
        return b""
    return CRLF.join([encoded[i : i + 76] for i in range(0, len(encoded), 76)]) + CRLF


def build_entity(headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """Header lines, an empty line, then the body; CRLF line ends."""
    return b"".join(entity_chunks(headers, [body]))


def entity_chunks(headers: Iterable[tuple[str, str]], body: list[bytes]) -> list[bytes]:
    """`build_entity` for a body given as chunks, returned as chunks (nothing large copied)."""
    head = "".join([f"{name}: {value}\r\n" for name, value in headers])
    return [head.encode("latin-1") + CRLF, *body]


def multipart(parts: Iterable[bytes], boundary: str) -> bytes:
    """A multipart body from raw entities."""
    return b"".join(multipart_chunks([[part] for part in parts], boundary))


def multipart_chunks(parts: Iterable[list[bytes]], boundary: str) -> list[bytes]:
    """`multipart` for entities given as chunks, returned as chunks."""
    delimiter = b"--" + boundary.encode("latin-1") + CRLF
    chunks: list[bytes] = []
    for part in parts:
        chunks += (delimiter, *part, CRLF)
    chunks.append(delimiter[:-2] + b"--" + CRLF)
    return chunks


def make_boundary(*parts: bytes, digest: bytes | None = None) -> str:
    """A boundary derived from the parts it will separate (deterministic; checked unique).

    `digest`: a digest of the parts the caller computed already; the boundary is derived from
    it rather than from a hash of the parts made here.
    """
    return _boundary(parts, contiguous=False, digest=digest)


def make_boundary_for(chunks: Sequence[bytes]) -> str:
    """`make_boundary` for one entity given as chunks (a boundary split across two is found)."""
    return _boundary(chunks, contiguous=True)


def _boundary(chunks: Sequence[bytes], *, contiguous: bool, digest: bytes | None = None) -> str:
    if digest is None:
        hasher = hashlib.sha1(usedforsecurity=False)
        for chunk in chunks:
            hasher.update(chunk)
        digest = hasher.digest()
    seed = digest.hex()
    for start in range(0, 8):
        boundary = f"----=_b2b_{seed[start : start + 32]}".encode()
        if not any(boundary in chunk for chunk in chunks) and not (
            contiguous and _straddles(chunks, boundary)
        ):
            return boundary.decode()
    raise AS2MalformedMessage("cannot find a boundary absent from the content")


def quote(value: str) -> str:
    """A header parameter value, quoted when it needs to be."""
    if value and all(c.isalnum() or c in "!#$&+-.^_`|~" for c in value):
        return value
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def rfc5322_date(moment: datetime) -> str:
    """A Date header value in UTC, independent of the locale: "Sat, 28 Nov 2026 12:00:00 +0000"."""
    at = moment.astimezone(UTC)
    return (
        f"{_DAYS[at.weekday()]}, {at.day:02d} {_MONTHS[at.month - 1]} {at.year} "
        f"{at.hour:02d}:{at.minute:02d}:{at.second:02d} +0000"
    )


def canonical_line_endings(data: bytes) -> bytes:
    """Every line end as CRLF (bare LF becomes CRLF; CRLF stays; bare CR stays)."""
    return data.replace(CRLF, b"\n").replace(b"\n", CRLF)


def signed_forms(raw: bytes, *, canonicalize: bool) -> Iterator[bytes]:
    """The forms a signer may have hashed a received entity in, most literal first (lazily:
    the first form that matches the signed digest ends the search).

    The bytes as received; with the header lines in canonical CRLF form (a transport that
    rewrote line ends: the Sterling B2Bi capture in the corpus needs this); and, for text/* or
    when `canonicalize` (the Sterling-style switch) is on, the whole entity with CRLF line ends.
    """
    yield raw
    head, start = split_head(raw)
    seen = {raw}
    if canonical_line_endings(head) != head:
        seen.add(form := canonical_line_endings(raw[:start]) + raw[start:])
        yield form
    text = parse_headers(head).get("content-type", "text/plain").lower().startswith("text/")
    if (canonicalize or text) and (form := canonical_line_endings(raw)) not in seen:
        yield form


def _unquote(value: str) -> str:
    if len(value) >= 2 and value[0] == value[-1] == '"':
        inner, out, escaped = value[1:-1], [], False
        if "\\" not in inner:
            return inner
        for char in inner:
            if escaped or char != "\\":
                out.append(char)
                escaped = False
            else:
                escaped = True
        return "".join(out)
    return value
