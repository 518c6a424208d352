"""CMS SignedData (RFC 5652 §5): make a detached signature, read one, and verify it.

Signing hashes the content once (the caller reuses that digest as the MIC), puts contentType,
messageDigest and (if given) signingTime into the signed attributes, and signs their DER with
RSA PKCS#1 v1.5 or RSASSA-PSS. Verifying checks the messageDigest attribute against the content
and the signature against the partner's certificates only: certificates inside the message are
never trusted.

    >>> der = sign(hashlib.sha256(entity).digest(), digest=Digest.SHA256,
    ...            scheme=SignatureScheme.PKCS1V15, signer=pair)
    >>> verify(read_signed_data(der), [entity], [pair.certificate]).certificate is pair.certificate
    True
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from asn1crypto import algos  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from b2b.as2 import asn1
from b2b.as2.algorithms import (
    DIGEST_BY_OID,
    DIGEST_BY_RSA_OID,
    NEVER_DIGESTS,
    Digest,
    SignatureScheme,
)
from b2b.as2.certificates import KeyPair, rsa_public_key
from b2b.errors import AS2AuthenticationFailed, AS2InsufficientSecurity, AS2MalformedMessage

ID_DATA = asn1.oid("1.2.840.113549.1.7.1")
ID_SIGNED_DATA = asn1.oid("1.2.840.113549.1.7.2")
_CONTENT_TYPE = asn1.oid("1.2.840.113549.1.9.3")
_MESSAGE_DIGEST = asn1.oid("1.2.840.113549.1.9.4")
_SIGNING_TIME = asn1.oid("1.2.840.113549.1.9.5")
_RSA = asn1.oid("1.2.840.113549.1.1.1")
_PSS = asn1.oid("1.2.840.113549.1.1.10")
_MGF1 = asn1.oid("1.2.840.113549.1.1.8")
_PKCS1V15 = padding.PKCS1v15()
_CONTENT_TYPE_DATA = asn1.sequence(_CONTENT_TYPE, asn1.set_of(ID_DATA))


def sign(
    content_digest: bytes,
    *,
    digest: Digest,
    scheme: SignatureScheme,
    signer: KeyPair,
    signing_time: datetime | None = None,
) -> bytes:
    """A detached SignedData ContentInfo (DER) over content whose `digest` is `content_digest`."""
    attributes = [
        _CONTENT_TYPE_DATA,
        _attribute(_MESSAGE_DIGEST, asn1.octet_string(content_digest)),
    ]
    if signing_time is not None:
        attributes.append(_attribute(_SIGNING_TIME, _utc_time(signing_time)))
    signed_attrs = asn1.set_of(*attributes)
    to_sign = digest.digest_of(signed_attrs)
    pad, signer_prefix, signature_algorithm, signed_data_prefix = _fixed_parts(
        signer, digest, scheme
    )
    signature = signer.private_key.sign(to_sign, pad, digest.prehashed)
    signer_info = asn1.sequence(
        signer_prefix,
        b"\xa0" + signed_attrs[1:],
        signature_algorithm,
        asn1.octet_string(signature),
    )
    signed_data = asn1.sequence(signed_data_prefix, asn1.tlv(asn1.SET, signer_info))
    return asn1.sequence(ID_SIGNED_DATA, asn1.explicit(0, signed_data))


@functools.lru_cache(maxsize=64)
def _fixed_parts(
    signer: KeyPair, digest: Digest, scheme: SignatureScheme
) -> tuple[padding.AsymmetricPadding, bytes, bytes, bytes]:
    """What every signature by `signer` with `digest` and `scheme` shares, looked up once per
    message: the padding, the start of the SignerInfo (version, sid, digestAlgorithm), its
    signatureAlgorithm, and the start of the SignedData (up to the certificates)."""
    signer_prefix = asn1.integer(1) + signer.issuer_and_serial + asn1.algorithm(digest.oid)
    signed_data_prefix = (
        asn1.integer(1)
        + asn1.set_of(asn1.algorithm(digest.oid))
        + asn1.sequence(ID_DATA)
        + asn1.explicit(0, signer.certificate_der)
    )
    return (
        _padding(scheme, digest),
        signer_prefix,
        _signature_algorithm(scheme, digest),
        signed_data_prefix,
    )


@dataclass(frozen=True)
class SignerInfo:
    """What a received SignedData says about its (first) signer."""

    digest: Digest
    #: DER of the signed attributes as a SET (what was signed), or None without attributes
    signed_attributes: bytes | None
    message_digest: bytes | None
    signature_algorithm: bytes
    signature: bytes
    #: the encapsulated content, for opaque signed-data (None when detached)
    content: bytes | None


@dataclass(frozen=True)
class Verified:
    """A signature that verified: which candidate content matched and which certificate."""

    content: bytes
    certificate: x509.Certificate
    digest: Digest
    #: `digest` of `content` (the MIC, when the MDN asks for the same algorithm)
    content_digest: bytes


def read_signed_data(der: bytes) -> SignerInfo:
    """The first SignerInfo of a SignedData ContentInfo; AS2MalformedMessage if unreadable."""
    root = asn1.read(der)
    kind = asn1.first(der, root)
    if asn1.element(der, kind) != ID_SIGNED_DATA:
        raise AS2MalformedMessage("the signature is not CMS SignedData")
    body = asn1.first(der, asn1.following(der, kind, root))
    version = asn1.first(der, body)
    encapsulated = asn1.following(der, asn1.following(der, version, body), body)
    node = asn1.following(der, encapsulated, body)
    while node.tag in (0xA0, 0xA1):  # certificates, CRLs: we trust only the profile's
        node = asn1.following(der, node, body)
    if node.start >= node.end:
        raise AS2AuthenticationFailed("the SignedData has no signer")
    return _signer_info(der, asn1.first(der, node), _encapsulated(der, encapsulated))


def verify(
    info: SignerInfo, candidates: Iterable[bytes], certificates: Sequence[x509.Certificate]
) -> Verified:
    """Check the signature against each certificate and the content against each candidate form.

    `candidates` are the ways the signed content may have been canonicalised (raw first).
    Raises AS2AuthenticationFailed when no candidate matches or no certificate verifies.
    """
    if info.content is not None:
        candidates = [info.content]
    for content in candidates:
        content_digest = info.digest.digest_of(content)
        if info.message_digest is not None and info.message_digest != content_digest:
            continue
        signed = info.signed_attributes
        to_verify = content_digest if signed is None else info.digest.digest_of(signed)
        for certificate in certificates:
            if _verifies(info, to_verify, certificate):
                return Verified(content, certificate, info.digest, content_digest)
        if info.message_digest is not None:
            raise AS2AuthenticationFailed(
                "the signature does not verify with the partner's certificates"
            )
    raise AS2AuthenticationFailed("the signed content was changed: message digest does not match")


def _verifies(info: SignerInfo, to_verify: bytes, certificate: x509.Certificate) -> bool:
    key = _public_key(certificate)
    try:
        pad = _read_padding(info.signature_algorithm, info.digest)
        key.verify(info.signature, to_verify, pad, info.digest.prehashed)
    except InvalidSignature:
        return False
    return True


@functools.lru_cache(maxsize=256)
def _public_key(certificate: x509.Certificate) -> rsa.RSAPublicKey:
    """The certificate's key, parsed once per certificate (partners sign with the same few)."""
    return rsa_public_key(certificate)


