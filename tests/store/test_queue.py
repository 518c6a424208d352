"""The outbound queue: leases, retries, control numbers, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine

from b2b.store import (
    Built,
    LeaseLost,
    accept_documents,
    claim_next,
    get_message,
    open_engine,
    record_failure,
    record_mapped,
    record_sent,
)
from b2b.store.blobs import BlobStore
from tests.factories import acceptance

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


def _built(n: int) -> Built:
    return Built(f"ISA*{n:09d}~".encode(), f"acme_{n:09d}.x12", n, n, ("0001",))


def _map(engine: Engine, blobs: BlobStore, message_id: int, worker: str) -> Built:
    return record_mapped(
        engine=engine,
        blobs=blobs,
        message_id=message_id,
        worker=worker,
        sender="ZZ:US",
        receiver="ZZ:THEM",
        build=_built,
        now=NOW,
    )


def test_a_claimed_message_is_not_claimed_again_until_its_lease_expires(
    engine: Engine, blobs: BlobStore
) -> None:
    accept_documents(engine=engine, items=[acceptance("1", at=NOW)])
    first = claim_next(engine=engine, blobs=blobs, worker="a", now=NOW, lease=LEASE)
    assert first is not None
    assert (
        claim_next(engine=engine, blobs=blobs, worker="b", now=NOW + LEASE / 2, lease=LEASE) is None
    )
    again = claim_next(engine=engine, blobs=blobs, worker="b", now=NOW + LEASE * 2, lease=LEASE)
    assert again is not None
    assert again.message_id == first.message_id
    with pytest.raises(LeaseLost):
        record_sent(engine=engine, message_id=first.message_id, worker="a", receipt="x", now=NOW)


def test_mapping_stores_bytes_and_numbers_once_and_sending_completes(
    engine: Engine, blobs: BlobStore
) -> None:
    accept_documents(engine=engine, items=[acceptance("1", at=NOW)])
    claim = claim_next(engine=engine, blobs=blobs, worker="a", now=NOW, lease=LEASE)
    assert claim is not None
    built = _map(engine, blobs, claim.message_id, "a")
    with pytest.raises(LeaseLost):  # bytes are assigned once; a second mapping is refused
        _map(engine, blobs, claim.message_id, "a")
    record_sent(
        engine=engine, message_id=claim.message_id, worker="a", receipt="directory:/out/x", now=NOW
    )
    view = get_message(engine=engine, message_id=claim.message_id)
    assert view is not None
    assert view.state == "sent"
    assert view.interchange_control_number == built.interchange_control_number == 1
    assert [e.state for e in view.events] == ["received", "mapped", "queued", "sent"]
    assert (
        claim_next(engine=engine, blobs=blobs, worker="a", now=NOW + LEASE * 9, lease=LEASE) is None
    )


def test_a_retry_waits_for_its_time_and_resends_the_stored_bytes(
    engine: Engine, blobs: BlobStore
) -> None:
    accept_documents(engine=engine, items=[acceptance("1", at=NOW)])
    claim = claim_next(engine=engine, blobs=blobs, worker="a", now=NOW, lease=LEASE)
    assert claim is not None
    built = _map(engine, blobs, claim.message_id, "a")
    retry_at = NOW + dt.timedelta(seconds=30)
    record_failure(
        engine=engine,
        message_id=claim.message_id,
        worker="a",
        reason="refused",
        now=NOW,
        retry_at=retry_at,
        attempted=True,
    )
    assert (
        claim_next(
            engine=engine, blobs=blobs, worker="a", now=NOW + dt.timedelta(seconds=29), lease=LEASE
        )
        is None
    )
    again = claim_next(engine=engine, blobs=blobs, worker="b", now=retry_at, lease=LEASE)
    assert again is not None
    assert again.payload == built.payload
    assert again.attempts == 1
    record_failure(
        engine=engine,
        message_id=claim.message_id,
        worker="b",
        reason="gave up",
        now=NOW,
        retry_at=None,
        attempted=True,
    )
    view = get_message(engine=engine, message_id=claim.message_id)
    assert view is not None
    assert (view.state, view.last_error, view.attempts) == ("failed", "gave up", 2)
    assert (
        claim_next(engine=engine, blobs=blobs, worker="a", now=NOW + LEASE * 99, lease=LEASE)
        is None
    )


def test_control_numbers_are_unique_and_gapless_under_concurrent_workers(
    database_url: str, blobs: BlobStore
) -> None:
    engines = [open_engine(database_url) for _ in range(2)]
    accept_documents(engine=engines[0], items=[acceptance(str(i), at=NOW) for i in range(40)])
    numbers: list[int] = []

    def work(name: str, engine: Engine) -> None:
        while (
            claim := claim_next(engine=engine, blobs=blobs, worker=name, now=NOW, lease=LEASE)
        ) is not None:
            numbers.append(_map(engine, blobs, claim.message_id, name).interchange_control_number)

    threads = [threading.Thread(target=work, args=(f"w{i}", engines[i % 2])) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == list(range(1, 41))
    for e in engines:
        e.dispose()


def test_control_numbers_are_counted_per_sender_receiver_pair(
    engine: Engine, blobs: BlobStore
) -> None:
    accept_documents(engine=engine, items=[acceptance(str(i), at=NOW) for i in range(3)])
    got = []
    for receiver in ("ZZ:A", "ZZ:B", "ZZ:A"):
        claim = claim_next(engine=engine, blobs=blobs, worker="a", now=NOW, lease=LEASE)
        assert claim is not None
        got.append(
            record_mapped(
                engine=engine,
                blobs=blobs,
                message_id=claim.message_id,
                worker="a",
                sender="ZZ:US",
                receiver=receiver,
                build=_built,
                now=NOW,
            ).interchange_control_number
        )
    assert got == [1, 1, 2]
