"""AS2 through two real gateways on loopback: ours sends, the demo partner answers with MDNs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx
import pytest

from b2b.as2 import (
    Digest,
    Encryption,
    LocalIdentity,
    OutboundSecurity,
    PartnerSecurity,
    build_message,
)
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.conftest import ROOT
from tests.fixtures.demo_as2 import demo_partner
from tests.fixtures.ports import free_port

AS2_SAMPLE = (ROOT / "samples" / "cxml" / "order_request_as2.xml").read_bytes()
AS2_PO = "HMG-PO-100484"


def _partner_side(start_gateway: GatewayFactory, tmp_path: Path) -> RunningGateway:
    """The demo AS2 partner: another gateway with its own identity, store and profile of us."""
    return start_gateway(
        database="partner",
        data_dir=tmp_path / "partner-var",
        partners_dir=ROOT / "examples" / "as2-partner" / "partners",
        as2_id="B2B-DEMO-PARTNER",
        as2_keys=("demo/demo-partner.pem",),
    )


def _our_side(
    start_gateway: GatewayFactory, tmp_path: Path, partner: RunningGateway, **as2: str
) -> RunningGateway:
    folder = tmp_path / "our-partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8081", partner.url)
    for key, value in as2.items():
        profile = profile.replace(f'{key} = "sync"', f'{key} = "{value}"')
    (folder / "demo-as2.toml").write_text(profile)
    return start_gateway(partners_dir=folder)


def _received_by(partner: RunningGateway) -> list[tuple[str, str, bytes]]:
    rows = partner.query("select as2_from, status, payload from as2_inbound")
    return [(a, s, bytes(p) if p else b"") for a, s, p in rows]


def test_order_goes_by_as2_and_a_signed_mdn_confirms_it(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    partner = _partner_side(start_gateway, tmp_path)
    ours = _our_side(start_gateway, tmp_path, partner)
    assert ours.post_cxml(AS2_SAMPLE).status_code == 200
    message = ours.wait_for(AS2_PO, "sent")
    assert message["receipt"].startswith("as2 signed MDN ")
    assert "processed" in message["receipt"]
    states = [e["state"] for e in message["events"]]
    assert states == ["received", "mapped", "queued", "as2-built", "sent"]
    [(as2_from, status, payload)] = _received_by(partner)
    assert (as2_from, status) == ("B2B-GATEWAY", "processed")
    assert payload.startswith(b"ISA*")
    assert b"BEG*00*SA*HMG-PO-100484" in payload


def test_an_async_mdn_comes_back_to_our_mdn_endpoint(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    partner = _partner_side(start_gateway, tmp_path)
    ours = _our_side(start_gateway, tmp_path, partner, mdn="async")
    ours.post_cxml(AS2_SAMPLE)
    message = ours.wait_for(AS2_PO, "sent")
    states = [e["state"] for e in message["events"]]
    assert states == ["received", "mapped", "queued", "as2-built", "awaiting-mdn", "sent"]
    assert "signed MDN processed" in message["events"][-1]["detail"]


@pytest.fixture
def demo_partner_identity() -> tuple[LocalIdentity, PartnerSecurity]:
    """The demo partner's keys, and how it sees us: to send messages to our gateway by hand."""
    return demo_partner()


@pytest.fixture
def receiver(start_gateway: GatewayFactory, tmp_path: Path) -> RunningGateway:
    """Our gateway, accepting signed-only messages from the demo partner (to test signatures)."""
    folder = tmp_path / "receiver-partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    (folder / "demo-as2.toml").write_text(profile + "require_encrypted = false\n")
    return start_gateway(partners_dir=folder)


def _post(
    gateway: RunningGateway, headers: tuple[tuple[str, str], ...], body: bytes
) -> httpx.Response:
    return gateway.client.post("/as2", content=body, headers=list(headers))


