"""Alembic's environment: run the revisions on the connection b2b hands over.

b2b.store.migrations.config() puts the connection, already in a transaction (under the
SQLite write lock or the PostgreSQL advisory lock), in `config.attributes`. Without one
(writing a new revision) it connects to `sqlalchemy.url`.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

from b2b.store.schema import metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite's ALTER is limited
    )
    with context.begin_transaction():
        context.run_migrations()


def _main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("b2b migrations run on a connection, not as SQL scripts")
    given: Connection | None = context.config.attributes.get("connection")
    if given is not None:
        _run(given)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url", ""))
    try:
        with engine.begin() as connection:
            _run(connection)
    finally:
        engine.dispose()


_main()
