"""The gateway serving HTTPS itself: its certificate and key, optionally client certificates of
AS2 partners signed by a configured CA; the files are checked when the settings load."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from b2b.config import load_settings
from b2b.errors import ConfigurationError
from tests.api.conftest import GatewayFactory
from tests.fixtures.demo_as2 import from_demo_partner
from tests.fixtures.pki import Issued, issue, new_ca


@dataclass(frozen=True)
class Pki:
    folder: Path
    ca: Path  #: the root CA that signs the gateway's and the partner's certificates
    certificate: Path  #: the gateway's certificate chain (leaf, intermediate)
    key: Path
    client: Path  #: a partner's client certificate and key


def new_pki(tmp_path: Path) -> tuple[Pki, Issued]:
    """A root CA for clients, the gateway's chain, the demo partner's client certificate; and
    the root itself, to issue other client certificates."""
    folder = tmp_path / "tls"
    folder.mkdir()
    root = new_ca("Test Root CA")
    intermediate = new_ca("Test Issuing CA", issuer=root)
    server = issue(intermediate, "b2b gateway", hosts=("127.0.0.1", "localhost"))
    client = issue(root, "B2B-DEMO-PARTNER", client=True)
    pki = Pki(
        folder,
        ca=root.write(folder / "ca.pem", key=False),
        certificate=server.write(folder / "gateway.pem", intermediate, key=False),
        key=server.write_key(folder / "gateway.key"),
        client=client.write(folder / "partner-client.pem"),
    )
    return pki, root


@pytest.fixture
def pki(tmp_path: Path) -> Pki:
    return new_pki(tmp_path)[0]


def _client(pki: Pki, *, certificate: bool = False) -> httpx.Client:
    context = ssl.create_default_context(cafile=pki.ca)
    if certificate:
        context.load_cert_chain(pki.client)
    return httpx.Client(verify=context, timeout=10)


def test_health_answers_over_https_and_plain_http_is_refused(
    start_gateway: GatewayFactory, pki: Pki
) -> None:
    gateway = start_gateway(tls_certificate=pki.certificate, tls_key=pki.key)
    assert gateway.url.startswith("https://127.0.0.1:")
    with _client(pki) as client:
        assert client.get(f"{gateway.url}/health").status_code == 200
        with pytest.raises(httpx.TransportError):
            client.get(gateway.url.replace("https://", "http://") + "/health")


def test_a_client_certificate_from_the_client_ca_is_required(
    start_gateway: GatewayFactory, pki: Pki
) -> None:
    gateway = start_gateway(tls_certificate=pki.certificate, tls_key=pki.key, tls_client_ca=pki.ca)
    with _client(pki) as anonymous, pytest.raises(httpx.TransportError):
        anonymous.get(f"{gateway.url}/health")  # refused at the handshake
    with _client(pki, certificate=True) as partner:
        assert partner.get(f"{gateway.url}/health").status_code == 200


def test_optional_client_certificates_let_a_client_without_one_in(
    start_gateway: GatewayFactory, pki: Pki
) -> None:
    gateway = start_gateway(
        tls_certificate=pki.certificate,
        tls_key=pki.key,
        tls_client_ca=pki.ca,
        tls_client_auth="optional",
    )
    with _client(pki) as anonymous:
        assert anonymous.get(f"{gateway.url}/health").status_code == 200


def test_an_as2_message_from_the_demo_partner_arrives_over_https(
    start_gateway: GatewayFactory, pki: Pki
) -> None:
    gateway = start_gateway(tls_certificate=pki.certificate, tls_key=pki.key, tls_client_ca=pki.ca)
    built = from_demo_partner(b"ISA*00*https~", "https-1@demo")
    with _client(pki, certificate=True) as partner:
        answer = partner.post(f"{gateway.url}/as2", content=built.body, headers=list(built.headers))
    assert answer.status_code == 200
    assert b"processed" in answer.content
    rows = gateway.query("select as2_from, status from as2_inbound")
    assert rows == [("B2B-DEMO-PARTNER", "processed")]


def _other_key(pki: Pki) -> Path:
    stranger: Issued = issue(new_ca("Other CA"), "stranger", hosts=("localhost",))
    return stranger.write_key(pki.folder / "stranger.key")


@pytest.mark.parametrize(
    ("files", "setting"),
    [
        ({"tls_certificate": "missing.pem"}, "B2B_TLS_CERTIFICATE: no such file"),
        ({"tls_key": "missing.key"}, "B2B_TLS_KEY: no such file"),
        ({"tls_client_ca": "missing-ca.pem"}, "B2B_TLS_CLIENT_CA: no such file"),
        ({"tls_key": "stranger.key"}, "B2B_TLS_KEY: cannot use"),
        ({"tls_client_ca": "gateway.key"}, "B2B_TLS_CLIENT_CA"),
    ],
)
def test_wrong_tls_files_are_refused_at_load_naming_the_setting(
    pki: Pki, files: dict[str, str], setting: str
) -> None:
    _other_key(pki)
    values = {"certs_dir": pki.folder, "tls_certificate": "gateway.pem", "tls_key": "gateway.key"}
    with pytest.raises(ConfigurationError, match=setting):
        load_settings(**(values | files))


def test_an_encrypted_key_loads_with_its_passphrase(pki: Pki) -> None:
    server = issue(new_ca("CA"), "gateway", hosts=("localhost",))
    server.write(pki.folder / "enc.pem", key=False)
    server.write_key(pki.folder / "enc.key", passphrase=b"open sesame")
    values = {"certs_dir": pki.folder, "tls_certificate": "enc.pem", "tls_key": "enc.key"}
    with pytest.raises(ConfigurationError, match="B2B_TLS_KEY"):
        load_settings(**values, tls_key_passphrase="wrong")
    tls = load_settings(**values, tls_key_passphrase="open sesame").server_tls()
    assert tls is not None
    assert tls.key_passphrase == "open sesame"
