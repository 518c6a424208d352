"""AS2 against software we did not write: django-pyas2 1.2.3 (pyas2lib) on loopback.

Both directions, sync and async MDNs: we send, it verifies and returns a signed MDN that we
check strictly; it sends, we verify and return an MDN that it accepts.
"""

from __future__ import annotations

import time
from pathlib import Path

from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_coupa_cxml import SAMPLE, _with
from tests.conftest import ROOT
from tests.fixtures.as2peer import As2Peer

OUR_CERT = ROOT / "certs" / "demo" / "b2b-gateway-public.pem"
PEER_PO = "HMG-PO-100482"
TO_PEER = _with(SAMPLE, b"<Identity>123456789</Identity>", b"<Identity>555000222</Identity>")


def _gateway_with_peer(
    start_gateway: GatewayFactory, tmp_path: Path, peer: As2Peer, mdn: str
) -> RunningGateway:
    folder = tmp_path / "partners"
    folder.mkdir()
    (folder / "djangopeer.toml").write_text(f"""
id = "djangopeer"
name = "django-pyas2 peer"
[coupa]
identities = ["DUNS:555000222"]
[x12.envelope]
sender_id = "B2BGATEWAY"
receiver_id = "DJANGOPEER"
[transport]
kind = "as2"
url = "{peer.url}"
[as2]
as2_id = "{peer.as2_id}"
certificates = ["{peer.cert_path}"]
sign = "sha256"
encrypt = "aes256_cbc"
compress = "before_signing"
mdn = "{mdn}"
mdn_signed = true
""")
    return start_gateway(partners_dir=folder)


def _inbound(gateway: RunningGateway) -> list[tuple[str, str, bytes]]:
    rows = gateway.query("select as2_from, status, payload from as2_inbound")
    return [(a, s, bytes(p or b"")) for a, s, p in rows]


def _until(check, timeout: float = 30):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.1)
    raise AssertionError("condition not reached")


def test_we_send_and_django_pyas2_returns_a_signed_mdn_we_verify(
    start_gateway: GatewayFactory, tmp_path: Path, as2peer: As2Peer
) -> None:
    ours = _gateway_with_peer(start_gateway, tmp_path, as2peer, "sync")
    as2peer.reconfigure(
        partner_as2_id="B2B-GATEWAY",
        partner_cert_path=OUR_CERT,
        target_url=f"{ours.url}/as2",
        mdn_mode="SYNC",
    )
    assert ours.post_cxml(TO_PEER).status_code == 200
    message = ours.wait_for(PEER_PO, "sent")
    assert message["receipt"].startswith("as2 signed MDN processed")
    as2_id = next(e["detail"] for e in message["events"] if e["state"] == "as2-built")
    sent_id = as2_id.removeprefix("Message-ID <").removesuffix(">")
    peer_view = [m for m in as2peer.received_messages() if m.message_id == sent_id]
    assert [(m.direction, m.status, m.signed, m.encrypted) for m in peer_view] == [
        ("IN", "S", True, True)
    ]
    assert any(
        b"BEG*00*SA*HMG-PO-100482" in p.read_bytes() for p in as2peer.inbox_files("B2B-GATEWAY")
    )


def test_we_send_and_django_pyas2_posts_an_async_mdn_back(
    start_gateway: GatewayFactory, tmp_path: Path, as2peer: As2Peer
) -> None:
    ours = _gateway_with_peer(start_gateway, tmp_path, as2peer, "async")
    as2peer.reconfigure(
        partner_as2_id="B2B-GATEWAY",
        partner_cert_path=OUR_CERT,
        target_url=f"{ours.url}/as2",
        mdn_mode="SYNC",
    )
    ours.post_cxml(TO_PEER)
    ours.wait_for(PEER_PO, "awaiting-mdn")
    as2peer.run_async_mdns()  # django-pyas2 posts pending MDNs from a management command
    message = ours.wait_for(PEER_PO, "sent")
    assert "signed MDN processed" in message["events"][-1]["detail"]


def _peer_sends(as2peer: As2Peer, ours: RunningGateway, tmp_path: Path, mode: str) -> bytes:
    as2peer.reconfigure(
        partner_as2_id="B2B-GATEWAY",
        partner_cert_path=OUR_CERT,
        target_url=f"{ours.url}/as2",
        mdn_mode=mode,
    )
    payload = tmp_path / f"in_{mode.lower()}.x12"
    payload.write_bytes(b"ISA*00*          *00*          *ZZ*DJANGOPEER~ST*855*0001~SE*2*0001~")
    as2peer.send_file(payload)
    return payload.read_bytes()


def test_django_pyas2_sends_and_accepts_our_sync_mdn(
    start_gateway: GatewayFactory, tmp_path: Path, as2peer: As2Peer
) -> None:
    ours = _gateway_with_peer(start_gateway, tmp_path, as2peer, "sync")
    sent = _peer_sends(as2peer, ours, tmp_path, "SYNC")
    [(as2_from, status, payload)] = _inbound(ours)
    assert (as2_from, status) == ("DJANGO_PEER", "processed")
    assert payload.replace(b"\r\n", b"\n") == sent.replace(b"\r\n", b"\n")
    last = [m for m in as2peer.received_messages() if m.direction == "OUT"][-1]
    assert (last.status, last.mdn_signed) == ("S", True), last


def test_django_pyas2_sends_and_accepts_our_async_mdn(
    start_gateway: GatewayFactory, tmp_path: Path, as2peer: As2Peer
) -> None:
    ours = _gateway_with_peer(start_gateway, tmp_path, as2peer, "sync")
    before = {m.message_id for m in as2peer.received_messages()}
    _peer_sends(as2peer, ours, tmp_path, "ASYNC")
    [(_, status, _)] = _inbound(ours)
    assert status == "processed"
    [new] = [m for m in as2peer.received_messages() if m.message_id not in before]

    def settled() -> list[object]:
        return [
            m
            for m in as2peer.received_messages()
            if m.message_id == new.message_id and m.status == "S"
        ]

    [done] = _until(settled)  # our worker posted the MDN; django-pyas2 verified it
    assert (done.mdn_status, done.mdn_signed) == ("R", True)
    [(state, attempts)] = ours.query("select mdn_state, mdn_attempts from as2_inbound")
    assert (state, attempts) == ("sent", 1)  # posted by our worker, not in the HTTP answer
