"""SftpSender against a real OpenSSH sshd on 127.0.0.1 (tests/fixtures/sshd.py)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from b2b.errors import (
    ConfigurationError,
    HostKeyMismatch,
    PermanentTransportError,
    TransportError,
)
from b2b.partners import SftpTransport
from b2b.transport import OutboundFile, SftpSender, open_transport
from tests.fixtures.ports import free_port
from tests.fixtures.sshd import PASSPHRASE, SshServer

pytestmark = pytest.mark.sshd

FILENAME = "850_000000007.x12"


def settings_for(sshd: SshServer, remote_dir: Path | str, **overrides: object) -> SftpTransport:
    values: dict[str, object] = {
        "kind": "sftp",
        "host": sshd.host,
        "port": sshd.port,
        "username": sshd.username,
        "private_key": str(sshd.client_key),
        "host_key": sshd.host_key_line,
        "remote_dir": str(remote_dir),
        "timeout_seconds": 5.0,
    }
    return SftpTransport.model_validate(values | overrides)


def item(data: bytes, filename: str = FILENAME) -> OutboundFile:
    return OutboundFile(message_id=7, partner_id="acme", filename=filename, data=data)


def fingerprint(public_line: str, tmp_path: Path) -> str:
    """The SHA256 fingerprint as OpenSSH's ssh-keygen prints it."""
    key_file = tmp_path / "key.pub"
    key_file.write_text(public_line + "\n")
    out = subprocess.run(["ssh-keygen", "-lf", key_file], check=True, capture_output=True)
    return out.stdout.decode().split()[1]


@pytest.fixture
def sender(sshd: SshServer, tmp_path: Path) -> Iterator[SftpSender]:
    with SftpSender(settings_for(sshd, tmp_path), certs_dir=tmp_path) as opened:
        yield opened


def names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_interchange_lands_under_its_final_name_byte_for_byte(
    sender: SftpSender, tmp_path: Path, interchange: bytes
) -> None:
    receipt = sender.send(item(interchange))

    assert names(tmp_path) == [FILENAME]
    assert (tmp_path / FILENAME).read_bytes() == interchange
    assert receipt.transport == "sftp"
    assert receipt.location.endswith(f":{sender.settings.port}{tmp_path / FILENAME}")
    assert receipt.delivered_at.tzinfo is not None


def test_server_sees_only_the_temporary_name_written_then_renamed(
    sshd: SshServer, sender: SftpSender, tmp_path: Path, interchange: bytes
) -> None:
    offset = sshd.log_size()
    sender.send(item(interchange))
    log = sshd.log_since(offset)

    final, temporary = str(tmp_path / FILENAME), str(tmp_path / FILENAME) + ".part"
    writes = re.findall(r'open "([^"]+)" flags WRITE', log)
    assert writes == [temporary]  # the final name is never opened for writing
    closed = log.index(f'close "{temporary}" bytes read 0 written {len(interchange)}')
    renamed = log.index(f'rename old "{temporary}" new "{final}"')
    assert closed < renamed


def test_a_stale_temporary_file_is_replaced_and_consumed(
    sender: SftpSender, tmp_path: Path, interchange: bytes
) -> None:
    (tmp_path / (FILENAME + ".part")).write_bytes(b"half an interchange from a crashed attempt")

    sender.send(item(interchange))

    assert names(tmp_path) == [FILENAME]
    assert (tmp_path / FILENAME).read_bytes() == interchange


def test_resend_of_the_same_bytes_succeeds_without_rewriting(
    sshd: SshServer, tmp_path: Path, interchange: bytes
) -> None:
    settings = settings_for(sshd, tmp_path)
    with SftpSender(settings, certs_dir=tmp_path) as first:
        first.send(item(interchange))
    inode = (tmp_path / FILENAME).stat().st_ino
    with SftpSender(settings, certs_dir=tmp_path) as second:  # a retry after a lost receipt
        receipt = second.send(item(interchange))

    assert "already delivered" in receipt.detail
    assert names(tmp_path) == [FILENAME]
    assert (tmp_path / FILENAME).stat().st_ino == inode


def test_different_bytes_under_a_delivered_name_are_refused(
    sender: SftpSender, tmp_path: Path, interchange: bytes
) -> None:
    sender.send(item(interchange))
    changed = interchange.replace(b"PO1*1*12*EA", b"PO1*1*13*EA")

    with pytest.raises(PermanentTransportError, match="already exists with different content"):
        sender.send(item(changed))
    assert names(tmp_path) == [FILENAME]
    assert (tmp_path / FILENAME).read_bytes() == interchange


def test_wrong_pinned_host_key_is_refused_before_anything_is_uploaded(
    sshd: SshServer, tmp_path: Path, interchange: bytes
) -> None:
    other_key = sshd.stranger_key.with_suffix(".pub").read_text().split()
    pinned = f"{other_key[0]} {other_key[1]}"
    remote = tmp_path / "remote"
    remote.mkdir()
    offset = sshd.log_size()

    with (
        SftpSender(settings_for(sshd, remote, host_key=pinned), certs_dir=tmp_path) as sender,
        pytest.raises(HostKeyMismatch) as raised,
    ):
        sender.send(item(interchange))

    message = str(raised.value)
    assert fingerprint(pinned, tmp_path) in message
    assert fingerprint(sshd.host_key_line, tmp_path) in message
    assert names(remote) == []
    assert "Accepted publickey" not in sshd.log_since(offset)


