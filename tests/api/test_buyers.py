"""Who may call the Coupa routes (issue 7, "Security"): buyer profiles in buyers/, each with its
SharedSecret, and optionally HTTP Basic and an IP allow-list, against a real gateway."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import httpx
import pytest

from b2b.errors import ConfigurationError
from b2b.partners.buyers import load_buyer
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_coupa_cxml import SAMPLE, _status
from tests.conftest import ROOT

COUPA_ORDER = (ROOT / "samples" / "coupa" / "order_header.xml").read_bytes()
HARBORVIEW = "harborview-s3cret"
METRO = "metro-s3cret"


def _buyer(folder: Path, name: str, **fields: object) -> None:
    # JSON strings and lists of strings are TOML too.
    lines = [f"{key} = {json.dumps(value)}" for key, value in {"id": name, **fields}.items()]
    (folder / f"{name}.toml").write_text("\n".join(lines) + "\n")


@pytest.fixture
def gateway(start_gateway: GatewayFactory, tmp_path: Path) -> RunningGateway:
    certs = tmp_path / "certs"
    shutil.copytree(ROOT / "certs" / "demo", certs / "demo")
    secrets = certs / "buyers"
    secrets.mkdir()
    for name, value in [
        ("harborview", HARBORVIEW),
        ("metro", METRO),
        ("metro-basic", "basic-pw"),
        ("island", "island-s3cret"),
        ("metro-token", "metro-token"),
    ]:
        (secrets / f"{name}.secret").write_text(value + "\n")
    buyers = tmp_path / "buyers"
    buyers.mkdir()
    _buyer(
        buyers,
        "harborview",
        identities=["NetworkID:harborview-medical"],
        shared_secret_file="buyers/harborview.secret",
    )
    _buyer(
        buyers,
        "metro",
        identities=["NetworkID:metro-health", "DUNS:987654321"],
        shared_secret_file="buyers/metro.secret",
        basic_auth_user="coupa",
        basic_auth_password_file="buyers/metro-basic.secret",
        api_token_file="buyers/metro-token.secret",
    )
    _buyer(
        buyers,
        "island",
        identities=["NetworkID:island-clinic"],
        shared_secret_file="buyers/island.secret",
        allowed_ips=["10.0.0.0/8"],
    )
    # B2B_COUPA_SHARED_SECRET is ignored once buyers/ holds profiles.
    return start_gateway(buyers_dir=buyers, certs_dir=certs, coupa_shared_secret="demo-secret")


def _order(identity: str, secret: str, number: int = 1) -> bytes:
    body = SAMPLE.replace(b"harborview-medical</Identity>", f"{identity}</Identity>".encode())
    body = body.replace(b"demo-secret", secret.encode())
    return body.replace(b'payloadID="', f'payloadID="{identity}.{number}.'.encode(), 1)


def _post(gateway: RunningGateway, body: bytes, **headers: str) -> httpx.Response:
    headers["Content-Type"] = "text/xml"
    return gateway.client.post("/coupa/cxml", content=body, headers=headers)


def _refused(response: httpx.Response, code: int, reason: str) -> None:
    assert response.status_code == code, response.text
    assert _status(response)[0] == code
    assert reason in response.text


def test_the_right_secret_is_accepted_and_a_wrong_one_refused(gateway: RunningGateway) -> None:
    assert _post(gateway, _order("harborview-medical", HARBORVIEW)).status_code == 200
    wrong = _post(gateway, _order("harborview-medical", "demo-secret", 2))
    _refused(wrong, 401, "SharedSecret is missing or wrong")
    missing = _order("harborview-medical", HARBORVIEW, 3).replace(
        f"<SharedSecret>{HARBORVIEW}</SharedSecret>".encode(), b""
    )
    _refused(_post(gateway, missing), 401, "SharedSecret is missing or wrong")


def test_an_unknown_buyer_is_refused(gateway: RunningGateway) -> None:
    _refused(_post(gateway, _order("stranger", HARBORVIEW)), 401, "no buyer is configured")


def test_two_buyers_each_with_its_own_secret(gateway: RunningGateway) -> None:
    basic = httpx.BasicAuth("coupa", "basic-pw")
    ok = gateway.client.post("/coupa/cxml", content=_order("metro-health", METRO), auth=basic)
    assert ok.status_code == 200, ok.text
    other = _order("metro-health", HARBORVIEW, 2)
    refused = gateway.client.post("/coupa/cxml", content=other, auth=basic)
    _refused(refused, 401, "SharedSecret")


def test_basic_auth_is_required_when_configured(gateway: RunningGateway) -> None:
    body = _order("metro-health", METRO)
    _refused(_post(gateway, body), 401, "HTTP Basic")
    wrong = gateway.client.post("/coupa/cxml", content=body, auth=("coupa", "guess"))
    _refused(wrong, 401, "HTTP Basic")


def test_a_client_outside_the_allow_list_gets_403(gateway: RunningGateway) -> None:
    # The test client is 127.0.0.1; island allows only 10.0.0.0/8.
    response = _post(gateway, _order("island-clinic", "island-s3cret"))
    _refused(response, 403, "not allowed")
    assert _status(response)[0] == 403


def test_the_buyer_is_found_by_from_when_the_sender_is_another(gateway: RunningGateway) -> None:
    body = _order("harborview-medical", HARBORVIEW).replace(
        b'<Sender>\n      <Credential domain="NetworkID">\n        <Identity>harborview-medical',
        b'<Sender>\n      <Credential domain="NetworkID">\n        <Identity>coupa-hub',
    )
    assert b"coupa-hub" in body
    assert _post(gateway, body).status_code == 200


def test_coupa_xml_is_taken_with_a_buyers_token_only(gateway: RunningGateway) -> None:
    headers = {"Content-Type": "application/xml"}
    refused = gateway.client.post("/coupa/orders", content=COUPA_ORDER, headers=headers)
    assert refused.status_code == 401
    headers["Authorization"] = "Bearer metro-token"
    ok = gateway.client.post("/coupa/orders", content=COUPA_ORDER, headers=headers)
    assert ok.status_code == 200, ok.text


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ('identities = ["NetworkID:x"]\nshared_secret_file = "s"\ncolour = "red"', "colour"),
        ('identities = ["x"]\nshared_secret_file = "s"', "domain:identity"),
        ('identities = ["N:x"]\nshared_secret_file = "s"\nallowed_ips = ["10.0.0.1/8"]', "CIDR"),
        ('identities = ["N:x"]\nshared_secret_file = "s"\nbasic_auth_user = "u"', "go together"),
        ('identities = ["N:x"]\nshared_secret_file = "missing"', "shared_secret_file"),
    ],
)
def test_a_wrong_buyer_file_is_named(tmp_path: Path, text: str, error: str) -> None:
    (tmp_path / "s").write_text("secret\n")
    path = tmp_path / "b.toml"
    path.write_text(f'id = "b"\n{text}\n')
    with pytest.raises(ConfigurationError, match=error) as caught:
        load_buyer(path, tmp_path)
    assert str(path) in str(caught.value)


def test_the_documented_example_takes_the_samples(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    buyers = tmp_path / "buyers"
    buyers.mkdir()
    shutil.copy(ROOT / "docs" / "harborview-buyer.toml.example", buyers / "harborview.toml")
    gateway = start_gateway(buyers_dir=buyers)  # certs/ as committed: the demo secret
    assert _post(gateway, SAMPLE).status_code == 200
    wrong = SAMPLE.replace(b"demo-secret", b"guess").replace(b'payloadID="', b'payloadID="x', 1)
    _refused(_post(gateway, wrong), 401, "SharedSecret")
