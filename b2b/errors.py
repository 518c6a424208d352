"""The gateway's one exception tree. Each class carries its protocol consequence as data.

    B2BError                         http 500, cXML 500, not retryable by us
    ├── InputError                   the sender's document is at fault: http 400, cXML 400
    │   ├── MalformedDocument        not well-formed, unsafe (entities), or the wrong root
    │   ├── InvalidDocument          well-formed but a required value is missing or impossible
    │   ├── UnknownPartner           no partner profile matches the document's identity
    │   └── PayloadTooLarge          http 413, cXML 413, rejected before parsing
    ├── AuthenticationFailed         http 401, cXML 401: wrong or missing shared secret
    ├── ClientNotAllowed             http 403, cXML 403: the caller's IP is not in the allow-list
    ├── ConfigurationError           a settings or partner file is wrong (file, field, allowed)
    ├── MappingError                 a document cannot be shaped for its partner
    ├── X12Error                     an interchange cannot be read (envelope, counts, syntax)
    │   └── X12EnvelopeError         ...with the TA1 / AK9 / AK5 (IK5) code that answers it
    ├── TransportError               a send failed and a retry may help (refused, timeout)
    │   └── PermanentTransportError  a retry will not help (auth refused, host key mismatch)
    │       └── HostKeyMismatch      the server's key is not the one pinned in the profile
    ├── UnknownMessage               http 404: no outbound message has that id
    ├── ResendRefused                http 409: in flight, or nothing to re-issue from
    ├── AS2Error                     an AS2 message cannot be processed: MDN "error: ..." modifier
    │   ├── AS2AuthenticationFailed      bad signature, tampered content, unknown signer
    │   ├── AS2DecryptionFailed          none of our keys opens the envelope
    │   ├── AS2InsufficientSecurity      unsigned / unencrypted where the profile requires it, or
    │   │                                a weak algorithm it does not allow (SHA-1, 3DES; MD5, RC2)
    │   ├── AS2UnsupportedMicAlgorithms  a required signed-receipt-micalg we do not accept:
    │   │                                "failed/Failure: unsupported MIC-algorithms"
    │   ├── AS2UnknownTradingPartner     no profile for the AS2-From / AS2-To pair
    │   ├── AS2DecompressionFailed       corrupt compressed data, or over the size limit
    │   ├── AS2MalformedMessage          unreadable MIME or CMS: unexpected-processing-error
    │   └── MdnRejected                  an MDN we received cannot be trusted (never "delivered")
    └── StoreUnavailable             http 500, cXML 500: the database is down, Coupa retries

Handlers turn any of them into the answer for their protocol: `api` reads `http_status` and
`cxml_status`; the AS2 receiver reads `disposition_modifier` (RFC 4130 §7.4.3) for the MDN; the
worker reads `retryable` to choose between a retry and a failure.
"""

from __future__ import annotations

from typing import ClassVar, Literal


class B2BError(Exception):
    """Base of every error the gateway raises on purpose.

    >>> InvalidDocument("OrderRequestHeader@orderID is missing").cxml_status
    (400, 'Bad Request')
    """

    http_status: ClassVar[int] = 500
    cxml_status: ClassVar[tuple[int, str]] = (500, "Internal Server Error")
    retryable: ClassVar[bool] = False

    @property
    def reason(self) -> str:
        """The human-readable reason stored with the rejection and sent back to the sender."""
        return str(self) or type(self).__name__


class InputError(B2BError):
    """The sender's document is at fault; resending it unchanged cannot succeed."""

    http_status = 400
    cxml_status = (400, "Bad Request")


class MalformedDocument(InputError):
    """Not well-formed XML, an unsafe construct (entity declarations), or the wrong root."""


class InvalidDocument(InputError):
    """Well-formed, but a required value is missing or impossible; the message names it."""


class UnknownPartner(InputError):
    """No partner profile matches the identity the document names."""


class PayloadTooLarge(InputError):
    """The body is over the configured limit; it was not parsed."""

    http_status = 413
    cxml_status = (413, "Request Entity Too Large")


class AuthenticationFailed(B2BError):
    """The sender's credential is missing or wrong."""

    http_status = 401
    cxml_status = (401, "Unauthorized")


class ClientNotAllowed(B2BError):
    """The caller's address is outside the buyer's `allowed_ips`."""

    http_status = 403
    cxml_status = (403, "Forbidden")


class ConfigurationError(B2BError):
    """A settings value or partner profile is wrong; the message names file, field and allowed."""


class MappingError(B2BError):
    """A canonical document cannot be shaped into X12 for its partner."""


class X12Error(B2BError):
    """An interchange cannot be read: bad ISA, mismatched counts or control numbers, syntax."""


