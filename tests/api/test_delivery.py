"""Delivery through the whole gateway: to a real sshd, retries, and `b2b worker` as a process."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from tests.api.conftest import GatewayFactory
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO, _with
from tests.conftest import ROOT
from tests.fixtures.ports import free_port
from tests.fixtures.sshd import SshServer

INITECH = _with(SAMPLE, b"<Identity>123456789</Identity>", b"<Identity>555000111</Identity>")


def _sftp_partner(
    folder: Path, sshd: SshServer, *, port: int, remote_dir: Path, retry: str = ""
) -> Path:
    folder.mkdir(exist_ok=True)
    (folder / "initech.toml").write_text(f"""
id = "initech"
name = "Initech"
[coupa]
identities = ["DUNS:555000111"]
[x12.envelope]
sender_id = "B2BGATEWAY"
receiver_qualifier = "01"
receiver_id = "555000111"
[transport]
kind = "sftp"
host = "{sshd.host}"
port = {port}
username = "{sshd.username}"
private_key = "{sshd.client_key}"
host_key = "{sshd.host_key_line}"
remote_dir = "{remote_dir}"
timeout_seconds = 5
{retry}
""")
    return folder


def test_the_850_lands_on_the_partners_sftp_server_under_its_final_name(
    start_gateway: GatewayFactory, sshd: SshServer, tmp_path: Path
) -> None:
    inbox = sshd.upload_dir / "initech-850"
    inbox.mkdir()
    partners = _sftp_partner(tmp_path / "partners", sshd, port=sshd.port, remote_dir=inbox)
    gateway = start_gateway(partners_dir=partners)
    assert gateway.post_cxml(INITECH).status_code == 200
    message = gateway.wait_for(SAMPLE_PO, "sent")
    assert [p.name for p in inbox.iterdir()] == [message["filename"]]
    assert (inbox / message["filename"]).read_bytes().startswith(b"ISA*00*")
    assert message["receipt"].startswith("sftp:")


def test_an_unreachable_partner_is_retried_with_backoff_then_dead_lettered(
    start_gateway: GatewayFactory, sshd: SshServer, tmp_path: Path
) -> None:
    retry = "[retry]\nmax_attempts = 3\ninitial_backoff_seconds = 0.2\n"
    partners = _sftp_partner(
        tmp_path / "partners", sshd, port=free_port(), remote_dir=sshd.upload_dir, retry=retry
    )
    gateway = start_gateway(partners_dir=partners)
    gateway.post_cxml(INITECH)
    message = gateway.wait_for(SAMPLE_PO, "dead")
    assert message["attempts"] == 3
    states = [e["state"] for e in message["events"]]
    assert states == ["received", "mapped", "queued", "retry", "retry", "dead"]
    assert gateway.client.get("/messages", params={"state": "dead"}).json()["messages"]
    assert "TransportError" in message["last_error"]
    # every attempt sent the same interchange: numbers were assigned once
    assert message["control_numbers"]["ISA13"] == "000000001"


def test_a_permanent_failure_is_not_retried(
    start_gateway: GatewayFactory, sshd: SshServer, tmp_path: Path
) -> None:
    partners = _sftp_partner(
        tmp_path / "partners", sshd, port=sshd.port, remote_dir=sshd.upload_dir / "no-such-folder"
    )
    gateway = start_gateway(partners_dir=partners)
    gateway.post_cxml(INITECH)
    message = gateway.wait_for(SAMPLE_PO, "failed")
    assert message["attempts"] == 1
    assert "PermanentTransportError" in message["last_error"]


def test_b2b_worker_runs_as_its_own_process(start_gateway: GatewayFactory, tmp_path: Path) -> None:
    gateway = start_gateway(embedded_worker=False)
    gateway.post_cxml(SAMPLE)
    time.sleep(0.5)
    assert gateway.messages(SAMPLE_PO)["messages"][0]["state"] == "received"
    settings = gateway.settings
    env = {
        **os.environ,
        "B2B_DATABASE_URL": settings.database_url,
        "B2B_DATA_DIR": str(settings.data_dir),
        "B2B_WORKER_POLL_SECONDS": "0.1",
    }
    worker = subprocess.Popen(
        [sys.executable, "-m", "b2b", "worker"],
        cwd=ROOT,
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        gateway.wait_for(SAMPLE_PO, "sent")
    finally:
        worker.send_signal(signal.SIGTERM)
        _, log = worker.communicate(timeout=30)
    assert worker.returncode == 0, log
    assert "sent message 1 (PO HMG-PO-100482) to acme" in log
