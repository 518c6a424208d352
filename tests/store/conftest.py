"""Store fixtures: a blob store in the test's own folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from b2b.store.blobs import BlobStore


@pytest.fixture
def blobs(tmp_path: Path) -> BlobStore:
    """A BlobStore under the test's temporary folder (small bodies never reach it)."""
    return BlobStore(tmp_path / "blobs")
