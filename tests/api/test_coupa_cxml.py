"""Coupa posts cXML to a real gateway: answered at once, delivered as X12, tracked."""

from __future__ import annotations

import re
from concurrent.futures import ThreadPoolExecutor

import httpx
from lxml import etree

from b2b.x12 import read_interchanges
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.conftest import ROOT

SAMPLE = (ROOT / "samples" / "cxml" / "order_request_new.xml").read_bytes()
SAMPLE_PO = "HMG-PO-100482"


def _status(response: httpx.Response) -> tuple[int, str]:
    status = etree.fromstring(response.content).find("Response/Status")
    assert status is not None, response.text
    return int(status.get("code", "0")), (status.text or "").strip()


def _with(body: bytes, old: bytes, new: bytes) -> bytes:
    assert old in body
    return body.replace(old, new, 1)


def test_order_is_acknowledged_delivered_as_850_and_tracked(gateway: RunningGateway) -> None:
    response = gateway.post_cxml(SAMPLE)
    assert response.status_code == 200
    assert _status(response) == (200, "")
    assert b'<Status code="200" text="OK"' in response.content

    message = gateway.wait_for(SAMPLE_PO, "sent")
    assert message["partner_id"] == "acme"
    assert [e["state"] for e in message["events"]] == ["received", "mapped", "queued", "sent"]
    delivered = list((gateway.outbox / "acme").iterdir())
    assert [p.name for p in delivered] == [message["filename"]]
    [interchange] = read_interchanges(delivered[0].read_bytes())
    assert f"{interchange.control_number:09d}" == message["control_numbers"]["ISA13"]
    [group] = interchange.groups
    [transaction] = group.transactions
    assert transaction.set_id == "850"
    beg = next(s for s in transaction.segments if s.tag == "BEG")
    assert beg.get(3) == SAMPLE_PO
    assert sum(s.tag == "PO1" for s in transaction.segments) == 5


def test_same_payload_twice_concurrently_is_one_850_and_one_answer(gateway: RunningGateway) -> None:
    with ThreadPoolExecutor(8) as pool:
        responses = list(pool.map(lambda _: gateway.post_cxml(SAMPLE), range(8)))
    assert {r.status_code for r in responses} == {200}
    assert len({r.content for r in responses}) == 1  # the same answer, byte for byte
    gateway.wait_for(SAMPLE_PO, "sent")
    assert len(gateway.messages(SAMPLE_PO)["messages"]) == 1
    assert len(list((gateway.outbox / "acme").iterdir())) == 1


def test_a_new_payload_id_for_the_same_po_is_a_new_document(gateway: RunningGateway) -> None:
    gateway.post_cxml(SAMPLE)
    gateway.post_cxml(_with(SAMPLE, b'payloadID="', b'payloadID="second.'))
    gateway.wait_for(SAMPLE_PO, "sent")
    isa13 = {m["control_numbers"]["ISA13"] for m in gateway.messages(SAMPLE_PO)["messages"]}
    assert len(isa13) == 2


def _assert_rejected(gateway: RunningGateway, body: bytes, code: int, reason: str) -> None:
    response = gateway.post_cxml(body)
    assert response.status_code == code
    got_code, text = _status(response)
    assert got_code == code
    assert re.search(reason, text), text


def test_bad_documents_get_a_400_naming_the_problem_and_are_kept(gateway: RunningGateway) -> None:
    cases = [
        (b"<cXML><Request><OrderRequest>", "not well-formed|Premature end|expected"),
        (b'<?xml version="1.0"?><Invoice/>', "cXML"),
        (_with(SAMPLE, b'orderID="HMG-PO-100482"', b""), "orderID"),
        (re.sub(rb"<ItemOut.*?</ItemOut>", b"", SAMPLE, flags=re.S), "ItemOut"),
    ]
    for body, reason in cases:
        _assert_rejected(gateway, body, 400, reason)
    kept = gateway.client.get("/messages").json()["rejections"]
    assert len(kept) == len(cases)
    assert all(r["response_status"] == 400 and r["reason"] for r in kept)
    assert gateway.messages(SAMPLE_PO)["messages"] == []


def test_unknown_supplier_is_refused_by_name_and_nothing_is_queued(gateway: RunningGateway) -> None:
    body = _with(SAMPLE, b"<Identity>123456789</Identity>", b"<Identity>999999999</Identity>")
    _assert_rejected(gateway, body, 400, "DUNS:999999999")
    found = gateway.messages(SAMPLE_PO)
    assert found["messages"] == []
    assert [r["error"] for r in found["rejections"]] == ["UnknownPartner"]


def test_billion_laughs_is_refused(gateway: RunningGateway) -> None:
    """Refused before any expansion (how fast: tests/api/test_hostile_xml.py prints it and
    bench/b8_hostile_xml.py measures it; the suite asserts no times)."""
    lol = (
        b'<?xml version="1.0"?><!DOCTYPE cXML [<!ENTITY a "aaaaaaaaaa">'
        + b"".join(
            f'<!ENTITY {chr(98 + i)} "{("&" + chr(97 + i) + ";") * 10}">'.encode() for i in range(9)
        )
        + b"]><cXML>&j;</cXML>"
    )
    _assert_rejected(gateway, lol, 400, "(?i)entit")


def test_body_over_the_limit_is_413_before_parsing(start_gateway: GatewayFactory) -> None:
    gateway = start_gateway(max_body_bytes=4096)
    response = gateway.post_cxml(SAMPLE + b"<!--" + b"x" * 8192 + b"-->")
    assert response.status_code == 413
    assert _status(response)[0] == 413
    [kept] = gateway.client.get("/messages").json()["rejections"]
    assert kept["error"] == "PayloadTooLarge"


def test_wrong_shared_secret_is_401(start_gateway: GatewayFactory) -> None:
    gateway = start_gateway(coupa_shared_secret="demo-secret")
    _assert_rejected(gateway, _with(SAMPLE, b"demo-secret", b"guess"), 401, "SharedSecret")
    assert gateway.post_cxml(SAMPLE).status_code == 200


def test_coupa_xml_order_header_is_accepted_and_delivered(gateway: RunningGateway) -> None:
    body = (ROOT / "samples" / "coupa" / "order_header.xml").read_bytes()
    first = gateway.client.post("/coupa/orders", content=body)
    again = gateway.client.post("/coupa/orders", content=body)
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    number = etree.fromstring(first.content).find("order-header-receipt").get("id")
    message = gateway.wait_for(number, "sent")
    assert message["source_format"] == "coupa-xml"
    assert len(list((gateway.outbox / "acme").iterdir())) == 1


def test_health(gateway: RunningGateway) -> None:
    assert gateway.client.get("/health").json() == {"status": "ok", "partners": 3}
