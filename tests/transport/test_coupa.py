"""Posting cXML to Coupa (a stand-in on loopback that checks the SharedSecret): what Coupa's
answer means for the worker — delivered, retried (5xx, no answer), or refused (4xx)."""

from __future__ import annotations

import dataclasses
import http.server
import threading
from collections.abc import Iterator

import httpx
import pytest

from b2b.errors import PermanentTransportError, TransportError
from b2b.transport.coupa import post_cxml
from tests.conftest import CORPUS
from tests.coupa.test_supplier import CREDENTIALS, read_x12
from tests.coupa.test_supplier_corpus import NOT_ADDING_UP, cases, to_cxml
from tests.fixtures.coupa import SECRET, CoupaStandIn
from tests.fixtures.ports import free_port

SENDABLE = [case for case in cases() if case not in NOT_ADDING_UP]


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client() as http:
        yield http


def _ours(body: bytes) -> bytes:
    """The cXML with the secret the stand-in expects."""
    return body.replace(CREDENTIALS.shared_secret.encode(), SECRET.encode())


@pytest.mark.parametrize(("name", "index"), SENDABLE)
def test_corpus_documents_are_delivered(
    client: httpx.Client, coupa: CoupaStandIn, name: str, index: int
) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    body = _ours(to_cxml(read_x12(CORPUS / name)[index]))
    assert post_cxml(client, f"{coupa.url}/cxml/x", body, timeout=5) == "coupa 200 OK"
    assert coupa.received[-1] == ("/cxml/x", body)


def _sample(coupa: CoupaStandIn) -> bytes:
    name, index = SENDABLE[0]
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return _ours(to_cxml(read_x12(CORPUS / name)[index]))


def test_a_refusal_is_permanent_and_names_coupas_reason(
    client: httpx.Client, coupa: CoupaStandIn
) -> None:
    coupa.answers[:] = [400]
    with pytest.raises(PermanentTransportError, match="Coupa answered 400 Bad Request: refused"):
        post_cxml(client, coupa.url, _sample(coupa), timeout=5)


def test_a_wrong_shared_secret_is_refused(client: httpx.Client, coupa: CoupaStandIn) -> None:
    body = _sample(coupa).replace(SECRET.encode(), b"not-the-secret")
    with pytest.raises(PermanentTransportError, match="401 Unauthorized"):
        post_cxml(client, coupa.url, body, timeout=5)


def test_a_server_error_is_retried(client: httpx.Client, coupa: CoupaStandIn) -> None:
    coupa.answers[:] = [500]
    with pytest.raises(TransportError) as caught:
        post_cxml(client, coupa.url, _sample(coupa), timeout=5)
    assert not isinstance(caught.value, PermanentTransportError)
    assert caught.value.retryable


def test_no_server_is_retried(client: httpx.Client) -> None:
    with pytest.raises(TransportError, match="ConnectError") as caught:
        post_cxml(client, f"http://127.0.0.1:{free_port()}/cxml", b"<cXML/>", timeout=5)
    assert caught.value.retryable


@dataclasses.dataclass
class _Proxy:
    url: str


@pytest.fixture
def broken_proxy() -> Iterator[_Proxy]:
    """A proxy in front of Coupa answering 502 with an HTML page."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            page = b"<html><body>Bad Gateway</body></html>"
            self.send_response(502)
            self.send_header("Content-Length", str(len(page)))
            self.end_headers()
            self.wfile.write(page)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield _Proxy(f"http://127.0.0.1:{server.server_address[1]}")
    server.shutdown()
    server.server_close()


def test_an_answer_that_is_not_cxml_counts_by_its_http_status(
    client: httpx.Client, broken_proxy: _Proxy
) -> None:
    with pytest.raises(TransportError, match="Coupa answered 502") as caught:
        post_cxml(client, broken_proxy.url, b"<cXML/>", timeout=5)
    assert caught.value.retryable


@pytest.fixture
def answering() -> Iterator[tuple[str, list[int]]]:
    """A server before Coupa answering each POST with the next HTTP status queued (Retry-After
    60 with each), a plain text body."""
    statuses: list[int] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            self.send_response(statuses.pop(0))
            self.send_header("Retry-After", "60")
            self.send_header("Content-Length", "4")
            self.end_headers()
            self.wfile.write(b"busy")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", statuses
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize(("status", "retryable"), [(408, True), (429, True), (403, False)])
def test_408_and_429_are_retried_after_retry_after_and_other_4xx_are_not(
    client: httpx.Client, answering: tuple[str, list[int]], status: int, retryable: bool
) -> None:
    url, statuses = answering
    statuses.append(status)
    with pytest.raises(TransportError, match=f"Coupa answered {status}") as caught:
        post_cxml(client, url, b"<cXML/>", timeout=5)
    assert caught.value.retryable is retryable
    assert caught.value.retry_after == (60.0 if retryable else None)
