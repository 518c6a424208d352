"""An AS2 partner tied to its TLS client certificate (`[as2] tls_client_certificate`): its posts
must come with that certificate, over real TLS on loopback; others are refused before anything
is decrypted, with the MDN the partner expects (or HTTP 403), and recorded."""

from __future__ import annotations

import shutil
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import uvicorn
from cryptography.hazmat.primitives import hashes

from b2b.api.peercert import H11ClientCertificate, HttpToolsClientCertificate
from b2b.as2 import (
    BuiltMessage,
    OutboundSecurity,
    load_certificates,
)
from b2b.config import load_settings
from b2b.errors import ConfigurationError
from b2b.partners.registry import load_partners
from b2b.partners.security import As2Directory
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_https import Pki, new_pki
from tests.conftest import ROOT
from tests.fixtures.demo_as2 import from_demo_partner
from tests.fixtures.pki import Issued, issue
from tests.fixtures.ports import free_port

DEMO = ROOT / "certs" / "demo"
AS2_ID_LINE = 'as2_id = "B2B-DEMO-PARTNER"\n'


@dataclass(frozen=True)
class TiedPki(Pki):
    root: Issued  #: the client CA: what it signs passes the handshake, and the app decides


@pytest.fixture
def pki(tmp_path: Path) -> TiedPki:
    """As in test_https, with the root CA to issue other client certificates."""
    pki, root = new_pki(tmp_path)
    return TiedPki(**vars(pki), root=root)


def _partners(tmp_path: Path, tied_to: str) -> Path:
    """The example partners, the demo AS2 partner tied to the TLS certificate `tied_to`."""
    folder = tmp_path / "partners"
    shutil.copytree(ROOT / "partners", folder)
    profile = folder / "demo-as2.toml"
    text = profile.read_text()
    assert AS2_ID_LINE in text
    tie = f'tls_client_certificate = "{tied_to}"\n'
    profile.write_text(text.replace(AS2_ID_LINE, AS2_ID_LINE + tie))
    return folder


def _certs(tmp_path: Path, pki: TiedPki) -> Path:
    folder = tmp_path / "certs"
    shutil.copytree(DEMO, folder / "demo")
    shutil.copytree(pki.folder, folder / "tls")
    return folder


@pytest.fixture
def gateway(start_gateway: GatewayFactory, tmp_path: Path, pki: TiedPki) -> RunningGateway:
    """HTTPS, client certificates optional (Coupa shares the port), the demo partner tied to
    its client certificate file."""
    certs = _certs(tmp_path, pki)
    return start_gateway(
        certs_dir=certs,
        partners_dir=_partners(tmp_path, "tls/partner-client.pem"),
        tls_certificate="tls/gateway.pem",
        tls_key="tls/gateway.key",
        tls_client_ca="tls/ca.pem",
        tls_client_auth="optional",
    )


def _message(message_id: str, *, mdn: bool = True) -> BuiltMessage:
    """An X12 interchange from the demo partner to the gateway, signed and encrypted."""
    settings = OutboundSecurity() if mdn else OutboundSecurity(mdn=None)
    return from_demo_partner(b"ISA*00*tied~", message_id, settings=settings)


def _post(
    gateway: RunningGateway, pki: Pki, built: BuiltMessage, certificate: Path | None
) -> httpx.Response:
    context = ssl.create_default_context(cafile=pki.ca)
    if certificate is not None:
        context.load_cert_chain(certificate)
    with httpx.Client(verify=context, timeout=30) as client:
        return client.post(f"{gateway.url}/as2", content=built.body, headers=list(built.headers))


def _rows(gateway: RunningGateway, message_id: str) -> list[tuple[Any, ...]]:
    return gateway.query(
        "select status, disposition, payload is null from as2_inbound "
        f"where as2_message_id = '{message_id}' order by id"
    )


def test_the_partner_posting_with_its_certificate_is_received(
    gateway: RunningGateway,
    pki: TiedPki,
) -> None:
    answer = _post(gateway, pki, _message("tied-1@demo"), pki.client)
    assert answer.status_code == 200
    assert b"; processed\r\n" in answer.content
    assert _rows(gateway, "tied-1@demo") == [("processed", "processed", False)]


def test_a_post_without_the_certificate_gets_an_authentication_failed_mdn(
    gateway: RunningGateway,
    pki: TiedPki,
) -> None:
    answer = _post(gateway, pki, _message("tied-2@demo"), None)
    assert answer.status_code == 200  # the MDN is the answer
    assert b"processed/error: authentication-failed" in answer.content
    assert b"came without one" in answer.content
    refused = ("error", "processed/error: authentication-failed", True)
    assert _rows(gateway, "tied-2@demo") == [refused]  # recorded, nothing decrypted kept