class X12EnvelopeError(X12Error):
    """An envelope fault, carrying the acknowledgment code that reports it.

    `level` names the acknowledgment: "interchange" → TA1 note code (I18, e.g. "001" ISA13/IEA02
    differ, "021" wrong IEA01 group count); "group" → AK905 / 999 AK905 code (716, e.g. "4" GS06/
    GE02 differ, "5" wrong GE01 count); "transaction" → AK501 / IK501 code (718, e.g. "3" ST02/SE02
    differ, "4" wrong SE01 count). `control_number` is the failing ISA13, GS06 or ST02 if known.

    >>> X12EnvelopeError("IEA02 1 != ISA13 55", level="interchange", code="001").code
    '001'
    """

    def __init__(
        self,
        reason: str,
        *,
        level: Literal["interchange", "group", "transaction"],
        code: str,
        control_number: str | None = None,
    ) -> None:
        super().__init__(reason)
        self.level = level
        self.code = code
        self.control_number = control_number
        #: where the fault was found: the segment's position in the interchange, the ISA being 1
        self.position: int | None = None

    @property
    def reason(self) -> str:
        """The fault, and the segment where it was found when that is known."""
        text = str(self) or type(self).__name__
        return text if self.position is None else f"{text} (segment {self.position})"


class TransportError(B2BError):
    """A send failed in a way a later retry may fix (connection refused, timeout, reset, HTTP
    408, 429 or 5xx). `retry_after`: the seconds the server asked us to wait (Retry-After).
    """

    retryable = True

    def __init__(self, reason: str = "", *, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.retry_after = retry_after


class PermanentTransportError(TransportError):
    """A send failed in a way a retry will not fix (authentication refused, bad path)."""

    retryable = False


class HostKeyMismatch(PermanentTransportError):
    """The server presented a host key other than the one pinned in the partner profile."""


class UnknownMessage(B2BError):
    """No outbound message has the id an operator named."""

    http_status = 404


class ResendRefused(B2BError):
    """An operator asked to resend a message that cannot be resent now (it is still in flight:
    received, queued, retrying or awaiting its MDN), or cannot be re-issued (no order to map)."""

    http_status = 409


class StoreUnavailable(B2BError):
    """The database cannot be reached or refused the write; nothing was half-stored."""

    retryable = True


class AS2Error(B2BError):
    """An AS2 message cannot be processed; the MDN answers `processed/<disposition_modifier>`.

    >>> AS2DecryptionFailed("no key opens it").disposition_modifier
    'error: decryption-failed'
    """

    disposition_modifier: ClassVar[str] = "error: unexpected-processing-error"
    #: "processed" for an error met while processing; "failed" when the MDN request itself
    #: cannot be honoured (RFC 4130 §7.4.3, RFC 3798 §3.2.6)
    disposition_type: ClassVar[str] = "processed"

    @property
    def disposition(self) -> str:
        """The MDN's disposition type and modifier: "processed/error: decryption-failed"."""
        return f"{self.disposition_type}/{self.disposition_modifier}"


class AS2AuthenticationFailed(AS2Error):
    """The signature does not verify with any of the partner's certificates, or the signed
    content was changed (message digest mismatch)."""

    disposition_modifier = "error: authentication-failed"


class AS2DecryptionFailed(AS2Error):
    """None of our private keys opens the enveloped data, or it decrypts to garbage."""

    disposition_modifier = "error: decryption-failed"


class AS2InsufficientSecurity(AS2Error):
    """The partner profile requires a signed or encrypted message and this one is not, or it is
    signed or encrypted with an algorithm the profile does not allow (SHA-1, 3DES) or that is
    never accepted (MD5, RC2, RC4, DES)."""

    disposition_modifier = "error: insufficient-message-security"


class AS2UnsupportedMicAlgorithms(AS2Error):
    """The MDN request names, as required, only MIC algorithms the profile does not allow."""

    disposition_type = "failed"
    disposition_modifier = "Failure: unsupported MIC-algorithms"


class AS2UnknownTradingPartner(AS2Error):
    """No partner profile matches the message's AS2-From / AS2-To pair."""

    disposition_modifier = "error: unknown-trading-partner"


class AS2DecompressionFailed(AS2Error):
    """The compressed data is corrupt or inflates past the configured size limit."""

    disposition_modifier = "error: decompression-failed"


class AS2MalformedMessage(AS2Error):
    """The MIME structure or a CMS structure cannot be read, or a required AS2 header is missing."""


class MdnRejected(AS2Error):
    """An MDN we received cannot be trusted (no or wrong signer, wrong Original-Message-ID,
    missing or different Received-Content-MIC). The message is not delivered; `reason` says why.
    """
