"""Large bodies in files, not in database rows: a small content-addressed blob store.

SQLite and the database drivers copy a BLOB on every insert and select (a 100 MB body costs
about 200 MB more each way), so a body above `INLINE_LIMIT` lives in a file named by its
SHA-256 and the row keeps the key in a `*_blob` column; smaller bodies stay inline in the row
as before. A file is renamed into place only once its bytes and its folder entry are on disk,
and `put` returns only then: the row that names it is committed afterwards, so nothing
accepted can point at a file that is not there.

Known limit: the folder is local to one gateway node. Several nodes on one PostgreSQL
database must share it (one network file system mounted at `<data_dir>/blobs` on every node),
or a worker on another node cannot read what this one stored. Files are never deleted yet:
no retention job removes blobs whose rows are gone.

    >>> blobs = BlobStore(settings.resolve(settings.data_dir) / "blobs")
    >>> inline, key = blobs.offload(payload)     # (payload, None) when small, (None, key) when not
    >>> assert blobs.load(inline, key) == payload
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path

from b2b.errors import StoreUnavailable

INLINE_LIMIT = 256 * 1024
"""Bodies up to this many bytes stay inline in their row."""

_KEY = re.compile(r"[0-9a-f]{64}")

Data = bytes | bytearray | memoryview


class BlobStore:
    """Files under `root`, one per distinct content, named by the SHA-256 of the bytes."""

    def __init__(self, root: Path, *, inline_limit: int = INLINE_LIMIT) -> None:
        self.root = root
        self.inline_limit = inline_limit

    def put(self, data: Data) -> str:
        """Store `data` durably (file and folder entry fsynced) and return its key."""
        key = hashlib.sha256(data).hexdigest()
        path = self.path(key)
        if path.exists():  # only ever renamed into place complete: same key, same bytes
            return key
        _make_folder(path.parent)
        fd, temp = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temp, path)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise
        _fsync_folder(path.parent)
        return key

    def get(self, key: str) -> bytes:
        """The bytes stored under `key`; StoreUnavailable when the file is not there."""
        try:
            return self.path(key).read_bytes()
        except FileNotFoundError as exc:
            raise StoreUnavailable(f"blob {key} is missing from {self.root}") from exc

    def path(self, key: str) -> Path:
        """Where the blob `key` lives (the key is checked, so a row cannot name another file)."""
        if not _KEY.fullmatch(key):
            raise ValueError(f"not a blob key: {key!r}")
        return self.root / key[:2] / key

    def offload(self, data: Data | None) -> tuple[Data | None, str | None]:
        """(data, None) for a small or absent body; (None, key) once a large one is stored."""
        if data is None or len(data) <= self.inline_limit:
            return data, None
        return None, self.put(data)

    def load(self, inline: bytes | None, key: str | None) -> bytes | None:
        """A body as a row holds it: inline, in the blob `key`, or absent."""
        if key is not None:
            return self.get(key)
        return None if inline is None else bytes(inline)


def _make_folder(folder: Path) -> None:
    """Create `folder` and its missing parents, each new entry fsynced into its parent."""
    if folder.is_dir():
        return
    _make_folder(folder.parent)
    try:
        folder.mkdir()
    except FileExistsError:
        return
    _fsync_folder(folder.parent)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