def test_receive_stores_the_payload_and_answers_a_duplicate_with_the_same_mdn(
    gateway: RunningGateway, demo_partner_identity: tuple[LocalIdentity, PartnerSecurity]
) -> None:
    sender, us = demo_partner_identity
    built = build_message(
        b"ISA*00*test~",
        settings=OutboundSecurity(),
        ours=sender,
        partner=us,
        message_id="dup-1@demo",
        as2_from="B2B-DEMO-PARTNER",
        as2_to="B2B-GATEWAY",
    )
    first = _post(gateway, built.headers, built.body)
    again = _post(gateway, built.headers, built.body)
    assert first.status_code == again.status_code == 200
    assert b"processed" in first.content
    assert built.mic is not None
    assert b"Received-Content-MIC: " + built.mic.encode() in first.content
    assert again.content == first.content


@pytest.mark.parametrize(
    ("change", "modifier"),
    [
        ("tamper", b"authentication-failed"),
        ("garble", b"decryption-failed"),
        ("unknown", b"unknown-trading-partner"),
        ("unsigned", b"insufficient-message-security"),
    ],
)
def test_bad_messages_get_an_error_mdn_and_are_kept(
    receiver: RunningGateway,
    demo_partner_identity: tuple[LocalIdentity, PartnerSecurity],
    change: str,
    modifier: bytes,
) -> None:
    gateway = receiver
    sender, us = demo_partner_identity
    settings = OutboundSecurity(sign=change != "unsigned", encrypt=change != "tamper")
    if change == "unsigned":  # the receiver demands signatures, not encryption
        settings = OutboundSecurity(sign=False, encrypt=False)
    built = build_message(
        b"ISA*00*original~" * 20,
        settings=settings,
        ours=sender,
        partner=us,
        message_id=f"{change}@demo",
        as2_from="B2B-DEMO-PARTNER",
        as2_to="NOBODY" if change == "unknown" else "B2B-GATEWAY",
    )
    body = built.body.replace(b"original", b"tampered") if change == "tamper" else built.body
    if change == "garble":
        # the padding length in the last cipher block becomes 0x81..0x90: never valid (CBC)
        body = body[:-17] + bytes([body[-17] ^ 0x80]) + body[-16:]
    response = _post(gateway, built.headers, body)
    assert response.status_code == 200
    assert modifier in response.content
    [(status, disposition, payload)] = gateway.query(
        "select status, disposition, payload from as2_inbound"
    )
    assert (status, payload) == ("error", None)
    assert modifier.decode() in disposition


def test_a_failed_send_is_retried_with_the_same_message_id_and_bytes(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    port = free_port()  # the partner is down at first
    folder = tmp_path / "our-partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8081", f"http://127.0.0.1:{port}")
    profile += "\n[retry]\ninitial_backoff_seconds = 1\n"
    (folder / "demo-as2.toml").write_text(profile)
    ours = start_gateway(partners_dir=folder)
    ours.post_cxml(AS2_SAMPLE)
    _until_event(ours, "retry")
    partner = start_gateway(
        port=port,
        database="partner",
        data_dir=tmp_path / "partner-var",
        partners_dir=ROOT / "examples" / "as2-partner" / "partners",
        as2_id="B2B-DEMO-PARTNER",
        as2_keys=("demo/demo-partner.pem",),
    )
    message = ours.wait_for(AS2_PO, "sent")
    assert [e["state"] for e in message["events"]].count("as2-built") == 1
    assert message["attempts"] == 2
    [(as2_from, status, _)] = _received_by(partner)
    assert (as2_from, status) == ("B2B-GATEWAY", "processed")


def _until_event(gateway: RunningGateway, state: str) -> None:
    for _ in range(200):
        found = gateway.messages(AS2_PO)["messages"]
        if found and state in [e["state"] for e in found[0]["events"]]:
            return
        time.sleep(0.05)
    raise AssertionError(f"no {state} event: {gateway.messages(AS2_PO)}")


