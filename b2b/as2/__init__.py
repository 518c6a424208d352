"""AS2 (RFC 4130): S/MIME packaging, MIC and MDNs as pure functions of bytes and typed values.

Build with `build_message`, open with `open_message`, answer with `build_mdn`, check the
partner's answer with `parse_mdn`. Lookups (partners, keys) arrive as arguments; nothing here
touches the network, the database or the clock unless `now` is left out.

    >>> built = build_message(x12, settings=OutboundSecurity(), ours=ours, partner=acme,
    ...                       message_id="po-4711@b2b.example")
"""

from __future__ import annotations

from b2b.as2.algorithms import (
    Compression,
    Digest,
    Encryption,
    KeyTransport,
    SignatureScheme,
    TransferEncoding,
    parse_encryption,
    parse_mic_algorithm,
)
from b2b.as2.certificates import (
    KeyPair,
    certificate_pem,
    days_until_expiry,
    load_certificates,
    load_key_pair,
    load_private_key,
    new_self_signed,
    private_key_pem,
)
from b2b.as2.envelope import read_envelope
from b2b.as2.mdn import BuiltMdn, MdnOutcome, build_mdn, parse_mdn
from b2b.as2.message import build_message, open_message
from b2b.as2.model import (
    AS2Envelope,
    BuiltMessage,
    LocalIdentity,
    MdnOptions,
    MdnRequest,
    OutboundSecurity,
    PartnerSecurity,
    ReceivedMessage,
    ReceiveLimits,
)

__all__ = [
    "AS2Envelope",
    "BuiltMdn",
    "BuiltMessage",
    "Compression",
    "Digest",
    "Encryption",
    "KeyPair",
    "KeyTransport",
    "LocalIdentity",
    "MdnOptions",
    "MdnOutcome",
    "MdnRequest",
    "OutboundSecurity",
    "PartnerSecurity",
    "ReceiveLimits",
    "ReceivedMessage",
    "SignatureScheme",
    "TransferEncoding",
    "build_mdn",
    "build_message",
    "certificate_pem",
    "days_until_expiry",
    "load_certificates",
    "load_key_pair",
    "load_private_key",
    "new_self_signed",
    "open_message",
    "parse_encryption",
    "parse_mdn",
    "parse_mic_algorithm",
    "private_key_pem",
    "read_envelope",
]