def _signer_info(der: bytes, info: asn1.Node, content: bytes | None) -> SignerInfo:
    sid = asn1.following(der, asn1.first(der, info), info)
    algorithm = asn1.following(der, sid, info)
    digest = _digest(asn1.element(der, asn1.first(der, algorithm)))
    node = asn1.following(der, algorithm, info)
    signed, message_digest = None, None
    if node.tag == 0xA0:
        signed = b"\x31" + der[node.head + 1 : node.after]
        message_digest = _message_digest(der, node)
        node = asn1.following(der, node, info)
    signature = asn1.following(der, node, info)
    return SignerInfo(
        digest=digest,
        signed_attributes=signed,
        message_digest=message_digest,
        signature_algorithm=asn1.element(der, node),
        signature=asn1.octets(der, signature),
        content=content,
    )


def _encapsulated(der: bytes, node: asn1.Node) -> bytes | None:
    kind = asn1.first(der, node)
    if kind.after >= node.end:
        return None
    return asn1.octets(der, asn1.first(der, asn1.following(der, kind, node)))


def _message_digest(der: bytes, attributes: asn1.Node) -> bytes:
    for attribute in asn1.children(der, attributes):
        kind = asn1.first(der, attribute)
        if asn1.element(der, kind) == _MESSAGE_DIGEST:
            return asn1.octets(der, asn1.first(der, asn1.following(der, kind, attribute)))
    raise AS2AuthenticationFailed("the signed attributes carry no message digest")


