"""b2b.coupa.redact: no SharedSecret at rest, the same bytes on the wire."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from b2b.coupa import REDACTED, parse_order_request, redact_shared_secrets, restore_shared_secret
from b2b.coupa.redact import _SECRET
from b2b.coupa.supplier import CxmlCredentials, envelope, serialize
from tests.conftest import ROOT

SAMPLE = (ROOT / "samples" / "cxml" / "order_request_new.xml").read_bytes()


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        (b"<SharedSecret>hunter2</SharedSecret>", b"<SharedSecret>[redacted]</SharedSecret>"),
        (
            b"<SharedSecret\n>hunter2</SharedSecret\t>",
            b"<SharedSecret\n>[redacted]</SharedSecret\t>",
        ),
        (b'<c:SharedSecret xmlns:c="u">hunter2</c:SharedSecret>', b'<c:SharedSecret xmlns:c="u">'),
        (b"<SharedSecret><![CDATA[hun</SharedSecret>ter2]]></SharedSecret>", b"[redacted]</"),
        (b"<SharedSecret>hun<!-- </SharedSecret> -->ter2</SharedSecret>", b"[redacted]</"),
        (b"<SharedSecret><x>hunter2</x></SharedSecret>", b"<SharedSecret>[redacted]</"),
        (b"<sharedsecret>hunter2</sharedsecret>", b"<sharedsecret>[redacted]</"),
        (b"<a><SharedSecret>hunter2", b"<a><SharedSecret>[redacted]"),  # cut off by a limit
    ],
    ids=["plain", "spaces", "prefixed", "cdata", "comment", "element", "case", "truncated"],
)
def test_every_spelling_of_the_secret_is_redacted(body: bytes, expected: bytes) -> None:
    redacted = redact_shared_secrets(body)

    assert b"hun" not in redacted
    assert b"ter2" not in redacted
    assert expected in redacted


def test_only_the_secret_changes_and_the_document_still_parses() -> None:
    redacted = redact_shared_secrets(SAMPLE)

    assert b"demo-secret" not in redacted
    assert redacted == SAMPLE.replace(b">demo-secret<", b">[redacted]<")
    assert parse_order_request(redacted).order == parse_order_request(SAMPLE).order
    assert parse_order_request(redacted).shared_secret == REDACTED
    assert redact_shared_secrets(redacted) == redacted


def test_empty_elements_and_other_documents_are_left_alone() -> None:
    body = b"<Credential><SharedSecret/><Identity>keep</Identity></Credential>"

    assert redact_shared_secrets(body) == body
    assert redact_shared_secrets(b"<cXML/>") == b"<cXML/>"


@pytest.mark.parametrize("secret", ["plain", "a<&>b", "caf\u00e9 \u2603", "ctl\x01"])
def test_restored_bytes_are_the_bytes_built_with_the_secret(secret: str) -> None:
    def built(shared_secret: str) -> bytes:
        credentials = CxmlCredentials(
            "DUNS", "1", "NetworkID", "buyer", "DUNS", "1", shared_secret=shared_secret,
            user_agent="b2b gateway",
        )  # fmt: skip
        root, _ = envelope(
            credentials, payload_id="1@h", timestamp=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
        )
        return serialize(root, "http://xml.cxml.org/schemas/cXML/1.2.060/Fulfill.dtd")

    stored = built(REDACTED)

    assert restore_shared_secret(stored, secret) == built(secret)
    assert redact_shared_secrets(built(secret)) == stored


_PIECES = [
    b"<SharedSecret>",
    b"</SharedSecret>",
    b"<c:sharedSECRET a='1'>",
    b"</c:SharedSecret >",
    b"<SharedSecret/>",
    b"<!-- SharedSecret -->",
    b"<![CDATA[</SharedSecret>]]>",
    b"<Identity>",
    b"</Identity>",
    b"hunter2",
    b"SharedSecret",
    b"<",
    b">",
    b" ",
]


@given(st.lists(st.sampled_from(_PIECES), max_size=14))
def test_redacting_only_where_the_name_occurs_equals_the_pattern_applied_everywhere(
    pieces: list[bytes],
) -> None:
    """The fast path (the pattern tried only at each mention of SharedSecret) gives the bytes
    the pattern gives when tried at every position, however the pieces are arranged."""
    body = b"".join(pieces)
    everywhere = _SECRET.sub(rb"\1" + REDACTED.encode() + rb"\2", body)
    assert redact_shared_secrets(body) == everywhere
