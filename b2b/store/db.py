"""Opening the database, migrating its schema, and translating driver errors in one place.

>>> engine = open_engine("sqlite:///var/b2b.sqlite3")
"""

from __future__ import annotations

import datetime as dt
import fcntl
import os
import threading
import weakref
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, OperationalError

from b2b.errors import ConfigurationError, StoreUnavailable
from b2b.store import migrations


def open_engine(url: str, *, create: bool = True) -> Engine:
    """An engine for `url` (sqlite:///path or postgresql+psycopg://...), schema at head.

    The Alembic revisions (b2b/store/migrations) are applied in one transaction: on SQLite
    under the write lock, on PostgreSQL under an advisory lock. `create=False` leaves the
    database as it is.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = _sqlite_engine(url, parsed.database)
    elif parsed.get_backend_name() == "postgresql":
        engine = create_engine(url, pool_pre_ping=True, pool_size=8, max_overflow=8)
    else:
        raise ConfigurationError(
            f"database_url: unsupported backend {parsed.get_backend_name()!r}"
            " (allowed: sqlite, postgresql)"
        )
    if create:
        try:
            with transaction(engine) as conn:
                migrations.upgrade(conn)
        except BaseException:
            engine.dispose()
            raise
    return engine


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
        cursor = dbapi_connection.cursor()
        for pragma in (
            "journal_mode=WAL",
            "synchronous=FULL",
            "foreign_keys=ON",
            "busy_timeout=30000",
        ):
            cursor.execute(f"PRAGMA {pragma}")
        cursor.close()

    if database and database != ":memory:":
        _WRITE_LOCKS[engine] = _FileLock(Path(f"{database}.lock"))

    @event.listens_for(engine, "begin")
    def _begin(conn: Connection) -> None:
        # One writer at a time: take the write lock up front instead of failing on upgrade.
        conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


class _FileLock:
    """An exclusive lock shared by every process and thread writing one SQLite file.

    SQLite's own busy handler polls with sleeps of up to 100 ms, which is what a waiting
    writer's latency becomes under load; a blocking `flock` wakes the next writer at once.
    Each thread opens its own descriptor, since flock excludes per open file description.
    """

    def __init__(self, path: Path) -> None:
        self._path = path
        self._local = threading.local()

    def __enter__(self) -> None:
        fd = getattr(self._local, "fd", None)
        if fd is None:
            fd = self._local.fd = os.open(self._path, os.O_RDWR | os.O_CREAT, 0o600)
        fcntl.flock(fd, fcntl.LOCK_EX)

    def __exit__(self, *exc: object) -> None:
        fcntl.flock(self._local.fd, fcntl.LOCK_UN)


_WRITE_LOCKS: weakref.WeakKeyDictionary[Engine, _FileLock] = weakref.WeakKeyDictionary()
_NO_LOCK = nullcontext()


@contextmanager
def transaction(engine: Engine) -> Iterator[Connection]:
    """One transaction; a database that is down or refuses becomes StoreUnavailable."""
    try:
        with _WRITE_LOCKS.get(engine, _NO_LOCK), engine.begin() as conn:
            yield conn
    except (OperationalError, DBAPIError) as exc:
        if isinstance(exc, DBAPIError) and not _is_unavailable(exc):
            raise
        raise StoreUnavailable(f"database unavailable: {exc.orig or exc}") from exc


def _is_unavailable(exc: DBAPIError) -> bool:
    # Connection loss, lock time-outs and disk errors; integrity errors are programming errors.
    return isinstance(exc, OperationalError) or exc.connection_invalidated


def utcnow() -> dt.datetime:
    """The current time, UTC, aware."""
    return dt.datetime.now(dt.UTC)


def as_utc(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite returns naive datetimes; every time stored here is UTC."""
    if value is None or value.tzinfo is not None:
        return value
    return value.replace(tzinfo=dt.UTC)


def utc(value: dt.datetime) -> dt.datetime:
    """`as_utc` for a value that cannot be None."""
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