def test_client_key_not_authorized_is_permanent(
    sshd: SshServer, tmp_path: Path, interchange: bytes
) -> None:
    settings = settings_for(sshd, tmp_path, private_key=sshd.stranger_key.name)

    with (
        SftpSender(settings, certs_dir=sshd.stranger_key.parent) as sender,
        pytest.raises(PermanentTransportError) as raised,
    ):
        sender.send(item(interchange))

    assert type(raised.value) is PermanentTransportError
    assert raised.value.retryable is False
    assert names(tmp_path) == []


def test_server_down_is_retryable(sshd: SshServer, tmp_path: Path, interchange: bytes) -> None:
    settings = settings_for(sshd, tmp_path, port=free_port())

    with (
        SftpSender(settings, certs_dir=tmp_path) as sender,
        pytest.raises(TransportError) as raised,
    ):
        sender.send(item(interchange))

    assert type(raised.value) is TransportError
    assert raised.value.retryable is True


def test_missing_remote_folder_is_permanent(
    sshd: SshServer, tmp_path: Path, interchange: bytes
) -> None:
    settings = settings_for(sshd, tmp_path / "inbound")

    with (
        SftpSender(settings, certs_dir=tmp_path) as sender,
        pytest.raises(PermanentTransportError, match=r"'.*inbound' does not exist"),
    ):
        sender.send(item(interchange))
    assert names(tmp_path) == []


@pytest.mark.parametrize("kind", ["ed25519", "ecdsa", "rsa"])
def test_each_supported_client_key_type_logs_in(
    sshd: SshServer, tmp_path: Path, interchange: bytes, kind: str
) -> None:
    key = sshd.client_keys[kind]
    settings = settings_for(sshd, tmp_path, private_key=key.name)

    with SftpSender(settings, certs_dir=key.parent) as sender:
        sender.send(item(interchange))

    assert (tmp_path / FILENAME).read_bytes() == interchange


def test_encrypted_key_opens_with_the_passphrase_given_by_the_caller(
    sshd: SshServer, tmp_path: Path, interchange: bytes
) -> None:
    settings = settings_for(sshd, tmp_path, private_key=str(sshd.encrypted_key))

    transport = open_transport(
        settings, certs_dir=tmp_path, data_dir=tmp_path, passphrase=PASSPHRASE
    )
    try:
        transport.send(item(interchange))
    finally:
        transport.close()

    assert (tmp_path / FILENAME).read_bytes() == interchange


def test_encrypted_key_opens_with_the_passphrase_file_the_profile_names(
    sshd: SshServer, tmp_path: Path, interchange: bytes
) -> None:
    certs = tmp_path / "certs"
    certs.mkdir()
    (certs / "partner.passphrase").write_text(PASSPHRASE + "\n")
    settings = settings_for(
        sshd,
        tmp_path,
        private_key=str(sshd.encrypted_key),
        private_key_passphrase_file="partner.passphrase",
    )

    transport = open_transport(settings, certs_dir=certs, data_dir=tmp_path)
    try:
        transport.send(item(interchange))
    finally:
        transport.close()

    assert (tmp_path / FILENAME).read_bytes() == interchange
    missing = settings.model_copy(update={"private_key_passphrase_file": "nope"})
    with pytest.raises(ConfigurationError, match="private_key_passphrase_file"):
        open_transport(missing, certs_dir=certs, data_dir=tmp_path)


@pytest.mark.parametrize("passphrase", [None, "not the passphrase"])
def test_encrypted_key_without_its_passphrase_is_a_configuration_error(
    sshd: SshServer, tmp_path: Path, passphrase: str | None
) -> None:
    settings = settings_for(sshd, tmp_path, private_key=str(sshd.encrypted_key))

    with pytest.raises(ConfigurationError, match=r"transport\.private_key"):
        SftpSender(settings, certs_dir=tmp_path, passphrase=passphrase)


def test_one_connection_serves_several_sends(
    sshd: SshServer, sender: SftpSender, tmp_path: Path, interchange: bytes
) -> None:
    offset = sshd.log_size()

    for number in range(3):
        sender.send(item(interchange, filename=f"850_{number}.x12"))

    assert sshd.log_since(offset).count("Accepted publickey") == 1
    assert names(tmp_path) == ["850_0.x12", "850_1.x12", "850_2.x12"]


def test_a_connection_the_server_dropped_is_replaced(
    sshd: SshServer, sender: SftpSender, tmp_path: Path, interchange: bytes
) -> None:
    sender.send(item(interchange, filename="850_1.x12"))
    sshd.drop_connections()
    offset = sshd.log_size()

    sender.send(item(interchange, filename="850_2.x12"))

    assert sshd.log_since(offset).count("Accepted publickey") == 1
    assert names(tmp_path) == ["850_1.x12", "850_2.x12"]


def test_plain_rename_where_the_server_refuses_posix_rename(
    sshd: SshServer, tmp_path: Path, interchange: bytes
) -> None:
    settings = settings_for(sshd, tmp_path, port=sshd.no_posix_rename_port)
    offset = sshd.log_size()

    with SftpSender(settings, certs_dir=tmp_path) as sender:
        for number in (1, 2):
            sender.send(item(interchange, filename=f"850_{number}.x12"))

    log = sshd.log_since(offset)
    assert names(tmp_path) == ["850_1.x12", "850_2.x12"]
    assert (tmp_path / "850_2.x12").read_bytes() == interchange
    assert f'\nrename old "{tmp_path}/850_2.x12.part" new "{tmp_path}/850_2.x12"' in log
    assert "posix-rename old" not in log
