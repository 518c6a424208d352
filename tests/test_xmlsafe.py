"""b2b.xmlsafe: DOCTYPEs accepted and never fetched, entity declarations refused up front."""

from __future__ import annotations

import resource
import socket
import threading
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from b2b.errors import MalformedDocument
from b2b.xmlsafe import parse_xml

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<lolz a="&lol9;">&lol9;</lolz>
"""


def test_parses_into_an_lxml_element_without_comments() -> None:
    root = parse_xml(b"<?xml version='1.0'?><!-- c --><cXML payloadID='1@h'><!-- x --><A/></cXML>")

    assert isinstance(root, etree._Element)
    assert root.get("payloadID") == "1@h"
    assert [child.tag for child in root] == ["A"]


def test_billion_laughs_is_refused_before_expansion() -> None:
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

    with pytest.raises(MalformedDocument) as caught:
        parse_xml(BILLION_LAUGHS)

    assert "entit" in caught.value.reason.lower()
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kib < 16 * 1024  # 10^9 "lol"s would be gigabytes


@pytest.mark.parametrize(
    "body",
    [
        b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        b'<!DOCTYPE r [<!ENTITY % x SYSTEM "file:///etc/passwd"> %x;]><r/>',
        b'<!DOCTYPE r SYSTEM "a>b" [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        b'<!-- <r> --><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        b'<!DOCTYPE r [<!-- ] --><!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
        b'<!DOCTYPE r [<!ATTLIST r a CDATA "]>"><!ENTITY x SYSTEM "file:///etc/passwd">]><r/>',
        b'\xef\xbb\xbf<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>',
    ],
    ids=[
        "general",
        "parameter",
        "gt-in-system-id",
        "comment-first",
        "comment-in-subset",
        "attlist",
        "utf8-bom",
    ],
)
def test_external_entities_are_refused_and_never_read(body: bytes) -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_xml(body)

    assert "entit" in caught.value.reason.lower()
    assert "root:" not in caught.value.reason


def test_internal_subset_without_entities_is_accepted() -> None:
    body = b'<!DOCTYPE r [<!ELEMENT r (#PCDATA)><!ATTLIST r a CDATA "x]>">]><r>hi</r>'

    assert parse_xml(body).text == "hi"


def test_entity_text_inside_the_document_is_just_text() -> None:
    body = b'<!DOCTYPE r SYSTEM "r.dtd"><r><![CDATA[<!ENTITY x "y">]]></r>'

    assert parse_xml(body).text == '<!ENTITY x "y">'


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A real TCP listener on 127.0.0.1 that records whether anyone connected."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        server.setblocking(False)
        yield server


@pytest.mark.parametrize("keyword", ["SYSTEM", 'PUBLIC "-//Example//DTD Order//EN"'])
def test_external_dtd_is_accepted_and_not_fetched(listener: socket.socket, keyword: str) -> None:
    port = listener.getsockname()[1]
    body = f'<!DOCTYPE cXML {keyword} "http://127.0.0.1:{port}/cXML.dtd"><cXML a="1"/>'

    root = parse_xml(body.encode())

    assert root.get("a") == "1"
    with pytest.raises(BlockingIOError):
        listener.accept()  # nobody connected


def test_dtd_on_the_discard_port_is_not_fetched() -> None:
    body = b'<!DOCTYPE cXML SYSTEM "http://127.0.0.1:9/schemas/cXML/1.2.063/cXML.dtd"><cXML/>'

    assert parse_xml(body).tag == "cXML"


def test_not_well_formed_names_line_and_column() -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_xml(b"<cXML>\n  <Header></cXML>")

    assert "not well-formed" in caught.value.reason
    assert "line 2, column" in caught.value.reason


@pytest.mark.parametrize("body", [b"", b"   ", b"not xml", b"<a>&undefined;</a>", b"<a></b>"])
def test_garbage_is_malformed(body: bytes) -> None:
    with pytest.raises(MalformedDocument):
        parse_xml(body)


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ('<?xml version="1.0" encoding="UTF-16"?><a/>'.encode("utf-16"), "UTF-16"),
        ("<a/>".encode("utf-16-le"), "UTF-16"),
        ("<a/>".encode("utf-16-be"), "UTF-16"),
        ("<a/>".encode("utf-32"), "UTF-32"),
        (b'<?xml version="1.0" encoding="UTF-7"?><a>+ADw-</a>', "UTF-7"),
        (b'<?xml version="1.0" encoding="IBM037"?><a/>', "IBM037"),
        ('<?xml version="1.0" encoding="IBM037"?><a/>'.encode("cp037"), "EBCDIC"),
    ],
)
def test_encodings_that_could_hide_declarations_are_refused(body: bytes, named: str) -> None:
    with pytest.raises(MalformedDocument) as caught:
        parse_xml(body)

    assert named in caught.value.reason
    assert "UTF-8" in caught.value.reason


def test_latin1_and_utf8_bom_are_read() -> None:
    latin1 = '<?xml version="1.0" encoding="ISO-8859-1"?><a>Café</a>'.encode("latin-1")
    bom = "\ufeff<?xml version='1.0'?><a>Café</a>".encode()

    assert parse_xml(latin1).text == "Café"
    assert parse_xml(bom).text == "Café"


def test_nesting_deeper_than_max_depth_is_refused() -> None:
    def nested(depth: int) -> bytes:
        return b"<a>" * depth + b"</a>" * depth

    assert parse_xml(nested(64)).tag == "a"
    with pytest.raises(MalformedDocument, match="deeper than 64"):
        parse_xml(nested(65))
    assert parse_xml(nested(65), max_depth=80).tag == "a"


def test_threads_parse_concurrently() -> None:
    results: list[str] = []
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(200):
                results.append(parse_xml(f"<r n='{n}-{i}'><c/></r>".encode()).get("n") or "")
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert sorted(results) == sorted(f"{n}-{i}" for n in range(4) for i in range(200))


_FRAGMENTS = st.sampled_from(
    [
        b"<?xml version='1.0'?>",
        b'<?xml version="1.0" encoding="',
        b"<!DOCTYPE r",
        b' SYSTEM "x.dtd"',
        b" [",
        b"]>",
        b"<!ENTITY x 'y'>",
        b"<!--",
        b"-->",
        b"<r>",
        b"</r>",
        b"&x;",
        b"\xef\xbb\xbf",
        b"\xff\xfe",
        b"\x00",
        b"'",
        b'"',
        b">",
        b"<",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.binary(max_size=200), st.lists(_FRAGMENTS, max_size=12).map(b"".join)))
def test_arbitrary_bytes_raise_only_malformed_document(body: bytes) -> None:
    try:
        root = parse_xml(body)
    except MalformedDocument:
        return
    assert isinstance(root, etree._Element)
    subset = root.getroottree().docinfo.internalDTD
    # no entity declaration got through to lxml
    assert subset is None or list(subset.iterentities()) == []  # type: ignore[attr-defined]
