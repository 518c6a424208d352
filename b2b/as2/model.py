"""The typed values the AS2 functions take and return: identities, partner policy, results.

All are frozen dataclasses built by the caller from settings and partner profiles; nothing here
reads files or the clock.

    >>> partner = PartnerSecurity(as2_id="ACME", certificates=load_certificates(pem))
    >>> OutboundSecurity(encryption=Encryption.AES128_CBC, compression=Compression.BEFORE_SIGNING)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from cryptography import x509

from b2b.as2.algorithms import (
    STRONG_DIGESTS,
    STRONG_ENCRYPTIONS,
    Compression,
    Digest,
    Encryption,
    KeyTransport,
    SignatureScheme,
    TransferEncoding,
)
from b2b.as2.certificates import KeyPair
from b2b.errors import ConfigurationError

AS2_VERSION = "1.2"


@dataclass(frozen=True)
class LocalIdentity:
    """Our side of an AS2 relationship: our AS2 name and our keys.

    The first key pair signs; every pair is tried for decryption (two during a rollover).
    """

    as2_id: str
    keys: tuple[KeyPair, ...]

    def __post_init__(self) -> None:
        if not self.keys:
            raise ConfigurationError(f"AS2 identity {self.as2_id!r} has no key pair")

    @property
    def signing_key(self) -> KeyPair:
        """The key pair that signs messages and MDNs."""
        return self.keys[0]


@dataclass(frozen=True)
class PartnerSecurity:
    """A partner's certificates and what we demand of (and tolerate from) its messages."""

    as2_id: str
    #: verify against each; encrypt to the newest valid one (two during a rollover)
    certificates: tuple[x509.Certificate, ...]
    require_signed: bool = True
    require_encrypted: bool = True
    #: turn off for a partner whose certificate has lapsed (the corpus certificates are old)
    validate_certificate_dates: bool = True
    #: Sterling-style MIC: hash the signed entity with every line end as CRLF, binary or not
    canonicalize_line_endings: bool = False
    #: the digests its signatures (and the MIC its MDN requests name) may use; SHA-1 only when
    #: its profile allows it. MD5 is never accepted (the digest is not even known here).
    accept_digests: frozenset[Digest] = STRONG_DIGESTS
    #: the content encryption its messages may use; 3DES only when its profile allows it (RC2,
    #: RC4 and DES never). Key transport is not restricted: RSA PKCS#1 v1.5 is what every
    #: partner product sends, and RSAES-OAEP is better still.
    accept_encryptions: frozenset[Encryption] = STRONG_ENCRYPTIONS


@dataclass(frozen=True)
class MdnOptions:
    """The receipt we ask the partner for."""

    signed: bool = True
    mic_algorithm: Digest = Digest.SHA256
    #: None for a synchronous MDN in the HTTP response; else the URL for the asynchronous one
    async_url: str | None = None
    #: the Disposition-Notification-To value; defaults to our AS2 name
    notification_to: str | None = None


@dataclass(frozen=True)
class OutboundSecurity:
    """How to package one partner's outbound messages (per partner, as data)."""

    sign: bool = True
    digest: Digest = Digest.SHA256
    signature_scheme: SignatureScheme = SignatureScheme.PKCS1V15
    encrypt: bool = True
    encryption: Encryption = Encryption.AES256_CBC
    key_transport: KeyTransport = KeyTransport.RSA_PKCS1V15
    compression: Compression = Compression.NONE
    transfer_encoding: TransferEncoding = TransferEncoding.BINARY
    content_type: str = "application/edi-x12"
    mdn: MdnOptions | None = field(default_factory=MdnOptions)
    #: "rfc5751" writes micalg=sha-256; "rfc3851" writes sha256 (older products want it)
    micalg_style: Literal["rfc5751", "rfc3851"] = "rfc5751"
    subject: str = "AS2 message"
    #: zlib's level, 0-9; ISA-L deflates 1-3, 4-6, 7-9 at its levels 1, 2, 3 (compressed_data).
    #: 1 by default: bench/b1's 10 KB of X12 -> 3,763 bytes in 28 us (zlib's own level 6 makes
    #: 3,720 in 201 us)
    zlib_level: int = 1

    def micalg(self, digest: Digest) -> str:
        """The algorithm name this partner expects in micalg and MDN options."""
        return digest.micalg if self.micalg_style == "rfc5751" else digest.value


@dataclass(frozen=True)
class BuiltMessage:
    """An AS2 message ready to POST: the HTTP headers and the body, plus the MIC we expect back.

    Store these bytes: a retry sends them again, with the same Message-ID.
    """

    message_id: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    #: base64 digest the partner's MDN must return in Received-Content-MIC (None: no MDN asked)
    mic: str | None
    mic_algorithm: Digest | None


@dataclass(frozen=True)
class MdnRequest:
    """The MDN a received message asks for (Disposition-Notification-To and -Options)."""

    notification_to: str
    signed: bool
    #: the first algorithm in signed-receipt-micalg that we support, and its spelling there
    mic_algorithm: Digest | None
    mic_algorithm_name: str | None
    async_url: str | None
    #: signed-receipt-protocol=required: an unsigned MDN would not do
    signature_required: bool = False
    #: every algorithm of signed-receipt-micalg that we know, in the partner's order and spelling
    mic_algorithms: tuple[tuple[Digest, str], ...] = ()
    #: signed-receipt-micalg=required: a MIC with an algorithm it did not name would not do
    mic_algorithm_required: bool = False


@dataclass(frozen=True)
class AS2Envelope:
    """The AS2 headers of a received message, read before any cryptography."""

    message_id: str
    as2_from: str
    as2_to: str
    subject: str | None
    mdn_request: MdnRequest | None


@dataclass(frozen=True)
class ReceivedMessage:
    """A message that was opened and passed every check of the partner's policy."""

    envelope: AS2Envelope
    #: a bytearray when it was inflated or decrypted here (read in place, never re-copied)
    payload: bytes | bytearray
    content_type: str
    filename: str | None
    signed: bool
    encrypted: bool
    compressed: bool
    #: base64 MIC computed as the sender did, for Received-Content-MIC
    mic: str
    mic_algorithm: Digest
    signature_digest: Digest | None = None
    encryption: Encryption | None = None
    key_transport: KeyTransport | None = None
    #: the partner certificate that verified the signature
    signer: x509.Certificate | None = None

    @property
    def message_id(self) -> str:
        """The Message-ID without angle brackets."""
        return self.envelope.message_id

    @property
    def as2_from(self) -> str:
        """The sender's AS2 name."""
        return self.envelope.as2_from

    @property
    def as2_to(self) -> str:
        """Our AS2 name as the sender addressed it."""
        return self.envelope.as2_to

    @property
    def mdn_request(self) -> MdnRequest | None:
        """The MDN the sender asked for, if any."""
        return self.envelope.mdn_request


@dataclass(frozen=True)
class ReceiveLimits:
    """Hard limits on what a received message may make us do."""

    #: the most bytes any layer may inflate to (a decompression bomb stops here)
    max_payload_bytes: int = 256 << 20
    #: signed/encrypted/compressed layers, nested
    max_layers: int = 6
