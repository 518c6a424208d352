"""The AS2 half of `b2b partners test`: a TA1 test interchange, a signed sync MDN, a diagnosis.

See `b2b.partners.livetest` for what is sent and why.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import ssl

import httpx

from b2b.as2 import (
    BuiltMessage,
    LocalIdentity,
    MdnOptions,
    MdnOutcome,
    build_message,
    parse_mdn,
)
from b2b.as2flow import new_message_id
from b2b.config import Settings
from b2b.errors import (
    ConfigurationError,
    MdnRejected,
    TransportError,
)
from b2b.partners.livetest import TEST_FILE_PREFIX, Blame, Steps, connection_test_interchange
from b2b.partners.profile import (
    As2Transport,
    PartnerProfile,
)
from b2b.partners.registry import load_partners
from b2b.partners.security import As2Directory, PartnerAs2
from b2b.transport.as2 import As2Poster, HttpReply

# ------------------------------------------------------------------------------------ AS2


def as2_round_trip(
    settings: Settings, profile: PartnerProfile, steps: Steps, now: dt.datetime
) -> None:
    assert isinstance(profile.transport, As2Transport)
    assert profile.as2 is not None
    certs = settings.resolve(settings.certs_dir)
    try:
        directory = As2Directory.load(
            settings, load_partners(settings.resolve(settings.partners_dir))
        )
        poster = As2Poster(profile.transport, certs_dir=certs, kek=settings.kek_bytes())
    except ConfigurationError as exc:
        raise steps.fail("configuration", exc.reason, "fix the files the profile names",
                         Blame.CONFIGURATION) from exc  # fmt: skip
    entry = directory.partners[profile.as2.as2_id]
    assert directory.ours is not None  # As2Directory.load refuses AS2 partners without our key
    built = _build_test_message(settings, entry, directory.ours, profile, now)
    steps.ok("build", f"TA1 test interchange, Message-ID <{built.message_id}>")
    with poster:
        reply = _post(poster, built, profile.transport, steps)
    _check_mdn(entry, built, reply, profile, steps)


def _build_test_message(
    settings: Settings,
    entry: PartnerAs2,
    ours: LocalIdentity,
    profile: PartnerProfile,
    now: dt.datetime,
) -> BuiltMessage:
    asked = entry.outbound.mdn
    mdn = MdnOptions(
        signed=True, mic_algorithm=asked.mic_algorithm if asked else MdnOptions().mic_algorithm
    )
    outbound = dataclasses.replace(entry.outbound, mdn=mdn, subject="b2b AS2 connection test")
    return build_message(
        connection_test_interchange(profile, now),
        settings=outbound,
        ours=ours,
        partner=entry.security,
        message_id=new_message_id(settings.payload_id_host),
        filename=f"{TEST_FILE_PREFIX}{now:%Y%m%d%H%M%S}.x12",
    )


def _post(
    poster: As2Poster, built: BuiltMessage, transport: As2Transport, steps: Steps
) -> HttpReply:
    try:
        reply = poster.post(built.headers, built.body)
    except TransportError as exc:
        raise steps.fail("post", exc.reason, diagnose_post(exc, transport)) from exc
    steps.ok("post", f"{transport.url} answered HTTP {reply.status}")
    return reply


def diagnose_post(exc: TransportError, transport: As2Transport) -> str:
    """What to do about a failed POST: unreachable, TLS trust, or the partner's HTTP answer."""
    cause = _tls_cause(exc)
    if isinstance(cause, ssl.SSLCertVerificationError):
        where = f"transport.tls_ca_file (now {transport.tls_ca_file})" if transport.tls_ca_file \
            else "transport.tls_ca_file to the CA file that signs it (under certs/)"  # fmt: skip
        return f"TLS trust: the partner's certificate chain is not trusted: set {where}"
    if cause is not None:
        return "TLS handshake failed: check the URL's scheme and port, and TLS 1.2 or later"
    network = exc.__cause__
    if isinstance(network, httpx.TimeoutException):
        return "unreachable URL: no answer in time (firewall, wrong host or port?)"
    if isinstance(network, httpx.HTTPError):
        return f"unreachable URL: nothing answers at {transport.url} (DNS, host, port, firewall?)"
    return _diagnose_http(exc.reason)


