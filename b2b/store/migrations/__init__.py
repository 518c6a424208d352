"""Schema changes as Alembic revisions (versions/), applied at start and by `b2b db upgrade`.

>>> with transaction(engine) as conn:
...     revision = upgrade(conn)

Alembic is configured here, in code: no alembic.ini. The first revision is the schema that
gateways before migrations made and marked with `schema_version` 3; such a database is
stamped at it (and its `schema_version` table dropped), an older one is refused.

A schema change: edit b2b/store/schema.py, then write the revision from the difference
between it and a database at head, and review it (the SQLite and PostgreSQL variants both):

    python -m b2b.store.migrations "what changed" sqlite:///var/b2b.sqlite3
"""

from __future__ import annotations

import functools
import threading
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, inspect, text

from b2b.errors import ConfigurationError

HERE = Path(__file__).resolve().parent
FIRST = "0001"  # the schema of gateways before migrations: their schema_version 3
LEGACY_SCHEMA_VERSION = 3
# pg_advisory_xact_lock key ("b2bm"): nodes starting together migrate one after the other.
_ADVISORY_LOCK = 0x6232626D
# Alembic's `op` and `context` are process globals: one migration at a time per process.
_ONE_AT_A_TIME = threading.Lock()


def config(*, connection: Connection | None = None, url: str | None = None) -> Config:
    """Alembic's configuration for this package, for a connection (or a URL: authoring)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("file_template", "v%%(rev)s_%%(slug)s")
    if url is not None:
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(conn: Connection) -> str:
    """Bring the database to the newest revision, inside `conn`'s transaction; returns it.

    On PostgreSQL it first takes an advisory lock held to the end of the transaction, so a
    second node starting at the same moment waits and then finds nothing left to do.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _ADVISORY_LOCK})
    if current(conn) == head():  # the usual start: nothing to do, and nothing to log
        return head()
    with _ONE_AT_A_TIME:
        _adopt_legacy(conn)
        _refuse_unknown(conn)
        command.upgrade(config(connection=conn), "head")
    return current(conn) or ""


def current(conn: Connection) -> str | None:
    """The database's revision; None for a database without migrations applied."""
    if not inspect(conn).has_table("alembic_version"):
        return None
    found = conn.execute(text("SELECT version_num FROM alembic_version")).scalar()
    return None if found is None else str(found)


def head() -> str:
    """The newest revision this gateway knows."""
    found = _scripts().get_current_head()
    assert found is not None
    return found


@functools.cache
def _scripts() -> ScriptDirectory:
    return ScriptDirectory.from_config(config())


def _adopt_legacy(conn: Connection) -> None:
    """Stamp a database made before migrations at FIRST, if it is at that schema."""
    inspector = inspect(conn)
    if inspector.has_table("alembic_version") or not inspector.has_table("schema_version"):
        return
    found = conn.execute(text("SELECT version FROM schema_version")).scalar()
    if isinstance(found, int) and found > LEGACY_SCHEMA_VERSION:
        raise ConfigurationError(f"database schema version {found} was made by a newer gateway")
    if found != LEGACY_SCHEMA_VERSION:
        raise ConfigurationError(
            f"database schema version {found} is older than the {LEGACY_SCHEMA_VERSION} this"
            " gateway can migrate from: delete the development database (and its data folder)"
            " to start afresh, or migrate it by hand to version 3 first (the history of"
            " b2b/store/schema.py lists the changes)"
        )
    command.stamp(config(connection=conn), FIRST)
    conn.execute(text("DROP TABLE schema_version"))


def _refuse_unknown(conn: Connection) -> None:
    found = current(conn)
    known = {script.revision for script in _scripts().walk_revisions()}
    if found is not None and found not in known:
        raise ConfigurationError(
            f"database schema revision {found} was made by a newer gateway;"
            f" this one knows revisions up to {head()}"
        )
