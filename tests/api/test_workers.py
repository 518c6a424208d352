"""`b2b serve --workers N`: connections dealt to the worker processes in turn, a dead worker
replaced, SIGTERM stopping them all; over plain HTTP and HTTPS with client certificates.

Which process serves a connection is read from /proc: the worker whose descriptors include
the server side of that connection."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import ssl
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.pki import issue, new_ca
from tests.fixtures.ports import free_port
from tests.reliability.harness import Site, start_process, stop, wait_for_http, wait_until

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")


@pytest.fixture
def site(tmp_path: Path) -> Site:
    return Site.create(tmp_path / "site")


@contextlib.contextmanager
def _serve(site: Site, port: int, workers: int = 2, **env: str) -> Iterator[int]:
    """`b2b serve --workers` until the block ends (then SIGTERM, which must end it cleanly)."""
    process = start_process(
        site, ["serve", "--port", str(port), "--workers", str(workers)], "serve", **env
    )
    try:
        scheme = "https" if "B2B_TLS_CERTIFICATE" in env else "http"
        if scheme == "http":
            wait_for_http(f"http://127.0.0.1:{port}/health", process)
        else:
            wait_until(lambda: _listening(port), "the HTTPS port", timeout=60)
        wait_until(lambda: len(_children(process.pid)) == workers, "the workers")
        yield process.pid
    finally:
        code = stop(process)
    assert code == 0, f"b2b serve exited with {code}"


def _children(pid: int) -> set[int]:
    """The worker processes of `pid` (not multiprocessing's resource tracker)."""
    found = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
                command = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            parent = int(stat.rsplit(")", 1)[1].split()[1])
            if parent == pid and b"resource_tracker" not in command:
                found.add(int(entry))
    return found


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _served_by(port: int, workers: set[int]) -> Counter[int]:
    """How many established connections to `port` each worker holds."""
    inodes = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        if int(fields[1].split(":")[1], 16) == port and fields[3] == "01":  # ESTABLISHED
            inodes.add(fields[9])
    served: Counter[int] = Counter()
    for pid in workers:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            found = re.fullmatch(r"socket:\[(\d+)\]", target)
            if found and found.group(1) in inodes:
                served[pid] += 1
    return served


def _open_connections(port: int, count: int) -> list[socket.socket]:
    """`count` keep-alive connections opened together, each answered once."""
    connections = [socket.create_connection(("127.0.0.1", port)) for _ in range(count)]
    for conn in connections:
        conn.sendall(b"GET /no-such-page HTTP/1.1\r\nHost: test\r\n\r\n")
    for conn in connections:
        assert conn.recv(65536).startswith(b"HTTP/1.1 404")
    return connections


def test_connections_opened_together_are_dealt_to_every_worker(site: Site) -> None:
    port = free_port()
    with _serve(site, port) as server:
        workers = _children(server)
        connections = _open_connections(port, 8)
        try:
            # uvicorn's own workers gave one process 6, 7 or all 8 of these
            assert sorted(_served_by(port, workers).values()) == [4, 4]
        finally:
            for conn in connections:
                conn.close()


def test_a_worker_that_dies_is_replaced_and_the_others_go_on(site: Site) -> None:
    port = free_port()
    with _serve(site, port) as server:
        victim, survivor = sorted(_children(server))
        os.kill(victim, signal.SIGKILL)
        wait_until(lambda: len(_children(server) - {victim}) == 2, "a new worker", timeout=30)
        assert survivor in _children(server)
        connections = _open_connections(port, 6)  # every one answered: none dealt to the dead
        try:
            assert len(_served_by(port, _children(server))) == 2
        finally:
            for conn in connections:
                conn.close()


def test_sigterm_stops_the_parent_and_every_worker(site: Site) -> None:
    port = free_port()
    workers: set[int] = set()
    with _serve(site, port, workers=3) as server:
        workers = _children(server)
        assert len(workers) == 3
    time.sleep(0.2)
    assert not any(Path(f"/proc/{pid}").exists() for pid in workers)
    assert not _listening(port)


def test_https_with_required_client_certificates_through_the_workers(
    site: Site, tmp_path: Path
) -> None:
    ca = new_ca("Test Root CA")
    server_cert = issue(ca, "b2b gateway", hosts=("127.0.0.1",))
    client = issue(ca, "B2B-DEMO-PARTNER", client=True)
    port = free_port()
    env = {
        "B2B_TLS_CERTIFICATE": str(server_cert.write(tmp_path / "gateway.pem", key=False)),
        "B2B_TLS_KEY": str(server_cert.write_key(tmp_path / "gateway.key")),
        "B2B_TLS_CLIENT_CA": str(ca.write(tmp_path / "ca.pem", key=False)),
    }
    context = ssl.create_default_context(cafile=tmp_path / "ca.pem")
    with _serve(site, port, **env):
        with (
            httpx.Client(verify=context, timeout=10) as anonymous,
            pytest.raises(httpx.TransportError),
        ):
            anonymous.get(f"https://127.0.0.1:{port}/health")  # refused at the handshake
        context.load_cert_chain(client.write(tmp_path / "client.pem"))
        for _ in range(4):  # a new connection each: both workers serve one
            with httpx.Client(verify=context, timeout=10) as partner:
                assert partner.get(f"https://127.0.0.1:{port}/health").status_code == 200