def _diagnose_http(reason: str) -> str:
    lowered = reason.lower()
    if "401" in lowered or "403" in lowered:
        return (
            "the partner refused our credentials: check basic_auth_* or our TLS client certificate"
        )
    if any(word in lowered for word in ("unknown", "not found", "does not exist", "partner")):
        return (
            "the partner answered with an error that names the AS2 IDs: check as2.as2_id "
            "and ours (B2B_AS2_ID)"
        )
    return "the partner answered with an HTTP error: read its answer above"


def _tls_cause(exc: BaseException) -> BaseException | None:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None


#: MDN disposition modifiers (RFC 4130 §7.4.3) and what they tell the operator
MODIFIER_DIAGNOSES = {
    "unknown-trading-partner": "wrong AS2 ID: the partner does not know the AS2-From/AS2-To pair; "
    "check as2.as2_id in the profile and ours (B2B_AS2_ID) with the partner",
    "decryption-failed": "the partner cannot decrypt: check the encryption certificate we use "
    "for it (as2.certificates) and that it holds its current key",
    "authentication-failed": "signature: the partner cannot verify our signature: check it "
    "holds our current certificate",
    "integrity-check-failed": "signature: the partner found our signature broken in transit "
    '(a proxy changing the body? try transfer_encoding = "base64")',
    "insufficient-message-security": "the partner wants other algorithms: check as2.sign, "
    "as2.encrypt and as2.mdn_mic_algorithm",
    "decompression-failed": 'the partner cannot decompress: set as2.compress = "none"',
}


def _check_mdn(
    entry: PartnerAs2, built: BuiltMessage, reply: HttpReply, profile: PartnerProfile, steps: Steps
) -> None:
    try:
        outcome = _parse(entry, built, reply, require_signed=True)
    except MdnRejected as exc:
        unsigned = _read_unsigned(entry, built, reply) if "not signed" in exc.reason else None
        if unsigned is not None and unsigned.status != "delivered":
            # Unsigned, so not trusted; but a partner that cannot place us cannot sign either,
            # and what it says is the likeliest diagnosis.
            detail = f"{exc.reason}; it reports {unsigned.disposition}"
            raise steps.fail("MDN", detail, diagnose_disposition(unsigned.modifier or "")) from exc
        raise steps.fail("MDN", exc.reason, diagnose_mdn_rejected(exc.reason, profile)) from exc
    if outcome.status != "delivered":
        raise steps.fail("MDN", outcome.disposition, diagnose_disposition(outcome.modifier or ""))
    steps.ok("MDN", f"signed MDN {outcome.disposition}, MIC {outcome.received_mic} matches")


def _read_unsigned(entry: PartnerAs2, built: BuiltMessage, reply: HttpReply) -> MdnOutcome | None:
    try:
        return _parse(entry, built, reply, require_signed=False)
    except MdnRejected:
        return None


def _parse(
    entry: PartnerAs2, built: BuiltMessage, reply: HttpReply, *, require_signed: bool
) -> MdnOutcome:
    """The partner's MDN checked against the test message (its signature required or not)."""
    return parse_mdn(
        reply.headers,
        reply.body,
        partner=entry.security,
        expected_message_id=built.message_id,
        expected_mic=built.mic,
        expected_mic_algorithm=built.mic_algorithm,
        require_signed=require_signed,
    )


def diagnose_mdn_rejected(reason: str, profile: PartnerProfile) -> str:
    """What to do about an MDN our strict checks refuse."""
    certificates = ", ".join(profile.as2.certificates) if profile.as2 else "-"
    if "signature does not verify" in reason:
        return (
            "the partner's MDN signature does not verify with the certificate in its profile "
            f"(as2.certificates: {certificates}): ask the partner for its current certificate"
        )
    if "MIC" in reason:
        return (
            "MIC mismatch: the partner computed another digest of what we sent (IBM Sterling: "
            'set as2.canonicalize_line_endings = true; or try transfer_encoding = "base64")'
        )
    if "not signed" in reason:
        return (
            "the partner sent an unsigned MDN: ask it to sign MDNs, or set as2.mdn_signed = false"
        )
    if "not an MDN" in reason or "cannot be read" in reason:
        return "the answer is no MDN: check the URL is the partner's AS2 endpoint"
    return "the MDN is not one we can trust: see the detail"


def diagnose_disposition(modifier: str) -> str:
    """What an MDN's error modifier means for the operator."""
    lowered = modifier.lower()
    for key, diagnosis in MODIFIER_DIAGNOSES.items():
        if key in lowered:
            return diagnosis
    return "the partner reports an error processing the test message: see the detail"
