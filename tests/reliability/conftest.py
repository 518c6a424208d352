"""Reliability runs: real `b2b` processes killed, partners stopped, stores shared.

Every module here sets `pytestmark = pytest.mark.reliability` (`pytest -m reliability` runs
them alone, `-m "not reliability"` leaves them out).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.reliability.partners import (
    SftpPartner,
)


@pytest.fixture(scope="module")
def sftp_partner(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SftpPartner]:
    """An sshd of our own (the session one is shared; this one is stopped and started)."""
    if not Path("/usr/sbin/sshd").exists() or shutil.which("ssh-keygen") is None:
        pytest.skip("OpenSSH sshd and ssh-keygen are needed: apt-get install openssh-server")
    partner = SftpPartner.create(tmp_path_factory.mktemp("sftp-partner"))
    partner.start()
    try:
        yield partner
    finally:
        partner.stop()
