"""Inbound files in the store, on SQLite and PostgreSQL: recorded once, read under a lease."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from sqlalchemy import Engine, select

from b2b.store import LeaseLost, utcnow
from b2b.store.blobs import BlobStore
from b2b.store.inbound import (
    Arrival,
    InterchangeRead,
    Lookups,
    claim_inbound,
    record_inbound_file,
    record_read,
)
from b2b.store.schema import inbound_files, inbound_interchanges

LEASE = dt.timedelta(minutes=5)


def _arrival(data: bytes, path: str = "/outbound/po.x12") -> Arrival:
    digest = hashlib.sha256(data).hexdigest()
    return Arrival("acme", "sftp", path, digest, data, utcnow())


def _read(control_number: str) -> InterchangeRead:
    return InterchangeRead(
        partner_id="acme",
        sender="01:123456789",
        receiver="ZZ:B2BGATEWAY",
        control_number=control_number,
        status="A",
        note_code="000",
        duplicate=False,
        result={"control_number": control_number},
        notes=(),
    )


def test_a_file_taken_again_after_a_crash_is_recognised(engine: Engine, blobs: BlobStore) -> None:
    data = b"ISA*00*...~IEA*1*000000001~"
    assert record_inbound_file(engine=engine, blobs=blobs, arrival=_arrival(data)) is True
    assert record_inbound_file(engine=engine, blobs=blobs, arrival=_arrival(data)) is False
    # same path, other bytes: a new file (partners re-use names)
    assert record_inbound_file(engine=engine, blobs=blobs, arrival=_arrival(data + b"\n")) is True


def test_a_large_file_is_kept_in_the_blob_store(engine: Engine, tmp_path: object) -> None:
    small = BlobStore(tmp_path / "blobs", inline_limit=10)  # type: ignore[operator]
    data = b"ISA" + b"*" * 100
    assert record_inbound_file(engine=engine, blobs=small, arrival=_arrival(data))
    claim = claim_inbound(engine=engine, blobs=small, worker="w1", now=utcnow(), lease=LEASE)
    assert claim is not None
    assert claim.data == data
    with engine.connect() as conn:
        assert conn.execute(select(inbound_files.c.raw)).scalar() is None


def test_a_claim_is_a_lease_and_a_read_file_is_done(engine: Engine, blobs: BlobStore) -> None:
    record_inbound_file(engine=engine, blobs=blobs, arrival=_arrival(b"ISA first"))
    now = utcnow()
    claim = claim_inbound(engine=engine, blobs=blobs, worker="w1", now=now, lease=LEASE)
    assert claim is not None
    assert claim_inbound(engine=engine, blobs=blobs, worker="w2", now=now, lease=LEASE) is None
    # w1 dies; after its lease w2 takes the file over, and w1 can no longer write
    later = now + LEASE + dt.timedelta(seconds=1)
    taken = claim_inbound(engine=engine, blobs=blobs, worker="w2", now=later, lease=LEASE)
    assert taken is not None
    assert taken.file_id == claim.file_id
    with pytest.raises(LeaseLost):
        record_read(engine=engine, claim=claim, worker="w1", read=lambda seen: [], now=later)
    record_read(
        engine=engine, claim=taken, worker="w2", read=lambda seen: [_read("000000042")], now=later
    )
    assert claim_inbound(engine=engine, blobs=blobs, worker="w3", now=later, lease=LEASE) is None
    with engine.connect() as conn:
        assert conn.execute(select(inbound_interchanges.c.control_number)).scalars().all() == [
            "000000042"
        ]


def test_seen_finds_an_accepted_interchange_within_the_window(
    engine: Engine, blobs: BlobStore
) -> None:
    now = utcnow()
    found: list[bool] = []
    for data in (b"ISA one", b"ISA two"):
        record_inbound_file(engine=engine, blobs=blobs, arrival=_arrival(data))
        claim = claim_inbound(engine=engine, blobs=blobs, worker="w1", now=now, lease=LEASE)
        assert claim is not None

        def read(lookups: Lookups) -> list[InterchangeRead]:
            found.append(lookups.seen("01:123456789", "000000042", now - dt.timedelta(days=90)))
            found.append(lookups.seen("01:123456789", "000000042", now + dt.timedelta(days=1)))
            return [_read("000000042")]

        record_read(engine=engine, claim=claim, worker="w1", read=read, now=now)
    # first file: nothing seen yet; second: seen within 90 days, not since tomorrow
    assert found == [False, False, True, False]
