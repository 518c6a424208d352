"""Deliver by SFTP: key authentication, the partner's host key pinned, upload then rename.

    >>> sender = SftpSender(profile.transport, certs_dir=Path("certs"), passphrase=None)
    >>> sender.send(item).location
    'sftp://edi@sftp.acme.example:22/inbound/850_000000007.x12'
    >>> sender.close()

The host key is never learned: the server must present exactly the key pinned in the profile
(`host_key`, one known_hosts style line), else HostKeyMismatch. The file is written under
`filename + temporary_suffix`, its size checked with a stat, then renamed to its final name
(`posix-rename@openssh.com`, or plain rename where the server lacks it), so the partner never
picks up a half-written interchange. A file already present under the final name is never
overwritten: identical bytes count as delivered (a resend), anything else is refused.

One connection is opened on first use and re-used while it is alive: before each send the
transport must be active and the remote folder must answer a stat, else it is reopened. Any
failure drops the connection, so the next attempt starts afresh. Every paramiko and socket error
is translated in one place, `_translate_errors`.

`SftpSession` is that connection handling on its own (keys, pinning, reuse, translation), shared
by `SftpSender` and the inbound poller (`b2b.transport.inbound_sftp`).
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import io
import posixpath
import socket
import stat
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import paramiko
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from paramiko.pkey import UnknownKeyType
from paramiko.ssh_exception import IncompatiblePeer

from b2b.errors import (
    ConfigurationError,
    HostKeyMismatch,
    PermanentTransportError,
    TransportError,
)
from b2b.failpoints import failpoint
from b2b.partners import SftpServer, SftpTransport
from b2b.secrets import file_context, read_named_secret, read_secret
from b2b.transport.base import OutboundFile, Receipt, delivery_detail, now, temporary_name

# First match wins; a subclass must come before its base. tests/transport/test_sftp_errors.py
# checks that every row is reached and that each error lands in the class a worker expects.
TRANSLATIONS: tuple[tuple[type[BaseException], type[TransportError]], ...] = (
    (paramiko.BadHostKeyException, HostKeyMismatch),
    (paramiko.AuthenticationException, PermanentTransportError),  # refused key, partial auth
    (IncompatiblePeer, PermanentTransportError),  # no common algorithm or key type
    (paramiko.SFTPError, PermanentTransportError),  # not an SFTP server
    (paramiko.SSHException, TransportError),  # banner, negotiation, EOF, channel refused
    (EOFError, TransportError),  # the server closed the connection
    (TimeoutError, TransportError),  # socket.timeout
    (ConnectionError, TransportError),  # refused, reset, aborted, broken pipe
    (PermissionError, PermanentTransportError),  # SFTP permission denied
    (FileNotFoundError, PermanentTransportError),  # SFTP no such file: the folder is missing
    (NotADirectoryError, PermanentTransportError),
    (OSError, TransportError),  # DNS, unreachable, SFTP "Failure" (e.g. disk full)
)


_HANDLED = tuple(source for source, _ in TRANSLATIONS)


@contextlib.contextmanager
def _translate_errors(where: str) -> Iterator[None]:
    """The one place paramiko and socket errors become the gateway's TransportError tree.

    Errors of our own tree pass unchanged; anything else (a bug) propagates as it is.
    """
    try:
        yield
    except _HANDLED as exc:
        raise translate(exc, where) from exc


def translate(exc: BaseException, where: str) -> TransportError:
    """The TransportError (or subclass) to raise for `exc` met while talking to `where`."""
    target = next((t for source, t in TRANSLATIONS if isinstance(exc, source)), TransportError)
    return target(f"{where}: {_describe(exc)}")


def _describe(exc: BaseException) -> str:
    if isinstance(exc, paramiko.BadHostKeyException):
        return _mismatch_text(exc.expected_key, exc.key)
    text = str(exc) if not isinstance(exc, OSError) or not exc.strerror else exc.strerror
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def _mismatch_text(expected: paramiko.PKey, presented: paramiko.PKey) -> str:
    return (
        f"host key mismatch: the profile pins {expected.get_name()} {expected.fingerprint}, "
        f"the server presented {presented.get_name()} {presented.fingerprint}"
    )


def load_private_key(
    path: Path,
    passphrase: str | None,
    *,
    section: str = "transport",
    kek: bytes | None = None,
    certs_dir: Path | None = None,
) -> paramiko.PKey:
    """Read an Ed25519, ECDSA or RSA private key (OpenSSH or PEM format), sealed or clear
    (`b2b.secrets`: sealed under its name below `certs_dir`).

    Errors are ConfigurationErrors naming `section.private_key` (the profile table it came from).

    >>> load_private_key(Path("certs/acme_ed25519"), None).get_name()
    'ssh-ed25519'
    """
    # paramiko 5.1 hands `password` to cryptography, which takes bytes only (str fails).
    password = passphrase.encode("utf-8") if passphrase is not None else None
    try:
        context = file_context(certs_dir or path.parent, path)
        data = read_secret(path, kek, context)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{section}.private_key: {exc}") from exc
    try:
        return _pkey(data, password, path)
    except (OSError, ValueError, TypeError, paramiko.SSHException) as exc:
        problem = _describe(exc)
        raise ConfigurationError(f"{section}.private_key: cannot load {path}: {problem}") from exc
    except UnknownKeyType as exc:
        raise ConfigurationError(
            f"{section}.private_key: {path} is not an Ed25519, ECDSA or RSA key"
        ) from exc


def _pkey(data: bytes, password: bytes | None, path: Path) -> paramiko.PKey:
    """`paramiko.PKey.from_path` on bytes already read (and unsealed): the same loaders, the
    same `<key>-cert.pub` certificate beside it."""
    try:  # like OpenSSH: the OpenSSH format first, then legacy PEM
        loaded: object = serialization.load_ssh_private_key(data, password)
    except ValueError:
        loaded = serialization.load_pem_private_key(data, password)
    key_class: type[paramiko.PKey]
    if isinstance(loaded, rsa.RSAPrivateKey):
        key_class = paramiko.RSAKey
    elif isinstance(loaded, ed25519.Ed25519PrivateKey):
        key_class = paramiko.Ed25519Key
    elif isinstance(loaded, ec.EllipticCurvePrivateKey):
        key_class = paramiko.ECDSAKey
    else:
        raise UnknownKeyType(key_bytes=data, key_type=type(loaded))
    text = io.StringIO(data.decode("ascii"))
    key = key_class.from_private_key(text, password=password)  # type: ignore[arg-type]
    certificate = Path(f"{path}-cert.pub")
    if certificate.exists():
        key.load_certificate(str(certificate))
    return key


def resolve_passphrase(
    settings: SftpServer,
    *,
    certs_dir: Path,
    passphrase: str | None,
    section: str,
    kek: bytes | None = None,
) -> str | None:
    """`passphrase` if given, else the contents of the profile's `private_key_passphrase_file`.

    >>> resolve_passphrase(profile.inbound, certs_dir=Path("certs"), passphrase=None,
    ...                    section="inbound")
    'correct horse battery staple'
    """
    if passphrase is not None or not settings.private_key_passphrase_file:
        return passphrase
    return read_named_secret(
        certs_dir,
        settings.private_key_passphrase_file,
        kek,
        f"{section}.private_key_passphrase_file",
    )


def parse_host_key(line: str, *, section: str = "transport") -> paramiko.PKey:
    """The public key of a known_hosts style line: "[hosts] type base64 [comment]".

    Errors are ConfigurationErrors naming `section.host_key`.

    >>> parse_host_key("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI...").get_name()
    'ssh-ed25519'
    """
    fields = line.split()
    if len(fields) >= 3 and not _looks_like_key_type(fields[0]):
        fields = fields[1:]  # a leading host pattern, as in known_hosts
    try:
        key_type, blob = fields[0], base64.b64decode(fields[1], validate=True)
        return paramiko.PKey.from_type_string(key_type, blob)
    except (IndexError, binascii.Error, ValueError, paramiko.SSHException) as exc:
        raise ConfigurationError(f"{section}.host_key: not a known_hosts key line: {exc}") from exc
    except UnknownKeyType as exc:
        raise ConfigurationError(f"{section}.host_key: unsupported key type {fields[0]}") from exc


def _looks_like_key_type(text: str) -> bool:
    return text.startswith(("ssh-", "ecdsa-", "sk-", "rsa-"))


@dataclass
class SftpConnection:
    """One authenticated SSH session with its SFTP channel and the remote folder resolved."""

    where: str  # "sftp://user@host:port", for messages and receipts
    transport: paramiko.Transport
    sftp: paramiko.SFTPClient
    folder: str  # absolute, as the server resolved settings.remote_dir
    posix_rename: bool = field(default=True)

    def alive(self) -> bool:
        """True if the session still answers; a dead one is closed and replaced."""
        if not self.transport.is_active():
            return False
        try:
            return stat.S_ISDIR(self.sftp.stat(self.folder).st_mode or 0)
        except (OSError, EOFError, paramiko.SSHException):
            return False

    def close(self) -> None:
        """Close the SFTP channel and the SSH transport."""
        with contextlib.suppress(Exception):
            self.sftp.close()
        self.transport.close()


class SftpSession:
    """One authenticated SFTP connection to a partner's server, opened on first use, re-used
    while alive and reopened when dead. Locked: one user at a time.

        >>> session = SftpSession(profile.inbound, certs_dir=Path("certs"), section="inbound")
        >>> with session.connection() as connection:
        ...     names = connection.sftp.listdir(connection.folder)
        >>> session.close()

    Unreadable keys or host key lines raise ConfigurationError here (naming `section`), not
    at first use.
    """

    def __init__(
        self,
        settings: SftpServer,
        *,
        certs_dir: Path,
        passphrase: str | None = None,
        section: str = "transport",
        kek: bytes | None = None,
    ) -> None:
        self.settings = settings
        self._key = load_private_key(
            certs_dir / settings.private_key,
            passphrase,
            section=section,
            kek=kek,
            certs_dir=certs_dir,
        )
        self._host_key = parse_host_key(settings.host_key, section=section)
        self._connection: SftpConnection | None = None
        self._lock = threading.Lock()

    @property
    def where(self) -> str:
        """The server as a URL prefix, for messages and receipts."""
        return _where(self.settings)

    @contextlib.contextmanager
    def connection(self) -> Iterator[SftpConnection]:
        """The live connection, (re)opened if needed, for the body of a `with` block.

        Paramiko and socket errors, in connecting or in the body, leave the block translated
        (`_translate_errors`); any failure drops the connection, so the next use starts afresh.
        """
        with self._lock, _translate_errors(self.where):
            try:
                yield self._connected()
            except BaseException:
                self._disconnect()
                raise

    def close(self) -> None:
        """Close the cached connection, if any; safe to call more than once."""
        with self._lock:
            self._disconnect()

    def _connected(self) -> SftpConnection:
        if self._connection is not None and self._connection.alive():
            return self._connection
        self._disconnect()
        self._connection = _connect(self.settings, self._key, self._host_key)
        return self._connection

    def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            connection.close()


class SftpSender:
    """The `Transport` for `kind = "sftp"`. Not for concurrent use by design, but locked.

    `passphrase` decrypts the private key; the caller resolves it (open_transport reads the
    profile's `private_key_passphrase_file`).
    Unreadable keys or host key lines raise ConfigurationError here, not at send time.
    """

    name = "sftp"

    def __init__(
        self,
        settings: SftpTransport,
        *,
        certs_dir: Path,
        passphrase: str | None = None,
        kek: bytes | None = None,
    ) -> None:
        if not settings.temporary_suffix:
            raise ConfigurationError("transport.temporary_suffix: must not be empty")
        self.settings = settings
        self._session = SftpSession(settings, certs_dir=certs_dir, passphrase=passphrase, kek=kek)

    @property
    def where(self) -> str:
        """The server as a URL prefix, for messages and receipts."""
        return self._session.where

    def send(self, item: OutboundFile) -> Receipt:
        """Upload `item` under a temporary name and rename it; see the module docstring."""
        with self._session.connection() as connection:
            final, note = self._deliver(connection, item)
        return Receipt(self.name, self.where + final, now(), delivery_detail(item, note))

    def close(self) -> None:
        """Close the cached connection, if any; safe to call more than once."""
        self._session.close()

    def __enter__(self) -> SftpSender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _deliver(self, connection: SftpConnection, item: OutboundFile) -> tuple[str, str]:
        final = posixpath.join(connection.folder, item.filename)
        suffix = self.settings.temporary_suffix
        temporary = posixpath.join(connection.folder, temporary_name(item.filename, suffix))
        if _already_delivered(connection, final, item.data):
            return final, "already delivered with identical bytes"
        failpoint("sftp.before-upload")
        _upload(connection, temporary, item.data)
        failpoint("sftp.before-rename")
        _rename(connection, temporary, final)
        return final, ""


def _where(settings: SftpServer) -> str:
    return f"sftp://{settings.username}@{settings.host}:{settings.port}"


def _connect(settings: SftpServer, key: paramiko.PKey, host_key: paramiko.PKey) -> SftpConnection:
    timeout = settings.timeout_seconds
    sock = socket.create_connection((settings.host, settings.port), timeout=timeout)
    try:
        transport = paramiko.Transport(sock)
    except BaseException:
        sock.close()
        raise
    try:
        _handshake(transport, settings, key, host_key)
        sftp = paramiko.SFTPClient.from_transport(transport)
        if sftp is None:
            raise TransportError(f"{_where(settings)}: the server refused the sftp subsystem")
        sftp.get_channel().settimeout(timeout)  # type: ignore[union-attr]
        folder = _remote_folder(sftp, settings)
        return SftpConnection(_where(settings), transport, sftp, folder)
    except BaseException:
        transport.close()
        raise


def _handshake(
    transport: paramiko.Transport,
    settings: SftpServer,
    key: paramiko.PKey,
    host_key: paramiko.PKey,
) -> None:
    timeout = settings.timeout_seconds
    transport.banner_timeout = transport.handshake_timeout = timeout
    transport.auth_timeout = timeout
    # Ask only for the pinned key's type, so a server holding several keys shows the pinned one.
    transport.get_security_options().key_types = _host_key_algorithms(host_key)
    transport.start_client(timeout=timeout)
    presented = transport.get_remote_server_key()
    if presented.asbytes() != host_key.asbytes():
        raise HostKeyMismatch(f"{_where(settings)}: {_mismatch_text(host_key, presented)}")
    remaining = transport.auth_publickey(settings.username, key)
    if remaining or not transport.is_authenticated():
        raise PermanentTransportError(
            f"{_where(settings)}: the server wants more than a key ({', '.join(remaining)})"
        )


def _host_key_algorithms(host_key: paramiko.PKey) -> list[str]:
    if isinstance(host_key, paramiko.RSAKey):
        return ["rsa-sha2-512", "rsa-sha2-256"]
    return [host_key.get_name()]


def _remote_folder(sftp: paramiko.SFTPClient, settings: SftpServer) -> str:
    """The absolute path of `remote_dir`; PermanentTransportError if it is not a folder."""
    where, remote_dir = _where(settings), settings.remote_dir
    try:
        folder = sftp.normalize(remote_dir)
        is_folder = stat.S_ISDIR(sftp.stat(folder).st_mode or 0)
    except FileNotFoundError as exc:
        raise PermanentTransportError(f"{where}: remote_dir {remote_dir!r} does not exist") from exc
    if not is_folder:
        raise PermanentTransportError(f"{where}: remote_dir {remote_dir!r} is not a folder")
    return folder


def _already_delivered(connection: SftpConnection, final: str, data: bytes) -> bool:
    """True if `final` holds exactly `data`; PermanentTransportError if it holds anything else."""
    try:
        size = connection.sftp.stat(final).st_size
    except FileNotFoundError:
        return False
    if size == len(data):
        with connection.sftp.open(final, "rb") as existing:
            if size:  # paramiko's prefetch(0) waits for the channel timeout
                existing.prefetch(size)
            if existing.read() == data:
                return True
    raise PermanentTransportError(
        f"{connection.where}{final} already exists with different content ({size} bytes, "
        f"this interchange has {len(data)}); a delivered file is never overwritten"
    )


def _upload(connection: SftpConnection, temporary: str, data: bytes) -> None:
    """Write `data` to `temporary` and check with a stat that all of it arrived."""
    sftp = connection.sftp
    with sftp.open(temporary, "wb") as remote:
        remote.set_pipelined(True)
        half = len(data) // 2  # two writes, so a crash test can stop between them
        remote.write(data[:half])
        remote.flush()
        failpoint("sftp.during-upload")
        remote.write(data[half:])
    size = sftp.stat(temporary).st_size
    if size != len(data):
        with contextlib.suppress(OSError):
            sftp.remove(temporary)
        raise TransportError(f"{connection.where}{temporary}: {size} of {len(data)} bytes arrived")


def _rename(connection: SftpConnection, temporary: str, final: str) -> None:
    """Rename with posix-rename@openssh.com, or plain rename on a server that refuses it.

    Servers answer an unknown or banned extension with "unsupported" or "permission denied";
    either way a plain rename is tried, and if it succeeds the connection keeps to it. A
    failure that is not about the extension makes the plain rename fail too, and that
    error is the one raised. (Both were preceded by the check that `final` does not exist.)
    """
    sftp = connection.sftp
    if connection.posix_rename:
        try:
            sftp.posix_rename(temporary, final)
            return
        except OSError:
            sftp.rename(temporary, final)
            connection.posix_rename = False
            return
    sftp.rename(temporary, final)
