"""Message Disposition Notifications (RFC 3798, RFC 4130 §7): build ours, check the partner's.

Checking is strict. An MDN counts as delivered only when its signature verifies against the
partner's certificate (when we asked for a signed one), its Original-Message-ID is our message's,
and its Received-Content-MIC is present, uses the algorithm we asked for and equals our MIC.
A signed MDN using SHA-1 (signature or MIC) is refused unless the partner's profile allows it
(`allow_weak`); an unsigned MDN's MIC is SHA-1 by RFC 4130 and authenticates nothing anyway.
Anything less raises MdnRejected; an authentic MDN reporting an error is a "failed" outcome.

    >>> mdn = build_mdn(received, mdn_message_id="mdn-1@b2b.example", ours=ours)
    >>> parse_mdn(mdn.headers, mdn.body, partner=acme, expected_message_id=built.message_id,
    ...           expected_mic=built.mic, expected_mic_algorithm=built.mic_algorithm).status
    'delivered'
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from cryptography import x509

from b2b.as2 import mime, signed_data
from b2b.as2.algorithms import STRONG_DIGESTS, Digest, SignatureScheme, find_mic_algorithm
from b2b.as2.certificates import valid_at
from b2b.as2.envelope import quote_as2_name
from b2b.as2.model import (
    AS2_VERSION,
    AS2Envelope,
    LocalIdentity,
    MdnRequest,
    PartnerSecurity,
    ReceivedMessage,
)
from b2b.errors import AS2AuthenticationFailed, AS2Error, AS2MalformedMessage, MdnRejected

Header = tuple[str, str]
_REPORT = "multipart/report"
_NOTIFICATION = "message/disposition-notification"
# the fixed header blocks of the MDN's parts, built once
_TEXT_HEAD = mime.build_entity(
    [("Content-Type", "text/plain; charset=us-ascii"), ("Content-Transfer-Encoding", "7bit")], b""
)
_NOTIFICATION_HEAD = mime.build_entity(
    [("Content-Type", _NOTIFICATION), ("Content-Transfer-Encoding", "7bit")], b""
)
_SIGNATURE_HEAD = mime.build_entity(
    [
        ("Content-Type", 'application/pkcs7-signature; name="smime.p7s"'),
        ("Content-Transfer-Encoding", "base64"),
        ("Content-Disposition", 'attachment; filename="smime.p7s"'),
    ],
    b"",
)


@dataclass(frozen=True)
class BuiltMdn:
    """An MDN ready to return in the HTTP response or to POST to the async URL."""

    message_id: str
    headers: tuple[Header, ...]
    body: bytes
    disposition: str
    signed: bool


@dataclass(frozen=True)
class MdnOutcome:
    """What a checked MDN says about our message."""

    status: Literal["delivered", "failed"]
    #: the Disposition value after "automatic-action/MDN-sent-automatically; "
    disposition: str
    #: "error: ..." / "warning: ..." / "failure: ..." when present
    modifier: str | None
    original_message_id: str
    received_mic: str | None
    mic_algorithm: Digest | None
    signed: bool
    signer: x509.Certificate | None
    text: str
    mdn_message_id: str | None


def build_mdn(
    original: ReceivedMessage | AS2Envelope,
    *,
    mdn_message_id: str,
    ours: LocalIdentity | None,
    error: AS2Error | None = None,
    warning: str | None = None,
    reporting_ua: str = "b2b AS2 gateway",
    text: str | None = None,
    now: datetime | None = None,
    signature_scheme: SignatureScheme = SignatureScheme.PKCS1V15,
) -> BuiltMdn:
    """The MDN answering `original`: signed when it asked for a signed one and `ours` is known.

    Pass the ReceivedMessage after success (its MIC goes into Received-Content-MIC), or the
    envelope from `read_envelope` with the `error` that stopped processing.
    """
    received, received_mic, mic_name = None, None, None
    if isinstance(original, ReceivedMessage):
        received, envelope, mic_name = original, original.envelope, _mic_name(original)
        received_mic = f"{original.mic}, {mic_name}"
    else:
        envelope = original
    disposition = _disposition(error, warning)
    text = text or _text(envelope, error)
    content_type, body = _report(envelope, disposition, reporting_ua, text, received_mic)
    request, signed = envelope.mdn_request, False
    if request is not None and request.signed and ours is not None:
        digest, name = _signing_digest(received, mic_name, request)
        content_type, body = _sign(
            content_type, body, ours=ours, digest=digest, name=name, scheme=signature_scheme
        )
        signed = True
    headers = [
        ("AS2-Version", AS2_VERSION),
        ("AS2-From", quote_as2_name(envelope.as2_to)),
        ("AS2-To", quote_as2_name(envelope.as2_from)),
        ("Message-ID", f"<{mdn_message_id.strip('<>')}>"),
        ("Subject", "Message Disposition Notification"),
        ("MIME-Version", "1.0"),
    ]
    if now is not None:
        headers.append(("Date", mime.rfc5322_date(now)))
    headers.append(("Content-Type", content_type))
    return BuiltMdn(mdn_message_id, tuple(headers), body, disposition, signed)


def _disposition(error: AS2Error | None, warning: str | None) -> str:
    if error is not None:
        return error.disposition
    if warning:
        return f"processed/warning: {warning}"
    return "processed"


def _text(envelope: AS2Envelope, error: AS2Error | None) -> str:
    if error is None:
        return (
            f"The AS2 message {envelope.message_id} sent to {envelope.as2_to} was received, "
            "verified and passed on for processing.\r\n"
        )
    return (
        f"The AS2 message {envelope.message_id} could not be processed: "
        f"{error.disposition_modifier} ({error.reason}).\r\n"
    )


def _report(
    envelope: AS2Envelope,
    disposition: str,
    reporting_ua: str,
    text: str,
    received_mic: str | None,
) -> tuple[str, bytes]:
    """The multipart/report: its Content-Type and its body."""
    fields = [
        ("Reporting-UA", reporting_ua),
        ("Original-Recipient", f"rfc822; {envelope.as2_to}"),
        ("Final-Recipient", f"rfc822; {envelope.as2_to}"),
        ("Original-Message-ID", f"<{envelope.message_id}>"),
        ("Disposition", f"automatic-action/MDN-sent-automatically; {disposition}"),
    ]
    if received_mic is not None:
        fields.append(("Received-Content-MIC", received_mic))
    notification = "".join([f"{name}: {value}\r\n" for name, value in fields]).encode("latin-1")
    parts = [_TEXT_HEAD + text.encode("ascii", "replace"), _NOTIFICATION_HEAD + notification]
    boundary = mime.make_boundary(*parts)
    content_type = f'{_REPORT}; report-type=disposition-notification; boundary="{boundary}"'
    return content_type, mime.multipart(parts, boundary)


def _mic_name(received: ReceivedMessage) -> str:
    """The MIC algorithm as the partner spelt it, when it named the one we used."""
    request = received.mdn_request
    if request is not None:
        for digest, name in request.mic_algorithms:
            if digest is received.mic_algorithm:
                return name
    return received.mic_algorithm.micalg


def _signing_digest(
    received: ReceivedMessage | None, mic_name: str | None, request: MdnRequest
) -> tuple[Digest, str | None]:
    """What signs the MDN: the MIC's algorithm (named by the partner, allowed by its profile;
    `mic_name` is `_mic_name(received)`); for a refused message, the first strong one it
    named; else SHA-256."""
    if received is not None and request.mic_algorithms:
        return received.mic_algorithm, mic_name
    strong = [(d, n) for d, n in request.mic_algorithms if d in STRONG_DIGESTS]
    return strong[0] if strong else (Digest.SHA256, None)


def _sign(
    content_type: str,
    body: bytes,
    *,
    ours: LocalIdentity,
    digest: Digest,
    name: str | None,
    scheme: SignatureScheme,
) -> tuple[str, bytes]:
    """The report (`content_type`, `body`) as multipart/signed: its Content-Type and body."""
    entity = mime.build_entity([("Content-Type", content_type)], body)
    entity_digest = digest.digest_of(entity)
    signature = signed_data.sign(
        entity_digest, digest=digest, scheme=scheme, signer=ours.signing_key
    )
    signature_part = _SIGNATURE_HEAD + mime.base64_lines(signature)
    boundary = mime.make_boundary(entity, digest=entity_digest)
    content_type = (
        'multipart/signed; protocol="application/pkcs7-signature"; '
        f'micalg={name or digest.micalg}; boundary="{boundary}"'
    )
    return content_type, mime.multipart([entity, signature_part], boundary)


# ------------------------------------------------------------------------------------- parse


def parse_mdn(
    headers: Iterable[Header] | Mapping[str, str],
    body: bytes,
    *,
    partner: PartnerSecurity,
    expected_message_id: str,
    expected_mic: str | None,
    expected_mic_algorithm: Digest | None,
    require_signed: bool = True,
    now: datetime | None = None,
) -> MdnOutcome:
    """Check an MDN for our message strictly; raise MdnRejected with the reason if untrusted.

    `require_signed`: we asked for a signed MDN, so an unsigned one is refused. An authentic
    MDN that reports an error is returned as status "failed" with its disposition modifier.
    """
    try:
        return _parse_mdn(
            mime.Headers(headers),
            body,
            partner=partner,
            expected=(expected_message_id, expected_mic, expected_mic_algorithm),
            require_signed=require_signed,
            now=now or datetime.now(UTC),
        )
    except MdnRejected:
        raise
    except AS2Error as exc:
        raise MdnRejected(f"the MDN cannot be read: {exc.reason}") from exc


def _parse_mdn(
    fields: mime.Headers,
    body: bytes,
    *,
    partner: PartnerSecurity,
    expected: tuple[str, str | None, Digest | None],
    require_signed: bool,
    now: datetime,
) -> MdnOutcome:
    expected_message_id, expected_mic, expected_mic_algorithm = expected
    entity = mime.Entity(fields, body)
    report, verified = _unsign(entity, partner, require_signed, now)
    notification, text = _notification(report)
    original = (notification.get("original-message-id") or "").strip().strip("<>")
    if original != expected_message_id.strip("<>"):
        raise MdnRejected(f"the MDN answers {original!r}, not {expected_message_id!r}")
    disposition = (notification.get("disposition") or "").partition(";")[2].strip()
    if not disposition:
        raise MdnRejected("the MDN has no Disposition")
    kind, _, modifier = disposition.partition("/")
    mic, algorithm = _received_mic(notification.get("received-content-mic"))
    delivered = kind.strip().lower() == "processed" and not modifier.lower().startswith("error")
    delivered = delivered and not modifier.lower().startswith("failure")
    if delivered:
        _check_mic(mic, algorithm, expected_mic, expected_mic_algorithm)
    if verified is not None:  # an unsigned MDN's MIC is SHA-1 by RFC 4130 and proves nothing
        _allowed(algorithm if delivered else None, partner, "its Received-Content-MIC uses")
        _allowed(verified.digest, partner, "it is signed with")
    return MdnOutcome(
        status="delivered" if delivered else "failed",
        disposition=disposition,
        modifier=modifier.strip() or None,
        original_message_id=original,
        received_mic=mic,
        mic_algorithm=algorithm,
        signed=verified is not None,
        signer=verified.certificate if verified is not None else None,
        text=text,
        mdn_message_id=(fields.get("message-id") or "").strip().strip("<>") or None,
    )


def _unsign(
    entity: mime.Entity, partner: PartnerSecurity, require_signed: bool, now: datetime
) -> tuple[mime.Entity, signed_data.Verified | None]:
    content_type = entity.content_type
    if content_type.mime_type == _REPORT:
        if require_signed:
            raise MdnRejected("the MDN is not signed, and we asked for a signed MDN")
        return entity, None
    if content_type.mime_type != "multipart/signed":
        raise MdnRejected(f"not an MDN: Content-Type {content_type.mime_type}")
    try:
        parts = mime.split_multipart(
            entity.data, content_type.param("boundary") or "", entity.start
        )
        if len(parts) != 2:
            raise AS2MalformedMessage(f"multipart/signed has {len(parts)} parts, not 2")
        info = signed_data.read_signed_data(mime.parse_entity(parts[1]).decoded())
        certificates = [
            c
            for c in partner.certificates
            if not partner.validate_certificate_dates or valid_at(c, now)
        ]
        forms = mime.signed_forms(parts[0], canonicalize=partner.canonicalize_line_endings)
        verified = signed_data.verify(info, forms, certificates)
    except (AS2AuthenticationFailed, AS2MalformedMessage) as exc:
        raise MdnRejected(
            f"the MDN signature does not verify with the partner's certificates: {exc}"
        ) from exc
    return mime.parse_entity(parts[0]), verified


def _allowed(digest: Digest | None, partner: PartnerSecurity, what: str) -> None:
    """Refuse SHA-1 (signature or MIC) unless the partner's profile allows it (`allow_weak`)."""
    if digest is not None and digest not in partner.accept_digests:
        raise MdnRejected(
            f"the MDN is refused: {what} {digest.micalg}, which the profile of partner "
            f"{partner.as2_id!r} does not allow (allow_weak)"
        )


