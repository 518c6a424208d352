"""Large bodies in files: durable before `put` returns, round trips through the store's rows."""

from __future__ import annotations

import datetime as dt
import hashlib
import random

import pytest
from sqlalchemy import Engine, select, update

from b2b.errors import StoreUnavailable
from b2b.store import Built, accept_documents, claim_next, record_mapped
from b2b.store.as2 import StoredAs2, load_as2_built, record_as2_built
from b2b.store.blobs import INLINE_LIMIT, BlobStore
from b2b.store.schema import as2_outbound, messages
from tests.factories import acceptance

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)
LARGE = random.Random(7).randbytes(INLINE_LIMIT + 1)
SMALL = b"ISA*00*~" * 100


def test_put_returns_once_the_whole_file_is_in_place_under_its_sha256(blobs: BlobStore) -> None:
    key = blobs.put(LARGE)
    assert key == hashlib.sha256(LARGE).hexdigest()
    assert blobs.path(key).read_bytes() == LARGE
    assert [p.name for p in blobs.path(key).parent.iterdir()] == [key]  # no temporary left
    assert blobs.get(key) == LARGE


def test_the_same_bytes_twice_are_one_file(blobs: BlobStore) -> None:
    assert blobs.put(LARGE) == blobs.put(bytearray(LARGE))
    assert len(list(blobs.root.rglob("*"))) == 2  # one fan-out folder, one file


def test_small_bodies_stay_inline_and_large_ones_go_to_a_file(blobs: BlobStore) -> None:
    assert blobs.offload(SMALL) == (SMALL, None)
    assert blobs.offload(None) == (None, None)
    inline, key = blobs.offload(LARGE)
    assert inline is None
    assert key is not None
    assert blobs.load(None, key) == LARGE
    assert blobs.load(SMALL, None) == SMALL
    assert not blobs.root.joinpath(hashlib.sha256(SMALL).hexdigest()[:2]).exists()


def test_a_missing_blob_is_a_store_error_and_a_key_cannot_name_another_file(
    blobs: BlobStore,
) -> None:
    with pytest.raises(StoreUnavailable, match="missing"):
        blobs.get("0" * 64)
    with pytest.raises(ValueError, match="not a blob key"):
        blobs.path("../../etc/passwd")


def _claimed(engine: Engine, blobs: BlobStore) -> int:
    accept_documents(engine=engine, items=[acceptance("1", at=NOW)])
    claim = claim_next(engine=engine, blobs=blobs, worker="a", now=NOW, lease=LEASE)
    assert claim is not None
    return claim.message_id


def test_a_large_interchange_is_kept_in_a_file_and_claimed_back_whole(
    engine: Engine, blobs: BlobStore
) -> None:
    message_id = _claimed(engine, blobs)
    record_mapped(
        engine=engine,
        blobs=blobs,
        message_id=message_id,
        worker="a",
        sender="ZZ:US",
        receiver="ZZ:THEM",
        build=lambda n: Built(LARGE, f"acme_{n:09d}.x12", n, n, ("0001",)),
        now=NOW,
    )
    with engine.connect() as conn:
        row = conn.execute(
            select(messages.c.payload, messages.c.payload_blob).where(messages.c.id == message_id)
        ).one()
        conn.execute(update(messages).values(lease_owner=None, lease_expires_at=None))
        conn.commit()
    assert row.payload is None
    assert blobs.path(row.payload_blob).read_bytes() == LARGE
    again = claim_next(engine=engine, blobs=blobs, worker="b", now=NOW, lease=LEASE)
    assert again is not None
    assert again.payload == LARGE


def test_a_large_built_as2_message_is_sent_again_from_its_file(
    engine: Engine, blobs: BlobStore
) -> None:
    message_id = _claimed(engine, blobs)
    stored = StoredAs2("abc@us", (("AS2-From", "US"),), LARGE, "mic", "sha256")
    record_as2_built(
        engine=engine, blobs=blobs, message_id=message_id, worker="a", stored=stored, now=NOW
    )
    with engine.connect() as conn:
        body = conn.execute(select(as2_outbound.c.body)).scalar()
    assert body is None
    assert load_as2_built(engine=engine, blobs=blobs, message_id=message_id) == stored
