"""AS2's HTTP leg against real local HTTP(S) servers: Basic credentials, TLS client certificates,
and how answers and failures are classified (5xx, 408 and 429 retried, after Retry-After)."""

from __future__ import annotations

import datetime as dt
import http.server
import ssl
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID

from b2b.errors import PermanentTransportError, TransportError
from b2b.partners import As2Transport
from b2b.transport.as2 import CHUNK, As2Poster
from b2b.transport.http import parse_retry_after
from tests.fixtures.pki import issue, new_ca
from tests.fixtures.ports import free_port


class _Handler(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []  # noqa: RUF012 - shared with the test on purpose
    bodies: list[bytes] = []  # noqa: RUF012 - shared with the test on purpose
    status = 200
    answer_headers: tuple[tuple[str, str], ...] = ()

    def do_POST(self) -> None:
        length = int(self.headers["Content-Length"])
        self.bodies.append(self.rfile.read(length))
        self.seen.append(dict(self.headers.items()))
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain")
        for name, value in self.answer_headers:
            self.send_header(name, value)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[http.server.HTTPServer, type[_Handler]]]:
    handler = type("Handler", (_Handler,), {"seen": [], "bodies": [], "status": 200})
    httpd = http.server.HTTPServer(("127.0.0.1", free_port()), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd, handler
    httpd.shutdown()
    httpd.server_close()


def _settings(url: str, **extra: object) -> As2Transport:
    return As2Transport.model_validate({"kind": "as2", "url": url, **extra})


def test_basic_credentials_are_sent(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    httpd, handler = server
    (tmp_path / "partner.pass").write_text("s3cret\n")
    url = f"http://127.0.0.1:{httpd.server_port}/as2"
    settings = _settings(url, basic_auth_user="b2b", basic_auth_password_file="partner.pass")
    with As2Poster(settings, certs_dir=tmp_path) as poster:
        reply = poster.post((("AS2-From", "US"),), b"body")
    assert (reply.status, reply.body) == (200, b"ok")
    assert handler.seen[0]["Authorization"] == "Basic YjJiOnMzY3JldA=="  # b2b:s3cret
    assert handler.seen[0]["AS2-From"] == "US"


def test_a_large_body_arrives_whole_with_its_length(
    server: tuple[http.server.HTTPServer, type[_Handler]], tmp_path: Path
) -> None:
    httpd, handler = server
    body = bytes(range(256)) * (3 * CHUNK // 256 + 7)  # several chunks and a partial one
    url = f"http://127.0.0.1:{httpd.server_port}/as2"
    with As2Poster(_settings(url), certs_dir=tmp_path) as poster:
        assert poster.post((("AS2-From", "US"),), body).status == 200
    assert handler.bodies == [body]
    assert handler.seen[0]["Content-Length"] == str(len(body))
    assert "Transfer-Encoding" not in handler.seen[0]


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (500, TransportError),
        (502, TransportError),
        (503, TransportError),
        (408, TransportError),  # Request Timeout
        (429, TransportError),  # Too Many Requests
        (400, PermanentTransportError),
        (401, PermanentTransportError),
        (403, PermanentTransportError),
        (404, PermanentTransportError),
        (409, PermanentTransportError),
        (413, PermanentTransportError),
        (415, PermanentTransportError),
        (302, PermanentTransportError),  # redirects are not followed
    ],
)
def test_5xx_408_and_429_are_retryable_and_other_answers_are_not(
    server: tuple[http.server.HTTPServer, type[_Handler]],
    tmp_path: Path,
    status: int,
    error: type[TransportError],
) -> None:
    httpd, handler = server
    handler.status = status
    with (
        As2Poster(
            _settings(f"http://127.0.0.1:{httpd.server_port}/"), certs_dir=tmp_path
        ) as poster,
        pytest.raises(error) as raised,
    ):
        poster.post((), b"x")
    assert raised.type is error  # a 401 is not merely "a TransportError"
    assert raised.value.retryable is (error is TransportError)
    assert f"HTTP {status}" in raised.value.reason
    assert raised.value.retry_after is None


@pytest.mark.parametrize(
    ("status", "retry_after", "seconds"),
    [
        (429, "120", 120.0),
        (503, "0", 0.0),
        (408, "Wed, 21 Oct 2015 07:28:00 GMT", 0.0),  # a date gone by: at once
        (429, "soon", None),  # unreadable: the partner's backoff decides
    ],
)
def test_the_retry_after_of_a_retryable_answer_is_kept(
    server: tuple[http.server.HTTPServer, type[_Handler]],
    tmp_path: Path,
    status: int,
    retry_after: str,
    seconds: float | None,
) -> None:
    httpd, handler = server
    handler.status = status
    handler.answer_headers = (("Retry-After", retry_after),)
    url = f"http://127.0.0.1:{httpd.server_port}/"
    with (
        As2Poster(_settings(url), certs_dir=tmp_path) as poster,
        pytest.raises(TransportError) as raised,
    ):
        poster.post((), b"x")
    assert raised.value.retryable
    assert raised.value.retry_after == seconds


def test_a_retry_after_date_counts_from_now() -> None:
    now = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Sat, 28 Nov 2026 12:02:30 GMT", now=now) == 150.0
    assert parse_retry_after(" 45 ", now=now) == 45.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("-5") is None


def test_nobody_listening_is_retryable(tmp_path: Path) -> None:
    settings = _settings(f"http://127.0.0.1:{free_port()}/")
    with As2Poster(settings, certs_dir=tmp_path) as poster, pytest.raises(TransportError) as raised:
        poster.post((), b"x")
    assert raised.value.retryable


def _self_signed(name: str, folder: Path) -> tuple[Path, Path]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    key_path, cert_path = folder / f"{name}.key", folder / f"{name}.pem"
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return key_path, cert_path


def test_tls_client_certificate_is_presented(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    httpd, handler = server
    server_key, server_cert = _self_signed("localhost", tmp_path)
    client_key, client_cert = _self_signed("b2b-client", tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(server_cert, server_key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(client_cert)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    bundle = tmp_path / "client-bundle.pem"
    bundle.write_bytes(client_cert.read_bytes() + client_key.read_bytes())
    url = f"https://localhost:{httpd.server_port}/as2"
    with As2Poster(
        _settings(url, tls_client_certificate="client-bundle.pem", tls_ca_file="localhost.pem"),
        certs_dir=tmp_path,
    ) as poster:
        assert poster.post((), b"x").status == 200
    without = _settings(url, tls_ca_file="localhost.pem")
    with As2Poster(without, certs_dir=tmp_path) as poster, pytest.raises(TransportError):
        poster.post((), b"x")  # no client certificate: the handshake is refused
    assert len(handler.seen) == 1


def _serve_tls(httpd: http.server.HTTPServer, chain: Path) -> str:
    """Wrap `httpd` in TLS with the certificate chain (and key) in `chain`; its https URL."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(chain)
    httpd.socket = context.wrap_socket(httpd.socket, server_side=True)
    return f"https://localhost:{httpd.server_port}/as2"


def test_the_chain_through_an_intermediate_ca_is_verified(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    httpd, handler = server
    root = new_ca("Partner Root CA")
    intermediate = new_ca("Partner Issuing CA", issuer=root)
    leaf = issue(intermediate, "as2.partner", hosts=("localhost",))
    url = _serve_tls(httpd, leaf.write(tmp_path / "server.pem", intermediate))
    root.write(tmp_path / "partner-ca.pem", key=False)
    with As2Poster(_settings(url, tls_ca_file="partner-ca.pem"), certs_dir=tmp_path) as poster:
        assert poster.post((), b"x").status == 200
    other_root = new_ca("Somebody Else's CA")
    other_root.write(tmp_path / "other-ca.pem", key=False)
    with (
        As2Poster(_settings(url, tls_ca_file="other-ca.pem"), certs_dir=tmp_path) as poster,
        pytest.raises(TransportError, match="TLS: the partner's certificate is refused"),
    ):
        poster.post((), b"x")
    assert len(handler.seen) == 1


@pytest.mark.parametrize(
    ("hosts", "expired", "reason"),
    [(("as2.other.example",), False, "Hostname mismatch"), (("localhost",), True, "expired")],
    ids=["another-host-name", "expired"],
)
def test_a_wrong_server_certificate_is_refused_naming_the_tls_failure(  # type: ignore[no-untyped-def]
    server, tmp_path: Path, hosts: tuple[str, ...], expired: bool, reason: str
) -> None:
    httpd, handler = server
    root = new_ca("Partner Root CA")
    leaf = issue(root, "as2.partner", hosts=hosts, expired=expired)
    url = _serve_tls(httpd, leaf.write(tmp_path / "server.pem"))
    root.write(tmp_path / "partner-ca.pem", key=False)
    settings = _settings(url, tls_ca_file="partner-ca.pem")
    with As2Poster(settings, certs_dir=tmp_path) as poster, pytest.raises(TransportError) as raised:
        poster.post((), b"x")
    assert "TLS: the partner's certificate is refused" in str(raised.value)
    assert reason in str(raised.value)
    assert handler.seen == []
