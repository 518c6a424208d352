"""Outbound transports: deliver an interchange's exact bytes to a partner, atomically.

>>> transport = open_transport(profile.transport, certs_dir=certs, data_dir=data)
>>> receipt = transport.send(OutboundFile(7, "acme", "850_000000007.x12", data))
>>> transport.close()
"""

from __future__ import annotations

from pathlib import Path

from b2b.errors import ConfigurationError
from b2b.partners import DirectoryTransport, SftpTransport
from b2b.partners import Transport as TransportSettings
from b2b.transport.base import OutboundFile, Receipt, Transport, validate_filename
from b2b.transport.directory import DirectorySender
from b2b.transport.sftp import SftpSender

__all__ = [
    "DirectorySender",
    "OutboundFile",
    "Receipt",
    "SftpSender",
    "Transport",
    "open_transport",
    "validate_filename",
]


def open_transport(
    settings: TransportSettings,
    *,
    certs_dir: Path,
    data_dir: Path,
    passphrase: str | None = None,
) -> Transport:
    """The sender for a partner's `[transport]` table, chosen by its `kind`.

    `certs_dir` anchors a relative SFTP `private_key`, `data_dir` a relative directory `path`;
    `passphrase` decrypts the SFTP key, else the profile's `private_key_passphrase_file`.
    """
    if isinstance(settings, SftpTransport):
        if passphrase is None and settings.private_key_passphrase_file:
            passphrase = _read_secret(certs_dir / settings.private_key_passphrase_file)
        return SftpSender(settings, certs_dir=certs_dir, passphrase=passphrase)
    if isinstance(settings, DirectoryTransport):
        return DirectorySender(settings, base=data_dir)
    raise TypeError(f"no transport for {type(settings).__name__}")  # pragma: no cover


def _read_secret(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise ConfigurationError(
            f"transport.private_key_passphrase_file: {path}: {exc.strerror}"
        ) from exc
