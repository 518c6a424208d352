"""The admin API behind the dashboard: one search box, raw bytes as sent and received, the
PO journey, overdue acknowledgments, dead letters and partner health. Real gateways."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import httpx
import pytest

from b2b.api.views import certificate_status
from b2b.as2.certificates import new_self_signed
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_as2 import AS2_PO, AS2_SAMPLE, _our_side, _partner_side
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO
from tests.api.test_inbound import ACME, _ack_997, _drop, _interchange, _partners, _wait
from tests.conftest import ROOT
from tests.fixtures.ports import free_port

PAYLOAD_ID = "1718036322.48213.7731942@procure.harborview-medical.example"


def _get(gateway: RunningGateway, path: str, **params: Any) -> Any:
    response = gateway.client.get(path, params=params)
    assert response.status_code == 200, response.text
    return response.json()


def _found(gateway: RunningGateway, **params: Any) -> list[int]:
    return [m["id"] for m in _get(gateway, "/messages", **params)["messages"]]


def test_one_search_box_finds_an_order_by_po_control_numbers_and_payload_id(
    gateway: RunningGateway,
) -> None:
    assert gateway.post_cxml(SAMPLE).status_code == 200
    sent = gateway.wait_for(SAMPLE_PO, "sent")
    numbers = sent["control_numbers"]
    for q in (SAMPLE_PO, numbers["ISA13"], str(numbers["GS06"]), numbers["ST02"][0], PAYLOAD_ID):
        assert _found(gateway, q=q) == [sent["id"]], q
    assert _found(gateway, q="HMG-PO-999999") == []
    assert _found(gateway, q="%") == []  # a LIKE wildcard is searched for as itself
    today = dt.datetime.now(dt.UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    assert _found(gateway, q=SAMPLE_PO, since=today.isoformat()) == [sent["id"]]
    tomorrow = (today + dt.timedelta(days=1)).isoformat()
    assert _found(gateway, q=SAMPLE_PO, since=tomorrow) == []
    assert _found(gateway, q=SAMPLE_PO, until=today.isoformat()) == []
    assert _found(gateway, partner="acme", offset=1) == []


def test_raw_download_is_what_the_partner_received_and_the_order_is_redacted(
    gateway: RunningGateway,
) -> None:
    gateway.post_cxml(SAMPLE)
    sent = gateway.wait_for(SAMPLE_PO, "sent")
    response = gateway.client.get(f"/messages/{sent['id']}/raw")
    assert response.status_code == 200
    assert response.content == (gateway.outbox / "acme" / sent["filename"]).read_bytes()
    assert response.headers["content-type"].startswith("application/edi-x12")
    assert f'filename="{sent["filename"]}"' in response.headers["content-disposition"]
    assert (
        gateway.client.get(f"/messages/{sent['id']}/raw", params={"part": "mdn"}).status_code == 404
    )

    journey = _get(gateway, f"/orders/{SAMPLE_PO}/journey")
    assert [s["kind"] for s in journey["steps"]] == ["order", "850"]
    order = gateway.client.get(journey["steps"][0]["raw"])
    assert order.status_code == 200
    assert f'<OrderRequestHeader orderID="{SAMPLE_PO}"'.encode() in order.content
    assert b"demo-secret" not in order.content  # the SharedSecret is never stored
    assert journey["steps"][0]["references"]["payloadID"] == PAYLOAD_ID
    assert gateway.client.get("/orders/HMG-PO-999999/journey").status_code == 404


def test_the_journey_joins_the_850_its_997_and_the_partners_855(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    gateway = start_gateway(partners_dir=_partners(tmp_path / "partners"))
    gateway.post_cxml(SAMPLE)
    sent = gateway.wait_for(SAMPLE_PO, "sent")
    group = sent["control_numbers"]["GS06"]
    ack = _interchange(ACME, 601, "997", "004010", _ack_997(group, "A", ("0001", "A")))
    _drop(gateway, "acme", "997.x12", ack)
    data = (ROOT / "samples" / "x12" / "acme_855_004010.x12").read_bytes()
    _drop(gateway, "acme", "855.x12", data)

    def complete() -> list[dict[str, Any]] | None:
        steps: list[dict[str, Any]] = _get(gateway, f"/orders/{SAMPLE_PO}/journey")["steps"]
        kinds = {s["kind"] for s in steps}
        return steps if {"ack", "855"} <= kinds else None

    steps = _wait(gateway, complete, "the 997 and the 855 on the journey")
    assert [s["kind"] for s in steps][:2] == ["order", "850"]
    [acked] = [s for s in steps if s["kind"] == "ack"]
    assert acked["state"] == "accepted"
    [confirmation] = [s for s in steps if s["kind"] == "855"]
    assert confirmation["references"]["ST02"]
    assert gateway.client.get(confirmation["raw"]).content == data


def test_an_as2_order_is_found_by_its_message_id_and_its_mdn_is_kept(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    partner = _partner_side(start_gateway, tmp_path)
    ours = _our_side(start_gateway, tmp_path, partner)
    ours.post_cxml(AS2_SAMPLE)
    sent = ours.wait_for(AS2_PO, "sent")
    [built] = [e["detail"] for e in sent["events"] if e["state"] == "as2-built"]
    message_id = built.removeprefix("Message-ID ")  # "<...>", as in the AS2 header
    assert _found(ours, q=message_id) == [sent["id"]]
    assert _found(ours, q=message_id.strip("<>")) == [sent["id"]]

    [(body, payload)] = partner.query(
        "select body, payload from as2_inbound where status = 'processed'"
    )
    raw = ours.client.get(f"/messages/{sent['id']}/raw")
    assert raw.content == bytes(payload)  # the X12 the partner took out of the AS2 message
    as2 = ours.client.get(f"/messages/{sent['id']}/raw", params={"part": "as2"})
    assert as2.content == bytes(body)  # the AS2 body, byte for byte as it arrived
    mdn = ours.client.get(f"/messages/{sent['id']}/raw", params={"part": "mdn"})
    assert mdn.status_code == 200
    assert b"processed" in mdn.content
    kinds = [s["kind"] for s in _get(ours, f"/orders/{AS2_PO}/journey")["steps"]]
    assert kinds == ["order", "850", "mdn"]


def test_partners_show_the_last_success_and_a_failing_partners_reason(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "partners"
    folder.mkdir()
    port = free_port()  # nobody listens: the AS2 partner refuses every attempt
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8081", f"http://127.0.0.1:{port}")
    profile += "\n[retry]\nmax_attempts = 2\ninitial_backoff_seconds = 0.05\n"
    (folder / "demo-as2.toml").write_text(profile)
    (folder / "acme.toml").write_text((ROOT / "partners" / "acme.toml").read_text())
    gateway = start_gateway(partners_dir=folder)
    gateway.post_cxml(SAMPLE)
    gateway.post_cxml(AS2_SAMPLE)
    gateway.wait_for(SAMPLE_PO, "sent")
    dead = gateway.wait_for(AS2_PO, "dead")

    found = _get(gateway, "/partners")
    partners = {p["id"]: p for p in found["partners"]}
    acme, as2 = partners["acme"], partners["demo-as2"]
    assert (acme["health"], acme["transport"], acme["queue"]) == ("ok", "directory", {"sent": 1})
    assert acme["last_success_at"] is not None
    assert acme["last_failure"] is None
    assert (as2["health"], as2["transport"], as2["queue"]) == ("failing", "as2", {"dead": 1})
    assert as2["endpoint"] == f"http://127.0.0.1:{port}/as2"
    assert as2["last_success_at"] is None
    assert as2["last_failure"] == dead["last_error"]
    [certificate] = as2["certificates"]
    assert certificate["days_left"] > 0
    assert "CN=" in certificate["subject"]
    assert found["ours"], "our own AS2 certificate is listed"

    letters = _get(gateway, "/dead-letters")["messages"]
    assert [m["id"] for m in letters] == [dead["id"]]
    overview = _get(gateway, "/overview")
    assert overview["dead_letters"] == 1
    assert overview["partners_failing"] == ["demo-as2"]
    assert overview["counts"] == {"sent": 1, "dead": 1}


def test_an_850_without_its_997_is_listed_overdue(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    gateway = start_gateway(partners_dir=_partners(tmp_path / "partners", overdue_hours=0.0002))
    gateway.post_cxml(SAMPLE)
    sent = gateway.wait_for(SAMPLE_PO, "sent")
    late = _wait(gateway, lambda: _get(gateway, "/acks/overdue")["messages"], "an overdue ack")
    assert [m["id"] for m in late] == [sent["id"]]
    assert late[0]["overdue"] is True


def test_openapi_describes_every_admin_screen_and_hides_the_dashboard(
    gateway: RunningGateway,
) -> None:
    spec = _get(gateway, "/openapi.json")
    paths = spec["paths"]
    expected = {
        "/messages/{message_id}/raw": "messages",
        "/documents/{document_id}/raw": "messages",
        "/orders/{po}/journey": "messages",
        "/dead-letters": "messages",
        "/acks/overdue": "acknowledgments",
        "/partners": "partners",
        "/overview": "messages",
    }
    for path, tag in expected.items():
        assert paths[path]["get"]["tags"] == [tag], path
    assert not [p for p in paths if p.startswith("/ui")]
    partners = paths["/partners"]["get"]["responses"]["200"]["content"]["application/json"]
    assert partners["schema"]["$ref"].endswith("/PartnerList")
    assert "last_failure" in spec["components"]["schemas"]["PartnerOut"]["properties"]
    search = {p["name"] for p in paths["/messages"]["get"]["parameters"]}
    assert {"q", "since", "until", "offset"} <= search


def test_the_admin_api_needs_a_key(gateway: RunningGateway) -> None:
    with httpx.Client(base_url=gateway.url) as anonymous:
        for path in ("/partners", "/dead-letters", "/acks/overdue", "/messages/1/raw"):
            assert anonymous.get(path).status_code == 401, path


@pytest.mark.parametrize(
    ("days", "level"),
    [
        (400, "ok"),
        (61, "ok"),
        (60, "upcoming"),
        (31, "upcoming"),
        (30, "notice"),
        (15, "notice"),
        (14, "warning"),
        (8, "warning"),
        (7, "critical"),
        (0, "critical"),
        (-1, "expired"),
    ],
)
def test_certificate_levels_colour_60_30_14_and_7_days_before_expiry(days: int, level: str) -> None:
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    start = now - dt.timedelta(days=500)
    pair = new_self_signed("ACME AS2", now=start, days=500 + days, key_size=1024)
    shown = certificate_status("ACME-AS2", pair.certificate, now)
    assert (shown.days_left, shown.level, shown.subject) == (days, level, "CN=ACME AS2")
