"""Buyers change and cancel orders in Coupa: the partner gets an 860 (or an 850 replace/delete).

A real gateway with the example partners: Acme takes changes as 860s of what changed, and a
copy of Globex here takes them as 850s that replace or delete the order.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from b2b.x12 import ReadTransaction, read_interchanges
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO, _status, _with
from tests.conftest import ROOT

GLOBEX_ORDER = _with(
    SAMPLE,
    b'domain="DUNS">\n        <Identity>123456789',
    b'domain="NetworkID">\n        <Identity>AN01000002779',
)
COUPA_ORDER = (ROOT / "samples" / "coupa" / "order_header.xml").read_bytes()


def _change(body: bytes, kind: str, version: int, payload: str) -> bytes:
    body = _with(
        body, b'type="new" orderVersion="1"', f'type="{kind}" orderVersion="{version}"'.encode()
    )
    return _with(body, b'payloadID="', f'payloadID="{payload}.'.encode())


def _delivered(gateway: RunningGateway, partner: str, state: str = "sent") -> list[ReadTransaction]:
    """Every transaction set delivered to the partner so far, in the order they were built."""
    messages = [m for m in gateway.messages(SAMPLE_PO)["messages"] if m["state"] == state]
    found = []
    for message in sorted(messages, key=lambda m: m["id"]):
        (interchange,) = read_interchanges(
            (gateway.outbox / partner / message["filename"]).read_bytes()
        )
        found += [t for g in interchange.groups for t in g.transactions]
    return found


def _wait_sent(gateway: RunningGateway, count: int, po: str = SAMPLE_PO) -> list[dict[str, Any]]:
    """The PO's messages once there are `count` and all are sent."""
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        messages: list[dict[str, Any]] = gateway.messages(po)["messages"]
        if len(messages) >= count and all(m["state"] == "sent" for m in messages):
            return messages
        time.sleep(0.05)
    raise AssertionError(gateway.messages(po))


def _segments(transaction: ReadTransaction, tag: str) -> list[tuple[str, ...]]:
    return [tuple(str(e) for e in s.elements) for s in transaction.segments if s.tag == tag]


def test_a_change_and_a_cancellation_become_860s(gateway: RunningGateway) -> None:
    assert gateway.post_cxml(SAMPLE).status_code == 200
    _wait_sent(gateway, 1)
    update = _change(SAMPLE, "update", 2, "v2")
    update = _with(
        update, b'<ItemOut quantity="10" lineNumber="1"', b'<ItemOut quantity="12" lineNumber="1"'
    )
    assert gateway.post_cxml(update).status_code == 200
    _wait_sent(gateway, 2)
    assert gateway.post_cxml(_change(SAMPLE, "delete", 2, "cancel")).status_code == 200
    _wait_sent(gateway, 3)
    original, change, cancel = _delivered(gateway, "acme")
    assert original.set_id == "850"
    assert (change.set_id, cancel.set_id) == ("860", "860")
    (bch,) = _segments(change, "BCH")
    assert (bch[0], bch[2]) == ("04", SAMPLE_PO)
    (poc,) = _segments(change, "POC")  # only line 1 changed: its quantity went up by 2
    assert (poc[0], poc[1]) == ("1", "QI")
    assert _segments(cancel, "BCH")[0][0] == "01"
    assert _segments(cancel, "POC") == []
    kinds = [
        m["transaction_set"]
        for m in sorted(gateway.messages(SAMPLE_PO)["messages"], key=lambda m: m["id"])
    ]
    assert kinds == ["850", "860", "860"]


def test_the_same_version_twice_is_one_change_and_a_stale_one_is_refused(
    gateway: RunningGateway,
) -> None:
    gateway.post_cxml(SAMPLE)
    _wait_sent(gateway, 1)
    first = gateway.post_cxml(_change(SAMPLE, "update", 3, "v3a"))
    again = gateway.post_cxml(_change(SAMPLE, "update", 3, "v3b"))  # Coupa sent it again
    assert first.status_code == again.status_code == 200
    assert again.content == first.content
    _wait_sent(gateway, 2)
    stale = gateway.post_cxml(_change(SAMPLE, "update", 2, "v2"))
    assert stale.status_code == 400
    code, text = _status(stale)
    assert code == 400
    assert "version 2 is older than version 3" in text
    assert [m["transaction_set"] for m in gateway.messages(SAMPLE_PO)["messages"]] == ["860", "850"]
    (refused,) = gateway.messages(SAMPLE_PO)["rejections"]
    assert "older than version 3" in refused["reason"]


def test_a_partner_taking_changes_as_850s_gets_replace_and_delete(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "globex.toml").read_text()
    profile = profile.replace('version = "005010"\n', 'version = "005010"\nchanges = "850"\n', 1)
    (folder / "globex.toml").write_text(profile)
    gateway = start_gateway(partners_dir=folder)
    gateway.post_cxml(GLOBEX_ORDER)
    _wait_sent(gateway, 1)
    gateway.post_cxml(_change(GLOBEX_ORDER, "update", 2, "v2"))
    _wait_sent(gateway, 2)
    gateway.post_cxml(_change(GLOBEX_ORDER, "delete", 2, "cancel"))
    _wait_sent(gateway, 3)
    purposes = [_segments(t, "BEG")[0][0] for t in _delivered(gateway, "globex")]
    assert purposes == ["00", "05", "03"]


@pytest.mark.parametrize(
    ("style", "status", "version", "expected"),
    [
        ("860-delta", "issued", 2, ("860", "BCH", "04")),
        ("860-delta", "cancelled", 1, ("860", "BCH", "01")),  # cancelled without a new version
        ("860-replace", "closed", 1, ("860", "BCH", "01")),
        ("860-replace", "issued", 2, ("860", "BCH", "04")),
        ("850", "issued", 2, ("850", "BEG", "05")),
        ("850", "cancelled", 2, ("850", "BEG", "03")),
    ],
)
def test_a_coupa_order_header_change_or_cancellation_reaches_the_partner(
    start_gateway: GatewayFactory,
    tmp_path: Path,
    style: str,
    status: str,
    version: int,
    expected: tuple[str, str, str],
) -> None:
    folder = tmp_path / "partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "acme.toml").read_text()
    assert 'changes = "860-delta"' in profile
    profile = profile.replace('changes = "860-delta"', f'changes = "{style}"', 1)
    (folder / "acme.toml").write_text(profile)
    gateway = start_gateway(partners_dir=folder)
    first = gateway.client.post("/coupa/orders", content=COUPA_ORDER)
    number = etree.fromstring(first.content).find("order-header-receipt").get("id")
    gateway.wait_for(number, "sent")
    body = COUPA_ORDER.replace(
        b'<version type="integer">1</version>',
        f'<version type="integer">{version}</version>'.encode(),
    )
    body = body.replace(b"<status>issued</status>", f"<status>{status}</status>".encode())
    assert gateway.client.post("/coupa/orders", content=body).status_code == 200
    latest = max(_wait_sent(gateway, 2, number), key=lambda m: m["id"])
    assert latest["transaction_set"] == expected[0]
    (interchange,) = read_interchanges((gateway.outbox / "acme" / latest["filename"]).read_bytes())
    head = interchange.groups[0].transactions[0].segments[0]
    assert (head.tag, head.get(1)) == expected[1:]
