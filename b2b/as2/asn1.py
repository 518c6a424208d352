"""Just enough ASN.1 for CMS: a DER writer and a BER reader that touch only the nodes asked for.

The writer joins byte strings (a 10 MB ciphertext is copied once, not walked). The reader accepts
what other AS2 products send: definite and indefinite lengths, and constructed (chunked) OCTET
STRINGs, as BouncyCastle (Mendelson) and Sterling write them.

    >>> der = sequence(integer(1), octet_string(b"hi"))
    >>> [octets(der, n) for n in children(der, read(der))][1]
    b'hi'
"""

from __future__ import annotations

from typing import NamedTuple

from b2b.errors import AS2MalformedMessage

SEQUENCE = 0x30
SET = 0x31
INTEGER = 0x02
OCTET_STRING = 0x04
NULL = b"\x05\x00"
OID = 0x06
UTC_TIME = 0x17
CONSTRUCTED = 0x20
_MAX_DEPTH = 64
_new = tuple.__new__


# ----------------------------------------------------------------------------- writer


def header(tag: int, size: int) -> bytes:
    """The tag and definite length of an element whose content is `size` bytes."""
    if size < 0x80:
        return bytes((tag, size))
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length


def tlv(tag: int, content: bytes) -> bytes:
    """One DER element: tag, definite length, content."""
    return header(tag, len(content)) + content


def wrap(tag: int, chunks: list[bytes]) -> list[bytes]:
    """An element around content given as chunks, still as chunks: large content is never
    copied while nesting (join once at the end)."""
    return [header(tag, sum(map(len, chunks))), *chunks]


def sequence(*items: bytes) -> bytes:
    """SEQUENCE of already encoded items."""
    return tlv(SEQUENCE, b"".join(items))


def set_of(*items: bytes) -> bytes:
    """SET OF, sorted as DER requires."""
    return tlv(SET, b"".join(sorted(items)))


def integer(value: int) -> bytes:
    """INTEGER in the fewest two's-complement octets."""
    size = value.bit_length() // 8 + 1
    return tlv(INTEGER, value.to_bytes(size, "big", signed=True))


def octet_string(value: bytes) -> bytes:
    """OCTET STRING (primitive)."""
    return tlv(OCTET_STRING, value)


def explicit(number: int, content: bytes) -> bytes:
    """[number] EXPLICIT, context-specific and constructed."""
    return tlv(0xA0 | number, content)


def oid(dotted: str) -> bytes:
    """The DER of an OBJECT IDENTIFIER given as "1.2.840.113549.1.7.1"."""
    arcs = [int(arc) for arc in dotted.split(".")]
    body = bytearray([arcs[0] * 40 + arcs[1]])
    for arc in arcs[2:]:
        chunk, rest = [arc & 0x7F], arc >> 7
        while rest:
            chunk.append(0x80 | (rest & 0x7F))
            rest >>= 7
        body.extend(reversed(chunk))
    return tlv(OID, bytes(body))


def algorithm(identifier: bytes, parameters: bytes | None = None) -> bytes:
    """AlgorithmIdentifier: an encoded OID and optional encoded parameters."""
    return sequence(identifier, parameters or b"")


# ----------------------------------------------------------------------------- reader


class Node(NamedTuple):
    """One element found in a buffer: its identifier octet and where its parts lie.

    `start`/`end` bound the content (for an indefinite length, `end` is where the end-of-contents
    octets begin); `head` is where the element starts and `after` where the next one starts.
    """

    tag: int
    head: int
    start: int
    end: int
    after: int

    @property
    def constructed(self) -> bool:
        """True for SEQUENCE, SET, explicit tags and chunked strings."""
        return bool(self.tag & CONSTRUCTED)


