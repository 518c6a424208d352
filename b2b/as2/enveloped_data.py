"""CMS EnvelopedData (RFC 5652 §6) with RSA key transport: encrypt to a partner, decrypt to us.

Content encryption: AES-128/192/256-CBC or 3DES-CBC (RC2, RC4 and DES are refused by name);
key transport: RSA PKCS#1 v1.5 or RSAES-OAEP
(SHA-1 defaults when we write; any OAEP hash when we read). Decryption tries the key whose
certificate the recipient info names first, then every other key we hold (certificate rollover).

    >>> der = encrypt(entity, recipient=cert, encryption=Encryption.AES256_CBC,
    ...               key_transport=KeyTransport.RSA_OAEP)
    >>> decrypt(der, [pair]).content == entity
    True
"""

from __future__ import annotations

import functools
import os
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from typing import cast

from asn1crypto import algos  # type: ignore[import-untyped]
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, modes

from b2b.as2 import asn1
from b2b.as2.algorithms import ENCRYPTION_BY_OID, NEVER_ENCRYPTIONS, Encryption, KeyTransport
from b2b.as2.certificates import KeyPair, issuer_and_serial, rsa_public_key
from b2b.as2.signed_data import ID_DATA
from b2b.errors import AS2DecryptionFailed, AS2InsufficientSecurity, AS2MalformedMessage

ID_ENVELOPED_DATA = asn1.oid("1.2.840.113549.1.7.3")
_RSA = asn1.oid("1.2.840.113549.1.1.1")
_OAEP = asn1.oid("1.2.840.113549.1.1.7")
_KEY_TRANSPORT_IDS = {
    KeyTransport.RSA_PKCS1V15: asn1.algorithm(_RSA, asn1.NULL),
    KeyTransport.RSA_OAEP: asn1.algorithm(_OAEP, asn1.sequence()),
}
# RSAES-OAEP with its default parameters (SHA-1 in OAEP is not a collision use)
_PKCS1V15 = padding.PKCS1v15()
_OAEP_SHA1 = padding.OAEP(padding.MGF1(hashes.SHA1()), hashes.SHA1(), None)  # noqa: S303
_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha1": hashes.SHA1,
    "sha224": hashes.SHA224,
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}


def encrypt(
    content: bytes,
    *,
    recipient: x509.Certificate,
    encryption: Encryption,
    key_transport: KeyTransport,
) -> bytes:
    """An EnvelopedData ContentInfo (DER) holding `content`, readable only by `recipient`."""
    chunks = encrypt_chunks(
        [content], recipient=recipient, encryption=encryption, key_transport=key_transport
    )
    return b"".join(chunks)


def encrypt_chunks(
    content: Sequence[bytes] | list[bytes],
    *,
    recipient: x509.Certificate,
    encryption: Encryption,
    key_transport: KeyTransport,
    consume: bool = False,
) -> list[bytes]:
    """`encrypt` for content given as chunks, returning the DER as chunks (no large copies).

    `consume=True` (`content` must then be a list the caller no longer needs): each chunk is
    dropped from the list once encrypted, so plaintext and ciphertext are not both held whole.
    """
    key, iv = os.urandom(encryption.key_size), os.urandom(encryption.block_size)
    public_key = _public_key(recipient)
    pad = _PKCS1V15 if key_transport is KeyTransport.RSA_PKCS1V15 else _OAEP_SHA1
    recipient_info = asn1.sequence(
        asn1.integer(0),
        _issuer_and_serial(recipient),
        _KEY_TRANSPORT_IDS[key_transport],
        asn1.octet_string(public_key.encrypt(key, pad)),
    )
    encryptor = Cipher(encryption.cipher(key), modes.CBC(iv)).encryptor()
    fill = encryption.block_size - sum(map(len, content)) % encryption.block_size
    ciphertext = []
    for index, chunk in enumerate(content):
        ciphertext.append(encryptor.update(chunk))
        if consume:
            del chunk
            cast("list[bytes]", content)[index] = b""
    ciphertext.append(encryptor.update(bytes((fill,)) * fill))
    encrypted_content_info = asn1.wrap(
        asn1.SEQUENCE,
        [
            ID_DATA,
            asn1.algorithm(encryption.oid, asn1.octet_string(iv)),
            *asn1.wrap(0x80, ciphertext),
        ],
    )
    enveloped = asn1.wrap(
        asn1.SEQUENCE,
        [asn1.integer(0), asn1.set_of(recipient_info), *encrypted_content_info],
    )
    return asn1.wrap(asn1.SEQUENCE, [ID_ENVELOPED_DATA, *asn1.wrap(0xA0, enveloped)])


@dataclass(frozen=True)
class Decrypted:
    """The opened content and how it was protected."""

    content: bytes
    encryption: Encryption
    key_transport: KeyTransport
    key: KeyPair


@dataclass(frozen=True)
class _Recipient:
    rid: bytes
    algorithm: bytes
    encrypted_key: bytes


def decrypt(
    der: bytes, keys: Sequence[KeyPair], *, accept: Collection[Encryption] | None = None
) -> Decrypted:
    """Open an EnvelopedData ContentInfo with the first of `keys` that can.

    Raises AS2DecryptionFailed when none can, AS2MalformedMessage when it is not EnvelopedData,
    AS2InsufficientSecurity, before any key is tried, when its cipher is not in `accept` (None:
    any we know) or is one we never accept (RC2, RC4, DES).
    """
    recipients, encryption, iv, ciphertext = _read(der)
    if accept is not None and encryption not in accept:
        raise AS2InsufficientSecurity(
            f"the message is encrypted with {encryption.value}, which this partner's profile "
            "does not allow"
        )
    for recipient, pair in _attempts(recipients, keys):
        transport, pad = _key_transport(recipient.algorithm)
        try:
            key = pair.private_key.decrypt(recipient.encrypted_key, pad)
            content = _decrypt_content(encryption, key, iv, ciphertext)
        except ValueError:
            continue
        return Decrypted(content, encryption, transport, pair)
    raise AS2DecryptionFailed("none of our private keys can decrypt the message")


