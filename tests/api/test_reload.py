"""Profiles reload without a restart: a running gateway notices a new partner file, keeps the
old set when an edit is broken (and says which file), and reloads on `POST /partners/reload`."""

from __future__ import annotations

import logging
import shutil
import time
from pathlib import Path

import httpx
import pytest

from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO, _with
from tests.conftest import ROOT

NEWCO = _with(SAMPLE, b"<Identity>123456789</Identity>", b"<Identity>555000333</Identity>")
NEWCO_PROFILE = """
id = "newco"
name = "A partner added while the gateway runs"
[coupa]
identities = ["DUNS:555000333"]
[x12.envelope]
sender_id = "B2BGATEWAY"
receiver_id = "NEWCO"
[transport]
kind = "directory"
create = true
path = "outbox/newco"
"""


def _until_status(gateway: RunningGateway, body: bytes, status: int) -> httpx.Response:
    """Post `body` until the answer has `status` (the watch runs every 0.2 s here)."""
    deadline = time.monotonic() + 20
    while True:
        response = gateway.post_cxml(body)
        if response.status_code == status or time.monotonic() > deadline:
            return response
        time.sleep(0.1)


@pytest.fixture
def partners(tmp_path: Path) -> Path:
    folder = tmp_path / "partners"
    folder.mkdir()
    shutil.copy(ROOT / "partners" / "acme.toml", folder)
    return folder


@pytest.fixture
def running(start_gateway: GatewayFactory, partners: Path) -> RunningGateway:
    return start_gateway(partners_dir=partners, partners_watch_seconds=0.2)


def test_a_new_partner_file_is_picked_up_without_a_restart(
    running: RunningGateway, partners: Path
) -> None:
    refused = running.post_cxml(NEWCO)
    assert refused.status_code == 400
    assert b"DUNS:555000333" in refused.content
    (partners / "newco.toml").write_text(NEWCO_PROFILE)
    accepted = _until_status(running, NEWCO, 200)
    assert accepted.status_code == 200, accepted.text
    message = running.wait_for(SAMPLE_PO, "sent")
    assert message["partner_id"] == "newco"
    assert (running.outbox / "newco").is_dir()


def test_a_broken_edit_keeps_the_old_profiles_and_names_the_file(
    running: RunningGateway, partners: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (partners / "newco.toml").write_text(NEWCO_PROFILE)
    assert _until_status(running, NEWCO, 200).status_code == 200
    caplog.set_level(logging.ERROR, logger="b2b.engine")
    broken = NEWCO_PROFILE.replace('receiver_id = "NEWCO"', 'receiver_id = ""')
    (partners / "newco.toml").write_text(broken)

    answer = running.client.post("/partners/reload")
    assert answer.status_code == 422
    assert "newco.toml: x12.envelope.receiver_id" in answer.json()["detail"]
    deadline = time.monotonic() + 20
    while "newco.toml" not in caplog.text and time.monotonic() < deadline:
        time.sleep(0.1)
    assert "profiles not reloaded, the previous ones stay in use" in caplog.text
    assert "newco.toml: x12.envelope.receiver_id" in caplog.text

    again = _with(NEWCO, b'payloadID="', b'payloadID="again-')
    assert running.post_cxml(again).status_code == 200  # the old newco profile still routes


def test_reload_on_request_answers_the_partners(running: RunningGateway, partners: Path) -> None:
    (partners / "newco.toml").write_text(NEWCO_PROFILE)
    answer = running.client.post("/partners/reload")
    assert answer.status_code == 200
    assert answer.json() == {"partners": ["acme", "newco"]}
    assert running.post_cxml(NEWCO).status_code == 200


def test_reload_needs_an_operator(running: RunningGateway) -> None:
    answer = httpx.post(f"{running.url}/partners/reload")
    assert answer.status_code == 401
