"""The partner profile schema: one TOML file per partner in `partners/`.

Unknown keys and impossible values are refused at load time; see `registry.load_profile`.
"""

from __future__ import annotations

import enum
import random as _random
from collections.abc import Callable
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from b2b.as2.algorithms import parse_encryption, parse_mic_algorithm, parse_weak_algorithm
from b2b.documents import ProductIdKind
from b2b.errors import ConfigurationError


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Envelope(_Strict):
    """ISA/GS identities and delimiters for one partner."""

    sender_qualifier: Annotated[str, Field(min_length=2, max_length=2)] = "ZZ"
    sender_id: Annotated[str, Field(min_length=1, max_length=15)]
    receiver_qualifier: Annotated[str, Field(min_length=2, max_length=2)] = "ZZ"
    receiver_id: Annotated[str, Field(min_length=1, max_length=15)]
    application_sender_code: Annotated[str, Field(min_length=2, max_length=15)] | None = None
    application_receiver_code: Annotated[str, Field(min_length=2, max_length=15)] | None = None
    usage_indicator: Literal["P", "T"] = "P"
    element_separator: Annotated[str, Field(min_length=1, max_length=1)] = "*"
    segment_terminator: Annotated[str, Field(min_length=1, max_length=1)] = "~"
    component_separator: Annotated[str, Field(min_length=1, max_length=1)] = ">"
    repetition_separator: Annotated[str, Field(min_length=1, max_length=1)] = "^"
    segment_suffix: Literal["", "\n", "\r\n"] = "\n"
    acknowledgment_requested: bool = True

    @model_validator(mode="after")
    def _delimiters_distinct(self) -> Envelope:
        used = [
            self.element_separator,
            self.segment_terminator,
            self.component_separator,
            self.repetition_separator,
        ]
        if len(set(used)) != len(used):
            raise ValueError(f"delimiters must be four distinct characters, got {used}")
        if any(ch.isalnum() or ch == " " for ch in used):
            raise ValueError(f"delimiters must not be letters, digits or spaces, got {used}")
        if any(ch.isspace() for ch in used[:1] + used[2:]):
            raise ValueError("only the segment terminator may be a line break or other space")
        return self

    @property
    def gs_sender(self) -> str:
        """GS02: the application sender code, defaulting to the ISA sender ID."""
        return self.application_sender_code or self.sender_id

    @property
    def gs_receiver(self) -> str:
        """GS03: the application receiver code, defaulting to the ISA receiver ID."""
        return self.application_receiver_code or self.receiver_id


class Acknowledgments(_Strict):
    """What we answer to the partner's X12, and what we expect it to answer to ours."""

    #: a 997 (groups of version 4010 and before) or 999 (5010) for every functional group received
    send: bool = True
    #: TA1 for the interchange envelope: when ISA14 asks for one ("on-request"), "always", or
    #: "never"; "on-request" and "always" also send one whenever the envelope is rejected
    ta1: Literal["on-request", "always", "never"] = "on-request"
    #: we expect a 997/999 for each group we send; without one it becomes overdue
    expect: bool = True
    overdue_after_hours: Annotated[float, Field(gt=0)] = 24.0
    #: an ISA13 seen from this partner within this window is a duplicate (TA1 025), not processed
    duplicate_window_days: Annotated[int, Field(ge=0)] = 90


class X12Settings(_Strict):
    """How this partner wants its X12: version, map, envelope and code translations."""

    version: Literal["004010", "005010"] = "004010"
    purchase_order_map: str = "850"
    #: how a changed or cancelled order reaches the partner: an 860 listing every line again
    #: ("860-replace", POC02 RZ), an 860 of what changed ("860-delta": AI, DI, QI/QD, PC, CT),
    #: or an 850 that replaces or deletes the first one ("850": BEG01 05 / 03)
    changes: Literal["860-replace", "860-delta", "850"] = "860-delta"
    change_order_map: str = "860"
    envelope: Envelope
    product_id_qualifiers: tuple[ProductIdKind, ...] = (
        ProductIdKind.VENDOR_PART,
        ProductIdKind.BUYER_PART,
        ProductIdKind.UPC,
        ProductIdKind.MANUFACTURER_PART,
    )
    uom: dict[str, str] = Field(default_factory=dict)
    uom_default: str | None = None
    acknowledgments: Acknowledgments = Acknowledgments()

    @field_validator("uom")
    @classmethod
    def _uom_codes(cls, value: dict[str, str]) -> dict[str, str]:
        bad = {k: v for k, v in value.items() if not (1 <= len(v) <= 2 and v.isalnum())}
        if bad:
            raise ValueError(f"X12 unit codes are 2 letters or digits (355), got {bad}")
        return value