def _digest(identifier: bytes) -> Digest:
    found = DIGEST_BY_OID.get(identifier)
    if found is None and identifier in NEVER_DIGESTS:
        name = NEVER_DIGESTS[identifier]
        raise AS2InsufficientSecurity(f"the signature uses {name}, which is never accepted")
    if found is None:
        raise AS2AuthenticationFailed("the signature uses a digest we do not accept")
    return found


@functools.lru_cache(maxsize=64)
def _read_padding(der: bytes, digest: Digest) -> padding.AsymmetricPadding:
    """The padding a signatureAlgorithm names (cached: partners send the same few)."""
    items = asn1.children(der, asn1.read(der))
    identifier = asn1.element(der, items[0])
    if identifier == _RSA or identifier in DIGEST_BY_RSA_OID:
        return _PKCS1V15
    if identifier != _PSS:
        raise AS2AuthenticationFailed("the signature algorithm is not RSA")
    try:
        params = algos.RSASSAPSSParams.load(
            asn1.element(der, items[1]) if len(items) > 1 else b"\x30\x00"
        )
        mgf_hash = params["mask_gen_algorithm"]["parameters"]["algorithm"].native
        hashed = params["hash_algorithm"]["algorithm"].native
        salt = int(params["salt_length"].native)
    except (ValueError, TypeError, KeyError) as exc:
        raise AS2AuthenticationFailed(f"unreadable RSASSA-PSS parameters: {exc}") from exc
    if hashed != digest.value or mgf_hash != hashed:
        raise AS2AuthenticationFailed("RSASSA-PSS parameters disagree with the digest algorithm")
    return padding.PSS(padding.MGF1(digest.hash), salt)


@functools.lru_cache(maxsize=16)
def _padding(scheme: SignatureScheme, digest: Digest) -> padding.AsymmetricPadding:
    if scheme is SignatureScheme.PSS:
        return padding.PSS(padding.MGF1(digest.hash), digest.hash.digest_size)
    return _PKCS1V15


@functools.lru_cache(maxsize=16)
def _signature_algorithm(scheme: SignatureScheme, digest: Digest) -> bytes:
    if scheme is SignatureScheme.PKCS1V15:
        return asn1.algorithm(_RSA, asn1.NULL)
    fields = b""
    if digest is not Digest.SHA1:
        hash_id = asn1.algorithm(digest.oid)
        fields = asn1.explicit(0, hash_id) + asn1.explicit(1, asn1.algorithm(_MGF1, hash_id))
    if digest.hash.digest_size != 20:
        fields += asn1.explicit(2, asn1.integer(digest.hash.digest_size))
    return asn1.algorithm(_PSS, asn1.tlv(asn1.SEQUENCE, fields))


def _attribute(kind: bytes, value: bytes) -> bytes:
    return asn1.sequence(kind, asn1.set_of(value))


def _utc_time(moment: datetime) -> bytes:
    text = moment.astimezone(UTC).strftime("%y%m%d%H%M%SZ")
    return asn1.tlv(asn1.UTC_TIME, text.encode())


__all__ = ["SignerInfo", "Verified", "read_signed_data", "sign", "verify"]
