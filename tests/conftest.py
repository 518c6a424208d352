"""Shared fixtures: real services (PostgreSQL, sshd) and store engines on both backends."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
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


@pytest.fixture
def corpus() -> Path:
    """The third-party corpus beside the repository; skipped, saying so, when absent."""
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    return CORPUS


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'b2b.sqlite3'}"
    pg: Postgres = request.getfixturevalue("postgres")
    return create_database(pg, f"t{next(_names)}")


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An opened store (schema created) on each backend."""
    eng = open_engine(database_url)
    yield eng
    eng.dispose()
