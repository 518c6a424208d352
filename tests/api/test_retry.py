"""How a send that fails is retried, through a real gateway posting AS2 to a real local HTTP
server: a 429's Retry-After sets the next attempt (within the cap); a 403 fails at once."""

from __future__ import annotations

import datetime as dt
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_as2 import AS2_PO, AS2_SAMPLE
from tests.conftest import ROOT


@pytest.fixture
def refusing() -> Iterator[tuple[str, list[tuple[int, str]]]]:
    """An AS2 "partner" answering each POST with the next (status, Retry-After) queued."""
    answers: list[tuple[int, str]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length", "0")))
            status, retry_after = answers.pop(0) if answers else (503, "")
            self.send_response(status)
            if retry_after:
                self.send_header("Retry-After", retry_after)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"no")

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/as2", answers
    server.shutdown()
    server.server_close()


def _gateway(start_gateway: GatewayFactory, tmp_path: Path, url: str) -> RunningGateway:
    folder = tmp_path / "our-partners"
    folder.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8081", url)
    profile += "\n[retry]\nmax_attempts = 3\nmax_backoff_seconds = 600\n"
    (folder / "demo-as2.toml").write_text(profile)
    return start_gateway(partners_dir=folder)


def test_a_429_is_retried_after_its_retry_after_within_the_cap(
    start_gateway: GatewayFactory, tmp_path: Path, refusing: tuple[str, list[tuple[int, str]]]
) -> None:
    url, answers = refusing
    answers.append((429, "86400"))  # a day: more than the partner's cap of 600 seconds
    gateway = _gateway(start_gateway, tmp_path, url)
    gateway.post_cxml(AS2_SAMPLE)
    message = _until_event(gateway, "retry")
    assert message["state"] == "queued"
    assert "HTTP 429" in message["last_error"]
    waited = dt.datetime.fromisoformat(message["next_attempt_at"]) - dt.datetime.fromisoformat(
        message["updated_at"]
    )
    assert dt.timedelta(seconds=599) < waited <= dt.timedelta(seconds=600)


def test_a_403_fails_at_once_and_is_not_dead_lettered(
    start_gateway: GatewayFactory, tmp_path: Path, refusing: tuple[str, list[tuple[int, str]]]
) -> None:
    url, answers = refusing
    answers.append((403, ""))
    gateway = _gateway(start_gateway, tmp_path, url)
    gateway.post_cxml(AS2_SAMPLE)
    message = gateway.wait_for(AS2_PO, "failed")
    assert message["attempts"] == 1
    assert "PermanentTransportError" in message["last_error"]
    assert "HTTP 403" in message["last_error"]
    assert "retry" not in [e["state"] for e in message["events"]]


def _until_event(gateway: RunningGateway, state: str) -> dict[str, Any]:
    for _ in range(400):
        found = gateway.messages(AS2_PO)["messages"]
        if found and state in [e["state"] for e in found[0]["events"]]:
            return dict(found[0])
        threading.Event().wait(0.05)
    raise AssertionError(gateway.messages(AS2_PO))
