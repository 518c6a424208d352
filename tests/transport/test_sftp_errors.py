"""The SFTP edge's one translation of paramiko and socket errors, and its configuration checks."""

from __future__ import annotations

import errno
import socket
from pathlib import Path

import paramiko
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from paramiko.ssh_exception import (
    BadAuthenticationType,
    ChannelException,
    IncompatiblePeer,
    NoValidConnectionsError,
    PartialAuthentication,
    PasswordRequiredException,
    UnableToAuthenticate,
)

from b2b.errors import ConfigurationError, HostKeyMismatch, PermanentTransportError, TransportError
from b2b.partners import SftpTransport
from b2b.transport.sftp import TRANSLATIONS, SftpSender, _translate_errors, parse_host_key


def public_line() -> str:
    key = ed25519.Ed25519PrivateKey.generate().public_key()
    return key.public_bytes(
        serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH
    ).decode()


PINNED, PRESENTED = parse_host_key(public_line()), parse_host_key(public_line())

# What paramiko and the socket layer raise, as they raise it, and the class the worker must see.
CASES: list[tuple[BaseException, type[TransportError]]] = [
    (paramiko.BadHostKeyException("sftp.acme.example", PRESENTED, PINNED), HostKeyMismatch),
    (paramiko.AuthenticationException("Authentication failed."), PermanentTransportError),
    (BadAuthenticationType("Bad authentication type", ["password"]), PermanentTransportError),
    (PartialAuthentication(["password"]), PermanentTransportError),
    (PasswordRequiredException("Private key file is encrypted"), PermanentTransportError),
    (UnableToAuthenticate(), PermanentTransportError),
    (IncompatiblePeer("Incompatible ssh peer (no acceptable host key)"), PermanentTransportError),
    (paramiko.SFTPError("Incompatible sftp protocol"), PermanentTransportError),
    (paramiko.SSHException("Error reading SSH protocol banner"), TransportError),
    (ChannelException(2, "Connect failed"), TransportError),
    (EOFError(), TransportError),
    (TimeoutError("timed out"), TransportError),
    (ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused"), TransportError),
    (ConnectionResetError(errno.ECONNRESET, "Connection reset by peer"), TransportError),
    (BrokenPipeError(errno.EPIPE, "Broken pipe"), TransportError),
    (NoValidConnectionsError({("127.0.0.1", 22): ConnectionRefusedError()}), TransportError),
    (socket.gaierror(socket.EAI_NONAME, "Name or service not known"), TransportError),
    (OSError(errno.EACCES, "Permission denied"), PermanentTransportError),  # SFTP status 3
    (OSError(errno.ENOENT, "No such file"), PermanentTransportError),  # SFTP status 2
    (OSError(errno.ENOTDIR, "Not a directory"), PermanentTransportError),
    (OSError("Failure"), TransportError),  # SFTP status 4, e.g. the partner's disk is full
]


def first_row(exc: BaseException) -> int:
    return next(i for i, (source, _) in enumerate(TRANSLATIONS) if isinstance(exc, source))


@pytest.mark.parametrize(("exc", "expected"), CASES, ids=lambda v: type(v).__name__)
def test_each_error_is_translated_to_its_class(
    exc: BaseException, expected: type[TransportError]
) -> None:
    with pytest.raises(TransportError) as raised, _translate_errors("sftp://edi@acme:22"):
        raise exc

    assert type(raised.value) is expected
    assert raised.value.__cause__ is exc
    assert str(raised.value).startswith("sftp://edi@acme:22: ")


def test_every_row_of_the_table_is_reached_by_a_case() -> None:
    assert sorted({first_row(exc) for exc, _ in CASES}) == list(range(len(TRANSLATIONS)))


def test_host_key_mismatch_names_both_fingerprints() -> None:
    exc = paramiko.BadHostKeyException("sftp.acme.example", PRESENTED, PINNED)

    with pytest.raises(HostKeyMismatch) as raised, _translate_errors("sftp://edi@acme:22"):
        raise exc

    assert PINNED.fingerprint.startswith("SHA256:")
    assert PINNED.fingerprint in str(raised.value)
    assert PRESENTED.fingerprint in str(raised.value)


def test_errors_that_are_not_transport_errors_pass_unchanged() -> None:
    with pytest.raises(KeyError), _translate_errors("sftp://edi@acme:22"):
        raise KeyError("a bug, not a network problem")


def settings(tmp_path: Path, **overrides: object) -> SftpTransport:
    values: dict[str, object] = {
        "kind": "sftp",
        "host": "sftp.acme.example",
        "username": "edi",
        "private_key": "acme_ed25519",
        "host_key": public_line(),
    }
    return SftpTransport.model_validate(values | overrides)


def write_private_key(path: Path) -> None:
    key = ed25519.Ed25519PrivateKey.generate()
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.NoEncryption(),
        )
    )


def test_private_key_is_found_relative_to_the_certs_folder(tmp_path: Path) -> None:
    write_private_key(tmp_path / "acme_ed25519")

    SftpSender(settings(tmp_path), certs_dir=tmp_path).close()


def test_a_missing_private_key_is_a_configuration_error_naming_the_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match=r"transport\.private_key: .*acme_ed25519"):
        SftpSender(settings(tmp_path), certs_dir=tmp_path)


@pytest.mark.parametrize(
    "line",
    ["", "ssh-ed25519", "ssh-ed25519 not-base64!", "ssh-dss AAAAB3NzaC1kc3MAAACBAP"],
)
def test_an_unusable_host_key_line_is_a_configuration_error(tmp_path: Path, line: str) -> None:
    write_private_key(tmp_path / "acme_ed25519")

    with pytest.raises(ConfigurationError, match=r"transport\.host_key"):
        SftpSender(settings(tmp_path, host_key=line), certs_dir=tmp_path)


def test_a_known_hosts_line_with_a_host_pattern_is_accepted() -> None:
    line = public_line()

    key = parse_host_key(f"sftp.acme.example,192.0.2.7 {line} edi@acme")

    assert key.get_base64() == line.split()[1]
