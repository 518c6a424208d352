"""A message over the inline limit, received by a real gateway: its bodies go to files."""

from __future__ import annotations

import random

from sqlalchemy import create_engine, select

from b2b.as2 import (
    LocalIdentity,
    OutboundSecurity,
    PartnerSecurity,
    build_message,
    load_certificates,
    load_key_pair,
)
from b2b.store.as2 import load_inbound_payload
from b2b.store.blobs import INLINE_LIMIT, BlobStore
from b2b.store.schema import as2_inbound
from tests.api.conftest import RunningGateway
from tests.conftest import ROOT

DEMO = ROOT / "certs" / "demo"


def _demo_partner() -> tuple[LocalIdentity, PartnerSecurity]:
    """The demo partner's keys, and how it sees us: to send our gateway a message by hand."""
    pair = load_key_pair((DEMO / "demo-partner.pem").read_bytes())
    certificates = load_certificates((DEMO / "b2b-gateway-public.pem").read_bytes())
    return LocalIdentity("B2B-DEMO-PARTNER", (pair,)), PartnerSecurity("B2B-GATEWAY", certificates)


def test_a_large_payload_is_kept_in_files_and_read_back_whole(gateway: RunningGateway) -> None:
    sender, us = _demo_partner()
    payload = random.Random(3).randbytes(INLINE_LIMIT + 4096)  # incompressible: the body is large
    built = build_message(
        payload,
        settings=OutboundSecurity(),
        ours=sender,
        partner=us,
        message_id="large-1@demo",
        as2_from="B2B-DEMO-PARTNER",
        as2_to="B2B-GATEWAY",
    )
    response = gateway.client.post("/as2", content=built.body, headers=list(built.headers))
    assert response.status_code == 200
    assert built.mic is not None
    assert b"Received-Content-MIC: " + built.mic.encode() in response.content
    engine = create_engine(gateway.settings.database_url)
    with engine.connect() as conn:
        row = conn.execute(select(as2_inbound)).one()
    blobs = BlobStore(gateway.settings.data_dir / "blobs")
    assert (row.status, row.body, row.payload) == ("processed", None, None)
    assert blobs.get(row.body_blob) == built.body
    assert load_inbound_payload(engine=engine, blobs=blobs, inbound_id=row.id) == payload
    engine.dispose()