def _notification(report: mime.Entity) -> tuple[mime.Headers, str]:
    if report.content_type.mime_type != _REPORT:
        raise MdnRejected(f"the signed MDN holds {report.content_type.mime_type}, not a report")
    try:
        parts = [
            mime.parse_entity(p)
            for p in mime.split_multipart(
                report.data, report.content_type.param("boundary") or "", report.start
            )
        ]
    except AS2MalformedMessage as exc:
        raise MdnRejected(f"the MDN report cannot be read: {exc}") from exc
    text = "".join(
        p.decoded().decode("utf-8", "replace")
        for p in parts
        if p.content_type.mime_type == "text/plain"
    )
    for part in parts:
        if part.content_type.mime_type == _NOTIFICATION:
            return mime.parse_headers(part.decoded()), text
    raise MdnRejected("the MDN has no message/disposition-notification part")


def _received_mic(value: str | None) -> tuple[str | None, Digest | None]:
    if not value:
        return None, None
    mic, _, name = value.partition(",")
    return mic.strip(), find_mic_algorithm(name) if name.strip() else None


def _check_mic(
    mic: str | None,
    algorithm: Digest | None,
    expected: str | None,
    expected_algorithm: Digest | None,
) -> None:
    if mic is None:
        raise MdnRejected("the MDN has no Received-Content-MIC")
    if expected is None or expected_algorithm is None:
        raise MdnRejected("we hold no MIC for this message, so the MDN cannot be checked")
    if algorithm is not expected_algorithm:
        name = algorithm.micalg if algorithm else "an unknown algorithm"
        raise MdnRejected(f"the MDN MIC uses {name}, we asked for {expected_algorithm.micalg}")
    if mic != expected:
        raise MdnRejected(f"the MDN MIC {mic} differs from ours {expected}")
