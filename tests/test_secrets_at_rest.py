"""No secret at rest (issue 7, "Security"): after a gateway has taken cXML in (accepted, and
refused for a wrong SharedSecret) and posted a partner's documents to Coupa, neither its
database file (with the SQLite WAL), nor its data directory, nor its logs (DEBUG) hold a
SharedSecret, the demo private keys or a passphrase in clear.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from tests.api.conftest import GatewayFactory, start_gateway  # noqa: F401 (the fixture)
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO
from tests.api.test_inbound import _drop, _partners
from tests.api.test_to_coupa import SAMPLES, _coupa_messages, _with_coupa
from tests.conftest import ROOT
from tests.fixtures.coupa import SECRET, CoupaStandIn

COUPA_SECRET = "inbound-Secr3t-7f1c"  # what Coupa presents to us
WRONG_SECRET = "guessed-Secr3t-99aa"  # a refused sender's


def _pem_bodies() -> dict[str, bytes]:
    """Each demo private key's base64 lines, by file: none may be stored or logged."""
    found: dict[str, bytes] = {}
    for path in sorted((ROOT / "certs").rglob("*.pem")):
        text = path.read_bytes()
        for block in re.findall(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----(.*?)-----END", text, re.S):
            lines = [line for line in block.split() if len(line) >= 40]
            found[f"{path.name}:{len(found)}"] = b"".join(lines[:1])  # the first line suffices
    return found


def _stored_bytes(database_url: str, data_dir: Path) -> bytes:
    url = make_url(database_url)
    assert url.database is not None
    database = Path(url.database)
    files = [database, database.with_name(database.name + "-wal")]
    files += [p for p in data_dir.rglob("*") if p.is_file()]
    return b"".join(p.read_bytes() for p in files if p.exists())


def test_no_secret_is_kept_in_the_database_the_data_or_the_logs(
    start_gateway: GatewayFactory,  # noqa: F811
    tmp_path: Path,
    coupa: CoupaStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    folder = _with_coupa(_partners(tmp_path / "partners"), coupa, tmp_path)
    gateway = start_gateway(partners_dir=folder, coupa_shared_secret=COUPA_SECRET)
    if not gateway.settings.database_url.startswith("sqlite"):
        pytest.skip("reads the SQLite file")
    order = SAMPLE.replace(b"demo-secret", COUPA_SECRET.encode())
    wrong = SAMPLE.replace(b"demo-secret", WRONG_SECRET.encode())
    assert gateway.post_cxml(wrong).status_code == 401
    assert gateway.post_cxml(order).status_code == 200
    assert gateway.post_cxml(order).status_code == 200  # a duplicate, answered the same
    gateway.wait_for(SAMPLE_PO, "sent")
    _drop(gateway, "acme", "855.x12", (SAMPLES / "acme_855_004010.x12").read_bytes())
    _coupa_messages(gateway, 1, "sent")
    assert SECRET.encode() in coupa.received[0][1]  # Coupa got the secret, the store did not
    assert gateway.query("SELECT count(*) FROM rejections") == [(1,)]

    stored = _stored_bytes(gateway.settings.database_url, gateway.settings.data_dir)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    secrets = {"Coupa's": COUPA_SECRET, "the refused": WRONG_SECRET, "the supplier's": SECRET}
    for whose, secret in secrets.items():
        assert secret.encode() not in stored, f"{whose} SharedSecret is stored"
        assert secret not in logged, f"{whose} SharedSecret is logged"
    for name, body in _pem_bodies().items():
        assert body not in stored, f"the private key {name} is stored"
        assert body.decode() not in logged, f"the private key {name} is logged"
    assert b"[redacted]" in stored
