"""Notice changed profiles without a restart: a cheap fingerprint of the files, every few seconds.

The fingerprint is the name, size and modification time of every file watched: the profiles in
partners/ and buyers/, everything under certs/ (keys, certificates, secret files), and any file
a profile names outside certs/ by an absolute path. Nothing is read or parsed until it changes.

    >>> watch = FolderWatch(2.0, lambda: watched_files(settings, registry), on_change=reload)
    >>> watch.start()
    >>> watch.stop()
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from b2b.config import Settings
from b2b.partners.registry import PartnerRegistry

log = logging.getLogger(__name__)

Fingerprint = tuple[tuple[str, int, int], ...]
#: profile fields that name a file (by the end of their name)
_FILE_FIELDS = ("_file", "certificate", "certificates", "private_key")


def fingerprint(paths: Iterable[Path]) -> Fingerprint:
    """(path, size, mtime in ns) of every path that exists, sorted; a missing one is left out,
    so that its appearing changes the fingerprint."""
    found = []
    for path in paths:
        try:
            stat = path.stat()
        except OSError:
            continue
        found.append((str(path), stat.st_size, stat.st_mtime_ns))
    return tuple(sorted(found))


def watched_files(settings: Settings, registry: PartnerRegistry) -> list[Path]:
    """Every file whose change means the profiles must be loaded again."""
    certs = settings.resolve(settings.certs_dir)
    files = [
        *_files(settings.resolve(settings.partners_dir), "*.toml"),
        *_files(settings.resolve(settings.buyers_dir), "*.toml"),
        *_files(certs, "**/*"),
    ]
    for profile in registry:
        files += [certs / name for name in named_files(profile.model_dump())]
    return files


def named_files(data: Any) -> Iterator[str]:
    """The file names in a profile's fields that name files (certificates, keys, secrets)."""
    if not isinstance(data, dict):
        return
    for key, value in data.items():
        if isinstance(value, dict):
            yield from named_files(value)
        elif key.endswith(_FILE_FIELDS) and isinstance(value, str):
            yield value
        elif key.endswith(_FILE_FIELDS) and isinstance(value, list | tuple):
            yield from (v for v in value if isinstance(v, str))


def _files(folder: Path, pattern: str) -> list[Path]:
    try:
        return [p for p in folder.glob(pattern) if p.is_file()]
    except OSError:
        return []


class FolderWatch:
    """Calls `on_change` from a daemon thread whenever the fingerprint of `files()` changes.

    The first fingerprint is taken at `start`; `on_change` runs in the watch thread, and an
    exception it raises is logged, never fatal.
    """

    def __init__(
        self,
        interval: float,
        files: Callable[[], Iterable[Path]],
        on_change: Callable[[], object],
        *,
        name: str = "b2b-profile-watch",
    ) -> None:
        self.interval = interval
        self._files = files
        self._on_change = on_change
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)
        self._last: Fingerprint = ()

    def start(self) -> FolderWatch:
        """Take the first fingerprint and start watching."""
        self._last = fingerprint(self._files())
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop watching; returns once the thread has ended."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def check(self) -> bool:
        """Compare the fingerprint now; on a change, call `on_change`. True if it changed."""
        now = fingerprint(self._files())
        if now == self._last:
            return False
        self._last = now
        try:
            self._on_change()
        except Exception:
            log.exception("reloading the profiles failed")
        return True

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.check()
