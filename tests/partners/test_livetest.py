"""`b2b partners test NAME` through the entry point, against real peers: django-pyas2 over AS2,
OpenSSH's sshd over SFTP, a TLS server nobody trusts, a port nothing listens on."""

from __future__ import annotations

import http.server
import json
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.conftest import ROOT
from tests.fixtures.as2peer import As2Peer
from tests.fixtures.pki import issue, new_ca
from tests.fixtures.ports import free_port
from tests.fixtures.sshd import SshServer
from tests.test_cli import b2b

OUR_CERT = ROOT / "certs" / "demo" / "b2b-gateway-public.pem"
NOT_THE_PEERS_CERT = ROOT / "certs" / "demo" / "demo-partner-public.pem"

ENVELOPE = """
[coupa]
identities = ["DUNS:555000999"]
[x12.envelope]
sender_id = "B2BGATEWAY"
receiver_id = "LIVETEST"
"""


def _as2_profile(folder: Path, url: str, as2_id: str, certificate: Path) -> None:
    (folder / "peer.toml").write_text(f"""
id = "peer"
name = "live test peer"
{ENVELOPE}
[transport]
kind = "as2"
url = "{url}"
timeout_seconds = 10
[as2]
as2_id = "{as2_id}"
certificates = ["{certificate}"]
compress = "before_signing"
mdn = "async"
""")


def _test(folder: Path, tmp_path: Path, name: str = "peer") -> tuple[int, dict[str, Any]]:
    result = b2b(
        "partners",
        "test",
        name,
        "--json",
        B2B_PARTNERS_DIR=str(folder),
        B2B_DATA_DIR=str(tmp_path / "var"),
        B2B_BUYERS_DIR=str(tmp_path / "buyers"),
    )
    return result.returncode, json.loads(result.stdout)


def _failed(data: dict[str, Any]) -> dict[str, Any]:
    [step] = [s for s in data["steps"] if s["status"] == "failed"]
    return step


@pytest.fixture
def partners(tmp_path: Path) -> Path:
    folder = tmp_path / "partners"
    folder.mkdir()
    return folder


@pytest.fixture
def peer_knows_us(as2peer: As2Peer) -> As2Peer:
    as2peer.reconfigure(
        partner_as2_id="B2B-GATEWAY",
        partner_cert_path=OUR_CERT,
        target_url="http://127.0.0.1:9/unused",
        mdn_mode="SYNC",
    )
    return as2peer


def test_as2_round_trip_with_django_pyas2(
    partners: Path, tmp_path: Path, peer_knows_us: As2Peer
) -> None:
    _as2_profile(partners, peer_knows_us.url, peer_knows_us.as2_id, peer_knows_us.cert_path)
    code, data = _test(partners, tmp_path)
    assert code == 0, data
    assert [(s["step"], s["status"]) for s in data["steps"]] == [
        ("configuration", "ok"),
        ("build", "ok"),
        ("post", "ok"),
        ("MDN", "ok"),
    ]
    assert "signed MDN processed" in data["steps"][-1]["detail"]
    received = [p.read_bytes() for p in peer_knows_us.inbox_files("B2B-GATEWAY")]
    test_files = [r for r in received if b"TA1*000000000*" in r]
    assert test_files, "the peer holds the test interchange"
    assert all(b"*T*:~" in r or b"*T*>~" in r for r in test_files)  # ISA15: test data
    assert not any(b"ST*" in r for r in test_files)  # no transaction set: no business document


def test_as2_wrong_as2_id_is_diagnosed(
    partners: Path, tmp_path: Path, peer_knows_us: As2Peer
) -> None:
    _as2_profile(partners, peer_knows_us.url, "NOT_THE_PEER", peer_knows_us.cert_path)
    code, data = _test(partners, tmp_path)
    assert code == 1, data
    assert "AS2 ID" in _failed(data)["diagnosis"]


def test_as2_wrong_partner_certificate_is_a_signature_diagnosis(
    partners: Path, tmp_path: Path, peer_knows_us: As2Peer
) -> None:
    _as2_profile(partners, peer_knows_us.url, peer_knows_us.as2_id, NOT_THE_PEERS_CERT)
    code, data = _test(partners, tmp_path)
    assert code == 1, data
    failed = _failed(data)
    assert failed["step"] == "MDN"
    assert (
        "MDN signature does not verify with the certificate in its profile" in (failed["diagnosis"])
    )


