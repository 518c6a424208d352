"""The partner's 855, 856 and 810 reach Coupa as cXML: posted with the supplier's credentials,
retried while Coupa fails, reported when Coupa refuses."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from lxml import etree

from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO
from tests.api.test_inbound import _drop, _partners
from tests.conftest import ROOT
from tests.fixtures.coupa import SECRET, CoupaStandIn

SAMPLES = ROOT / "samples" / "x12"


def _with_coupa(folder: Path, coupa: CoupaStandIn, certs: Path, retry: str = "") -> Path:
    """Acme's profile, its documents going to the stand-in Coupa."""
    (certs / "acme-coupa.secret").write_text(SECRET + "\n")
    text = (folder / "acme.toml").read_text()
    text = text.replace(
        "[x12]",
        f"""[coupa.documents]
url = "{coupa.url}"
from_identity = "DUNS:123456789"
to_identity = "NetworkID:harborview-medical"
shared_secret_file = "{certs / "acme-coupa.secret"}"
timeout_seconds = 5

[x12]""",
        1,
    )
    text = text.replace(
        "[retry]\nmax_attempts = 8\ninitial_backoff_seconds = 30",
        retry or "[retry]\nmax_attempts = 8\ninitial_backoff_seconds = 0.2",
    )
    (folder / "acme.toml").write_text(text)
    return folder


def _coupa_messages(gateway: RunningGateway, count: int, state: str) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [m for m in gateway.messages(SAMPLE_PO)["messages"] if m["destination"] == "coupa"]
        if len(found) == count and all(m["state"] == state for m in found):
            return sorted(found, key=lambda m: m["id"])
        time.sleep(0.05)
    raise AssertionError(gateway.messages(SAMPLE_PO)["messages"])


def test_confirmation_ship_notice_and_invoice_reach_coupa(
    start_gateway: GatewayFactory, tmp_path: Path, coupa: CoupaStandIn
) -> None:
    folder = _with_coupa(_partners(tmp_path / "partners"), coupa, tmp_path)
    gateway = start_gateway(partners_dir=folder)
    assert gateway.post_cxml(SAMPLE).status_code == 200
    gateway.wait_for(SAMPLE_PO, "sent")
    for kind in ("855", "856", "810"):
        _drop(gateway, "acme", f"{kind}.x12", (SAMPLES / f"acme_{kind}_004010.x12").read_bytes())
        _coupa_messages(gateway, ("855", "856", "810").index(kind) + 1, "sent")
    sent = _coupa_messages(gateway, 3, "sent")
    assert [m["transaction_set"] for m in sent] == ["855", "856", "810"]
    assert all(m["receipt"] == "coupa 200 OK" for m in sent)
    assert coupa.paths() == [
        "/cxml/order_confirmations",
        "/cxml/ship_notice_request",
        "/cxml/invoices",
    ]
    roots = [etree.fromstring(body) for _, body in coupa.received]
    assert [r.find("Request")[0].tag for r in roots] == [
        "ConfirmationRequest",
        "ShipNoticeRequest",
        "InvoiceDetailRequest",
    ]
    for root in roots:
        assert root.findtext("Header/From/Credential/Identity") == "123456789"
        assert root.findtext("Header/To/Credential/Identity") == "harborview-medical"
        assert root.find(".//OrderReference").get("orderID") == SAMPLE_PO
        payload = root.find(".//OrderReference/DocumentReference").get("payloadID")
        assert payload == "1718036322.48213.7731942@procure.harborview-medical.example"


def test_coupa_failing_is_retried_and_coupa_refusing_is_reported(
    start_gateway: GatewayFactory, tmp_path: Path, coupa: CoupaStandIn
) -> None:
    folder = _with_coupa(_partners(tmp_path / "partners"), coupa, tmp_path)
    gateway = start_gateway(partners_dir=folder)
    gateway.post_cxml(SAMPLE)
    gateway.wait_for(SAMPLE_PO, "sent")
    coupa.answers[:] = [500, 500, 200]
    _drop(gateway, "acme", "855.x12", (SAMPLES / "acme_855_004010.x12").read_bytes())
    (confirmation,) = _coupa_messages(gateway, 1, "sent")
    assert confirmation["attempts"] == 3
    assert [e["state"] for e in confirmation["events"]] == ["queued", "retry", "retry", "sent"]
    assert "Coupa answered 500" in confirmation["events"][1]["detail"]
    coupa.answers[:] = [400]
    _drop(gateway, "acme", "810.x12", (SAMPLES / "acme_810_004010.x12").read_bytes())
    failed = [m for m in _coupa_messages_any(gateway, 2) if m["transaction_set"] == "810"]
    assert failed[0]["state"] == "failed"
    assert "Coupa answered 400 Bad Request: refused by the stand-in" in failed[0]["last_error"]
    assert len(coupa.received) == 4  # a refusal is not retried


def _coupa_messages_any(gateway: RunningGateway, count: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        found = [m for m in gateway.messages(SAMPLE_PO)["messages"] if m["destination"] == "coupa"]
        if len(found) == count and all(m["state"] in ("sent", "failed") for m in found):
            return found
        time.sleep(0.05)
    raise AssertionError(gateway.messages(SAMPLE_PO)["messages"])


def test_a_confirmation_reaches_coupa_in_the_order_s_units(
    start_gateway: GatewayFactory, tmp_path: Path, coupa: CoupaStandIn
) -> None:
    """Line 1 is ordered in cases (CS), which Acme's x12.uom sends as CA and Acme answers in CA:
    Coupa is told CS again. The other lines (BX, EA, HR) are the same code both ways."""
    folder = _with_coupa(_partners(tmp_path / "partners"), coupa, tmp_path)
    gateway = start_gateway(partners_dir=folder)
    order = SAMPLE.replace(
        b"<UnitOfMeasure>BX</UnitOfMeasure>", b"<UnitOfMeasure>CS</UnitOfMeasure>", 1
    )
    assert order != SAMPLE
    assert gateway.post_cxml(order).status_code == 200
    gateway.wait_for(SAMPLE_PO, "sent")
    answer = (SAMPLES / "acme_855_004010.x12").read_bytes()
    answer = answer.replace(b"PO1*1*10*BX*", b"PO1*1*10*CA*", 1)
    answer = answer.replace(b"ACK*IA*10*BX*", b"ACK*IA*10*CA*", 1)  # line 1's, not line 5's
    assert answer.count(b"*CA*") == 2

    _drop(gateway, "acme", "855.x12", answer)

    _coupa_messages(gateway, 1, "sent")
    (root,) = [etree.fromstring(body) for _, body in coupa.received]
    items = {
        item.get("lineNumber"): (
            item.findtext("UnitOfMeasure"),
            [s.findtext("UnitOfMeasure") for s in item.iterfind("ConfirmationStatus")],
        )
        for item in root.iterfind(".//ConfirmationItem")
    }
    assert items == {
        "1": ("CS", ["CS"]),
        "2": ("EA", ["EA"]),
        "3": ("HR", ["HR"]),
        "4": ("EA", ["EA"]),
        "5": ("BX", ["BX", "BX"]),
    }
