"""Inbound polling, the same rules for both kinds: a local folder, and a folder on the real
OpenSSH sshd (tests/fixtures/sshd.py). Each test writes into the partner's folder directly, as
the partner would, and polls it as the worker does.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from b2b.errors import PermanentTransportError
from b2b.partners import DirectoryInbound
from b2b.transport import InboundFile, Poller, open_poller
from tests.fixtures.sshd import SshServer
from tests.transport.conftest import Store, inbound_sftp_settings

FIRST, SECOND, THIRD = "850_000000001.x12", "850_000000002.x12", "850_000000003.x12"


@dataclass
class Partner:
    """The folder a partner leaves files in, and pollers of one kind watching it."""

    kind: str
    folder: Path
    open: Callable[[Path, dict[str, object]], Poller]
    opened: list[Poller] = field(default_factory=list)

    def poller(self, folder: Path | None = None, **overrides: object) -> Poller:
        """A new poller on `folder` (default: the partner's), profile values overridden."""
        poller = self.open(folder or self.folder, overrides)
        self.opened.append(poller)
        return poller

    def write(self, name: str, data: bytes) -> str:
        """Write a file as the partner does; its path as a poller reports it."""
        (self.folder / name).write_bytes(data)
        return self.path(name)

    def append(self, name: str, data: bytes) -> None:
        with (self.folder / name).open("ab") as file:
            file.write(data)

    def path(self, name: str) -> str:
        return str(self.folder / name)

    def names(self, folder: Path | None = None) -> list[str]:
        return sorted(p.name for p in (folder or self.folder).iterdir())


@pytest.fixture(params=["directory", pytest.param("sftp", marks=pytest.mark.sshd)])
def partner(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Partner]:
    root = tmp_path.resolve()  # the SFTP server reports resolved paths
    folder = root / "outbound"
    folder.mkdir()

    def open_(where: Path, overrides: dict[str, object]) -> Poller:
        if request.param == "sftp":
            sshd: SshServer = request.getfixturevalue("sshd")
            settings = inbound_sftp_settings(sshd, where, **overrides)
            return open_poller(settings, certs_dir=root, data_dir=root)
        values = {"kind": "directory", "path": str(where.relative_to(root))} | overrides
        directory = DirectoryInbound.model_validate(values)
        return open_poller(directory, certs_dir=root, data_dir=root)

    partner = Partner(request.param, folder, open_)
    yield partner
    for poller in partner.opened:
        poller.close()


def test_a_file_waits_at_first_sight_and_is_taken_at_the_next_poll(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    path = partner.write(FIRST, interchange)
    poller = partner.poller()

    first = poller.poll(store.record)

    assert first.waiting == (path,)
    assert (first.taken, first.errors) == ((), ())
    assert store.calls == []
    assert partner.names() == [FIRST]

    second = poller.poll(store.record)

    assert second.taken == (path,)
    assert (second.waiting, second.already_recorded, second.errors) == ((), (), ())
    assert store.calls == [
        InboundFile(
            FIRST, path, len(interchange), hashlib.sha256(interchange).hexdigest(), interchange
        )
    ]
    assert store.data() == {path: interchange}
    assert partner.names() == []


def test_a_growing_file_is_taken_only_once_its_size_holds_still(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    half = len(interchange) // 2
    path = partner.write(FIRST, interchange[:half])
    poller = partner.poller()

    poller.poll(store.record)
    partner.append(FIRST, interchange[half:])
    grown = poller.poll(store.record)

    assert grown.waiting == (path,)
    assert grown.taken == ()
    assert store.calls == []

    stable = poller.poll(store.record)

    assert stable.taken == (path,)
    assert store.data() == {path: interchange}


def grow(path: Path) -> None:
    with path.open("ab") as file:
        file.write(b"ST*850*0002~")


def rewrite_same_size(path: Path) -> None:
    path.write_bytes(path.read_bytes().replace(b"ACMESUPPLY", b"OTHERVENDR"))
    mtime = path.stat().st_mtime
    os.utime(path, (mtime + 10, mtime + 10))


@pytest.mark.parametrize("change", [grow, rewrite_same_size], ids=lambda f: f.__name__)
def test_a_file_changed_between_listing_and_download_waits_again(
    partner: Partner, store: Store, interchange: bytes, change: Callable[[Path], None]
) -> None:
    first, second = partner.write(FIRST, interchange), partner.write(SECOND, interchange)

    def partner_writes_second(item: InboundFile) -> None:
        if item.path == first:
            change(partner.folder / SECOND)

    store.before = partner_writes_second  # while the first file is being recorded
    poller = partner.poller()
    poller.poll(store.record)

    changed = poller.poll(store.record)

    assert changed.taken == (first,)
    assert changed.waiting == (second,)
    assert [item.path for item in store.calls] == [first]
    assert partner.names() == [SECOND]

    store.before = lambda item: None
    changed_bytes = (partner.folder / SECOND).read_bytes()
    poller.poll(store.record)  # seen anew: it must hold still for one more poll
    assert poller.poll(store.record).taken == (second,)
    assert store.data()[second] == changed_bytes != interchange


def test_a_new_file_under_a_taken_name_must_hold_still_again(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    path = partner.write(FIRST, interchange)
    poller = partner.poller()
    poller.poll(store.record)
    mtime = (partner.folder / FIRST).stat().st_mtime
    assert poller.poll(store.record).taken == (path,)

    # The partner sends another file under the same name, same size, same modification time.
    partner.write(FIRST, interchange.replace(b"4711", b"4712"))
    os.utime(partner.folder / FIRST, (mtime, mtime))

    assert poller.poll(store.record).waiting == (path,)
    assert poller.poll(store.record).taken == (path,)
    assert len(store.stored) == 2


def test_temporary_and_hidden_files_and_folders_are_ignored(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    ignored = [FIRST + ".part", FIRST + ".tmp", ".850_000000009.x12"]
    for name in [SECOND, *ignored]:
        partner.write(name, interchange)
    (partner.folder / "sub.x12").mkdir()
    (partner.folder / "sub.x12" / THIRD).write_bytes(interchange)
    poller = partner.poller()

    reports = [poller.poll(store.record) for _ in range(3)]

    assert reports[0].waiting == (partner.path(SECOND),)
    assert reports[1].taken == (partner.path(SECOND),)
    assert reports[2] == type(reports[2])()
    assert [item.name for item in store.calls] == [SECOND]
    assert partner.names() == sorted([*ignored, "sub.x12"])


def test_only_names_matching_the_pattern_are_taken(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    for name in (FIRST, "notes.txt", "850_000000002.X12"):
        partner.write(name, interchange)
    poller = partner.poller(pattern="*.x12")

    poller.poll(store.record)
    report = poller.poll(store.record)

    assert report.taken == (partner.path(FIRST),)
    assert partner.names() == ["850_000000002.X12", "notes.txt"]


def test_an_empty_file_is_taken_like_any_other(partner: Partner, store: Store) -> None:
    path = partner.write(FIRST, b"")
    poller = partner.poller()

    poller.poll(store.record)
    report = poller.poll(store.record)

    assert report.taken == (path,)
    assert store.calls[0].sha256 == hashlib.sha256(b"").hexdigest()


def test_files_are_moved_into_the_archive_never_over_an_existing_name(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    archive = partner.folder / "archive"
    archive.mkdir()
    (archive / FIRST).write_bytes(b"an older file of the same name")
    (archive / "850_000000001.1.x12").write_bytes(b"and another one")
    partner.write(FIRST, interchange)
    partner.write(SECOND, interchange)
    poller = partner.poller(after="move", archive_dir="archive")

    poller.poll(store.record)
    report = poller.poll(store.record)

    assert report.taken == (partner.path(FIRST), partner.path(SECOND))
    assert report.errors == ()
    assert partner.names() == ["archive"]
    assert partner.names(archive) == [
        "850_000000001.1.x12",
        "850_000000001.2.x12",
        FIRST,
        SECOND,
    ]
    assert (archive / "850_000000001.2.x12").read_bytes() == interchange
    assert (archive / FIRST).read_bytes() == b"an older file of the same name"
    assert (archive / "850_000000001.1.x12").read_bytes() == b"and another one"
    assert (archive / SECOND).read_bytes() == interchange


def test_a_missing_archive_folder_is_reported_before_anything_is_taken(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    partner.write(FIRST, interchange)
    poller = partner.poller(after="move", archive_dir="archive")

    with pytest.raises(PermanentTransportError, match=r"archive_dir.*does not exist"):
        poller.poll(store.record)
    assert store.calls == []
    assert partner.names() == [FIRST]


def test_when_record_raises_the_file_stays_and_the_others_are_taken(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    paths = [partner.write(name, interchange) for name in (FIRST, SECOND, THIRD)]

    def refuse_second(item: InboundFile) -> None:
        if item.name == SECOND:
            raise RuntimeError("database is down")

    store.before = refuse_second
    poller = partner.poller()
    poller.poll(store.record)

    report = poller.poll(store.record)

    assert report.taken == (paths[0], paths[2])
    assert len(report.errors) == 1
    assert paths[1] in report.errors[0]
    assert "database is down" in report.errors[0]
    assert partner.names() == [SECOND]

    store.before = lambda item: None
    assert poller.poll(store.record).taken == (paths[1],)
    assert partner.names() == []


def test_a_file_recorded_but_not_archived_is_archived_at_the_next_poll_not_recorded_twice(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    archive = partner.folder / "archive"
    archive.mkdir()
    path = partner.write(FIRST, interchange)
    # Right after the file is stored, the archive folder goes away (an operator, a full disk).
    store.after = lambda item: archive.rename(partner.folder / "elsewhere")
    poller = partner.poller(after="move", archive_dir="archive")
    poller.poll(store.record)

    failed = poller.poll(store.record)

    assert failed.taken == (path,)
    assert len(failed.errors) == 1
    assert failed.errors[0].startswith(f"{path}: recorded, not removed")
    assert partner.names() == [FIRST, "elsewhere"]

    (partner.folder / "elsewhere").rename(archive)
    store.after = lambda item: None
    retried = poller.poll(store.record)

    assert retried.already_recorded == (path,)
    assert (retried.taken, retried.errors) == ((), ())
    assert partner.names() == ["archive"]
    assert partner.names(archive) == [FIRST]
    first_call, second_call = store.calls
    assert (second_call.path, second_call.size, second_call.sha256) == (
        first_call.path,
        first_call.size,
        first_call.sha256,
    )
    assert store.data() == {path: interchange}


class Crash(BaseException):
    """The process dies: not an error `poll` may catch."""


def test_a_crash_between_record_and_delete_leaves_the_file_for_the_next_run(
    partner: Partner, store: Store, interchange: bytes
) -> None:
    path = partner.write(FIRST, interchange)

    def die(item: InboundFile) -> None:
        raise Crash

    store.after = die  # stored, then the worker is killed before it deletes the file
    before_crash = partner.poller()
    before_crash.poll(store.record)
    with pytest.raises(Crash):
        before_crash.poll(store.record)
    before_crash.close()
    assert partner.names() == [FIRST]

    store.after = lambda item: None
    restarted = partner.poller()  # a new worker remembers nothing: the file must hold still
    assert restarted.poll(store.record).waiting == (path,)
    report = restarted.poll(store.record)

    assert report.already_recorded == (path,)
    assert (report.taken, report.errors) == ((), ())
    assert partner.names() == []
    assert len(store.calls) == 2
    assert store.calls[0] == store.calls[1]  # same path, size, hash and bytes
    assert store.data() == {path: interchange}


def test_a_missing_folder_is_permanent_and_named(partner: Partner, store: Store) -> None:
    poller = partner.poller(folder=partner.folder / "inbound")

    with pytest.raises(PermanentTransportError, match=r"inbound.* does not exist"):
        poller.poll(store.record)
