"""X-Forwarded-For is believed only from B2B_TRUSTED_PROXIES: a client cannot choose the address
the buyers' IP allow-list and the throttle see (issue 7)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from b2b.api.proxies import client_address, parse_networks
from b2b.config import load_settings
from b2b.errors import ConfigurationError
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_buyers import _buyer, _order, _post, _refused
from tests.conftest import ROOT

ISLAND = "island-s3cret"  # the buyer island may post from 10.0.0.0/8 only


@pytest.fixture
def start(start_gateway: GatewayFactory, tmp_path: Path) -> GatewayFactory:
    """A gateway whose only buyer, island, has an IP allow-list; keyword arguments as usual."""
    certs = tmp_path / "certs"
    shutil.copytree(ROOT / "certs" / "demo", certs / "demo")
    (certs / "island.secret").write_text(ISLAND + "\n")
    buyers = tmp_path / "buyers"
    buyers.mkdir()
    _buyer(
        buyers,
        "island",
        identities=["NetworkID:island-clinic"],
        shared_secret_file="island.secret",
        allowed_ips=["10.0.0.0/8"],
    )

    def started(**settings: object) -> RunningGateway:
        return start_gateway(buyers_dir=buyers, certs_dir=certs, **settings)

    return started


def test_a_spoofed_forwarded_for_from_an_untrusted_peer_does_not_pass_the_allow_list(
    start: GatewayFactory,
) -> None:
    gateway = start()  # no trusted proxies: the TCP peer 127.0.0.1 is the client
    response = _post(gateway, _order("island-clinic", ISLAND), **{"X-Forwarded-For": "10.1.2.3"})
    _refused(response, 403, "the client 127.0.0.1 is not allowed")


def test_a_peer_that_is_not_one_of_the_trusted_proxies_is_not_believed(
    start: GatewayFactory,
) -> None:
    gateway = start(trusted_proxies=["192.0.2.0/24"])
    response = _post(gateway, _order("island-clinic", ISLAND), **{"X-Forwarded-For": "10.1.2.3"})
    _refused(response, 403, "the client 127.0.0.1 is not allowed")


def test_forwarded_for_from_a_trusted_proxy_passes_the_allow_list(start: GatewayFactory) -> None:
    gateway = start(trusted_proxies=["127.0.0.1/32"])
    response = _post(gateway, _order("island-clinic", ISLAND), **{"X-Forwarded-For": "10.1.2.3"})
    assert response.status_code == 200, response.text


def test_an_address_the_client_wrote_before_the_proxy_hop_is_not_believed(
    start: GatewayFactory,
) -> None:
    """The proxy appends the address it saw (192.0.2.9) to what the client sent (10.1.2.3)."""
    gateway = start(trusted_proxies=["127.0.0.1/32"])
    spoofed = {"X-Forwarded-For": "10.1.2.3, 192.0.2.9"}
    _refused(_post(gateway, _order("island-clinic", ISLAND), **spoofed), 403, "192.0.2.9")
    through_two = {"X-Forwarded-For": "10.1.2.3, 127.0.0.1"}  # two proxies of ours
    response = _post(gateway, _order("island-clinic", ISLAND, 2), **through_two)
    assert response.status_code == 200, response.text


@pytest.mark.parametrize(
    ("trusted", "keys"),
    [((), {"127.0.0.1"}), (("127.0.0.1",), {"10.1.2.3", "10.1.2.4"})],
    ids=["untrusted", "trusted"],
)
def test_the_throttle_counts_the_client_behind_a_trusted_proxy_only(
    start: GatewayFactory, trusted: tuple[str, ...], keys: set[str]
) -> None:
    gateway = start(trusted_proxies=list(trusted), rate_limit_per_client=1000)
    for n, client in enumerate(("10.1.2.3", "10.1.2.4"), 1):
        _post(gateway, _order("island-clinic", ISLAND, n), **{"X-Forwarded-For": client})
    counts = gateway.client.get("/metrics/throttle").json()["client"]
    assert counts["scope"] == "per process"
    assert set(counts["keys"]) - {"127.0.0.1"} == keys - {"127.0.0.1"}
    assert keys <= set(counts["keys"])


@pytest.mark.parametrize(
    ("peer", "forwarded", "client"),
    [
        ("203.0.113.5", ["10.1.2.3"], "203.0.113.5"),  # not a proxy of ours
        ("10.0.0.2", ["198.51.100.7"], "198.51.100.7"),
        ("10.0.0.2", ["1.1.1.1, 198.51.100.7"], "198.51.100.7"),  # rightmost untrusted
        ("10.0.0.2", ["198.51.100.7, 10.0.0.3"], "198.51.100.7"),  # skip our own hops
        ("10.0.0.2", ["1.1.1.1", "198.51.100.7"], "198.51.100.7"),  # headers in order
        ("10.0.0.2", ["10.0.0.4, 10.0.0.3"], "10.0.0.4"),  # all ours: the first
        ("10.0.0.2", [], "10.0.0.2"),  # no header: the proxy itself
        ("10.0.0.2", ["[2001:db8::1]:443"], "2001:db8::1"),
        ("10.0.0.2", ["198.51.100.7:51234"], "198.51.100.7"),
        ("::ffff:10.0.0.2", ["198.51.100.7"], "198.51.100.7"),  # v4-mapped peer
        (None, ["198.51.100.7"], None),
    ],
)
def test_client_address(peer: str | None, forwarded: list[str], client: str | None) -> None:
    assert client_address(peer, forwarded, parse_networks(["10.0.0.0/24"])) == client


def test_trusted_proxies_come_as_a_json_list_and_a_wrong_one_is_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("B2B_TRUSTED_PROXIES", '["10.0.0.0/24", "::1"]')
    assert load_settings().trusted_proxies == ("10.0.0.0/24", "::1")
    with pytest.raises(ConfigurationError, match=r"B2B_TRUSTED_PROXIES: '10\.0\.0\.1/8'"):
        load_settings(trusted_proxies=["10.0.0.1/8"])
