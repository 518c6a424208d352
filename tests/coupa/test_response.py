"""The cXML Response answered to Coupa: shape, escaping, validity against the official DTD."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from lxml import etree

from b2b.coupa import CXML_DTD_URL, new_payload_id, render_cxml_response
from b2b.xmlsafe import parse_xml

NOW = dt.datetime(2024, 6, 10, 16, 18, 42, tzinfo=dt.UTC)
PAYLOAD_ID = "1718036322.4242.0a1b2c3d4e5f6071@b2b.example"


def render(code: int = 200, text: str = "OK", message: str = "") -> bytes:
    return render_cxml_response(code, text, message, payload_id=PAYLOAD_ID, timestamp=NOW)


def test_ok_response_has_the_cxml_shape() -> None:
    body = render()

    root = parse_xml(body)
    (status,) = root.iterfind("Response/Status")
    assert body.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n')
    assert b'<!DOCTYPE cXML SYSTEM "http://xml.cxml.org/schemas/cXML/1.2.063/cXML.dtd">' in body
    assert CXML_DTD_URL == "http://xml.cxml.org/schemas/cXML/1.2.063/cXML.dtd"
    assert root.tag == "cXML"
    assert root.get("payloadID") == PAYLOAD_ID
    assert root.get("timestamp") == "2024-06-10T16:18:42+00:00"
    assert (status.get("code"), status.get("text"), status.text) == ("200", "OK", None)


def test_message_and_text_are_escaped() -> None:
    message = "ItemOut line 2 @quantity: \"4<5\" & 'x' > y"
    body = render(400, 'Bad "Request" <&>', message)

    status = parse_xml(body).find("Response/Status")

    assert status is not None
    assert status.text == message
    assert status.get("text") == 'Bad "Request" <&>'


def test_characters_xml_cannot_carry_are_replaced() -> None:
    body = render(400, "Bad Request", "bad byte \x00 and \x1b[31m escape")

    status = parse_xml(body).find("Response/Status")

    assert status is not None
    assert status.text == "bad byte \ufffd and \ufffd[31m escape"


def test_non_ascii_message_is_utf8() -> None:
    body = render(400, "Bad Request", "Bestellnummer fehlt: Größe")

    assert "Größe".encode() in body


def test_timestamp_keeps_its_offset() -> None:
    pacific = dt.datetime(
        2024, 6, 10, 9, 18, 42, 123456, tzinfo=dt.timezone(dt.timedelta(hours=-7))
    )

    body = render_cxml_response(200, "OK", payload_id=PAYLOAD_ID, timestamp=pacific)

    assert parse_xml(body).get("timestamp") == "2024-06-10T09:18:42-07:00"


def test_naive_timestamp_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="time zone"):
        render_cxml_response(200, "OK", payload_id=PAYLOAD_ID, timestamp=dt.datetime(2024, 6, 10))


@pytest.mark.parametrize(
    ("code", "text", "message"),
    [
        (200, "OK", ""),
        (201, "Accepted", "Order HMG-PO-100482 queued for acme"),
        (400, "Bad Request", "OrderRequestHeader@orderID is missing & <more>"),
        (401, "Unauthorized", "wrong shared secret"),
        (500, "Internal Server Error", "store unavailable"),
    ],
)
def test_valid_against_the_official_dtd(corpus: Path, code: int, text: str, message: str) -> None:
    dtd = etree.DTD(str(corpus / "cxml-dtd" / "1.2.063" / "cXML.dtd"))

    document = parse_xml(render(code, text, message))

    assert dtd.validate(document), str(dtd.error_log)


def test_new_payload_id_has_the_usual_form_and_is_unique() -> None:
    first, second = new_payload_id("b2b.example.com"), new_payload_id("b2b.example.com")

    assert re.fullmatch(r"\d{10,}\.\d+\.[0-9a-f]{16}@b2b\.example\.com", first), first
    assert first != second
