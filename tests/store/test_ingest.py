"""Accepting documents: durable, idempotent, concurrent-safe, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import Engine, func, select

from b2b.errors import StoreUnavailable
from b2b.store import (
    IngestWriter,
    Rejection,
    accept_documents,
    find_messages,
    find_rejections,
    open_engine,
    record_rejection,
)
from b2b.store.schema import documents, messages
from tests.conftest import sqlite_only
from tests.factories import acceptance
from tests.fixtures.ports import free_port


def _count(engine: Engine, table) -> int:  # type: ignore[no-untyped-def]
    with engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())


def test_accepted_order_is_a_received_message_with_its_event(engine: Engine) -> None:
    [result] = accept_documents(engine=engine, items=[acceptance("4711")])
    [view] = find_messages(engine=engine, po="4711")
    assert not result.duplicate
    assert view.id == result.message_id
    assert view.state == "received"
    assert view.partner_id == "acme"
    assert [e.state for e in view.events] == ["received"]
    assert "payload-4711@test" in view.events[0].detail


def test_second_copy_gets_the_first_answer_and_no_second_message(engine: Engine) -> None:
    first = accept_documents(engine=engine, items=[acceptance("4711", answer=b"first")])[0]
    again = accept_documents(engine=engine, items=[acceptance("4711", answer=b"second")])[0]
    assert again.duplicate
    assert again.response_body == b"first"
    assert again.message_id == first.message_id
    assert _count(engine, messages) == 1


def test_same_key_twice_in_one_batch_is_one_document(engine: Engine) -> None:
    results = accept_documents(engine=engine, items=[acceptance("1"), acceptance("1")])
    assert [r.duplicate for r in results] == [False, True]
    assert _count(engine, documents) == 1


def test_concurrent_writers_on_one_database_store_one_message(database_url: str) -> None:
    # Two gateway nodes (two engines, two writer threads) receive the same payloadID at once.
    engines = [open_engine(database_url) for _ in range(2)]
    writers = [IngestWriter(e) for e in engines]
    for w in writers:
        w.start()
    barrier = threading.Barrier(8)
    results = []

    def post(i: int) -> None:
        barrier.wait()
        results.append(writers[i % 2].submit(acceptance("777", answer=f"{i}".encode())).result())

    threads = [threading.Thread(target=post, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for w in writers:
        w.stop()
    assert sum(not r.duplicate for r in results) == 1
    assert len({r.response_body for r in results}) == 1
    assert len({r.message_id for r in results}) == 1
    assert _count(engines[0], messages) == 1
    for e in engines:
        e.dispose()


def test_rejection_is_kept_with_reason_and_found_by_po(engine: Engine) -> None:
    record_rejection(
        engine=engine,
        rejection=Rejection(
            source_format="cxml",
            raw=b"<cXML/>",
            reason="OrderRequest has no ItemOut lines",
            error="InvalidDocument",
            response_status=400,
            response_body=b"<Response/>",
            received_at=dt.datetime.now(dt.UTC),
            document_key="p1",
            po_number="4711",
        ),
    )
    [found] = find_rejections(engine=engine, po="4711")
    assert found.reason == "OrderRequest has no ItemOut lines"
    assert found.response_status == 400


def test_unreachable_database_is_store_unavailable() -> None:
    url = f"postgresql+psycopg://b2b@127.0.0.1:{free_port()}/none?connect_timeout=2"
    with pytest.raises(StoreUnavailable):
        open_engine(url)


def test_writer_fails_every_waiting_request_when_the_database_goes_away(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # SQLite only: its missing table is an OperationalError. PostgreSQL's outage is
    # tests/api/test_store_outage.py.
    engine = open_engine(sqlite_only(tmp_path))
    writer = IngestWriter(engine)
    writer.start()
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE message_events")  # every insert now fails
    future = writer.submit(acceptance("9"))
    with pytest.raises(StoreUnavailable):
        future.result(timeout=10)
    writer.stop()
    assert _count(engine, documents) == 0  # nothing half-stored
