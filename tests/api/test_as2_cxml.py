"""cXML sent through AS2 (issue 7): a SharedSecret in it is never stored in clear, neither in the
decrypted payload nor in a raw body that arrived unencrypted; X12 is stored as it came."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select

from b2b.as2 import (
    OutboundSecurity,
)
from b2b.store.schema import metadata
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_coupa_cxml import SAMPLE
from tests.conftest import ROOT
from tests.fixtures.demo_as2 import from_demo_partner

SECRET = b"demo-secret"  # the SharedSecret of the sample OrderRequest


def _everything_stored(gateway: RunningGateway) -> bytes:
    """Every value of every table, and every file of the data folder (the blobs), as bytes."""
    engine = create_engine(gateway.settings.database_url)
    found = []
    try:
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                for row in conn.execute(select(table)):
                    found += [bytes(v) if isinstance(v, memoryview) else v for v in row]
    finally:
        engine.dispose()
    stored = b"".join(v if isinstance(v, bytes) else str(v).encode() for v in found)
    files = [p for p in gateway.settings.data_dir.rglob("*") if p.is_file()]
    return stored + b"".join(p.read_bytes() for p in files if "sqlite" not in p.name)


def _post(gateway: RunningGateway, payload: bytes, message_id: str, *, encrypt: bool) -> None:
    settings = OutboundSecurity(encrypt=encrypt, content_type="application/xml")
    built = from_demo_partner(payload, message_id, settings=settings, filename="order.xml")
    answer = gateway.client.post("/as2", content=built.body, headers=list(built.headers))
    assert answer.status_code == 200
    assert b"; processed\r\n" in answer.content, answer.text


@pytest.fixture
def gateway(start_gateway: GatewayFactory, tmp_path: Path) -> RunningGateway:
    """The demo AS2 partner, allowed to send unencrypted (signed) messages too."""
    partners = tmp_path / "partners"
    shutil.copytree(ROOT / "partners", partners)
    profile = partners / "demo-as2.toml"
    profile.write_text(profile.read_text() + "require_encrypted = false\n")
    return start_gateway(partners_dir=partners)


@pytest.mark.parametrize("encrypt", [True, False], ids=["encrypted", "signed-only"])
def test_a_cxml_shared_secret_sent_by_as2_is_stored_redacted(
    gateway: RunningGateway, encrypt: bool
) -> None:
    assert SECRET in SAMPLE
    _post(gateway, SAMPLE, "cxml-1@demo", encrypt=encrypt)
    payload, body = gateway.query(
        "select payload, body from as2_inbound where as2_message_id = 'cxml-1@demo'"
    )[0]
    assert b"<SharedSecret>[redacted]</SharedSecret>" in bytes(payload)
    assert bytes(payload).replace(b"[redacted]", SECRET) == SAMPLE  # nothing else changed
    assert (b"[redacted]" in bytes(body)) is not encrypt  # an encrypted body is kept as it came
    _read_by_the_worker(gateway, "cxml-1@demo")  # (as X12, which it is not: refused)
    assert SECRET not in _everything_stored(gateway)


def _read_by_the_worker(gateway: RunningGateway, message_id: str) -> None:
    deadline = time.monotonic() + 20
    query = f"select state from inbound_files where origin_ref = '{message_id}'"
    while gateway.query(query) != [("failed",)] and gateway.query(query) != [("processed",)]:
        assert time.monotonic() < deadline, gateway.query(query)
        time.sleep(0.05)


def test_an_x12_payload_is_stored_as_it_came(gateway: RunningGateway) -> None:
    x12 = b"ISA*00*<SharedSecret>not-xml</SharedSecret>~"
    _post(gateway, x12, "x12-1@demo", encrypt=True)
    rows = gateway.query("select payload from as2_inbound where as2_message_id = 'x12-1@demo'")
    assert bytes(rows[0][0]) == x12
