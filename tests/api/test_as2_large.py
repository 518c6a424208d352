"""A message over the inline limit, received by a real gateway: its bodies go to files."""

from __future__ import annotations

import random

from sqlalchemy import create_engine, select

from b2b.store.as2 import load_inbound_payload
from b2b.store.blobs import INLINE_LIMIT, BlobStore
from b2b.store.schema import as2_inbound
from tests.api.conftest import RunningGateway
from tests.fixtures.demo_as2 import from_demo_partner


def test_a_large_payload_is_kept_in_files_and_read_back_whole(gateway: RunningGateway) -> None:
    payload = random.Random(3).randbytes(INLINE_LIMIT + 4096)  # incompressible: the body is large
    built = from_demo_partner(payload, "large-1@demo")
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
