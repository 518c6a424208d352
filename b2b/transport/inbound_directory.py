"""Poll a local folder (a mounted share, the example partner): `[inbound] kind = "directory"`.

    >>> poller = DirectoryPoller(profile.inbound, base=Path("/var/lib/b2b"))
    >>> poller.poll(record).taken
    ('/var/lib/b2b/inbox/acme/850_000000007.x12',)

The rules (stable between polls, record before removing) are `FolderPoller`'s. `path` is
relative to the data folder unless absolute; `archive_dir` relative to `path` unless absolute.
With `create = true` both folders are made when missing; otherwise a missing folder is reported
(an unmounted share), never created.

A file is archived with a hard link under the first free name of `archive_names` (a link never
replaces an existing name) and then unlinked; on a file system without hard links, with a
rename after checking the name is free.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path

from b2b.errors import PermanentTransportError, TransportError
from b2b.partners import DirectoryInbound
from b2b.transport.directory import PERMANENT_ERRNOS
from b2b.transport.inbound_core import FolderPoller, Listing, archive_names

# A retry cannot fix these either: the archive is on another file system.
_PERMANENT = PERMANENT_ERRNOS | {errno.EXDEV}
# What link() answers where the file system has no hard links (FAT, some network shares).
_NO_HARD_LINKS = frozenset({errno.EPERM, errno.ENOTSUP, errno.EOPNOTSUPP, errno.EMLINK})


class DirectoryFolder:
    """The `Folder` on the local file system."""

    def __init__(self, settings: DirectoryInbound, *, base: Path) -> None:
        self.settings = settings
        self.folder = base / settings.path  # an absolute settings.path wins over base
        archive_dir = settings.archive_dir
        self.archive = self.folder / archive_dir if archive_dir is not None else None
        if settings.create:
            for folder in (self.folder, self.archive):
                if folder is not None:
                    with _translate_errors("cannot create", folder):
                        folder.mkdir(parents=True, exist_ok=True)

    def listing(self) -> list[Listing]:
        """The regular files in the folder, after checking that both folders exist."""
        _require_folder("inbound.path", self.folder)
        if self.archive is not None:
            _require_folder("inbound.archive_dir", self.archive)
        with _translate_errors("cannot list", self.folder), os.scandir(self.folder) as found:
            return list(_regular_files(found))

    def fetch(self, entry: Listing) -> bytes | None:
        """The file's bytes, or None if its size or mtime changed since it was listed."""
        with _translate_errors("cannot read", entry.path), open(entry.path, "rb") as file:
            data = file.read()
            after = os.fstat(file.fileno())
        return data if (after.st_size, after.st_mtime) == entry.stamp else None

    def remove(self, entry: Listing) -> None:
        """Delete the file, or move it into the archive under a free name."""
        source = Path(entry.path)
        if self.archive is None:
            with _translate_errors("cannot delete", source):
                source.unlink()
            return
        with _translate_errors("cannot archive", source):
            _archive(source, self.archive)

    def close(self) -> None:
        """Nothing to release; present to honour the `Folder` protocol."""


class DirectoryPoller(FolderPoller):
    """The `Poller` for `[inbound] kind = "directory"`; relative paths resolve against `base`."""

    def __init__(self, settings: DirectoryInbound, *, base: Path) -> None:
        self.settings = settings
        super().__init__(DirectoryFolder(settings, base=base), pattern=settings.pattern)


def _require_folder(field: str, folder: Path) -> None:
    if not folder.is_dir():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise PermanentTransportError(f"{field}: {folder} {problem}")


def _regular_files(entries: Iterator[os.DirEntry[str]]) -> Iterator[Listing]:
    for entry in entries:
        try:
            status = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue  # renamed or removed since the folder was read (a partner's ".part")
        if stat.S_ISREG(status.st_mode):
            yield Listing(entry.name, entry.path, status.st_size, status.st_mtime)


def _archive(source: Path, archive: Path) -> Path:
    """Move `source` into `archive` under the first free name; never replace a file."""
    for name in archive_names(source.name):
        target = archive / name
        try:
            os.link(source, target)
        except FileExistsError:
            continue
        except OSError as exc:
            if exc.errno not in _NO_HARD_LINKS:
                raise
            if target.exists():
                continue
            source.rename(target)
            return target
        source.unlink()
        return target
    raise PermanentTransportError(f"no free name for {source.name} in {archive}")


@contextlib.contextmanager
def _translate_errors(action: str, path: Path | str) -> Iterator[None]:
    """Turn OSError into TransportError (retryable) or PermanentTransportError."""
    try:
        yield
    except OSError as exc:
        message = f"{action} {path}: {exc.strerror or exc}"
        if exc.errno in _PERMANENT:
            raise PermanentTransportError(message) from exc
        raise TransportError(message) from exc
