"""File names from partners are never used as paths (issue 7): what an AS2 message names in its
Content-Disposition, and what a partner's folder (local, or an SFTP server) lists, cannot make
the gateway read, write, move or delete anything outside the folder it polls."""

from __future__ import annotations

from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from b2b.as2inbound import safe_filename
from b2b.partners import DirectoryInbound
from b2b.transport import open_poller
from b2b.transport.inbound_core import FolderPoller, Listing
from tests.api.conftest import GatewayFactory, start_gateway  # noqa: F401 (the fixture)
from tests.fixtures.demo_as2 import from_demo_partner
from tests.transport.conftest import Store

LONG = "a" * 300 + ".x12"

#: (what the partner names, what is stored): one plain name, or none at all
HOSTILE = [
    ("../../etc/x", "x"),
    ("..\\x", "x"),
    ("/abs", "abs"),
    ("a\x00b", "ab"),
    (LONG, "a" * 251 + ".x12"),
    ("..", None),
    ("/", None),
    ("\x1b[2J", "[2J"),
]


@pytest.mark.parametrize(("name", "safe"), HOSTILE, ids=repr)
def test_an_as2_file_name_becomes_one_plain_name(name: str, safe: str | None) -> None:
    assert safe_filename(name) == safe


def test_the_names_of_as2_messages_are_stored_as_plain_names(
    start_gateway: GatewayFactory,  # noqa: F811
    tmp_path: Path,
) -> None:
    before = _files(tmp_path)
    gateway = start_gateway()
    for number, (name, _) in enumerate(HOSTILE):
        built = from_demo_partner(b"ISA*00*names~", f"name-{number}@demo", filename=name)
        answer = gateway.client.post("/as2", content=built.body, headers=list(built.headers))
        assert b"; processed\r\n" in answer.content, (name, answer.text)
    stored = gateway.query("select as2_message_id, filename from as2_inbound")
    assert sorted(stored) == sorted((f"name-{n}@demo", s) for n, (_, s) in enumerate(HOSTILE))
    data, database = gateway.settings.data_dir, "b2b.sqlite3"  # (the test's database file)
    new = _files(tmp_path) - before
    outside = {p for p in new if not p.is_relative_to(data) and database not in p.name}
    assert outside == set(), "written outside the data folder"


# -------------------------------------------------------------- a folder that lists anything


@dataclass
class ListedFolder:
    """A `Folder` whose listing is whatever a (hostile) server answers; it records each use."""

    names: list[str]
    used: list[str] = field(default_factory=list)

    def listing(self) -> list[Listing]:
        return [Listing(name, f"/home/acme/out/{name}", 3, 1.0) for name in self.names]

    def fetch(self, entry: Listing) -> bytes | None:
        self.used.append(f"fetch {entry.name}")
        return b"ISA"

    def remove(self, entry: Listing) -> None:
        self.used.append(f"remove {entry.name}")

    def close(self) -> None:
        pass


def test_names_a_server_lists_are_never_used_as_paths(store: Store) -> None:
    """An SFTP server answers READDIR with any string: only plain names are fetched and removed
    (or archived); the others are left alone and reported, every poll."""
    hostile = ["../../etc/x", "..\\x", "/abs", "a\x00b", LONG, "sub/x", "x\ny", "..", ""]
    folder = ListedFolder(["850_1.x12", *hostile])
    poller = FolderPoller(folder, pattern="*")
    poller.poll(store.record)
    report = poller.poll(store.record)
    assert report.taken == ("/home/acme/out/850_1.x12",)
    assert folder.used == ["fetch 850_1.x12", "remove 850_1.x12"]
    for name in hostile:
        assert any(error.startswith(f"{name!r}: left alone: ") for error in report.errors), name


def test_a_local_folder_with_hostile_names_is_polled_within_itself(
    tmp_path: Path, store: Store
) -> None:
    """Names a POSIX folder can hold (a backslash, a line break, 255 bytes): the plain ones are
    taken and archived inside the archive; the others stay, and nothing else is touched."""
    inbox = tmp_path / "share" / "acme"
    (inbox / "done").mkdir(parents=True)
    longest = "b" * 251 + ".x12"
    names = ["..\\x", "a\\..\\..\\x", "x\ny.x12", longest, "po 7.x12"]
    for name in names:
        (inbox / name).write_bytes(b"ISA")
    (tmp_path / "x").write_bytes(b"outside")
    before = _files(tmp_path)
    inbound = DirectoryInbound.model_validate(
        {"kind": "directory", "path": str(inbox), "after": "move", "archive_dir": "done"}
    )
    with closing(open_poller(inbound, certs_dir=tmp_path, data_dir=tmp_path)) as poller:
        poller.poll(store.record)
        report = poller.poll(store.record)
    assert sorted(report.taken) == sorted(str(inbox / n) for n in (longest, "po 7.x12"))
    moved = {inbox / n: inbox / "done" / n for n in (longest, "po 7.x12")}
    assert _files(tmp_path) == {moved.get(p, p) for p in before}
    assert (tmp_path / "x").read_bytes() == b"outside"


def _files(root: Path) -> set[Path]:
    return {p for p in root.rglob("*") if p.is_file()}
