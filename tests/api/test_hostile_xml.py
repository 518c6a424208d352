"""Hostile XML posted to a real gateway: refused with a 400 at once, nothing expanded, read or
fetched; a body past the limit refused with a 413 before it is parsed (issue 7, "Security").

The gateway runs in this process (uvicorn in a thread), so its memory is this process's: the
peak resident set (VmHWM, reset through /proc/self/clear_refs) bounds what a request cost.
Times are printed, never asserted (`pytest -s` shows them; bench/b8_hostile_xml.py measures).
"""

from __future__ import annotations

import re
import select
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import RunningGateway

ROUTES = ("/coupa/cxml", "/coupa/orders")
MIB = 1024 * 1024
MAX_GROWTH_KIB = 10 * 1024  # the bound; an expansion would be gigabytes

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE cXML [\n <!ENTITY lol "lol">\n'
    + b"".join(
        b' <!ENTITY lol%d "%s">\n' % (n, (b"&lol%s;" % (b"" if n == 1 else b"%d" % (n - 1))) * 10)
        for n in range(1, 10)
    )
    + b']>\n<cXML payloadID="&lol9;"><Request>&lol9;</Request></cXML>\n'
)
# One 64 KiB entity referenced 20,000 times: 1.3 GB once expanded, with no nesting to detect.
QUADRATIC_BLOWUP = (
    b'<?xml version="1.0"?>\n<!DOCTYPE cXML [<!ENTITY a "'
    + b"a" * 65536
    + b'">]>\n<cXML><Request>'
    + b"&a;" * 20000
    + b"</Request></cXML>\n"
)
XXE_FILE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE cXML [<!ENTITY x SYSTEM "file:///etc/passwd">]>\n'
    b'<cXML payloadID="&x;"><Request><OrderRequest>&x;</OrderRequest></Request></cXML>\n'
)
XXE_PARAMETER_FILE = (
    b'<?xml version="1.0"?>\n<!DOCTYPE cXML [<!ENTITY % x SYSTEM "file:///etc/passwd"> %x;]>\n'
    b"<cXML><Request/></cXML>\n"
)
XINCLUDE_FILE = (
    b'<?xml version="1.0"?>\n<cXML xmlns:xi="http://www.w3.org/2001/XInclude"><Request>'
    b'<xi:include href="file:///etc/passwd" parse="text"/></Request></cXML>\n'
)


def _xxe_http(url: str) -> dict[str, bytes]:
    """Bodies that would make a careless parser connect to `url`."""
    return {
        "xxe-http": b'<?xml version="1.0"?>\n<!DOCTYPE cXML [<!ENTITY x SYSTEM "%s/e">]>\n'
        b"<cXML><Request>&x;</Request></cXML>\n" % url.encode(),
        "xxe-http-parameter": b'<?xml version="1.0"?>\n'
        b'<!DOCTYPE cXML [<!ENTITY %% x SYSTEM "%s/p"> %%x;]>\n<cXML/>\n' % url.encode(),
        "external-dtd": b'<?xml version="1.0"?>\n<!DOCTYPE cXML SYSTEM "%s/cXML.dtd">\n'
        b"<cXML><Request/></cXML>\n" % url.encode(),
        "xinclude-http": b'<?xml version="1.0"?>\n<cXML xmlns:xi="http://www.w3.org/2001/XInclude">'
        b'<Request><xi:include href="%s/i" parse="text"/></Request></cXML>\n' % url.encode(),
    }


HOSTILE = {
    "billion-laughs": BILLION_LAUGHS,
    "quadratic-blowup": QUADRATIC_BLOWUP,
    "xxe-file": XXE_FILE,
    "xxe-parameter-file": XXE_PARAMETER_FILE,
    "xinclude-file": XINCLUDE_FILE,
}


def _peak_kib() -> int:
    status = Path("/proc/self/status").read_text()
    return int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))  # type: ignore[union-attr]


def _reset_peak() -> None:
    Path("/proc/self/clear_refs").write_text("5")  # VmHWM := the current resident set


def _passwd_lines() -> list[str]:
    """Lines of /etc/passwd that would show it was read (its user entries)."""
    try:
        text = Path("/etc/passwd").read_text()
    except OSError:
        return ["root:x:0:0"]
    return [line for line in text.splitlines() if line.count(":") >= 6] or ["root:x:0:0"]


@pytest.fixture
def listener() -> Iterator[tuple[str, socket.socket]]:
    """A listening loopback socket that must see no connection."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield f"http://127.0.0.1:{sock.getsockname()[1]}", sock


def _post(gateway: RunningGateway, route: str, body: bytes) -> tuple[httpx.Response, float, int]:
    """The answer, its time in ms and the peak memory growth in KiB while it was handled."""
    _reset_peak()
    before = _peak_kib()
    started = time.perf_counter()
    response = gateway.client.post(route, content=body, headers={"Content-Type": "text/xml"})
    elapsed = (time.perf_counter() - started) * 1000
    return response, elapsed, _peak_kib() - before


def test_hostile_bodies_are_400_at_once_and_nothing_is_read_or_fetched(
    gateway: RunningGateway, listener: tuple[str, socket.socket]
) -> None:
    url, sock = listener
    bodies = HOSTILE | _xxe_http(url)
    passwd = _passwd_lines()
    for route in ROUTES:
        for name, body in bodies.items():
            response, ms, grown_kib = _post(gateway, route, body)
            print(f"{route} {name}: {response.status_code} in {ms:.1f} ms, +{grown_kib} KiB")
            assert response.status_code == 400, (route, name, response.text)
            assert grown_kib < MAX_GROWTH_KIB, (route, name)
            assert not any(line in response.text for line in passwd), (route, name)
    readable, _, _ = select.select([sock], [], [], 0.2)
    assert not readable, "the gateway connected to the URL in a hostile body"
    kept = gateway.query("SELECT reason, response_body FROM rejections")
    assert len(kept) == len(ROUTES) * len(bodies)
    for reason, answer in kept:
        assert not any(line in reason or line.encode() in answer for line in passwd)


def _chunks(size: int) -> Iterator[bytes]:
    """`size` bytes of an XML document that never ends, without holding them in memory."""
    chunk = b"<cXML><Request>" + b"x" * (MIB - 15)
    for _ in range(size // MIB):
        yield chunk


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "chunked"])
def test_a_50_mb_body_is_413_before_parsing(gateway: RunningGateway, declared: bool) -> None:
    size = 50 * MIB
    for route in ROUTES:
        headers = {"Content-Type": "text/xml"}
        if declared:
            headers["Content-Length"] = str(size)
        _reset_peak()
        before = _peak_kib()
        started = time.perf_counter()
        try:
            response = gateway.client.post(route, content=_chunks(size), headers=headers)
        except httpx.TransportError as exc:  # the server may stop reading once it has answered
            pytest.fail(f"{route}: no answer: {exc!r}")
        ms = (time.perf_counter() - started) * 1000
        grown_kib = _peak_kib() - before
        print(f"{route} 50 MB ({'declared' if declared else 'chunked'}): {response.status_code}")
        print(f"  in {ms:.1f} ms, +{grown_kib} KiB")
        assert response.status_code == 413, response.text
        # At most the limit (10 MiB) is held, joined once: far from the 50 MB.
        assert grown_kib < 4 * gateway.settings.max_body_bytes // 1024
    kept = gateway.query("SELECT error, length(raw) FROM rejections")
    assert [error for error, _ in kept] == ["PayloadTooLarge"] * len(ROUTES)
    assert all(length <= 65536 for _, length in kept)  # the head only, never parsed
