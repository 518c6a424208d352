"""Safe XML parsing for documents that arrive from outside (cXML, Coupa XML).

A DOCTYPE is accepted and never fetched; entity declarations are refused before lxml sees the
document, so "billion laughs" and external-entity (XXE) bodies cost a byte scan, not memory.
Only ASCII-compatible encodings are read (UTF-8, US-ASCII, ISO-8859-1/15, windows-1252): in any
other encoding the scan for `<!ENTITY` could be bypassed, so such bodies are refused by name.

    >>> root = parse_xml(b"<cXML payloadID='1@host'/>")
    >>> root.get("payloadID")
    '1@host'
"""

from __future__ import annotations

import re
import threading

from lxml import etree

from b2b.errors import MalformedDocument

__all__ = ["parse_xml"]

_UTF8_BOM = b"\xef\xbb\xbf"
_FOREIGN_STARTS = (
    (b"\x00\x00\xfe\xff", "UTF-32"),
    (b"\xff\xfe\x00\x00", "UTF-32"),
    (b"\xfe\xff", "UTF-16"),
    (b"\xff\xfe", "UTF-16"),
    (b"\x4c\x6f\xa7\x94", "EBCDIC"),  # "<?xm" in EBCDIC, which libxml2 may detect and decode
)
_ACCEPTED_ENCODINGS = frozenset(
    {"utf-8", "utf8", "us-ascii", "ascii", "iso-8859-1", "latin1", "iso-8859-15", "windows-1252"}
)
_USUAL_DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>'
_ENTITY = b"<!ENTITY"
_SPACES = re.compile(rb"[ \t\r\n]*")
_XML_DECL = re.compile(rb"<\?xml[ \t\r\n][^>]*?\?>")
_ENCODING = re.compile(rb"""encoding[ \t\r\n]*=[ \t\r\n]*["']([^"']*)["']""")
# Prolog grammar pieces: XML white space and a quoted literal.
_PIECES = {b"S": rb"[ \t\r\n]", b"Q": rb"""(?:"[^"]*"|'[^']*')"""}
_DOCTYPE = re.compile(
    rb"<!DOCTYPE%(S)s+[^ \t\r\n\[>]+"
    rb"(?:%(S)s+(?:SYSTEM%(S)s+%(Q)s|PUBLIC%(S)s+%(Q)s%(S)s+%(Q)s))?%(S)s*([\[>])" % _PIECES
)
# One token of an internal DTD subset; group 1 is the declaration keyword, if any.
_SUBSET_TOKEN = re.compile(
    rb"%(S)s+|<!--.*?-->|<\?.*?\?>|%%[^;\s]+;|\]"
    rb"|<!(ELEMENT|ATTLIST|ENTITY|NOTATION)(?:[^\"'>]|%(Q)s)*>" % _PIECES,
    re.DOTALL,
)

_local = threading.local()


def parse_xml(body: bytes, *, max_depth: int = 64) -> etree._Element:
    """Parse `body` into its root element, refusing anything unsafe with MalformedDocument.

    Comments, processing instructions and whitespace-only text between elements are dropped.

        root = parse_xml(request_body)
    """
    _check_prolog(body)
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        raise MalformedDocument(f"not well-formed XML: {exc.msg}") from exc
    except (ValueError, LookupError) as exc:  # e.g. an encoding lxml cannot decode
        raise MalformedDocument(f"unreadable XML: {exc}") from exc
    if _too_deep(max_depth)(root):
        raise MalformedDocument(f"XML nesting is deeper than {max_depth} elements")
    return root


def _parser() -> etree.XMLParser:
    # lxml parsers (and XPath objects) keep per-use state: each thread gets its own, made once.
    parser: etree.XMLParser | None = getattr(_local, "parser", None)
    if parser is None:
        parser = etree.XMLParser(
            resolve_entities=False,
            no_network=True,
            load_dtd=False,
            dtd_validation=False,
            attribute_defaults=False,
            huge_tree=False,
            remove_blank_text=True,
            remove_comments=True,
            remove_pis=True,
            # Not collect_ids=False: with it, lxml 6 tries to load the external DTD.
        )
        _local.parser = parser
    return parser


def _too_deep(max_depth: int) -> etree.XPath:
    """A compiled `boolean(/*/*/...)` one level deeper than allowed, one per thread and depth."""
    checks: dict[int, etree.XPath] | None = getattr(_local, "depth_checks", None)
    if checks is None:
        checks = _local.depth_checks = {}
    check = checks.get(max_depth)
    if check is None:
        check = checks[max_depth] = etree.XPath(f"boolean({'/*' * (max_depth + 1)})")
    return check


def _check_prolog(body: bytes) -> None:
    """Refuse entity declarations and encodings in which they could hide; scans the prolog only."""
    pos = _check_encoding(body)
    end = len(body)
    while pos < end:
        pos = _skip_spaces(body, pos)
        if body.startswith(b"<?", pos):
            pos = _after(body, b"?>", pos)
        elif body.startswith(b"<!--", pos):
            pos = _after(body, b"-->", pos)
        elif body.startswith(b"<!", pos):
            _check_doctype(body, pos)
            return
        else:
            return  # the root start tag (or garbage that lxml will report)


def _skip_spaces(body: bytes, pos: int) -> int:
    spaces = _SPACES.match(body, pos)  # matches "" too
    return spaces.end() if spaces else pos


def _check_encoding(body: bytes) -> int:
    """Return where the document starts after a UTF-8 BOM; refuse non-ASCII-compatible input."""
    if body.startswith(_USUAL_DECLARATION):  # the common case, accepted as below would
        return 0
    for bom, name in _FOREIGN_STARTS:
        if body.startswith(bom):
            raise MalformedDocument(f"{name} documents are not accepted; send UTF-8")
    start = len(_UTF8_BOM) if body.startswith(_UTF8_BOM) else 0
    if b"\x00" in body[start : start + 4]:
        raise MalformedDocument("UTF-16/UTF-32 documents are not accepted; send UTF-8")
    declaration = _XML_DECL.match(body, start)
    if declaration:
        encoding = _ENCODING.search(declaration.group())
        name = encoding.group(1).decode("ascii", "replace") if encoding else "utf-8"
        if name.lower() not in _ACCEPTED_ENCODINGS:
            raise MalformedDocument(f"encoding {name!r} is not accepted; send UTF-8")
    return start


def _after(body: bytes, terminator: bytes, pos: int) -> int:
    found = body.find(terminator, pos)
    return len(body) if found < 0 else found + len(terminator)


def _check_doctype(body: bytes, pos: int) -> None:
    match = _DOCTYPE.match(body, pos)
    if match is None:  # not a DOCTYPE we understand: be conservative
        _refuse_if_entity(body, pos)
    elif match.group(1) == b"[":
        _check_internal_subset(body, match.end())


def _check_internal_subset(body: bytes, pos: int) -> None:
    while (token := _SUBSET_TOKEN.match(body, pos)) is not None:
        if token.group(1) == b"ENTITY":
            _refuse()
        if token.group() == b"]":
            return
        pos = token.end()
    _refuse_if_entity(body, pos)  # a subset we cannot tokenize: be conservative


def _refuse_if_entity(body: bytes, pos: int) -> None:
    if body.find(_ENTITY, pos) >= 0:
        _refuse()


def _refuse() -> None:
    raise MalformedDocument("entity declarations (<!ENTITY) are not accepted")