def test_as2_unreachable_url(partners: Path, tmp_path: Path) -> None:
    url = f"http://127.0.0.1:{free_port()}/as2"
    _as2_profile(partners, url, "ANYONE", NOT_THE_PEERS_CERT)
    code, data = _test(partners, tmp_path)
    assert code == 1
    failed = _failed(data)
    assert (failed["step"], failed["diagnosis"].split(":")[0]) == ("post", "unreachable URL")


@pytest.fixture
def untrusted_tls_server(tmp_path: Path) -> Iterator[str]:
    """An HTTPS server whose certificate comes from a CA nobody trusts."""
    ca = new_ca("Nobody's CA")
    server_pem = issue(ca, "127.0.0.1", hosts=("127.0.0.1",)).write(tmp_path / "server.pem", ca)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_pem)
    httpd = http.server.HTTPServer(("127.0.0.1", 0), http.server.BaseHTTPRequestHandler)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"https://127.0.0.1:{httpd.server_address[1]}/as2"
    httpd.shutdown()
    httpd.server_close()


def test_as2_untrusted_tls_certificate(
    partners: Path, tmp_path: Path, untrusted_tls_server: str
) -> None:
    _as2_profile(partners, untrusted_tls_server, "ANYONE", NOT_THE_PEERS_CERT)
    code, data = _test(partners, tmp_path)
    assert code == 1
    failed = _failed(data)
    assert failed["step"] == "post"
    assert failed["diagnosis"].startswith("TLS trust")
    assert "tls_ca_file" in failed["diagnosis"]


def _sftp_profile(folder: Path, sshd: SshServer, host_key: str) -> None:
    (folder / "sftppeer.toml").write_text(f"""
id = "sftppeer"
name = "live test sshd"
{ENVELOPE}
[transport]
kind = "sftp"
host = "{sshd.host}"
port = {sshd.port}
username = "{sshd.username}"
private_key = "{sshd.client_key}"
host_key = "{host_key}"
remote_dir = "{sshd.upload_dir}"
""")


def test_sftp_round_trip_leaves_nothing_behind(
    partners: Path, tmp_path: Path, sshd: SshServer
) -> None:
    _sftp_profile(partners, sshd, sshd.host_key_line)
    before = set(sshd.upload_dir.iterdir())
    code, data = _test(partners, tmp_path, "sftppeer")
    assert code == 0, data
    assert [s["step"] for s in data["steps"]] == [
        "configuration",
        "connect",
        "write",
        "stat",
        "remove",
    ]
    assert set(sshd.upload_dir.iterdir()) == before


def test_sftp_changed_host_key_is_refused_with_both_fingerprints(
    partners: Path, tmp_path: Path, sshd: SshServer
) -> None:
    changed = (
        Ed25519PrivateKey.generate()
        .public_key()
        .public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH)
        .decode()
    )
    _sftp_profile(partners, sshd, changed)
    code, data = _test(partners, tmp_path, "sftppeer")
    assert code == 1, data
    failed = _failed(data)
    assert failed["step"] == "connect"
    assert "host key mismatch: the profile pins ssh-ed25519 SHA256:" in failed["detail"]
    assert "the server presented" in failed["detail"]
    assert failed["diagnosis"].startswith("host key changed or unknown")


def test_directory_round_trip_and_table_output(tmp_path: Path) -> None:
    result = b2b("partners", "test", "acme", B2B_DATA_DIR=str(tmp_path / "var"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "remove" in result.stdout
    assert result.stdout.rstrip().endswith("ok")
    assert not list((tmp_path / "var" / "outbox" / "acme").iterdir())


def test_an_unknown_partner_is_a_configuration_error(tmp_path: Path) -> None:
    result = b2b("partners", "test", "nobody", B2B_DATA_DIR=str(tmp_path / "var"))
    assert result.returncode == 2
    assert "no partner 'nobody'" in result.stdout