class SftpServer(_Strict):
    """A partner's SFTP server: key authentication, its host key pinned (never learned)."""

    host: str
    port: Annotated[int, Field(ge=1, le=65535)] = 22
    username: str
    private_key: str  # path relative to the certs folder, or absolute
    #: file under certs/ holding the private key's passphrase, if the key is encrypted
    private_key_passphrase_file: str | None = None
    host_key: str  # one known_hosts style line: "ssh-ed25519 AAAA..."
    remote_dir: str = "."
    timeout_seconds: Annotated[float, Field(gt=0)] = 30.0


class SftpTransport(SftpServer):
    """Deliver by SFTP: upload under a temporary name, then rename."""

    kind: Literal["sftp"]
    temporary_suffix: str = ".part"


class DirectoryTransport(_Strict):
    """Deliver into a local folder (the example partner; a mounted share)."""

    kind: Literal["directory"]
    path: str
    temporary_suffix: str = ".part"
    #: Create the folder when missing (an outbox of our own). Leave false for a mounted share,
    #: so that an unmounted share is reported instead of silently filled.
    create: bool = False


class As2Transport(_Strict):
    """Deliver by AS2 (RFC 4130) over HTTP(S) to the partner's URL; see the `[as2]` section."""

    kind: Literal["as2"]
    url: Annotated[str, Field(pattern=r"^https?://")]
    timeout_seconds: Annotated[float, Field(gt=0)] = 60.0
    #: HTTP Basic credentials: the user, and a file under certs/ holding the password
    basic_auth_user: str | None = None
    basic_auth_password_file: str | None = None
    #: PEM file under certs/ with our TLS client certificate and its key
    tls_client_certificate: str | None = None
    #: PEM file under certs/ with the CA(s) that sign the partner's TLS certificate
    tls_ca_file: str | None = None

    @model_validator(mode="after")
    def _basic_auth_complete(self) -> As2Transport:
        if (self.basic_auth_user is None) != (self.basic_auth_password_file is None):
            raise ValueError("basic_auth_user and basic_auth_password_file go together")
        return self


Transport = Annotated[
    SftpTransport | DirectoryTransport | As2Transport, Field(discriminator="kind")
]


class _Polled(_Strict):
    """How a folder of the partner's files is polled, and what becomes of a file once taken."""

    #: fnmatch pattern of the file names taken; others (and the `.part` files being written) stay
    pattern: str = "*"
    poll_seconds: Annotated[float, Field(gt=0)] = 60.0
    #: after a file is recorded: delete it, or move it into `archive_dir` (relative to the
    #: polled folder unless absolute; it must exist, `create` makes it for a local folder)
    after: Literal["delete", "move"] = "delete"
    archive_dir: str | None = None

    @model_validator(mode="after")
    def _archive_for_move(self) -> Self:
        if (self.after == "move") != (self.archive_dir is not None):
            raise ValueError("archive_dir is needed with after = 'move', and only then")
        return self


class SftpInbound(SftpServer, _Polled):
    """Poll a folder (`remote_dir`) on the partner's SFTP server for what it sends us."""

    kind: Literal["sftp"]


class DirectoryInbound(_Polled):
    """Poll a local folder (the example partner; a mounted share) for the partner's documents."""

    kind: Literal["directory"]
    path: str  # relative to the data folder, or absolute
    create: bool = False


Inbound = Annotated[SftpInbound | DirectoryInbound, Field(discriminator="kind")]