def read(buf: bytes, pos: int = 0, limit: int | None = None, depth: int = 0) -> Node:
    """The element that starts at `pos`; raises AS2MalformedMessage if it is cut short."""
    if limit is None:
        limit = len(buf)
    if pos + 2 > limit:
        raise AS2MalformedMessage("ASN.1 element is cut short")
    tag, size = buf[pos], buf[pos + 1]
    if tag & 0x1F == 0x1F:
        raise AS2MalformedMessage("ASN.1 high tag numbers do not occur in CMS")
    if size < 0x80:  # short definite length: the common case, no further work
        start = pos + 2
        end = start + size
    elif size == 0x82 and pos + 4 <= limit:  # two length octets (256 B to 64 KB): no slicing
        start = pos + 4
        end = start + (buf[pos + 2] << 8 | buf[pos + 3])
    elif size == 0x80:
        return _indefinite(buf, pos, tag, limit, depth)
    else:
        count = size & 0x7F
        if count > 8:
            raise AS2MalformedMessage("ASN.1 length is too long")
        start = pos + 2 + count
        end = start + int.from_bytes(buf[pos + 2 : start], "big")
    if end > limit:
        raise AS2MalformedMessage("ASN.1 length runs past the end of the data")
    # tuple.__new__ skips NamedTuple's Python-level __new__ (this is the hot path)
    return _new(Node, (tag, pos, start, end, end))


def _indefinite(buf: bytes, pos: int, tag: int, limit: int, depth: int) -> Node:
    if not tag & CONSTRUCTED or depth > _MAX_DEPTH:
        raise AS2MalformedMessage("indefinite ASN.1 length on a primitive or too deep element")
    start = cursor = pos + 2
    while True:
        if cursor + 2 > limit:
            raise AS2MalformedMessage("ASN.1 end-of-contents is missing")
        if buf[cursor] == 0 and buf[cursor + 1] == 0:
            return Node(tag, pos, start, cursor, cursor + 2)
        cursor = read(buf, cursor, limit, depth + 1).after


def first(buf: bytes, node: Node) -> Node:
    """The first element inside a constructed element."""
    _, _, start, end, _ = node
    if start >= end:
        raise AS2MalformedMessage("ASN.1 element is empty where content was expected")
    return read(buf, start, end)


def following(buf: bytes, node: Node, parent: Node) -> Node:
    """The element after `node` inside `parent`."""
    after, end = node[4], parent[3]
    if after >= end:
        raise AS2MalformedMessage("ASN.1 structure ends early")
    return read(buf, after, end)


def children(buf: bytes, node: Node) -> list[Node]:
    """The elements inside a constructed element."""
    found, cursor, end = [], node[2], node[3]
    while cursor < end:
        child = read(buf, cursor, end)
        found.append(child)
        cursor = child[4]
    return found


def octets(buf: bytes, node: Node) -> bytes:
    """The value of a primitive element, or the joined chunks of a constructed string."""
    if not node.tag & CONSTRUCTED:  # not the `constructed` property: a call less per element
        return buf[node.start : node.end]
    return b"".join(octets(buf, child) for child in children(buf, node))


def view(buf: bytes, node: Node) -> bytes | memoryview:
    """`octets` without copying a primitive value (for a large ciphertext)."""
    if not node.tag & CONSTRUCTED:
        return memoryview(buf)[node.start : node.end]
    return octets(buf, node)


def element(buf: bytes, node: Node) -> bytes:
    """The encoded bytes of an element, tag and length included."""
    return buf[node.head : node.after]


def expect(node: Node, tag: int, what: str) -> Node:
    """`node` itself if it has `tag`, else AS2MalformedMessage naming `what`."""
    if node.tag != tag:
        raise AS2MalformedMessage(f"{what}: expected tag 0x{tag:02x}, found 0x{node.tag:02x}")
    return node


def sequence_items(buf: bytes, node: Node, what: str, minimum: int = 0) -> list[Node]:
    """The children of a SEQUENCE (or SET) with at least `minimum` items."""
    items = children(buf, node)
    if len(items) < minimum:
        raise AS2MalformedMessage(f"{what}: {len(items)} items, at least {minimum} expected")
    return items


def read_integer(buf: bytes, node: Node) -> int:
    """The value of an INTEGER."""
    return int.from_bytes(octets(buf, expect(node, INTEGER, "INTEGER")), "big", signed=True)
