"""Prometheus scrapes a real gateway: what it delivered, what died, who called, certificates."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import httpx
from prometheus_client.parser import text_string_to_metric_families

from tests.api import test_inbound as inbound
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_as2 import AS2_PO, AS2_SAMPLE
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO
from tests.conftest import ROOT
from tests.fixtures.ports import free_port

Samples = dict[str, dict[frozenset[tuple[str, str]], float]]


def _scrape(gateway: RunningGateway) -> Samples:
    response = gateway.client.get("/metrics")
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("text/plain; version=0.0.4")
    found: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            found.setdefault(sample.name, {})[frozenset(sample.labels.items())] = sample.value
    return found


def _value(samples: Samples, name: str, **labels: str) -> float:
    """The sample's value; 0 when the series is absent (a counter not yet seen)."""
    return samples.get(name, {}).get(frozenset(labels.items()), 0.0)


def test_a_delivered_po_is_counted_in_and_out_with_its_send_time_and_its_callers(
    gateway: RunningGateway,
) -> None:
    before = _scrape(gateway)
    assert gateway.post_cxml(SAMPLE).status_code == 200
    message = gateway.wait_for(SAMPLE_PO, "sent")
    gateway.client.get(f"/messages/{message['id']}").raise_for_status()
    after = _scrape(gateway)

    out = {"direction": "out", "partner": "acme", "type": "850"}
    assert (
        _value(after, "b2b_documents_total", **out)
        == _value(before, "b2b_documents_total", **out) + 1
    )
    assert _value(after, "b2b_documents_total", direction="in", partner="acme", type="cxml") == 1
    sends = _value(after, "b2b_send_seconds_count", partner="acme", transport="directory")
    assert sends == 1
    assert _value(after, "b2b_send_seconds_sum", partner="acme", transport="directory") > 0
    assert _value(after, "b2b_messages", state="queued", partner="acme") == 0
    assert _value(after, "b2b_store_up") == 1
    # Who called: the Coupa buyer (the single-buyer shorthand is "coupa"), the admin key's
    # principal on the route's template, never an address.
    requests = "b2b_http_requests_total"
    assert _value(after, requests, client="coupa", route="/coupa/cxml", status="200") == 1
    assert (
        _value(after, requests, client="bootstrap", route="/messages/{message_id}", status="200")
        == 1
    )
    clients = {dict(labels)["client"] for labels in after[requests]}
    assert clients <= {"coupa", "bootstrap", "anonymous"}


def test_certificates_show_their_days_left(gateway: RunningGateway) -> None:
    days = _scrape(gateway)["b2b_certificate_days_left"]
    owners = {dict(labels)["owner"]: value for labels, value in days.items()}
    assert set(owners) >= {"ours", "demo-as2"}  # our AS2 key and the AS2 partner's certificate
    assert all(value > 0 for value in owners.values())
    assert all(
        dict(labels)["subject"].startswith("CN=") or "CN=" in dict(labels)["subject"]
        for labels in days
    )


def test_a_dead_message_is_a_dead_letter_with_its_retries(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    port = free_port()  # nobody listens: every attempt is refused, then the message dies
    folder = tmp_path / "partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8081", f"http://127.0.0.1:{port}")
    profile += "\n[retry]\nmax_attempts = 2\ninitial_backoff_seconds = 0.05\n"
    (folder / "demo-as2.toml").write_text(profile)
    gateway = start_gateway(partners_dir=folder)
    assert _value(_scrape(gateway), "b2b_dead_letters", partner="demo-as2") == 0

    gateway.post_cxml(AS2_SAMPLE)
    gateway.wait_for(AS2_PO, "dead")
    samples = _scrape(gateway)
    assert _value(samples, "b2b_dead_letters", partner="demo-as2") == 1
    assert _value(samples, "b2b_messages", state="dead", partner="demo-as2") == 1
    assert _value(samples, "b2b_retries_total", partner="demo-as2") == 1
    assert _value(samples, "b2b_send_seconds_count", partner="demo-as2", transport="as2") == 2
    assert (
        _value(samples, "b2b_documents_total", direction="out", partner="demo-as2", type="850") == 0
    )


def test_a_refused_document_is_counted_by_its_source(gateway: RunningGateway) -> None:
    assert gateway.post_cxml(b"<cXML>not an order</cXML>").status_code == 400
    assert _value(_scrape(gateway), "b2b_rejections_total", source="cxml") == 1


def test_metrics_need_a_key_unless_public(start_gateway: GatewayFactory) -> None:
    private = start_gateway()
    assert httpx.get(f"{private.url}/metrics").status_code == 401
    public = start_gateway(metrics_public=True)
    response = httpx.get(f"{public.url}/metrics")
    assert response.status_code == 200
    assert "b2b_documents_total" in response.text


def test_refusals_of_the_request_limit_are_counted_without_addresses(
    start_gateway: GatewayFactory,
) -> None:
    gateway = start_gateway(rate_limit_per_client=1, rate_limit_client_burst=2)
    answers = [gateway.client.get("/health") for _ in range(3)]
    assert answers[-1].status_code == 429
    time.sleep(int(answers[-1].headers["Retry-After"]))  # a token for the scrape itself
    samples = _scrape(gateway)
    assert _value(samples, "b2b_throttled_total", scope="client", key="all") >= 1
    assert (
        _value(
            samples, "b2b_http_requests_total", client="anonymous", route="/health", status="429"
        )
        >= 1
    )


def test_an_overdue_acknowledgment_is_counted_for_its_partner(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    folder = tmp_path / "partners"
    shutil.copytree(ROOT / "partners", folder)
    acme = (folder / "acme.toml").read_text()
    (folder / "acme.toml").write_text(
        acme.replace("overdue_after_hours = 24 ", "overdue_after_hours = 0.0001 ")
    )
    gateway = start_gateway(partners_dir=folder)
    gateway.post_cxml(SAMPLE)
    gateway.wait_for(SAMPLE_PO, "sent")
    for _ in range(200):  # 0.36 s after sending, Acme's 997 is overdue
        overdue = gateway.client.get("/messages", params={"overdue": "true"}).json()["messages"]
        if overdue:
            break
        time.sleep(0.05)
    samples = _scrape(gateway)
    assert _value(samples, "b2b_acks_overdue", partner="acme") == 1
    assert _value(samples, "b2b_acks_overdue", partner="globex") == 0


def test_an_interchange_a_partner_sent_is_counted_in(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    gateway = start_gateway(partners_dir=inbound._partners(tmp_path / "partners"))
    assert gateway.post_cxml(SAMPLE).status_code == 200
    group = gateway.wait_for(SAMPLE_PO, "sent")["control_numbers"]["GS06"]
    ack = inbound._ack_997(group, "A", ("0001", "A"))
    inbound._drop(
        gateway, "acme", "997.x12", inbound._interchange(inbound.ACME, 501, "997", "004010", ack)
    )
    inbound._acknowledged(gateway, SAMPLE_PO)
    samples = _scrape(gateway)
    assert _value(samples, "b2b_documents_total", direction="in", partner="acme", type="ISA") == 1
    assert _value(samples, "b2b_rejections_total", source="x12") == 0