class As2Partner(_Strict):
    """The partner's AS2 identity, its certificates and the security agreed with it."""

    as2_id: Annotated[str, Field(min_length=1, max_length=128)]
    #: the partner's certificate files under certs/: two during a rollover
    certificates: Annotated[tuple[str, ...], Field(min_length=1, max_length=2)]
    #: what we send: signature digest (None: unsigned), cipher (None: not encrypted)
    sign: str | None = "sha256"
    signature_scheme: Literal["pkcs1v15", "pss"] = "pkcs1v15"
    encrypt: str | None = "aes256_cbc"
    key_transport: Literal["rsa_pkcs1v15", "rsa_oaep"] = "rsa_pkcs1v15"
    compress: Literal["none", "before_signing", "after_signing"] = "none"
    transfer_encoding: Literal["binary", "base64"] = "binary"
    content_type: str = "application/edi-x12"
    #: the receipt we ask for
    mdn: Literal["sync", "async", "none"] = "sync"
    mdn_signed: bool = True
    mdn_mic_algorithm: str = "sha256"
    #: how long to wait for an asynchronous MDN before resending (same Message-ID)
    async_mdn_timeout_seconds: Annotated[float, Field(gt=0)] = 3600.0
    #: "rfc3851" writes sha256 where RFC 5751 writes sha-256 (older products want it)
    micalg_style: Literal["rfc5751", "rfc3851"] = "rfc5751"
    #: what we demand of what the partner sends us
    require_signed: bool = True
    require_encrypted: bool = True
    #: turn off only for a partner whose certificate has lapsed and who cannot renew yet
    validate_certificate_dates: bool = True
    #: IBM Sterling: the MIC is computed with every line end as CRLF, binary content too
    canonicalize_line_endings: bool = False
    #: weak algorithms this partner may still sign / encrypt / ask its MIC with: "sha1",
    #: "tripledes_cbc" (any spelling). Without them only SHA-256/384/512 and AES-CBC are
    #: accepted; MD5, RC2, RC4 and DES never are. The MDN answers others with
    #: "processed/error: insufficient-message-security".
    allow_weak: tuple[str, ...] = ()
    #: the TLS client certificate the partner's AS2 posts must come with (the gateway serving
    #: HTTPS with B2B_TLS_CLIENT_CA): a PEM/DER file under certs/, or its SHA-256 fingerprint
    #: ("sha256:AB:CD:..." or 64 hex digits). A post without it, or with another certificate,
    #: is refused before decryption: "processed/error: authentication-failed", else HTTP 403.
    tls_client_certificate: str | None = None
    #: HTTP Basic the partner's AS2 posts must come with: the user (no colon), and a file under
    #: certs/ holding the password (sealable with `b2b secrets seal`). A post without them, or
    #: with others, is refused before decryption: "processed/error: authentication-failed",
    #: else HTTP 401. Both or neither.
    inbound_basic_auth_user: Annotated[str, Field(min_length=1, pattern=r"^[^:]+$")] | None = None
    inbound_basic_auth_password_file: str | None = None

    @model_validator(mode="after")
    def _inbound_basic_auth_complete(self) -> As2Partner:
        if (self.inbound_basic_auth_user is None) != (
            self.inbound_basic_auth_password_file is None
        ):
            raise ValueError(
                "inbound_basic_auth_user and inbound_basic_auth_password_file go together"
            )
        return self

    @field_validator("sign", "mdn_mic_algorithm")
    @classmethod
    def _digest(cls, value: str | None) -> str | None:
        # Partners spell them sha256, sha-256, SHA_256, sha256_rsa: keep the plain name.
        return None if value is None else _plain(parse_mic_algorithm, value)

    @field_validator("encrypt")
    @classmethod
    def _cipher(cls, value: str | None) -> str | None:
        return None if value is None else _plain(parse_encryption, value)

    @field_validator("allow_weak")
    @classmethod
    def _weak(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return tuple(dict.fromkeys(_plain(parse_weak_algorithm, v) for v in value))


def _plain(parse: Callable[[str], enum.Enum], value: str) -> str:
    try:
        return str(parse(value).value)
    except ConfigurationError as exc:
        raise ValueError(str(exc)) from exc


class Retry(_Strict):
    """Retry schedule for failed sends: exponential backoff with jitter, capped; after
    `max_attempts` the message is dead-lettered (state "dead").

    >>> Retry(initial_backoff_seconds=30, jitter=0).delay(3)
    120.0
    """

    max_attempts: Annotated[int, Field(ge=1, le=100)] = 8
    initial_backoff_seconds: Annotated[float, Field(gt=0)] = 30.0
    max_backoff_seconds: Annotated[float, Field(gt=0)] = 3600.0
    #: each wait is spread uniformly over ±jitter of its value (0.2: ±20%), never past the cap,
    #: so that messages that failed together are not all retried at once
    jitter: Annotated[float, Field(ge=0, lt=1)] = 0.2

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based), before jitter."""
        return float(
            min(self.max_backoff_seconds, self.initial_backoff_seconds * 2 ** (attempt - 1))
        )

    def delay(
        self,
        attempt: int,
        *,
        retry_after: float | None = None,
        random: Callable[[], float] = _random.random,
    ) -> float:
        """Seconds to wait after failed attempt `attempt`: the backoff with jitter drawn from
        `random` (uniform in [0, 1)), or the partner's Retry-After when it gave one; never
        more than `max_backoff_seconds`."""
        if retry_after is not None:
            return min(self.max_backoff_seconds, max(0.0, retry_after))
        base = self.backoff(attempt)
        low = base * (1 - self.jitter)
        high = min(self.max_backoff_seconds, base * (1 + self.jitter))
        return low + (high - low) * random()


class Delivery(_Strict):
    """How messages to this partner leave.

    Messages to one partner leave in the order they were accepted: one waits while an earlier
    one to the same partner (and destination: the partner's X12, or Coupa's cXML) is
    unfinished, retries included. `parallel = true` lets them go side by side, in any order.
    """

    parallel: bool = False


def _domain_identities(value: tuple[str, ...]) -> tuple[str, ...]:
    bad = [v for v in value if ":" not in v]
    if bad:
        raise ValueError(f"identities are 'domain:identity' (e.g. 'DUNS:123456789'), got {bad}")
    return value


class CoupaDocuments(_Strict):
    """Where this supplier's 855, 856 and 810 go in Coupa, as cXML, and with which credentials.

    The paths are those of the buyer's Coupa instance for cXML from suppliers; check them in its
    supplier integration settings.
    """

    url: Annotated[str, Field(pattern=r"^https?://")]  # the buyer's instance, no trailing path
    confirmation_path: str = "/cxml/order_confirmations"  # ConfirmationRequest (855)
    ship_notice_path: str = "/cxml/ship_notice_request"  # ShipNoticeRequest (856)
    invoice_path: str = "/cxml/invoices"  # InvoiceDetailRequest (810)
    #: Header/From: the supplier as Coupa knows it; Header/To: the buyer ("domain:identity")
    from_identity: str
    to_identity: str
    #: Header/Sender: the supplier (default: from_identity), with the shared secret Coupa holds
    sender_identity: str | None = None
    shared_secret_file: str  # under certs/
    timeout_seconds: Annotated[float, Field(gt=0)] = 60.0
    #: which documents go to Coupa
    send: tuple[Literal["855", "856", "810"], ...] = ("855", "856", "810")

    @field_validator("from_identity", "to_identity", "sender_identity")
    @classmethod
    def _identity(cls, value: str | None) -> str | None:
        return None if value is None else _domain_identities((value,))[0]

    def url_for(self, transaction_set: str) -> str:
        """The URL the cXML for an 855, 856 or 810 is posted to."""
        paths = {
            "855": self.confirmation_path,
            "856": self.ship_notice_path,
            "810": self.invoice_path,
        }
        return self.url.rstrip("/") + paths[transaction_set]


class CoupaIdentity(_Strict):
    """How documents from Coupa name this supplier, and where its answers go in Coupa."""

    identities: tuple[str, ...] = ()  # cXML To credentials as "domain:identity"
    supplier_numbers: tuple[str, ...] = ()  # Coupa XML supplier/number
    documents: CoupaDocuments | None = None

    @field_validator("identities")
    @classmethod
    def _domain_identity(cls, value: tuple[str, ...]) -> tuple[str, ...]:
        return _domain_identities(value)


class PartnerProfile(_Strict):
    """One trading partner. The file name (without .toml) must equal `id`."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9][a-z0-9_-]*$")]
    name: str
    coupa: CoupaIdentity
    x12: X12Settings
    transport: Transport
    as2: As2Partner | None = None
    #: where the partner's files are fetched from (AS2 needs no entry: partners post to us)
    inbound: Inbound | None = None
    retry: Retry = Retry()
    delivery: Delivery = Delivery()

    @model_validator(mode="after")
    def _as2_for_as2_transport(self) -> PartnerProfile:
        if isinstance(self.transport, As2Transport) and self.as2 is None:
            raise ValueError("transport kind 'as2' needs an [as2] section")
        return self
