"""The inbound poll, written once for every kind of folder: stable files are fetched, recorded,
then removed.

    >>> poller = FolderPoller(folder, pattern="*.x12")
    >>> poller.poll(record).taken
    ('/home/acme/outbound/850_000000007.x12',)

A file is taken only when its size and modification time are the same as at the previous poll
of this poller object (first sight: remembered, reported as waiting). Names not matching
`pattern` (fnmatch, case-sensitive), ending in ".part" or ".tmp" or starting with a dot, and
anything but regular files are ignored. A name that is not one plain file name (a path
separator, a control character, over 255 bytes: `name_problem`) is never used as a path: the
file is left alone and the report says why.

Taking a file: fetch its bytes (if they are not the size listed, or its size or modification
time changed meanwhile, it waits again), hash them, call `record`. Once `record` has returned,
True (stored now) or False (stored earlier), remove the file: delete it or move it into the
archive. Recording comes first, so after a crash between the two steps the file is found again,
`record` answers False, and it is removed then: it is never processed twice. If `record` raises,
the file stays where it is and the poll goes on with the other files.

A failure to fetch or remove one file is noted in the report. After a permanent one (the file
vanished, permission denied) the poll goes on; after a retryable one (the connection broke) it
stops, and the files not yet tried wait for the next poll.
"""

from __future__ import annotations

import fnmatch
import hashlib
import posixpath
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Protocol

from b2b.errors import TransportError

IGNORED_SUFFIXES = (".part", ".tmp")  # names a partner writes under before renaming
ARCHIVE_SUFFIX_LIMIT = 1000  # archive names tried per file: name, stem.1.ext ... stem.999.ext
NAME_MAX = 255  # bytes of one file name (POSIX NAME_MAX, and the SFTP servers we know)


@dataclass(frozen=True, slots=True)
class InboundFile:
    """One file taken from a partner's folder, with its exact bytes.

    >>> InboundFile("850_7.x12", "/outbound/850_7.x12", 3, hashlib.sha256(b"ISA").hexdigest(),
    ...             b"ISA").size
    3
    """

    name: str  # the file name
    path: str  # the full remote (or local) path, as listed
    size: int
    sha256: str  # hex
    data: bytes = field(repr=False)


#: Store a taken file durably. True: stored now; False: already stored earlier (same path, size
#: and hash: a crash came between recording and removing). Raising means "not stored": the file
#: stays where it is.
Record = Callable[[InboundFile], bool]


@dataclass(frozen=True, slots=True)
class PollReport:
    """What one poll did, as paths. A path can be both in `taken` or `already_recorded` and in
    `errors` (recorded, then not removed: the next poll removes it).

    >>> PollReport(taken=("/outbound/850_7.x12",)).taken
    ('/outbound/850_7.x12',)
    """

    taken: tuple[str, ...] = ()  # record() returned True
    already_recorded: tuple[str, ...] = ()  # record() returned False
    waiting: tuple[str, ...] = ()  # new, still changing, or left when the poll stopped
    errors: tuple[str, ...] = ()  # "path: what failed", or why the poll stopped


class Poller(Protocol):
    """Fetch the files a partner leaves in a folder, one poll at a time.

    `poll` raises TransportError when the folder cannot be listed (PermanentTransportError,
    or its subclass HostKeyMismatch, when a retry will not help); failures with single files
    are in its report. `close` releases connections and may be called more than once.

    >>> with closing(open_poller(profile.inbound, certs_dir=c, data_dir=d)) as poller:
    ...     report = poller.poll(record)
    """

    def poll(self, record: Record) -> PollReport:
        """Take every stable file: fetch, `record`, then delete or archive it."""
        ...

    def close(self) -> None:
        """Release any connection held; the poller may not be used afterwards."""
        ...


@dataclass(frozen=True, slots=True)
class Listing:
    """One regular file as its folder listed it."""

    name: str
    path: str
    size: int
    mtime: float

    @property
    def stamp(self) -> tuple[int, float]:
        """What must not change between two polls for the file to be taken."""
        return self.size, self.mtime


class Folder(Protocol):
    """Where a poller finds files: a local folder, or one on an SFTP server."""

    def listing(self) -> list[Listing]:
        """The regular files in the folder; TransportError if it cannot be listed."""
        ...

    def fetch(self, entry: Listing) -> bytes | None:
        """The file's bytes, or None if its size or mtime changed since it was listed."""
        ...

    def remove(self, entry: Listing) -> None:
        """Delete the file, or move it into the archive under a free name."""
        ...

    def close(self) -> None:
        """Release any connection held."""
        ...