def _read(der: bytes) -> tuple[list[_Recipient], Encryption, bytes, bytes | memoryview]:
    root = asn1.read(der)
    kind = asn1.first(der, root)
    if asn1.element(der, kind) != ID_ENVELOPED_DATA:
        raise AS2MalformedMessage("the encrypted content is not CMS EnvelopedData")
    body = asn1.first(der, asn1.following(der, kind, root))
    node = asn1.following(der, asn1.first(der, body), body)
    if node.tag == 0xA0:  # originatorInfo
        node = asn1.following(der, node, body)
    recipients = [_recipient(der, child) for child in asn1.children(der, node)]
    content_info = asn1.following(der, node, body)
    algorithm = asn1.following(der, asn1.first(der, content_info), content_info)
    cipher = asn1.first(der, algorithm)
    identifier = asn1.element(der, cipher)
    encryption = ENCRYPTION_BY_OID.get(identifier)
    if encryption is None and identifier in NEVER_ENCRYPTIONS:
        name = NEVER_ENCRYPTIONS[identifier]
        raise AS2InsufficientSecurity(f"the message is encrypted with {name}, never accepted")
    if encryption is None:
        raise AS2DecryptionFailed("the message uses a content encryption algorithm we refuse")
    iv = asn1.octets(der, asn1.following(der, cipher, algorithm))
    ciphertext = asn1.view(der, asn1.following(der, algorithm, content_info))
    return [r for r in recipients if r.rid], encryption, iv, ciphertext


def _recipient(der: bytes, node: asn1.Node) -> _Recipient:
    if node.tag != asn1.SEQUENCE:  # key agreement, KEK, password: not for us
        return _Recipient(b"", b"", b"")
    items = asn1.sequence_items(der, node, "KeyTransRecipientInfo", 4)
    return _Recipient(
        rid=asn1.element(der, items[1]),
        algorithm=asn1.element(der, items[2]),
        encrypted_key=asn1.octets(der, items[3]),
    )


def _attempts(
    recipients: list[_Recipient], keys: Sequence[KeyPair]
) -> list[tuple[_Recipient, KeyPair]]:
    named = [(r, k) for r in recipients for k in keys if _names(r.rid, k)]
    others = [(r, k) for r in recipients for k in keys if (r, k) not in named]
    return named + others


def _names(rid: bytes, pair: KeyPair) -> bool:
    if rid == pair.issuer_and_serial:
        return True
    if rid[:1] != b"\x80":
        return False
    try:
        ski = pair.certificate.extensions.get_extension_for_class(x509.SubjectKeyIdentifier)
    except x509.ExtensionNotFound:
        return False
    return asn1.octets(rid, asn1.read(rid)) == ski.value.digest


@functools.lru_cache(maxsize=64)
def _key_transport(algorithm: bytes) -> tuple[KeyTransport, padding.AsymmetricPadding]:
    items = asn1.children(algorithm, asn1.read(algorithm))
    identifier = asn1.element(algorithm, items[0])
    if identifier == _RSA:
        return KeyTransport.RSA_PKCS1V15, _PKCS1V15
    if identifier != _OAEP:
        raise AS2DecryptionFailed("the content key is not RSA-encrypted")
    if len(items) < 2 or asn1.element(algorithm, items[1]) == b"\x30\x00":
        return KeyTransport.RSA_OAEP, _OAEP_SHA1
    try:
        params = algos.RSAESOAEPParams.load(asn1.element(algorithm, items[1]))
        digest = _HASHES[params["hash_algorithm"]["algorithm"].native]()
        mgf = _HASHES[params["mask_gen_algorithm"]["parameters"]["algorithm"].native]()
    except (ValueError, TypeError, KeyError) as exc:
        raise AS2DecryptionFailed(f"unreadable or refused RSAES-OAEP parameters: {exc}") from exc
    return KeyTransport.RSA_OAEP, padding.OAEP(padding.MGF1(mgf), digest, None)


def _decrypt_content(
    encryption: Encryption, key: bytes, iv: bytes, ciphertext: bytes | memoryview
) -> bytes:
    block = encryption.block_size
    if len(key) != encryption.key_size or len(iv) != block or len(ciphertext) % block:
        raise ValueError("key, IV or ciphertext length is wrong")
    decryptor = Cipher(encryption.cipher(key), modes.CBC(iv)).decryptor()
    plain = decryptor.update(ciphertext)
    plain += decryptor.finalize()  # CBC without padding: empty, and nothing is copied
    fill = plain[-1] if plain else 0
    if not 1 <= fill <= block or plain[-fill:] != bytes((fill,)) * fill:
        raise ValueError("bad padding")
    return plain[:-fill]


@functools.lru_cache(maxsize=256)
def _issuer_and_serial(certificate: x509.Certificate) -> bytes:
    return issuer_and_serial(certificate)


@functools.lru_cache(maxsize=256)
def _public_key(certificate: x509.Certificate) -> rsa.RSAPublicKey:
    return rsa_public_key(certificate)
