"""The MIME subset: what other products send (LF line ends, folding, odd case, preambles) and
property tests that what we write reads back byte for byte."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b2b.as2 import mime
from b2b.errors import AS2MalformedMessage

_NAMES = st.from_regex(r"[A-Za-z][A-Za-z0-9-]{0,20}", fullmatch=True)
_VALUES = st.from_regex(r"[ -~]{0,60}", fullmatch=True).map(str.strip)
_HEADERS = st.lists(st.tuples(_NAMES, _VALUES), min_size=1, max_size=6)


def test_headers_are_case_insensitive_and_keep_their_order() -> None:
    headers = mime.Headers([("AS2-From", "acme"), ("as2-from", "second"), ("Subject", "x")])
    assert headers["AS2-FROM"] == "acme"
    assert headers.get("as2-to") is None
    assert headers.get("as2-to", "") == ""
    assert "aS2-fRoM" in headers
    assert list(headers) == ["AS2-From", "as2-from", "Subject"]


def test_lf_line_ends_and_folded_headers() -> None:
    entity = mime.parse_entity(
        b'content-type: multipart/signed; micalg=sha256;\n\tboundary="b1"\nX-Other:  v \n\nbody'
    )
    assert entity.content_type.mime_type == "multipart/signed"
    assert entity.content_type.param("boundary") == "b1"
    assert entity.headers["x-other"] == "v"
    assert entity.body == b"body"


def test_parameters_quoted_unquoted_and_with_semicolons() -> None:
    parsed = mime.parse_parameters(
        'Application/PKCS7-MIME; Smime-Type=enveloped-data; name="a;b.p7m"; q="say \\"hi\\""'
    )
    assert parsed.mime_type == "application/pkcs7-mime"
    assert parsed.params == {"smime-type": "enveloped-data", "name": "a;b.p7m", "q": 'say "hi"'}


def test_multipart_with_preamble_epilogue_and_a_boundary_prefix_in_the_content() -> None:
    body = (
        b"Date: preamble, ignored\n\n"
        b"--abc\r\nContent-Type: text/plain\r\n\r\nfirst\r\n--abcdef is not a delimiter\r\n"
        b"--abc\r\nContent-Type: application/pkcs7-signature\r\n\r\nsecond\r\n"
        b"--abc--\r\nepilogue"
    )
    parts = mime.split_multipart(body, "abc")
    assert parts == [
        b"Content-Type: text/plain\r\n\r\nfirst\r\n--abcdef is not a delimiter",
        b"Content-Type: application/pkcs7-signature\r\n\r\nsecond",
    ]


def test_a_multipart_without_the_boundary_is_malformed() -> None:
    with pytest.raises(AS2MalformedMessage, match="no body part"):
        mime.split_multipart(b"just text", "abc")


@pytest.mark.parametrize(
    ("encoding", "encoded", "decoded"),
    [
        ("base64", b"SVNB\r\nKjAw\r\n", b"ISA*00"),
        ("Base64", b"SVNBKjAw", b"ISA*00"),
        ("quoted-printable", b"ISA=2A00=\r\n~", b"ISA*00~"),
        ("binary", b"\x00\xff", b"\x00\xff"),
        (None, b"raw", b"raw"),
    ],
)
def test_transfer_encodings(encoding: str | None, encoded: bytes, decoded: bytes) -> None:
    assert mime.decode_transfer(encoded, encoding) == decoded


def test_an_unknown_transfer_encoding_is_malformed() -> None:
    with pytest.raises(AS2MalformedMessage, match="x-uuencode"):
        mime.decode_transfer(b"", "x-uuencode")


def test_bare_content_is_not_taken_for_an_entity() -> None:
    assert mime.parse_inner_entity(b"UNB+UNOA:2+<Sender GLN>:14+x'\nUNH+1'\n") is None
    assert mime.parse_inner_entity(b"X-Note: no content type\r\n\r\nbody") is None
    entity = mime.parse_inner_entity(b"Content-Type: application/edi-x12\r\n\r\nISA~")
    assert entity is not None
    assert entity.body == b"ISA~"


def test_signed_forms_canonicalise_headers_always_and_bodies_on_request() -> None:
    raw = b"Content-Type: application/octet-stream\n\nline 1\nline 2\n"
    assert list(mime.signed_forms(raw, canonicalize=False)) == [
        raw,
        b"Content-Type: application/octet-stream\r\n\r\nline 1\nline 2\n",
    ]
    assert list(mime.signed_forms(raw, canonicalize=True))[-1] == (
        b"Content-Type: application/octet-stream\r\n\r\nline 1\r\nline 2\r\n"
    )
    text = b"Content-Type: text/plain\r\n\r\na\nb"
    assert list(mime.signed_forms(text, canonicalize=False)) == [
        text,
        b"Content-Type: text/plain\r\n\r\na\r\nb",
    ]


@given(headers=_HEADERS, body=st.binary(max_size=400))
def test_entities_read_back_as_written(headers: list[tuple[str, str]], body: bytes) -> None:
    entity = mime.parse_entity(mime.build_entity(headers, body))
    assert entity.headers.pairs() == tuple(headers)
    assert entity.body == body


@given(parts=st.lists(st.binary(max_size=200), min_size=1, max_size=4))
def test_multiparts_read_back_as_written(parts: list[bytes]) -> None:
    boundary = mime.make_boundary(*parts)
    assert mime.split_multipart(mime.multipart(parts, boundary), boundary) == parts


@given(data=st.binary(max_size=2000))
def test_base64_lines(data: bytes) -> None:
    encoded = mime.base64_lines(data)
    assert all(len(line) <= 76 for line in encoded.split(b"\r\n"))
    assert mime.decode_transfer(encoded, "base64") == data


@given(data=st.binary(max_size=300))
def test_canonical_line_ends_are_idempotent(data: bytes) -> None:
    once = mime.canonical_line_endings(data)
    assert mime.canonical_line_endings(once) == once
    assert b"\n" not in once.replace(b"\r\n", b"")
