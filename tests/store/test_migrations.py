"""Migrations: they make exactly schema.py, run once, adopt pre-migration databases, and let
nodes start together; `b2b db upgrade` applies them as an operator runs it."""

from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, inspect, select, text

from b2b.errors import ConfigurationError
from b2b.store import accept_documents, migrations, open_engine, transaction
from b2b.store.migrations import head
from b2b.store.schema import documents, metadata
from tests.conftest import ROOT
from tests.factories import acceptance

OpenStore = Callable[..., Engine]


@pytest.fixture
def open_store() -> Iterator[Callable[..., Engine]]:
    """open_engine, each engine disposed after the test whatever happened."""
    opened: list[Engine] = []

    def open_(url: str, *, create: bool = True) -> Engine:
        engine = open_engine(url, create=create)
        opened.append(engine)
        return engine

    yield open_
    for engine in opened:
        engine.dispose()


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn:
        return list(compare_metadata(MigrationContext.configure(conn), metadata))


def _revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _shape(engine: Engine) -> dict[str, Any]:
    inspector = inspect(engine)
    return {
        table: (
            [c["name"] for c in inspector.get_columns(table)],
            sorted(i["name"] or "" for i in inspector.get_indexes(table)),
        )
        for table in sorted(inspector.get_table_names())
    }


def _legacy(url: str, version: int) -> None:
    """A database as a gateway before migrations left it: the tables of revision 0001 (its
    schema version 3), no alembic_version, and `schema_version`."""
    engine = open_engine(url, create=False)
    try:
        with transaction(engine) as conn:
            command.upgrade(migrations.config(connection=conn), migrations.FIRST)
            conn.execute(text("DROP TABLE alembic_version"))
            conn.execute(text("CREATE TABLE schema_version (version INTEGER NOT NULL)"))
            conn.execute(text("INSERT INTO schema_version (version) VALUES (:v)"), {"v": version})
    finally:
        engine.dispose()


def test_a_fresh_database_at_head_has_exactly_the_tables_of_schema_py(engine: Engine) -> None:
    assert _differences(engine) == []
    assert _revision(engine) == head()
    tables = set(inspect(engine).get_table_names())
    assert tables == {*metadata.tables, "alembic_version"}


def test_the_partial_unique_index_on_as2_inbound_is_there(engine: Engine) -> None:
    [index] = [
        i
        for i in inspect(engine).get_indexes("as2_inbound")
        if i["name"] == "uq_as2_inbound_processed"
    ]
    assert index["unique"]
    where = index["dialect_options"].get(f"{engine.dialect.name}_where")
    assert where is not None
    assert "processed" in str(where)


def test_upgrading_twice_is_a_no_op(database_url: str, open_store: OpenStore) -> None:
    first = open_store(database_url)
    accept_documents(engine=first, items=[acceptance("4711")])
    shape = _shape(first)
    first.dispose()
    again = open_store(database_url)
    assert _shape(again) == shape
    assert _revision(again) == head()
    with again.connect() as conn:
        assert conn.execute(select(func.count()).select_from(documents)).scalar_one() == 1


def test_nodes_opening_one_fresh_database_at_once_all_succeed(
    database_url: str, open_store: OpenStore
) -> None:
    start = threading.Barrier(4)
    opened: list[Engine] = []
    failed: list[BaseException] = []

    def node() -> None:
        start.wait()
        try:
            opened.append(open_store(database_url))
        except BaseException as exc:
            failed.append(exc)

    threads = [threading.Thread(target=node) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert failed == []
    assert len(opened) == 4
    assert _differences(opened[0]) == []


def test_a_schema_version_3_database_is_stamped_and_keeps_its_data(
    database_url: str, open_store: OpenStore
) -> None:
    _legacy(database_url, 3)
    old = open_store(database_url, create=False)
    with transaction(old) as conn:  # as the gateway of schema version 3 stored a document
        conn.execute(
            text(
                "INSERT INTO documents (source_format, document_key, partner_id, po_number,"
                " order_type, received_at, raw, response_status, response_body)"
                " VALUES ('cxml', 'p1', 'acme', '4711', 'new', :at, :raw, 200, :raw)"
            ),
            {"at": dt.datetime.now(dt.UTC), "raw": b"<cXML/>"},
        )
    old.dispose()
    engine = open_store(database_url)
    assert _revision(engine) == head()
    assert "schema_version" not in inspect(engine).get_table_names()
    assert _differences(engine) == []
    with engine.connect() as conn:
        assert conn.execute(select(documents.c.po_number)).scalars().all() == ["4711"]


def test_an_older_schema_version_is_refused_with_what_to_do(database_url: str) -> None:
    _legacy(database_url, 2)
    with pytest.raises(ConfigurationError, match="delete the development database"):
        open_engine(database_url)


def test_a_database_of_a_newer_gateway_is_refused(database_url: str, open_store: OpenStore) -> None:
    engine = open_store(database_url)
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '9999'"))
    with pytest.raises(ConfigurationError, match="made by a newer gateway"):
        open_engine(database_url)


def _db(command: str, url: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "b2b", "db", command],
        cwd=ROOT,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env={**os.environ, "B2B_DATABASE_URL": url},
    )


def test_b2b_db_upgrade_as_a_process_on_a_fresh_database(
    database_url: str, open_store: OpenStore
) -> None:
    nodes = [_db("upgrade", database_url) for _ in range(2)]  # two nodes at once
    for node in nodes:
        out, err = node.communicate(timeout=60)
        assert node.returncode == 0, err
        assert out.strip() == f"database at revision {head()}"
    current = _db("current", database_url)
    out, err = current.communicate(timeout=60)
    assert current.returncode == 0, err
    assert f"database at revision {head()}" in out
    assert _differences(open_store(database_url, create=False)) == []


def test_b2b_db_upgrade_stamps_a_pre_migration_database(database_url: str) -> None:
    _legacy(database_url, 3)
    out, err = _db("upgrade", database_url).communicate(timeout=60)
    assert out.strip() == f"database at revision {head()}", err  # stamped: not made again


def test_b2b_db_upgrade_names_a_database_it_cannot_migrate(database_url: str) -> None:
    _legacy(database_url, 1)
    node = _db("upgrade", database_url)
    _, err = node.communicate(timeout=60)
    assert node.returncode == 2
    assert "database schema version 1 is older" in err
