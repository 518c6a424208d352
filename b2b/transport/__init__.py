"""Transports: deliver an interchange's exact bytes to a partner, atomically; fetch the files
a partner leaves for us.

>>> transport = open_transport(profile.transport, certs_dir=certs, data_dir=data)
>>> receipt = transport.send(OutboundFile(7, "acme", "850_000000007.x12", data))
>>> transport.close()
>>> poller = open_poller(profile.inbound, certs_dir=certs, data_dir=data)
>>> report = poller.poll(record)
>>> poller.close()
"""

from __future__ import annotations

from pathlib import Path

from b2b.partners import DirectoryTransport, SftpTransport
from b2b.partners import Transport as TransportSettings
from b2b.transport.base import OutboundFile, Receipt, Transport, validate_filename
from b2b.transport.directory import DirectorySender
from b2b.transport.inbound import (
    DirectoryPoller,
    InboundFile,
    Poller,
    PollReport,
    Record,
    SftpPoller,
    open_poller,
)
from b2b.transport.sftp import SftpSender, resolve_passphrase

__all__ = [
    "DirectoryPoller",
    "DirectorySender",
    "InboundFile",
    "OutboundFile",
    "PollReport",
    "Poller",
    "Receipt",
    "Record",
    "SftpPoller",
    "SftpSender",
    "Transport",
    "open_poller",
    "open_transport",
    "validate_filename",
]


def open_transport(
    settings: TransportSettings,
    *,
    certs_dir: Path,
    data_dir: Path,
    passphrase: str | None = None,
    kek: bytes | None = None,
) -> Transport:
    """The sender for a partner's `[transport]` table, chosen by its `kind`.

    `certs_dir` anchors a relative SFTP `private_key`, `data_dir` a relative directory `path`;
    `passphrase` decrypts the SFTP key, else the profile's `private_key_passphrase_file`;
    `kek` opens sealed key and passphrase files (`b2b.secrets`).
    """
    if isinstance(settings, SftpTransport):
        passphrase = resolve_passphrase(
            settings, certs_dir=certs_dir, passphrase=passphrase, section="transport", kek=kek
        )
        return SftpSender(settings, certs_dir=certs_dir, passphrase=passphrase, kek=kek)
    if isinstance(settings, DirectoryTransport):
        return DirectorySender(settings, base=data_dir)
    raise TypeError(f"no transport for {type(settings).__name__}")  # pragma: no cover
