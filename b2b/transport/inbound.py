"""Inbound transports: fetch the files a partner leaves for us, by SFTP or in a local folder.

    >>> poller = open_poller(profile.inbound, certs_dir=certs, data_dir=data)
    >>> report = poller.poll(record)  # every `poll_seconds`
    >>> report.taken, report.waiting
    (('/home/acme/outbound/850_000000007.x12',), ('/home/acme/outbound/850_000000008.x12',))
    >>> poller.close()

A file is taken only once its size and modification time held still between two polls of the
same poller, and it is recorded (`Record`: path, size, SHA-256, bytes) before it is deleted or
archived, so a crash between the two cannot process it twice: the next poll records it again,
`record` answers False, and the file is removed then. The rules are in `inbound_core`; the two
kinds of folder in `inbound_sftp` and `inbound_directory`.
"""

from __future__ import annotations

from pathlib import Path

from b2b.partners import DirectoryInbound, SftpInbound
from b2b.transport.inbound_core import InboundFile, Poller, PollReport, Record
from b2b.transport.inbound_directory import DirectoryPoller
from b2b.transport.inbound_sftp import SftpPoller
from b2b.transport.sftp import resolve_passphrase

__all__ = [
    "DirectoryPoller",
    "InboundFile",
    "PollReport",
    "Poller",
    "Record",
    "SftpPoller",
    "open_poller",
]


def open_poller(
    settings: SftpInbound | DirectoryInbound,
    *,
    certs_dir: Path,
    data_dir: Path,
    passphrase: str | None = None,
    kek: bytes | None = None,
) -> Poller:
    """The poller for a partner's `[inbound]` table, chosen by its `kind`.

    `certs_dir` anchors a relative SFTP `private_key`, `data_dir` a relative directory `path`;
    `passphrase` decrypts the SFTP key, else the profile's `private_key_passphrase_file`.
    Unusable keys or files raise ConfigurationError here, not at poll time.
    """
    if isinstance(settings, SftpInbound):
        passphrase = resolve_passphrase(
            settings, certs_dir=certs_dir, passphrase=passphrase, section="inbound", kek=kek
        )
        return SftpPoller(settings, certs_dir=certs_dir, passphrase=passphrase, kek=kek)
    if isinstance(settings, DirectoryInbound):
        return DirectoryPoller(settings, base=data_dir)
    raise TypeError(f"no poller for {type(settings).__name__}")  # pragma: no cover
