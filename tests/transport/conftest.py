"""Fixtures for transport tests: an X12 850 interchange to deliver, a store to record into."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from b2b.partners import SftpInbound
from b2b.transport import InboundFile
from tests.fixtures.sshd import SshServer

SEGMENTS = (
    "ISA*00*          *00*          *ZZ*COUPABUYER     *ZZ*ACMESUPPLY     "
    "*261128*1533*U*00401*000000007*0*P*>",
    "GS*PO*COUPABUYER*ACMESUPPLY*20261128*1533*7*X*004010",
    "ST*850*0001",
    "BEG*00*SA*4711**20261128",
    "REF*DP*038",
    "PER*BD*Jane Buyer*EM*jane.buyer@example.com",
    "DTM*002*20261205",
    "N1*ST*Acme Receiving Dock 4*92*DOCK4",
    "N3*100 Industrial Way",
    "N4*Springfield*IL*62701*US",
    "PO1*1*12*EA*18.50**VP*WID-0042*BP*100234",
    "PID*F****Widget, stainless, 42 mm",
    "PO1*2*3*BX*112**VP*GAS-7*BP*100977",
    "PID*F****Gasket set (box of 50)",
    "CTT*2",
    "SE*14*0001",
    "GE*1*7",
    "IEA*1*000000007",
)


@pytest.fixture
def interchange() -> bytes:
    """An X12 850 interchange with CRLF after each segment terminator (bytes must survive)."""
    return "".join(segment + "~\r\n" for segment in SEGMENTS).encode("ascii")


class Store:
    """A real fake of the gateway's inbound store: a file is stored once per path, size and
    hash; `record` answers True when it stores, False when it had the file already.

    `before` and `after` run inside `record`, before and after storing: a test's stand-in for
    what can happen meanwhile (the partner writes, the process dies, the archive goes away).
    """

    def __init__(self) -> None:
        self.stored: dict[tuple[str, int, str], bytes] = {}
        self.calls: list[InboundFile] = []
        self.before: Callable[[InboundFile], None] = lambda item: None
        self.after: Callable[[InboundFile], None] = lambda item: None

    def record(self, item: InboundFile) -> bool:
        self.calls.append(item)
        self.before(item)
        key = (item.path, item.size, item.sha256)
        if key in self.stored:
            return False
        self.stored[key] = item.data
        self.after(item)
        return True

    def data(self) -> dict[str, bytes]:
        """What was stored, by path."""
        return {path: data for (path, _, _), data in self.stored.items()}


@pytest.fixture
def store() -> Store:
    return Store()


def inbound_sftp_settings(
    sshd: SshServer, remote_dir: Path | str, **overrides: object
) -> SftpInbound:
    """`[inbound] kind = "sftp"` for the test server, polling `remote_dir`."""
    values: dict[str, object] = {
        "kind": "sftp",
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.username,
        "private_key": str(sshd.client_key),
        "host_key": sshd.host_key_line,
        "remote_dir": str(remote_dir),
        "timeout_seconds": 5.0,
    }
    return SftpInbound.model_validate(values | overrides)
