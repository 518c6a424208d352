"""Request limits on a real gateway: refused in each sender's protocol, served again later."""

from __future__ import annotations

import time

import httpx
from lxml import etree

from b2b.api.throttle import SENDERS_STATUS, Throttle
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.conftest import ROOT

SAMPLE = (ROOT / "samples" / "cxml" / "order_request_new.xml").read_bytes()


def _as2(gateway: RunningGateway, as2_from: str) -> httpx.Response:
    headers = {"AS2-From": as2_from, "AS2-To": "B2B-GATEWAY", "Content-Type": "text/plain"}
    return gateway.client.post("/as2", content=b"not an AS2 message", headers=headers)


def _retry_after(response: httpx.Response) -> int:
    return int(response.headers["Retry-After"])


def test_a_burst_over_the_client_limit_gets_a_cxml_503_that_coupa_retries_then_is_served(
    start_gateway: GatewayFactory,
) -> None:
    gateway = start_gateway(rate_limit_per_client=1, rate_limit_client_burst=3)
    answers = [gateway.post_cxml(SAMPLE) for _ in range(5)]
    assert [r.status_code for r in answers[:3]] == [200, 200, 200]
    refused = answers[-1]
    assert refused.status_code == SENDERS_STATUS  # a 5xx: Coupa sends the order again
    assert _retry_after(refused) >= 1
    status = etree.fromstring(refused.content).find("Response/Status")
    assert status is not None
    assert (status.get("code"), status.get("text")) == ("503", "Service Unavailable")

    time.sleep(_retry_after(refused))
    assert gateway.post_cxml(SAMPLE).status_code == 200
    time.sleep(1)  # the metrics route is limited too: one more token
    counts = gateway.client.get("/metrics/throttle").json()["client"]
    # how many of the five were refused depends on how fast they went (a token a second)
    refused_seen = sum(r.status_code == SENDERS_STATUS for r in answers)
    assert counts["refused"] == refused_seen >= 1
    assert counts["keys"]["127.0.0.1"]["allowed"] >= 5 - refused_seen + 1  # and the retry


def test_partners_are_limited_each_on_its_own(start_gateway: GatewayFactory) -> None:
    gateway = start_gateway(rate_limit_per_partner=0.5, rate_limit_partner_burst=2)
    first = [_as2(gateway, "PARTNER-A") for _ in range(3)]
    assert [r.status_code == SENDERS_STATUS for r in first] == [False, False, True]
    assert _retry_after(first[-1]) >= 1
    assert _as2(gateway, '"PARTNER-B"').status_code != SENDERS_STATUS

    time.sleep(_retry_after(first[-1]))
    assert _as2(gateway, "PARTNER-A").status_code != SENDERS_STATUS
    counts = gateway.client.get("/metrics/throttle").json()["partner"]["keys"]
    assert counts["PARTNER-A"] == {"allowed": 3, "refused": 1}
    assert counts["PARTNER-B"] == {"allowed": 1, "refused": 0}


def test_the_client_limit_covers_every_route(start_gateway: GatewayFactory) -> None:
    gateway = start_gateway(rate_limit_per_client=0.2, rate_limit_client_burst=1)
    assert gateway.client.get("/health").status_code == 200
    refused = gateway.client.get("/health")
    assert refused.status_code == 429
    assert _retry_after(refused) >= 1
    assert "detail" in refused.json()
    assert _as2(gateway, "PARTNER-A").status_code == SENDERS_STATUS


def test_limits_off_never_refuse(gateway: RunningGateway) -> None:
    answers = [gateway.client.get("/health") for _ in range(200)]
    assert {r.status_code for r in answers} == {200}
    assert gateway.client.get("/metrics/throttle").json() == {"client": None, "partner": None}


def test_idle_keys_are_forgotten_and_the_key_count_is_bounded() -> None:
    now = [0.0]
    throttle = Throttle(rate=1, burst=1, max_keys=3, clock=lambda: now[0])
    for key in "abcde":
        throttle.take(key)
    snapshot = throttle.snapshot()
    assert list(snapshot["keys"]) == ["c", "d", "e"]
    assert snapshot["allowed"] == 5
    now[0] = 1000.0
    assert throttle.snapshot()["keys"] == {}
    assert throttle.take("a") == 0.0
    assert throttle.take("a") == 1.0
