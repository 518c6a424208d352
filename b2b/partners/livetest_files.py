"""The SFTP and directory halves of `b2b partners test`: connect, write, stat, remove.

See `b2b.partners.livetest`.
"""

from __future__ import annotations

import datetime as dt
import posixpath
import secrets
from collections.abc import Callable
from pathlib import Path

import paramiko

from b2b.config import Settings
from b2b.errors import (
    B2BError,
    ConfigurationError,
    HostKeyMismatch,
    PermanentTransportError,
    TransportError,
)
from b2b.partners.livetest import TEST_FILE_PREFIX, Blame, Steps, connection_test_interchange
from b2b.partners.profile import (
    DirectoryTransport,
    PartnerProfile,
    SftpTransport,
)
from b2b.transport.sftp import SftpSession, resolve_passphrase

# ----------------------------------------------------------------------------- SFTP, folder


def sftp_round_trip(
    settings: Settings, profile: PartnerProfile, steps: Steps, now: dt.datetime
) -> None:
    sftp = profile.transport
    assert isinstance(sftp, SftpTransport)
    certs = settings.resolve(settings.certs_dir)
    try:
        kek = settings.kek_bytes()  # keys and passphrase files may be sealed (`b2b secrets`)
        passphrase = resolve_passphrase(
            sftp, certs_dir=certs, passphrase=None, section="transport", kek=kek
        )
        session = SftpSession(sftp, certs_dir=certs, passphrase=passphrase, kek=kek)
    except ConfigurationError as exc:
        raise steps.fail("configuration", exc.reason, "fix the key or host key the profile names",
                         Blame.CONFIGURATION) from exc  # fmt: skip
    name = f"{TEST_FILE_PREFIX}{now:%Y%m%d%H%M%S}-{secrets.token_hex(4)}{sftp.temporary_suffix}"
    data = connection_test_interchange(profile, now)
    try:
        with session.connection() as connection:
            steps.ok("connect", f"{session.where}, host key {sftp.host_key.split()[0]} as pinned, "
                     f"key accepted, folder {connection.folder}")  # fmt: skip
            path = posixpath.join(connection.folder, name)
            _write_stat_remove(
                steps,
                write=lambda: _sftp_write(connection.sftp, path, data),
                size=lambda: connection.sftp.stat(path).st_size,
                remove=lambda: connection.sftp.remove(path),
                expected=len(data),
                where=path,
            )
    except (TransportError, OSError) as exc:
        raise steps.fail(_failed_step(steps), _reason(exc), diagnose_sftp(exc)) from exc
    finally:
        session.close()


def _sftp_write(sftp: paramiko.SFTPClient, path: str, data: bytes) -> None:
    with sftp.open(path, "wb") as remote:
        remote.write(data)


def _failed_step(steps: Steps) -> str:
    order = ("connect", "write", "stat", "remove")
    done = {s.name for s in steps.done}
    return next((name for name in order if name not in done), "remove")


def _reason(exc: BaseException) -> str:
    return exc.reason if isinstance(exc, B2BError) else f"{type(exc).__name__}: {exc}"


def diagnose_sftp(exc: BaseException) -> str:
    """What to do about a failed SFTP step."""
    if isinstance(exc, HostKeyMismatch):
        return (
            "host key changed or unknown: confirm the fingerprint with the partner by another "
            "channel, then pin it in transport.host_key"
        )
    text = _reason(exc).lower()
    if "authentication" in text or "wants more than a key" in text:
        return "the server refused our key: send the partner our public key for transport.username"
    if isinstance(exc, PermanentTransportError) and "remote_dir" in text:
        return "the upload folder is missing: check transport.remote_dir with the partner"
    if isinstance(exc, PermissionError) or "permission" in text:
        return "no permission to write or remove in the upload folder"
    if "refused" in text or "timed out" in text or "timeout" in text or "name" in text:
        return "unreachable: nothing answers at transport.host/port (DNS, firewall?)"
    return "see the detail"


def _write_stat_remove(
    steps: Steps,
    *,
    write: Callable[[], None],
    size: Callable[[], int | None],
    remove: Callable[[], None],
    expected: int,
    where: str,
) -> None:
    write()
    steps.ok("write", where)
    found = size()
    if found != expected:
        raise steps.fail("stat", f"{found} of {expected} bytes", "the server truncated the file")
    steps.ok("stat", f"{found} bytes")
    remove()
    steps.ok("remove", where)


def directory_round_trip(
    settings: Settings, profile: PartnerProfile, steps: Steps, now: dt.datetime
) -> None:
    folder_settings = profile.transport
    assert isinstance(folder_settings, DirectoryTransport)
    folder = settings.resolve(settings.data_dir) / folder_settings.path
    if folder_settings.create:
        folder.mkdir(parents=True, exist_ok=True)
    if not folder.is_dir():
        raise steps.fail("connect", f"{folder} is not a folder",
                         "mount the share, or set transport.create = true for an outbox of ours",
                         Blame.CONFIGURATION)  # fmt: skip
    steps.ok("connect", str(folder))
    path = folder / f"{TEST_FILE_PREFIX}{now:%Y%m%d%H%M%S}{folder_settings.temporary_suffix}"
    data = connection_test_interchange(profile, now)
    try:
        _write_stat_remove(
            steps,
            write=lambda: _write(path, data),
            size=lambda: path.stat().st_size,
            remove=path.unlink,
            expected=len(data),
            where=str(path),
        )
    except OSError as exc:
        raise steps.fail(_failed_step(steps), f"{path}: {exc.strerror}",
                         "check the folder's permissions and free space") from exc  # fmt: skip


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)