def test_a_post_with_another_certificate_is_refused(
    gateway: RunningGateway,
    pki: TiedPki,
) -> None:
    # the same CA and the same name, so that the handshake passes: only the key differs
    other = issue(pki.root, "B2B-DEMO-PARTNER", client=True)
    stranger = other.write(pki.folder / "stranger-client.pem")
    answer = _post(gateway, pki, _message("tied-3@demo"), stranger)
    assert answer.status_code == 200
    assert b"processed/error: authentication-failed" in answer.content
    assert b"is not the one of" in answer.content
    assert _rows(gateway, "tied-3@demo") == [
        ("error", "processed/error: authentication-failed", True)
    ]


def test_without_an_mdn_to_carry_the_refusal_the_answer_is_403(
    gateway: RunningGateway,
    pki: TiedPki,
) -> None:
    answer = _post(gateway, pki, _message("tied-4@demo", mdn=False), None)
    assert answer.status_code == 403
    assert "authentication-failed" in answer.text
    assert "TLS client certificate" in answer.text
    assert _rows(gateway, "tied-4@demo")[0][0] == "error"


def test_a_refused_post_does_not_use_up_its_message_id(
    gateway: RunningGateway,
    pki: TiedPki,
) -> None:
    built = _message("tied-5@demo")
    assert b"authentication-failed" in _post(gateway, pki, built, None).content
    again = _post(gateway, pki, built, pki.client)
    assert b"; processed\r\n" in again.content
    assert [row[0] for row in _rows(gateway, "tied-5@demo")] == ["error", "processed"]


def test_the_profile_may_name_the_certificate_by_its_sha256_fingerprint(
    start_gateway: GatewayFactory,
    tmp_path: Path,
    pki: TiedPki,
) -> None:
    leaf = load_certificates(pki.client.read_bytes())[0]
    fingerprint = "sha256:" + leaf.fingerprint(hashes.SHA256()).hex(":").upper()
    gateway = start_gateway(
        certs_dir=_certs(tmp_path, pki),
        partners_dir=_partners(tmp_path, fingerprint),
        tls_certificate="tls/gateway.pem",
        tls_key="tls/gateway.key",
        tls_client_ca="tls/ca.pem",
        tls_client_auth="optional",
    )
    assert _post(gateway, pki, _message("fp-1@demo"), pki.client).status_code == 200
    assert _rows(gateway, "fp-1@demo") == [("processed", "processed", False)]
    refused = _post(gateway, pki, _message("fp-2@demo"), None)
    assert b"authentication-failed" in refused.content


def test_a_missing_certificate_file_is_named_at_load(tmp_path: Path, pki: TiedPki) -> None:
    settings = load_settings(
        certs_dir=_certs(tmp_path, pki),
        partners_dir=_partners(tmp_path, "tls/missing.pem"),
        data_dir=tmp_path / "var",
    )
    with pytest.raises(ConfigurationError, match=r"tls_client_certificate.*missing\.pem"):
        As2Directory.load(settings, load_partners(settings.partners_dir))


# ----------------------------------------------------------- the protocols, without the gateway


async def _echo_tls(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """An ASGI app answering with the TLS extension's client certificate name."""
    if scope["type"] != "http":
        return
    tls = scope.get("extensions", {}).get("tls", {})
    chain = tls.get("client_cert_chain", [])
    body = f"{tls.get('client_cert_name')}|{len(chain)}|{chain[0][:27] if chain else ''}"
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": body.encode()})


@pytest.fixture(params=[H11ClientCertificate, HttpToolsClientCertificate], ids=["h11", "httptools"])
def echo(request: pytest.FixtureRequest, pki: TiedPki) -> Iterator[str]:
    port = free_port()
    config = uvicorn.Config(
        _echo_tls,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="off",
        http=request.param,
        ssl_certfile=str(pki.certificate),
        ssl_keyfile=str(pki.key),
        ssl_ca_certs=str(pki.ca),
        ssl_cert_reqs=ssl.CERT_OPTIONAL,
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        assert thread.is_alive(), "the server stopped"
        time.sleep(0.02)
    yield f"https://127.0.0.1:{port}/"
    server.should_exit = True
    thread.join(timeout=30)


def test_both_protocols_put_the_client_certificate_into_the_asgi_scope(
    echo: str,
    pki: TiedPki,
) -> None:
    context = ssl.create_default_context(cafile=pki.ca)
    context.load_cert_chain(pki.client)
    with httpx.Client(verify=context, timeout=10) as client:
        assert client.get(echo).text == "CN=B2B-DEMO-PARTNER|1|-----BEGIN CERTIFICATE-----"
    anonymous = ssl.create_default_context(cafile=pki.ca)
    with httpx.Client(verify=anonymous, timeout=10) as client:
        assert client.get(echo).text == "None|0|"
