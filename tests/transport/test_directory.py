"""DirectorySender: atomic delivery into a local folder, never overwriting a delivered file."""

from __future__ import annotations

import errno
from contextlib import closing
from pathlib import Path

import pytest

from b2b.errors import PermanentTransportError, TransportError
from b2b.partners import DirectoryTransport
from b2b.transport import DirectorySender, OutboundFile, open_transport
from b2b.transport.directory import PERMANENT_ERRNOS, _translate_errors

FILENAME = "850_000000007.x12"


def item(data: bytes, filename: str = FILENAME) -> OutboundFile:
    return OutboundFile(message_id=7, partner_id="acme", filename=filename, data=data)


def sender_for(folder: Path | str, base: Path, suffix: str = ".part") -> DirectorySender:
    settings = DirectoryTransport(kind="directory", path=str(folder), temporary_suffix=suffix)
    return DirectorySender(settings, base=base)


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_interchange_lands_under_its_final_name_byte_for_byte(
    tmp_path: Path, interchange: bytes
) -> None:
    receipt = sender_for(tmp_path, tmp_path).send(item(interchange))

    assert names(tmp_path) == [FILENAME]
    assert (tmp_path / FILENAME).read_bytes() == interchange
    assert receipt.transport == "directory"
    assert receipt.location == str(tmp_path / FILENAME)
    assert f"{len(interchange)} bytes" in receipt.detail


def test_a_relative_path_resolves_against_the_data_folder(
    tmp_path: Path, interchange: bytes
) -> None:
    (tmp_path / "outbox" / "acme").mkdir(parents=True)

    settings = DirectoryTransport(kind="directory", path="outbox/acme")
    opened = open_transport(settings, certs_dir=tmp_path / "certs", data_dir=tmp_path)

    with closing(opened) as transport:
        receipt = transport.send(item(interchange))

    assert isinstance(opened, DirectorySender)
    assert receipt.location == str(tmp_path / "outbox" / "acme" / FILENAME)

    assert (tmp_path / "outbox" / "acme" / FILENAME).read_bytes() == interchange


def test_the_data_is_written_under_the_temporary_name_first(
    tmp_path: Path, interchange: bytes
) -> None:
    (tmp_path / (FILENAME + ".tmp")).mkdir()  # something squats on the temporary name

    with pytest.raises(PermanentTransportError):
        sender_for(tmp_path, tmp_path, suffix=".tmp").send(item(interchange))

    assert not (tmp_path / FILENAME).exists()


def test_a_stale_temporary_file_is_replaced_and_consumed(
    tmp_path: Path, interchange: bytes
) -> None:
    (tmp_path / (FILENAME + ".part")).write_bytes(b"half an interchange from a crashed attempt")

    sender_for(tmp_path, tmp_path).send(item(interchange))

    assert names(tmp_path) == [FILENAME]
    assert (tmp_path / FILENAME).read_bytes() == interchange


def test_resend_of_the_same_bytes_succeeds_without_rewriting(
    tmp_path: Path, interchange: bytes
) -> None:
    sender = sender_for(tmp_path, tmp_path)
    sender.send(item(interchange))
    inode = (tmp_path / FILENAME).stat().st_ino

    receipt = sender.send(item(interchange))

    assert "already delivered" in receipt.detail
    assert names(tmp_path) == [FILENAME]
    assert (tmp_path / FILENAME).stat().st_ino == inode


def test_different_bytes_under_a_delivered_name_are_refused(
    tmp_path: Path, interchange: bytes
) -> None:
    sender = sender_for(tmp_path, tmp_path)
    sender.send(item(interchange))

    with pytest.raises(PermanentTransportError, match="already exists with different content"):
        sender.send(item(interchange.replace(b"PO1*1*12*EA", b"PO1*1*13*EA")))

    assert names(tmp_path) == [FILENAME]
    assert (tmp_path / FILENAME).read_bytes() == interchange


def test_a_missing_folder_is_permanent_and_not_created(tmp_path: Path, interchange: bytes) -> None:
    with pytest.raises(PermanentTransportError, match="outbox"):
        sender_for("outbox", tmp_path).send(item(interchange))

    assert names(tmp_path) == []


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        (errno.ENOENT, PermanentTransportError),
        (errno.ENOTDIR, PermanentTransportError),
        (errno.EISDIR, PermanentTransportError),
        (errno.EACCES, PermanentTransportError),
        (errno.EPERM, PermanentTransportError),
        (errno.EROFS, PermanentTransportError),
        (errno.ENOSPC, TransportError),  # a full disk may be emptied
        (errno.EIO, TransportError),  # a share that dropped out may come back
        (errno.ESTALE, TransportError),
    ],
    ids=errno.errorcode.get,
)
def test_file_system_errors_are_translated(code: int, expected: type[TransportError]) -> None:
    exc = OSError(code, "boom")

    with pytest.raises(TransportError) as raised, _translate_errors(Path("/srv/x.x12")):
        raise exc

    assert type(raised.value) is expected
    assert raised.value.__cause__ is exc


def test_every_permanent_errno_has_a_case() -> None:
    tested = {errno.ENOENT, errno.ENOTDIR, errno.EISDIR, errno.EACCES, errno.EPERM, errno.EROFS}
    assert tested == PERMANENT_ERRNOS
