"""The Transport protocol: what every outbound delivery (directory, SFTP, AS2) looks like.

>>> item = OutboundFile(message_id=7, partner_id="acme", filename="850_000000007.x12",
...                     data=b"ISA*00*...")
>>> receipt = transport.send(item)
>>> receipt.location
'sftp://edi@sftp.acme.example:22/inbound/850_000000007.x12'
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

from b2b.errors import PermanentTransportError

NAME_MAX = 255  # bytes in one file name on POSIX file systems and most SFTP servers
_FORBIDDEN = frozenset("/\\")


@dataclass(frozen=True, slots=True)
class OutboundFile:
    """One interchange to deliver, with the exact bytes stored for it (a resend reuses them).

    Constructing one with an unsafe `filename` raises PermanentTransportError.
    """

    message_id: int
    partner_id: str
    filename: str
    data: bytes = field(repr=False)

    def __post_init__(self) -> None:
        validate_filename(self.filename)

    @property
    def sha256(self) -> str:
        """Hex SHA-256 of `data`, for receipts and logs."""
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True, slots=True)
class Receipt:
    """Proof of delivery: where the file landed and when.

    >>> Receipt("directory", "/srv/outbox/850_1.x12", dt.datetime.now(dt.UTC)).transport
    'directory'
    """

    transport: str
    location: str
    delivered_at: dt.datetime
    detail: str = ""


class Transport(Protocol):
    """Deliver outbound files to one partner.

    `send` raises TransportError when a retry may help, PermanentTransportError (or its
    subclass HostKeyMismatch) when it cannot; `close` releases connections and may be
    called more than once.

    >>> with closing(open_transport(profile.transport, certs_dir=c, data_dir=d)) as transport:
    ...     receipt = transport.send(item)
    """

    def send(self, item: OutboundFile) -> Receipt:
        """Deliver `item` under its final name, atomically; a resend of the same bytes succeeds."""
        ...

    def close(self) -> None:
        """Release any connection held; the transport may not be used afterwards."""
        ...


def validate_filename(name: str) -> str:
    """Return `name` if it is one safe file name, else raise PermanentTransportError.

    Safe: printable ASCII without spaces, no path separator, no "..", no leading dot,
    at most 255 bytes.

    >>> validate_filename("850_000000007.x12")
    '850_000000007.x12'
    """
    problem = _filename_problem(name)
    if problem:
        raise PermanentTransportError(f"unsafe file name {name!r}: {problem}")
    return name


_RULES: tuple[tuple[Callable[[str], bool], str], ...] = (
    (lambda name: not name, "it is empty"),
    (lambda name: len(name) > NAME_MAX, f"it is longer than {NAME_MAX} characters"),
    (lambda name: not all("!" <= ch <= "~" for ch in name), "only printable ASCII, no spaces"),
    (lambda name: bool(_FORBIDDEN.intersection(name)), "it contains a path separator"),
    (lambda name: ".." in name, 'it contains ".."'),
    (lambda name: name.startswith("."), "it starts with a dot"),
)


def _filename_problem(name: str) -> str:
    return next((problem for broken, problem in _RULES if broken(name)), "")


def temporary_name(filename: str, suffix: str) -> str:
    """The name a file is written under before it is renamed to `filename`."""
    return validate_filename(filename + suffix)


def now() -> dt.datetime:
    """The delivery time recorded in receipts (UTC, aware)."""
    return dt.datetime.now(dt.UTC)


def delivery_detail(item: OutboundFile, note: str = "") -> str:
    """The `Receipt.detail` for `item`: size and SHA-256, then `note` if any."""
    detail = f"{len(item.data)} bytes sha256={item.sha256}"
    return f"{detail}; {note}" if note else detail
