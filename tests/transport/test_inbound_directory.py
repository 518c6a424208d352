"""Local-folder inbound polling: where the folders are, and what a failure becomes.

The rules shared with SFTP (stability, pattern, record then remove) are tested for both kinds
in test_inbound.py.
"""

from __future__ import annotations

import errno
from contextlib import closing
from pathlib import Path

import pytest

from b2b.errors import PermanentTransportError, TransportError
from b2b.partners import DirectoryInbound
from b2b.transport import DirectoryPoller, open_poller
from b2b.transport.inbound_directory import _translate_errors
from tests.transport.conftest import Store

FILENAME = "850_000000007.x12"


def settings(path: Path | str, **overrides: object) -> DirectoryInbound:
    return DirectoryInbound.model_validate({"kind": "directory", "path": str(path)} | overrides)


def test_relative_folders_resolve_against_the_data_folder_and_the_inbox(
    tmp_path: Path, store: Store, interchange: bytes
) -> None:
    inbox = tmp_path / "inbox" / "acme"
    (inbox / "done").mkdir(parents=True)
    (inbox / FILENAME).write_bytes(interchange)
    inbound = settings("inbox/acme", after="move", archive_dir="done")

    with closing(open_poller(inbound, certs_dir=tmp_path / "certs", data_dir=tmp_path)) as poller:
        poller.poll(store.record)
        report = poller.poll(store.record)

    assert isinstance(poller, DirectoryPoller)
    assert report.taken == (str(inbox / FILENAME),)
    assert (inbox / "done" / FILENAME).read_bytes() == interchange


def test_an_absolute_path_wins_over_the_data_folder(tmp_path: Path, store: Store) -> None:
    inbox = tmp_path / "share"
    inbox.mkdir()
    (inbox / FILENAME).write_bytes(b"ISA")

    with closing(open_poller(settings(inbox), certs_dir=tmp_path, data_dir=Path("/nowhere"))) as p:
        p.poll(store.record)
        assert p.poll(store.record).taken == (str(inbox / FILENAME),)


def test_create_makes_the_inbox_and_the_archive(tmp_path: Path, store: Store) -> None:
    inbound = settings("inbox/acme", create=True, after="move", archive_dir="done")

    with closing(open_poller(inbound, certs_dir=tmp_path, data_dir=tmp_path)) as poller:
        report = poller.poll(store.record)

    assert (tmp_path / "inbox" / "acme" / "done").is_dir()
    assert report == type(report)()


def test_without_create_a_missing_share_is_reported_not_made(tmp_path: Path, store: Store) -> None:
    with (
        closing(open_poller(settings("share"), certs_dir=tmp_path, data_dir=tmp_path)) as poller,
        pytest.raises(PermanentTransportError, match=r"^inbound\.path: .*share does not exist"),
    ):
        poller.poll(store.record)

    assert not (tmp_path / "share").exists()


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.ENOENT, PermanentTransportError),
        (errno.EACCES, PermanentTransportError),
        (errno.EXDEV, PermanentTransportError),
        (errno.EIO, TransportError),
        (errno.ESTALE, TransportError),
    ],
)
def test_file_system_errors_become_transport_errors(
    code: int, expected: type[TransportError]
) -> None:
    with pytest.raises(TransportError) as raised, _translate_errors("cannot read", "/in/x"):
        raise OSError(code, "it failed")

    assert type(raised.value) is expected
    assert str(raised.value) == "cannot read /in/x: it failed"