@dataclass
class _Tally:
    taken: list[str] = field(default_factory=list)
    already_recorded: list[str] = field(default_factory=list)
    waiting: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def report(self) -> PollReport:
        return PollReport(
            tuple(self.taken), tuple(self.already_recorded), tuple(self.waiting), tuple(self.errors)
        )


class FolderPoller:
    """The `Poller` over any `Folder`; see the module docstring for the rules."""

    def __init__(self, folder: Folder, *, pattern: str) -> None:
        self.folder = folder
        self.pattern = pattern
        self._seen: dict[str, tuple[int, float]] = {}  # path -> stamp at the previous poll

    def poll(self, record: Record) -> PollReport:
        """Take every file that is stable since the previous poll; see `Poller.poll`."""
        listed = self.folder.listing()
        unsafe = [(entry, name_problem(entry.name)) for entry in listed]
        entries = sorted(
            (entry for entry, problem in unsafe if not problem and self.wanted(entry.name)),
            key=lambda entry: entry.name,
        )
        stable = self._stable(entries)
        stable_paths = {entry.path for entry in stable}
        tally = _Tally(waiting=[entry.path for entry in entries if entry.path not in stable_paths])
        tally.errors += [f"{e.name!r}: left alone: {problem}" for e, problem in unsafe if problem]
        for position, entry in enumerate(stable):
            if not self._take(entry, record, tally):
                left = stable[position + 1 :]
                tally.waiting += [entry.path for entry in left]
                tally.errors.append(f"poll stopped; {len(left)} stable files wait for the next")
                break
        return tally.report()

    def close(self) -> None:
        """Release the folder's connection, if any; safe to call more than once."""
        self.folder.close()

    def __enter__(self) -> FolderPoller:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def wanted(self, name: str) -> bool:
        """True if `name` matches the pattern and is not a temporary or hidden file."""
        if name.startswith(".") or name.endswith(IGNORED_SUFFIXES):
            return False
        return fnmatch.fnmatchcase(name, self.pattern)

    def _stable(self, entries: list[Listing]) -> list[Listing]:
        previous, self._seen = self._seen, {entry.path: entry.stamp for entry in entries}
        return [entry for entry in entries if previous.get(entry.path) == entry.stamp]

    def _take(self, entry: Listing, record: Record, tally: _Tally) -> bool:
        """Fetch, record and remove one file; False if the poll must stop."""
        try:
            data = self.folder.fetch(entry)
        except TransportError as exc:
            tally.errors.append(f"{entry.path}: not fetched: {exc}")
            return not exc.retryable
        if data is None or len(data) != entry.size:
            self._seen.pop(entry.path, None)  # it changed: stable again from the next poll on
            tally.waiting.append(entry.path)
            return True
        if self._record(_inbound_file(entry, data), record, tally):
            return self._remove(entry, tally)
        return True

    @staticmethod
    def _record(item: InboundFile, record: Record, tally: _Tally) -> bool:
        """Call `record`; False (and an error noted) if it raised."""
        try:
            stored = record(item)
        except Exception as exc:
            tally.errors.append(f"{item.path}: not recorded, left in place: {_describe(exc)}")
            return False
        (tally.taken if stored else tally.already_recorded).append(item.path)
        return True

    def _remove(self, entry: Listing, tally: _Tally) -> bool:
        try:
            self.folder.remove(entry)
        except TransportError as exc:
            tally.errors.append(f"{entry.path}: recorded, not removed: {exc}")
            return not exc.retryable
        self._seen.pop(entry.path, None)  # a new file under this name must be stable anew
        return True


def name_problem(name: str) -> str | None:
    """Why a listed name is not one plain file name (then it is never fetched, removed or
    archived: a hostile server could list "../../x" or "/etc/x"); None when it is one.

    >>> name_problem("850_7.x12"), name_problem("../x")
    (None, 'it contains a path separator')
    """
    if name in {"", ".", ".."}:
        return "it is not a file name"
    if "/" in name or "\\" in name:
        return "it contains a path separator"
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in name):
        return "it contains a control character"
    if len(name.encode("utf-8", "surrogateescape")) > NAME_MAX:
        return f"it is longer than {NAME_MAX} bytes"
    return None


def _inbound_file(entry: Listing, data: bytes) -> InboundFile:
    return InboundFile(entry.name, entry.path, entry.size, hashlib.sha256(data).hexdigest(), data)


def _describe(exc: Exception) -> str:
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def archive_names(name: str) -> Iterator[str]:
    """The names to try, in order, for `name` in the archive: never overwrite, add a suffix.

    >>> list(archive_names("850_7.x12"))[:3]
    ['850_7.x12', '850_7.1.x12', '850_7.2.x12']
    """
    stem, extension = posixpath.splitext(name)
    yield name
    for number in range(1, ARCHIVE_SUFFIX_LIMIT):
        yield f"{stem}.{number}{extension}"
