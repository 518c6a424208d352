"""Deliver into a local folder (a mounted share, or the example partner's outbox).

    >>> sender = DirectorySender(profile.transport, base=Path("/var/lib/b2b"))
    >>> sender.send(item).location
    '/var/lib/b2b/outbox/850_000000007.x12'

The file is written under a temporary name in the same folder, flushed to disk, renamed to its
final name and the folder entry flushed too, so a partner polling the folder never sees a
half-written interchange. A delivered file is never overwritten: a resend of the same bytes is
a success, different bytes under the same name are refused.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Iterator
from pathlib import Path

from b2b.errors import ConfigurationError, PermanentTransportError, TransportError
from b2b.failpoints import failpoint
from b2b.partners import DirectoryTransport
from b2b.transport.base import OutboundFile, Receipt, delivery_detail, now, temporary_name

# A retry cannot fix these: the folder is missing, read-only or not ours.
PERMANENT_ERRNOS = frozenset(
    {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.EROFS}
)


class DirectorySender:
    """The `Transport` for `kind = "directory"`; relative `path`s resolve against `base`.

    The folder must exist unless the profile says `create = true`: a missing share is reported
    rather than silently filled.
    """

    name = "directory"

    def __init__(self, settings: DirectoryTransport, *, base: Path) -> None:
        if not settings.temporary_suffix:
            raise ConfigurationError("transport.temporary_suffix: must not be empty")
        self.settings = settings
        self.folder = base / settings.path  # an absolute settings.path wins over base
        if settings.create:
            with _translate_errors(self.folder):
                self.folder.mkdir(parents=True, exist_ok=True)

    def send(self, item: OutboundFile) -> Receipt:
        """Write `item.data` to `folder/item.filename` atomically; see the module docstring."""
        final = self.folder / item.filename
        temporary = self.folder / temporary_name(item.filename, self.settings.temporary_suffix)
        with _translate_errors(final):
            if _already_delivered(final, item.data):
                return self._receipt(final, item, "already delivered with identical bytes")
            failpoint("directory.before-write")
            _publish(temporary, final, item.data)
            _fsync_folder(self.folder)
        return self._receipt(final, item, "")

    def close(self) -> None:
        """Nothing to release; present to honour the Transport protocol."""

    def __enter__(self) -> DirectorySender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _receipt(self, final: Path, item: OutboundFile, note: str) -> Receipt:
        return Receipt(self.name, str(final), now(), delivery_detail(item, note))


def _already_delivered(final: Path, data: bytes) -> bool:
    """True if `final` holds exactly `data`; PermanentTransportError if it holds anything else."""
    try:
        existing = final.read_bytes()
    except FileNotFoundError:
        return False
    if existing != data:
        raise PermanentTransportError(
            f"{final} already exists with different content ({len(existing)} bytes, "
            f"this interchange has {len(data)}); a delivered file is never overwritten"
        )
    return True


def _publish(temporary: Path, final: Path, data: bytes) -> None:
    """Write `temporary`, flush it to disk and rename it to `final`; no debris on failure."""
    try:
        _write_synced(temporary, data)
        os.replace(temporary, final)
    except BaseException:
        with contextlib.suppress(OSError):
            temporary.unlink(missing_ok=True)
        raise


def _write_synced(path: Path, data: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        with os.fdopen(fd, "wb", closefd=False) as out:
            out.write(data)
            out.flush()
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_folder(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def _translate_errors(final: Path) -> Iterator[None]:
    """Turn OSError into TransportError (retryable) or PermanentTransportError."""
    try:
        yield
    except OSError as exc:
        message = f"cannot deliver {final}: {exc.strerror or exc}"
        if exc.errno in PERMANENT_ERRNOS:
            raise PermanentTransportError(message) from exc
        raise TransportError(message) from exc