def test_no_async_mdn_means_resends_with_the_same_message_id_then_a_dead_letter(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    partner = _partner_side(start_gateway, tmp_path)
    folder = tmp_path / "our-partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8081", partner.url)
    profile = profile.replace('mdn = "sync"', 'mdn = "async"\nasync_mdn_timeout_seconds = 0.5')
    profile += "\n[retry]\nmax_attempts = 2\n"
    (folder / "demo-as2.toml").write_text(profile)
    # our public URL leads nowhere, so the partner's async MDN never arrives
    ours = start_gateway(partners_dir=folder, public_url=f"http://127.0.0.1:{free_port()}")
    ours.post_cxml(AS2_SAMPLE)
    message = ours.wait_for(AS2_PO, "dead")
    states = [e["state"] for e in message["events"]]
    assert states.count("awaiting-mdn") == 2
    assert states.count("as2-built") == 1  # the resend reused the stored message
    assert message["last_error"] == "no MDN after 2 attempts"
    rows = _received_by(partner)
    assert [status for _, status, _ in rows] == ["processed"]  # the resend was a duplicate


def test_a_refused_message_does_not_use_up_its_message_id(
    receiver: RunningGateway, demo_partner_identity: tuple[LocalIdentity, PartnerSecurity]
) -> None:
    sender, us = demo_partner_identity
    kwargs = {
        "ours": sender,
        "partner": us,
        "message_id": "reused@demo",
        "as2_from": "B2B-DEMO-PARTNER",
        "as2_to": "B2B-GATEWAY",
    }
    bad = build_message(b"ISA*00*original~", settings=OutboundSecurity(encrypt=False), **kwargs)  # type: ignore[arg-type]
    good = build_message(b"ISA*00*original~", settings=OutboundSecurity(), **kwargs)  # type: ignore[arg-type]
    refused = _post(receiver, bad.headers, bad.body.replace(b"original", b"tampered"))
    accepted = _post(receiver, good.headers, good.body)
    assert b"authentication-failed" in refused.content
    assert b"processed" in accepted.content
    assert b"error" not in accepted.content.split(b"Disposition:")[1].split(b"\r\n")[0]


def test_an_async_mdn_received_twice_settles_the_message_once(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    partner = _partner_side(start_gateway, tmp_path)
    ours = _our_side(start_gateway, tmp_path, partner, mdn="async")
    ours.post_cxml(AS2_SAMPLE)
    message = ours.wait_for(AS2_PO, "sent")
    query = "select mdn_headers, mdn_body from as2_inbound where mdn_state = 'sent'"
    deadline = time.monotonic() + 20
    while not (rows := partner.query(query)) and time.monotonic() < deadline:
        time.sleep(0.05)  # the partner records its MDN as posted once our answer reaches it
    [(headers_json, body)] = rows
    headers = [(str(n), str(v)) for n, v in json.loads(headers_json)]
    again = ours.client.post("/as2/mdn", content=bytes(body), headers=headers)
    assert again.status_code == 200
    settled = ours.messages(AS2_PO)["messages"][0]
    assert settled["events"] == message["events"]  # nothing new: the MDN had already settled it


@pytest.mark.parametrize(
    "weak",
    [OutboundSecurity(digest=Digest.SHA1), OutboundSecurity(encryption=Encryption.TRIPLEDES_CBC)],
    ids=["sha1", "3des"],
)
def test_a_weak_algorithm_is_refused_and_does_not_use_up_its_message_id(
    gateway: RunningGateway,
    demo_partner_identity: tuple[LocalIdentity, PartnerSecurity],
    weak: OutboundSecurity,
) -> None:
    sender, us = demo_partner_identity
    kwargs = {
        "ours": sender,
        "partner": us,
        "message_id": "weak@demo",
        "as2_from": "B2B-DEMO-PARTNER",
        "as2_to": "B2B-GATEWAY",
    }
    refused = build_message(b"ISA*00*weak~", settings=weak, **kwargs)  # type: ignore[arg-type]
    good = build_message(b"ISA*00*weak~", settings=OutboundSecurity(), **kwargs)  # type: ignore[arg-type]
    answer = _post(gateway, refused.headers, refused.body)
    assert b"processed/error: insufficient-message-security" in answer.content
    assert gateway.query("select status, payload from as2_inbound") == [("error", None)]
    accepted = _post(gateway, good.headers, good.body)
    assert (
        b"Disposition: automatic-action/MDN-sent-automatically; processed\r\n" in accepted.content
    )
    statuses = gateway.query("select status from as2_inbound order by id")
    assert [s for (s,) in statuses] == ["error", "processed"]
