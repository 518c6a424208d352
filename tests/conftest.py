"""Shared fixtures: real services (PostgreSQL, sshd) and store engines on both backends.

B2B_TEST_DATABASE=postgresql (`python3 dev.py test` sets it for its second run) puts every
gateway and store the tests open in a fresh database of the throwaway PostgreSQL cluster
instead of a SQLite file (`new_database`); `database_url` then gives only PostgreSQL, since
the first run covered both. Tests about SQLite itself stay on SQLite and say so.
"""

from __future__ import annotations

import itertools
import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine

from b2b.store import open_engine
from tests.fixtures.as2peer import as2peer
from tests.fixtures.coupa import coupa
from tests.fixtures.postgres import Postgres, create_database, postgres
from tests.fixtures.sshd import sshd

__all__ = ["as2peer", "coupa", "postgres", "sshd"]

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus"
_names = itertools.count()
BACKENDS = ("sqlite", "postgresql")
BACKEND = os.environ.get("B2B_TEST_DATABASE", "sqlite")
if BACKEND not in BACKENDS:
    raise pytest.UsageError(f"B2B_TEST_DATABASE={BACKEND!r}: allowed {', '.join(BACKENDS)}")

NewDatabase = Callable[..., str]


@pytest.fixture
def corpus() -> Path:
    """The third-party corpus beside the repository; skipped, saying so, when absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return CORPUS


@pytest.fixture(params=BACKENDS if BACKEND == "sqlite" else ("postgresql",))
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    return _fresh(request, tmp_path, request.param, "b2b")


@pytest.fixture
def new_database(request: pytest.FixtureRequest, tmp_path: Path) -> NewDatabase:
    """Database URLs on the backend B2B_TEST_DATABASE selects (SQLite unless set): one fresh,
    empty database per name in a test, the same URL when the name is asked for again.

    >>> url = new_database("partner")
    """
    if BACKEND == "postgresql":
        request.getfixturevalue("postgres")  # started now, not in the middle of a test
    made: dict[str, str] = {}

    def make(name: str = "b2b") -> str:
        if name not in made:
            made[name] = _fresh(request, tmp_path, BACKEND, name)
        return made[name]

    return make


def sqlite_only(tmp_path: Path, name: str = "b2b") -> str:
    """A SQLite URL for a test about SQLite itself, whatever B2B_TEST_DATABASE says."""
    return f"sqlite:///{tmp_path / name}.sqlite3"


def _fresh(request: pytest.FixtureRequest, tmp_path: Path, backend: str, name: str) -> str:
    if backend == "sqlite":
        return sqlite_only(tmp_path, name)
    pg: Postgres = request.getfixturevalue("postgres")
    return create_database(pg, f"t{next(_names)}_{name}".lower())


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An opened store (schema created) on each backend."""
    eng = open_engine(database_url)
    yield eng
    eng.dispose()
