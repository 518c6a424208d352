"""An operator resends: the same bytes (ISA13, AS2 Message-ID) or, asked for, new control
numbers; never a message still in flight. Through real gateways, the API and the CLI."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_as2 import AS2_PO, AS2_SAMPLE
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO
from tests.conftest import ROOT
from tests.fixtures.ports import free_port
from tests.test_cli import b2b


def _as2_partner(start_gateway: GatewayFactory, tmp_path: Path, port: int) -> RunningGateway:
    return start_gateway(
        port=port,
        database="partner",
        data_dir=tmp_path / "partner-var",
        partners_dir=ROOT / "examples" / "as2-partner" / "partners",
        as2_id="B2B-DEMO-PARTNER",
        as2_keys=("demo/demo-partner.pem",),
    )


def _received_by(partner: RunningGateway) -> list[tuple[str, bytes]]:
    """(AS2 Message-ID, payload) of each message the partner processed."""
    rows = partner.query(
        "select as2_message_id, payload from as2_inbound where status = 'processed' order by id"
    )
    return [(m, bytes(p)) for m, p in rows]


def _message_ids(message: dict[str, Any]) -> list[str]:
    """The AS2 Message-IDs built for a message, from its as2-built events."""
    return [
        e["detail"].removeprefix("Message-ID <").removesuffix(">")
        for e in message["events"]
        if e["state"] == "as2-built"
    ]


def _isa13(payload: bytes) -> str:
    return payload.split(b"~")[0].split(b"*")[13].decode()


def _resend(gateway: RunningGateway, message_id: int, **params: str) -> dict[str, Any]:
    response = gateway.client.post(f"/messages/{message_id}/resend", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def _until_sent_again(gateway: RunningGateway, po: str, sends: int) -> dict[str, Any]:
    """The message once it has reached `sent` `sends` times."""
    for _ in range(400):
        [message] = gateway.messages(po)["messages"]
        sent = [e["state"] for e in message["events"]].count("sent")
        if sent == sends and message["state"] == "sent":
            return dict(message)
        time.sleep(0.05)
    raise AssertionError(gateway.messages(po))


def test_a_dead_message_resent_arrives_with_the_same_isa13_and_a_reissue_with_a_new_one(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    port = free_port()  # the partner is down: every attempt is refused, then the message dies
    folder = tmp_path / "our-partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8081", f"http://127.0.0.1:{port}")
    profile += "\n[retry]\nmax_attempts = 2\ninitial_backoff_seconds = 0.05\n"
    (folder / "demo-as2.toml").write_text(profile)
    ours = start_gateway(partners_dir=folder)
    ours.post_cxml(AS2_SAMPLE)
    dead = ours.wait_for(AS2_PO, "dead")
    assert dead["attempts"] == 2
    assert dead["last_error"].endswith("no attempts left")
    listed = ours.client.get("/messages", params={"state": "dead"}).json()["messages"]
    assert [m["id"] for m in listed] == [dead["id"]]
    [message_id] = _message_ids(dead)

    partner = _as2_partner(start_gateway, tmp_path, port)
    assert _resend(ours, dead["id"])["state"] == "queued"
    resent = ours.wait_for(AS2_PO, "sent")
    assert resent["attempts"] == 1  # attempts start again
    resend = next(e for e in resent["events"] if e["state"] == "resend")
    assert resend["detail"] == "resend requested by operator"
    assert _message_ids(resent) == [message_id]  # built once: the same AS2 message
    assert resent["control_numbers"]["ISA13"] == "000000001"
    [(received_id, payload)] = _received_by(partner)
    assert (received_id, _isa13(payload)) == (message_id, "000000001")

    assert _resend(ours, dead["id"], reissue="true")["state"] == "received"
    reissued = _until_sent_again(ours, AS2_PO, sends=2)
    assert reissued["control_numbers"]["ISA13"] == "000000002"
    reissue = next(e for e in reissued["events"] if e["state"] == "reissue")
    assert "ISA13 000000001" in reissue["detail"]
    assert message_id in reissue["detail"]
    first, second = _message_ids(reissued)
    assert first == message_id != second
    assert [(m, _isa13(p)) for m, p in _received_by(partner)] == [
        (message_id, "000000001"),
        (second, "000000002"),
    ]


def test_a_message_in_flight_is_refused_by_the_api_and_the_cli(
    start_gateway: GatewayFactory,
) -> None:
    gateway = start_gateway(embedded_worker=False)  # nothing is sent: the order stays received
    gateway.post_cxml(SAMPLE)
    [message] = gateway.messages(SAMPLE_PO)["messages"]
    assert message["state"] == "received"
    for params in ({}, {"reissue": "true"}):
        refused = gateway.client.post(f"/messages/{message['id']}/resend", params=params)
        assert refused.status_code == 409
        assert "still in flight" in refused.json()["detail"]
    assert gateway.client.post("/messages/999/resend").status_code == 404
    cli = b2b("messages", "resend", str(message["id"]), **_env(gateway))
    assert cli.returncode == 1
    assert f"message {message['id']} is received, still in flight" in cli.stderr
    assert gateway.client.get("/messages", params={"state": "lost"}).status_code == 400
    [after] = gateway.messages(SAMPLE_PO)["messages"]
    assert [e["state"] for e in after["events"]] == ["received"]


def test_the_cli_resends_a_sent_850_as_it_was_or_reissues_it(
    start_gateway: GatewayFactory,
) -> None:
    gateway = start_gateway()
    gateway.post_cxml(SAMPLE)
    sent = gateway.wait_for(SAMPLE_PO, "sent")
    first = (gateway.outbox / "acme" / sent["filename"]).read_bytes()

    again = b2b("messages", "resend", str(sent["id"]), **_env(gateway))
    assert again.returncode == 0, again.stderr
    assert f"message {sent['id']} queued: resend requested by operator" in again.stdout
    resent = _until_sent_again(gateway, SAMPLE_PO, sends=2)
    assert resent["filename"] == sent["filename"]
    assert [f.name for f in (gateway.outbox / "acme").iterdir()] == [sent["filename"]]
    assert (gateway.outbox / "acme" / sent["filename"]).read_bytes() == first

    new = b2b("messages", "resend", str(sent["id"]), "--reissue", **_env(gateway))
    assert new.returncode == 0, new.stderr
    reissued = _until_sent_again(gateway, SAMPLE_PO, sends=3)
    assert reissued["control_numbers"]["ISA13"] == "000000002"
    second = (gateway.outbox / "acme" / reissued["filename"]).read_bytes()
    assert (_isa13(first), _isa13(second)) == ("000000001", "000000002")


def _env(gateway: RunningGateway) -> dict[str, str]:
    settings = gateway.settings
    return {"B2B_DATABASE_URL": settings.database_url, "B2B_DATA_DIR": str(settings.data_dir)}
