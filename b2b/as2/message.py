"""Build an AS2 message for a partner, and open one a partner sent us (RFC 4130, RFC 5402).

Layers, innermost first: the payload entity; compression before signing; the multipart/signed
signature; compression after signing; the enveloped data. The MIC is the digest of the entity
that was signed (headers included), or, unsigned, of the payload entity (of the bare payload when
it travels with no layer at all), so both sides compute the same value for Received-Content-MIC.

    >>> built = build_message(x12, settings=OutboundSecurity(), ours=ours, partner=acme,
    ...                       message_id="po-4711@b2b.example", filename="po4711.x12")
    >>> received = open_message(built.headers, built.body, find_partner=lookup)
    >>> received.payload == x12 and received.mic == built.mic
    True
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from cryptography import x509

from b2b.as2 import compressed_data, enveloped_data, mime, signed_data
from b2b.as2.algorithms import Compression, Digest, Encryption, KeyTransport, TransferEncoding
from b2b.as2.certificates import valid_at
from b2b.as2.envelope import as2_headers, read_envelope
from b2b.as2.model import (
    AS2Envelope,
    BuiltMessage,
    LocalIdentity,
    MdnRequest,
    OutboundSecurity,
    PartnerSecurity,
    ReceivedMessage,
    ReceiveLimits,
)
from b2b.errors import (
    AS2AuthenticationFailed,
    AS2InsufficientSecurity,
    AS2MalformedMessage,
    AS2UnknownTradingPartner,
    AS2UnsupportedMicAlgorithms,
    ConfigurationError,
)

Header = tuple[str, str]
FindPartner = Callable[[str, str], tuple[LocalIdentity, PartnerSecurity] | None]
_PKCS7_MIME = ("application/pkcs7-mime", "application/x-pkcs7-mime")
_DEFAULT_LIMITS = ReceiveLimits()
_SIGNATURE_TYPES = ("application/pkcs7-signature", "application/x-pkcs7-signature")


@dataclass
class _Part:
    """An entity under construction: headers and body (transfer-encoded), kept as chunks so a
    large payload is copied once, into the final body, however many layers wrap it."""

    headers: list[Header]
    body: list[bytes]

    def entity(self) -> list[bytes]:
        return mime.entity_chunks(self.headers, self.body)


def build_message(
    payload: bytes,
    *,
    settings: OutboundSecurity,
    ours: LocalIdentity,
    partner: PartnerSecurity,
    message_id: str,
    as2_from: str | None = None,
    as2_to: str | None = None,
    filename: str | None = None,
    now: datetime | None = None,
) -> BuiltMessage:
    """Package `payload` for `partner` as `settings` say: sign, compress, encrypt, AS2 headers.

    `now` picks the partner certificate to encrypt to (the newest one valid then; the clock
    when left out) and, when given, is written as the Date header. Same inputs, same headers;
    the body differs only by the randomness encryption (and RSASSA-PSS) needs, so a retry must
    resend the stored bytes rather than rebuild.
    """
    moment = now or datetime.now(UTC)
    part = _payload_part(payload, settings, filename)
    unsigned_mic_input = part.body if _bare(settings) else part.entity()
    mic_algorithm = _expected_mic_algorithm(settings)
    mic = None
    if settings.compression is Compression.BEFORE_SIGNING or (
        settings.compression is Compression.AFTER_SIGNING and not settings.sign
    ):
        part = _compressed_part(part, settings)
    if settings.sign:
        part, signed_entity = _signed_part(part, settings, ours)
        if mic_algorithm is not None:
            mic = _signed_mic(signed_entity, mic_algorithm, partner.canonicalize_line_endings)
        if settings.compression is Compression.AFTER_SIGNING:
            part = _compressed_part(part, settings)
    elif mic_algorithm is not None:
        mic = _mic(unsigned_mic_input, mic_algorithm)
    if settings.encrypt:
        del unsigned_mic_input  # the inner layers are now held by `part` alone
        if settings.sign:
            del signed_entity
        part = _encrypted_part(part, settings, _encryption_certificate(partner, moment))
    headers = as2_headers(settings, ours, partner, message_id, as2_from, as2_to, now)
    body = b"".join(part.body)
    return BuiltMessage(message_id, (*headers, *part.headers), body, mic, mic_algorithm)


def _signed_mic(entity: list[bytes], algorithm: Digest, canonicalize: bool) -> str:
    if canonicalize:
        return _mic([mime.canonical_line_endings(b"".join(entity))], algorithm)
    return _mic(entity, algorithm)


def _bare(settings: OutboundSecurity) -> bool:
    return not (settings.sign or settings.encrypt or settings.compression is not Compression.NONE)


def _expected_mic_algorithm(settings: OutboundSecurity) -> Digest | None:
    if settings.mdn is None:
        return None
    if settings.mdn.signed:
        return settings.mdn.mic_algorithm
    return settings.digest if settings.sign else Digest.SHA1


def _payload_part(payload: bytes, settings: OutboundSecurity, filename: str | None) -> _Part:
    headers = [("Content-Type", settings.content_type)]
    headers.append(("Content-Transfer-Encoding", settings.transfer_encoding.value))
    if filename:
        headers.append(("Content-Disposition", f"attachment; filename={mime.quote(filename)}"))
    return _Part(headers, _transfer(payload, settings))


def _transfer(data: bytes, settings: OutboundSecurity) -> list[bytes]:
    if settings.transfer_encoding is TransferEncoding.BASE64:
        return [mime.base64_lines(data)]
    return [data]


def _smime_part(der: list[bytes], smime_type: str, name: str, settings: OutboundSecurity) -> _Part:
    headers = [
        ("Content-Type", f'application/pkcs7-mime; smime-type={smime_type}; name="{name}"'),
        ("Content-Transfer-Encoding", settings.transfer_encoding.value),
        ("Content-Disposition", f'attachment; filename="{name}"'),
    ]
    if settings.transfer_encoding is TransferEncoding.BASE64:
        return _Part(headers, _transfer(b"".join(der), settings))
    return _Part(headers, der)


def _compressed_part(part: _Part, settings: OutboundSecurity) -> _Part:
    der = compressed_data.compress_chunks(part.entity(), level=settings.zlib_level)
    return _smime_part(der, "compressed-data", "smime.p7z", settings)


def _signed_part(
    part: _Part, settings: OutboundSecurity, ours: LocalIdentity
) -> tuple[_Part, list[bytes]]:
    entity = part.entity()
    digest = settings.digest.digest_of_chunks(entity)
    signature = signed_data.sign(
        digest, digest=settings.digest, scheme=settings.signature_scheme, signer=ours.signing_key
    )
    signature_part = _Part(  # base64 whatever the setting: OpenSSL reads no other
        [
            ("Content-Type", 'application/pkcs7-signature; name="smime.p7s"'),
            ("Content-Transfer-Encoding", "base64"),
            ("Content-Disposition", 'attachment; filename="smime.p7s"'),
        ],
        [mime.base64_lines(signature)],
    )
    boundary = mime.make_boundary_for(entity)
    content_type = (
        'multipart/signed; protocol="application/pkcs7-signature"; '
        f'micalg={settings.micalg(settings.digest)}; boundary="{boundary}"'
    )
    body = mime.multipart_chunks([entity, signature_part.entity()], boundary)
    return _Part([("Content-Type", content_type)], body), entity


def _encrypted_part(
    part: _Part, settings: OutboundSecurity, certificate: x509.Certificate
) -> _Part:
    content = part.entity()
    part.body.clear()  # `content` holds the chunks alone: encryption releases them one by one
    der = enveloped_data.encrypt_chunks(
        content,
        recipient=certificate,
        encryption=settings.encryption,
        key_transport=settings.key_transport,
        consume=True,
    )
    return _smime_part(der, "enveloped-data", "smime.p7m", settings)


def _encryption_certificate(partner: PartnerSecurity, now: datetime) -> x509.Certificate:
    usable = _usable_certificates(partner, now)
    if not usable:
        raise ConfigurationError(
            f"partner {partner.as2_id!r} has no certificate valid on {now:%Y-%m-%d} to encrypt to"
        )
    return max(usable, key=lambda cert: cert.not_valid_before_utc)


def _usable_certificates(partner: PartnerSecurity, now: datetime) -> list[x509.Certificate]:
    if not partner.validate_certificate_dates:
        return list(partner.certificates)
    return [cert for cert in partner.certificates if valid_at(cert, now)]


def _mic(content: Sequence[mime.Bytes], algorithm: Digest) -> str:
    return base64.b64encode(algorithm.digest_of_chunks(content)).decode("ascii")


@dataclass
class _Opened:
    """What unwrapping found so far."""

    entity: mime.Entity
    #: the entity's bytes as they arrived (the HTTP body at the top level)
    raw: mime.Bytes
    signed: signed_data.Verified | None = None
    #: how the envelope was protected (its content is not kept: it is `raw` one layer down)
    encryption: Encryption | None = None
    key_transport: KeyTransport | None = None
    compressed: bool = False


def open_message(
    headers: Iterable[Header] | Mapping[str, str],
    body: bytes,
    *,
    find_partner: FindPartner,
    limits: ReceiveLimits = _DEFAULT_LIMITS,
    now: datetime | None = None,
    envelope: AS2Envelope | None = None,
) -> ReceivedMessage:
    """Decrypt, verify and decompress a received message, and enforce the partner's policy.

    `find_partner(as2_from, as2_to)` returns (our identity, the partner's security) or None.
    `envelope`: what `read_envelope` already made of these `headers` (it is not read again).
    Raises an AS2Error subclass whose `disposition_modifier` is what the MDN must report.
    """
    fields = mime.Headers(headers)
    if envelope is None:
        envelope = read_envelope(fields)
    found = find_partner(envelope.as2_from, envelope.as2_to)
    if found is None:
        raise AS2UnknownTradingPartner(
            f"no partner {envelope.as2_from!r} sending to {envelope.as2_to!r}"
        )
    ours, partner = found
    opened = _Opened(mime.Entity(fields, body), body)
    if partner.require_encrypted and _smime_type(opened.entity) != "enveloped-data":
        raise AS2InsufficientSecurity(f"partner {partner.as2_id!r} must encrypt its messages")
    moment = now or datetime.now(UTC)
    for _ in range(limits.max_layers):
        if not _unwrap(opened, ours, partner, limits, moment):
            break
    else:
        raise AS2MalformedMessage(f"more than {limits.max_layers} nested layers")
    if partner.require_signed and opened.signed is None:
        raise AS2InsufficientSecurity(f"partner {partner.as2_id!r} must sign its messages")
    return _received(envelope, opened, partner)


def _smime_type(entity: mime.Entity) -> str | None:
    content_type = entity.content_type
    if content_type.mime_type in _PKCS7_MIME:
        return (content_type.param("smime-type") or "").lower() or None
    return content_type.mime_type


def _unwrap(
    opened: _Opened,
    ours: LocalIdentity,
    partner: PartnerSecurity,
    limits: ReceiveLimits,
    now: datetime,
) -> bool:
    """Remove one layer; False when the entity is the payload."""
    entity, kind = opened.entity, _smime_type(opened.entity)
    inner: mime.Bytes
    if kind == "multipart/signed":
        inner = _verify_multipart(opened, entity, partner, now)
    elif kind == "enveloped-data":
        decrypted = enveloped_data.decrypt(
            _der(entity), ours.keys, accept=partner.accept_encryptions
        )
        opened.encryption, opened.key_transport = decrypted.encryption, decrypted.key_transport
        inner = decrypted.content
    elif kind == "compressed-data":
        opened.compressed = True
        data, start = entity.decoded_at()
        if type(data) is not bytes:  # compressed inside an inflated layer: rare and small
            data, start = bytes(data[start:]), 0
        inner = compressed_data.decompress(data, limit=limits.max_payload_bytes, start=start)
    elif kind == "signed-data":
        info = _allowed(signed_data.read_signed_data(_der(entity)), partner)
        opened.signed = signed_data.verify(info, [], _verifiers(partner, now))
        inner = opened.signed.content
    else:
        return False
    opened.entity, opened.raw = _inner_entity(inner, entity), inner
    return True


def _der(entity: mime.Entity) -> bytes:
    """The decoded body as bytes: the received buffer itself for a binary body at offset 0."""
    data, start = entity.decoded_at()
    if start == 0 and type(data) is bytes:
        return data
    return bytes(memoryview(data)[start:])


def _inner_entity(inner: mime.Bytes, outer: mime.Entity) -> mime.Entity:
    """The entity inside a layer; bare content (Mendelson encrypts the payload without MIME
    headers) becomes an octet-stream entity named by the outer Content-Disposition."""
    parsed = mime.parse_inner_entity(inner)
    if parsed is not None:
        return parsed
    headers = [("Content-Type", "application/octet-stream")]
    disposition = outer.headers.get("content-disposition")
    if disposition and "smime.p7" not in disposition:
        headers.append(("Content-Disposition", disposition))
    return mime.Entity(mime.Headers(headers), inner)


def _verify_multipart(
    opened: _Opened, entity: mime.Entity, partner: PartnerSecurity, now: datetime
) -> bytes:
    boundary = entity.content_type.param("boundary")
    if not boundary:
        raise AS2MalformedMessage("multipart/signed without a boundary")
    parts = mime.split_multipart(entity.data, boundary, entity.start)
    if len(parts) != 2:
        raise AS2MalformedMessage(f"multipart/signed has {len(parts)} parts, not 2")
    signature = mime.parse_entity(parts[1])
    if signature.content_type.mime_type not in _SIGNATURE_TYPES:
        raise AS2MalformedMessage("the second part of multipart/signed is not a signature")
    info = _allowed(signed_data.read_signed_data(_der(signature)), partner)
    forms = mime.signed_forms(parts[0], canonicalize=partner.canonicalize_line_endings)
    opened.signed = signed_data.verify(info, forms, _verifiers(partner, now))
    return parts[0]


def _allowed(info: signed_data.SignerInfo, partner: PartnerSecurity) -> signed_data.SignerInfo:
    if info.digest not in partner.accept_digests:
        raise AS2InsufficientSecurity(
            f"the signature uses {info.digest.micalg}, which the profile of partner "
            f"{partner.as2_id!r} does not allow"
        )
    return info


def _verifiers(partner: PartnerSecurity, now: datetime) -> list[x509.Certificate]:
    usable = _usable_certificates(partner, now)
    if not usable:
        raise AS2AuthenticationFailed(
            f"no certificate of partner {partner.as2_id!r} is valid on {now:%Y-%m-%d}"
        )
    return usable


def _requested_mic_algorithm(request: MdnRequest | None, partner: PartnerSecurity) -> Digest | None:
    """The first algorithm of signed-receipt-micalg the partner's profile allows. None when it
    names none we allow: then RFC 3798's "optional" lets us answer with another (see
    `_received_mic`); "required" makes the request one we cannot honour (RFC 4130 §7.4.3)."""
    if request is None:
        return None
    allowed = [d for d, _ in request.mic_algorithms if d in partner.accept_digests]
    if allowed:
        return allowed[0]
    if request.mic_algorithm_required:
        raise AS2UnsupportedMicAlgorithms(
            f"signed-receipt-micalg=required names no MIC algorithm the profile of partner "
            f"{partner.as2_id!r} allows"
        )
    return None


def _received_mic(
    opened: _Opened, request: MdnRequest | None, partner: PartnerSecurity
) -> tuple[str, Digest]:
    """The MIC as the sender computed it: over the signed entity in the form that verified,
    with the requested algorithm (else the signature's); unsigned, over the payload entity
    with the requested algorithm (else SHA-1, RFC 4130's default when the MDN request names
    none; SHA-256 when it names only algorithms the profile does not allow)."""
    requested = _requested_mic_algorithm(request, partner)
    verified = opened.signed
    if verified is None:
        fallback = Digest.SHA256 if request and request.mic_algorithms else Digest.SHA1
        algorithm = requested or fallback
        return _mic([opened.raw], algorithm), algorithm
    if requested is None or requested is verified.digest:
        return base64.b64encode(verified.content_digest).decode("ascii"), verified.digest
    return _mic([verified.content], requested), requested


def _received(envelope: AS2Envelope, opened: _Opened, partner: PartnerSecurity) -> ReceivedMessage:
    payload_entity = opened.entity
    verified = opened.signed
    mic, algorithm = _received_mic(opened, envelope.mdn_request, partner)
    payload = payload_entity.take_decoded()  # after the MIC: a bytearray loses its head here
    disposition = mime.parse_parameters(payload_entity.headers.get("content-disposition", ""))
    filename = disposition.param("filename")
    return ReceivedMessage(
        envelope=envelope,
        payload=payload,
        content_type=payload_entity.headers.get("content-type", "text/plain"),
        filename=filename.replace("\\", "/").rpartition("/")[2] or None if filename else None,
        signed=verified is not None,
        encrypted=opened.encryption is not None,
        compressed=opened.compressed,
        mic=mic,
        mic_algorithm=algorithm,
        signature_digest=verified.digest if verified else None,
        encryption=opened.encryption,
        key_transport=opened.key_transport,
        signer=verified.certificate if verified else None,
    )
