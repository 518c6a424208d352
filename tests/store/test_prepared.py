"""Prepared statements store and return exactly what `Connection.execute` does, on both backends."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import (
    Column,
    Engine,
    Integer,
    MetaData,
    Table,
    bindparam,
    insert,
    select,
    text,
)
from sqlalchemy.exc import DBAPIError, IntegrityError

from b2b.errors import StoreUnavailable
from b2b.store.as2 import _INSERT_INBOUND as KEEP_INBOUND  # with ON CONFLICT ... WHERE
from b2b.store.db import transaction
from b2b.store.prepared import Prepared
from b2b.store.schema import message_events, messages

AT = dt.datetime(2026, 11, 29, 1, 2, 3, 456789, tzinfo=dt.UTC)
MESSAGE = {
    "document_id": None,
    "partner_id": "acme",
    "po_number": "4711",
    "transaction_set": "850",
    "state": "received",
    "attempts": 0,
    "next_attempt_at": AT,
    "created_at": AT,
    "updated_at": AT,
    "payload": b"ISA*00*\x00\xff",
}
INSERT_MESSAGE = Prepared(insert(messages).returning(messages.c.id))


def _row(engine: Engine, message_id: int) -> dict[str, object]:
    with engine.connect() as conn:
        row = conn.execute(select(messages).where(messages.c.id == message_id)).one()
    return {k: v for k, v in row._asdict().items() if k != "id"}


def test_a_row_it_inserts_reads_back_as_one_sqlalchemy_inserts(engine: Engine) -> None:
    with transaction(engine) as conn:
        ours = INSERT_MESSAGE.scalar(conn, MESSAGE)
        theirs = conn.execute(insert(messages).returning(messages.c.id), MESSAGE).scalar_one()
    assert isinstance(ours, int)
    assert _row(engine, ours) == _row(engine, theirs)
    assert _row(engine, ours)["destination"] == "partner"  # the column's default, filled in


def _insert_then_fail(engine: Engine) -> None:
    with transaction(engine) as conn:
        INSERT_MESSAGE.scalar(conn, MESSAGE)
        raise RuntimeError("the batch fails after the insert")


def test_it_runs_inside_the_callers_transaction(engine: Engine) -> None:
    with pytest.raises(RuntimeError):
        _insert_then_fail(engine)
    with engine.connect() as conn:
        assert conn.execute(select(messages.c.id)).first() is None  # rolled back with it


def test_a_select_returns_its_first_column_or_none(engine: Engine) -> None:
    latest = Prepared(
        select(messages.c.created_at).where(messages.c.po_number == bindparam("po")).limit(1)
    )
    with transaction(engine) as conn:
        INSERT_MESSAGE.scalar(conn, MESSAGE)
        found = latest.scalar(conn, {"po": "4711"})
        missing = latest.scalar(conn, {"po": "4712"})
    assert found is not None
    assert found.replace(tzinfo=dt.UTC) == AT  # SQLite's are naive
    assert missing is None


def test_a_literal_sqlalchemy_renders_per_execution_is_in_its_sql(engine: Engine) -> None:
    # SQLite renders the ON CONFLICT ... WHERE status = 'processed' literal at execution time.
    def message(status: str) -> dict[str, object]:
        return {
            "as2_from": "acme",
            "as2_to": "us",
            "as2_message_id": "m1@acme",
            "received_at": AT,
            "headers": "{}",
            "status": status,
            "disposition": "automatic-action/MDN-sent-automatically; processed",
            "mdn_state": "sync",
        }

    with transaction(engine) as conn:
        first = KEEP_INBOUND.scalar(conn, message("processed"))
        again = KEEP_INBOUND.scalar(conn, message("processed"))
        failed = KEEP_INBOUND.scalar(conn, message("error"))  # outside the partial unique index
    assert isinstance(first, int)
    assert isinstance(failed, int)
    assert again is None


def test_a_constraint_the_database_enforces_is_sqlalchemys_integrity_error(engine: Engine) -> None:
    event = Prepared(insert(message_events))
    with pytest.raises(IntegrityError), transaction(engine) as conn:
        event.scalar(conn, {"message_id": None, "at": AT, "state": "sent", "detail": ""})


def test_a_driver_error_is_the_exception_conn_execute_raises(engine: Engine) -> None:
    values = {"message_id": 1, "at": AT, "state": "sent", "detail": ""}
    with transaction(engine) as conn:
        conn.exec_driver_sql("DROP TABLE message_events")
    raised = []
    for run in (
        lambda conn: Prepared(insert(message_events)).scalar(conn, values),
        lambda conn: conn.execute(insert(message_events), values),
    ):
        with pytest.raises((DBAPIError, StoreUnavailable)) as caught, transaction(engine) as conn:
            run(conn)
        raised.append(type(caught.value))
    assert raised[0] is raised[1]
    # SQLite: an OperationalError, which the writer answers as a store outage (500, retry).
    assert engine.dialect.name != "sqlite" or raised[0] is StoreUnavailable


def _insert_after_losing_the_connection(engine: Engine) -> None:
    values = {"message_id": None, "at": AT, "state": "sent", "detail": ""}
    with transaction(engine) as conn:
        pid = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with engine.connect() as other:
            other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
        Prepared(insert(message_events)).scalar(conn, values)


def test_a_lost_connection_is_store_unavailable_and_not_used_again(engine: Engine) -> None:
    if engine.dialect.name == "sqlite":
        pytest.skip("a SQLite connection cannot be lost")
    with pytest.raises(StoreUnavailable) as caught:
        _insert_after_losing_the_connection(engine)
    cause = caught.value.__cause__
    assert isinstance(cause, DBAPIError)
    assert cause.connection_invalidated  # the pool drops it instead of handing it out again
    with transaction(engine) as conn:  # the pool gives a live connection
        assert INSERT_MESSAGE.scalar(conn, MESSAGE) is not None


def test_a_default_only_sqlalchemy_can_compute_is_refused(engine: Engine) -> None:
    table = Table("counted", MetaData(), Column("n", Integer, default=lambda: 1))
    with pytest.raises(TypeError, match="'n'"), transaction(engine) as conn:
        Prepared(insert(table)).scalar(conn, {})
