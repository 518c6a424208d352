"""Poll a folder on the partner's SFTP server: `[inbound] kind = "sftp"`.

    >>> poller = SftpPoller(profile.inbound, certs_dir=Path("certs"))
    >>> poller.poll(record).taken
    ('/home/acme/outbound/850_000000007.x12',)
    >>> poller.close()

The rules (stable between polls, record before removing) are `FolderPoller`'s. The connection is
`SftpSession`'s, as for the SFTP sender: key authentication, the host key pinned (never
learned), one connection re-used while alive and reopened when dead, every paramiko and socket
error translated in `sftp._translate_errors`.

`archive_dir` is relative to `remote_dir` unless absolute, and must exist: each poll checks it
before taking anything. A file is moved there with a plain SFTP rename (OpenSSH refuses it over
an existing name, unlike posix-rename) to the first free name of `archive_names`.
"""

from __future__ import annotations

import posixpath
import stat
from pathlib import Path

import paramiko

from b2b.errors import PermanentTransportError
from b2b.partners import SftpInbound
from b2b.transport.inbound_core import FolderPoller, Listing, archive_names
from b2b.transport.sftp import SftpConnection, SftpSession


class SftpFolder:
    """The `Folder` on an SFTP server; unusable keys raise ConfigurationError here."""

    def __init__(
        self,
        settings: SftpInbound,
        *,
        certs_dir: Path,
        passphrase: str | None = None,
        kek: bytes | None = None,
    ) -> None:
        self.settings = settings
        self._session = SftpSession(
            settings, certs_dir=certs_dir, passphrase=passphrase, section="inbound", kek=kek
        )

    @property
    def where(self) -> str:
        """The server as a URL prefix, for messages."""
        return self._session.where

    def listing(self) -> list[Listing]:
        """The regular files in `remote_dir`, after checking that `archive_dir` is a folder."""
        with self._session.connection() as connection:
            if self.settings.archive_dir is not None:
                self._check_archive(connection)
            found = connection.sftp.listdir_attr(connection.folder)
        folder = connection.folder
        return [_listing(folder, attributes) for attributes in found if _regular(attributes)]

    def fetch(self, entry: Listing) -> bytes | None:
        """The file's bytes, or None if its size or mtime changed since it was listed."""
        with (
            self._session.connection() as connection,
            connection.sftp.open(entry.path, "rb") as remote,
        ):
            if _stamp(remote.stat()) != entry.stamp:
                return None  # changed already: not worth downloading
            if entry.size:  # paramiko's prefetch of nothing waits for ever
                remote.prefetch(entry.size)
            data: bytes = remote.read()
            after = remote.stat()
        return data if _stamp(after) == entry.stamp else None

    def remove(self, entry: Listing) -> None:
        """Delete the file, or rename it into `archive_dir` under a free name."""
        with self._session.connection() as connection:
            if self.settings.archive_dir is None:
                connection.sftp.remove(entry.path)
            else:
                target = self._free_name(connection, entry.name)
                connection.sftp.rename(entry.path, target)

    def close(self) -> None:
        """Close the connection, if any; safe to call more than once."""
        self._session.close()

    def _archive(self, connection: SftpConnection) -> str:
        return posixpath.join(connection.folder, self.settings.archive_dir or "")

    def _check_archive(self, connection: SftpConnection) -> None:
        archive, problem = self._archive(connection), ""
        try:
            if not stat.S_ISDIR(connection.sftp.stat(archive).st_mode or 0):
                problem = "is not a folder"
        except FileNotFoundError:
            problem = "does not exist"
        if problem:
            raise PermanentTransportError(
                f"{self.where}: archive_dir {self.settings.archive_dir!r} ({archive}) {problem}"
            )

    def _free_name(self, connection: SftpConnection, name: str) -> str:
        archive = self._archive(connection)
        for candidate in archive_names(name):
            target = posixpath.join(archive, candidate)
            try:
                connection.sftp.stat(target)
            except FileNotFoundError:
                return target
        raise PermanentTransportError(f"{self.where}: no free name for {name} in {archive}")


class SftpPoller(FolderPoller):
    """The `Poller` for `[inbound] kind = "sftp"`.

    `passphrase` decrypts the private key (open_poller reads the profile's
    `private_key_passphrase_file`). Unusable keys or host key lines raise ConfigurationError
    here, not at poll time.
    """

    def __init__(
        self,
        settings: SftpInbound,
        *,
        certs_dir: Path,
        passphrase: str | None = None,
        kek: bytes | None = None,
    ) -> None:
        self.settings = settings
        folder = SftpFolder(settings, certs_dir=certs_dir, passphrase=passphrase, kek=kek)
        super().__init__(folder, pattern=settings.pattern)


def _regular(attributes: paramiko.SFTPAttributes) -> bool:
    return stat.S_ISREG(attributes.st_mode or 0)


def _stamp(attributes: paramiko.SFTPAttributes) -> tuple[int, float]:
    return attributes.st_size or 0, float(attributes.st_mtime or 0)


def _listing(folder: str, attributes: paramiko.SFTPAttributes) -> Listing:
    name = attributes.filename
    path = posixpath.join(folder, name)
    return Listing(name, path, *_stamp(attributes))
