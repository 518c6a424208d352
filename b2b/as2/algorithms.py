"""The algorithms AS2 partners use, as enums, with their CMS object identifiers and name aliases.

Partners spell the same algorithm many ways ("sha256", "SHA-256", "sha_256", "rsa-sha256");
`parse_mic_algorithm` and `parse_encryption` accept them all and refuse anything else by name.

    >>> parse_mic_algorithm("sha_256"), Digest.SHA256.micalg
    (<Digest.SHA256: 'sha256'>, 'sha-256')
"""

from __future__ import annotations

import enum
import functools
import hashlib
import re
from collections.abc import Callable, Iterable
from typing import Protocol

from cryptography.hazmat.decrepit.ciphers.algorithms import TripleDES
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.ciphers import algorithms

from b2b.as2 import asn1
from b2b.errors import ConfigurationError


class _Hasher(Protocol):
    def update(self, data: bytes | bytearray | memoryview, /) -> None: ...
    def digest(self) -> bytes: ...


class Digest(enum.Enum):
    """Message digest for signatures and the MIC (RFC 5751 micalg names in `micalg`)."""

    SHA1 = "sha1"
    SHA256 = "sha256"
    SHA384 = "sha384"
    SHA512 = "sha512"

    @property
    def micalg(self) -> str:
        """The RFC 5751 name: "sha-256"."""
        return _MICALG_BY_VALUE[self._value_]

    @property
    def hash(self) -> hashes.HashAlgorithm:
        """A `cryptography` hash object for this digest."""
        return _HASHES[self]

    def digest_of(self, data: bytes) -> bytes:
        """The digest of `data` (hashlib's C constructor, without `hashlib.new`'s lookup)."""
        return _CONSTRUCTORS_BY_VALUE[self._value_](data).digest()  # str key: no Enum hash

    def digest_of_chunks(self, chunks: Iterable[bytes | bytearray | memoryview]) -> bytes:
        """The digest of the concatenated `chunks`, without concatenating them."""
        hasher = _CONSTRUCTORS_BY_VALUE[self._value_](b"")
        for chunk in chunks:
            hasher.update(chunk)
        return hasher.digest()

    @property
    def prehashed(self) -> Prehashed:
        """`Prehashed(self.hash)`, made once: sign or verify a digest computed already."""
        return _PREHASHED_BY_VALUE[self._value_]

    @property
    def oid(self) -> bytes:
        """The DER-encoded OBJECT IDENTIFIER."""
        return _DIGEST_OIDS[self]

    @property
    def rsa_oid(self) -> bytes:
        """The DER OID of `<digest>WithRSAEncryption`."""
        return _RSA_OIDS[self]


class SignatureScheme(enum.Enum):
    """RSA signature padding: PKCS#1 v1.5 (universal) or RSASSA-PSS."""

    PKCS1V15 = "pkcs1v15"
    PSS = "pss"


class Encryption(enum.Enum):
    """Content encryption of the enveloped data (CBC mode; AES-256 is the default)."""

    AES128_CBC = "aes128_cbc"
    AES192_CBC = "aes192_cbc"
    AES256_CBC = "aes256_cbc"
    TRIPLEDES_CBC = "tripledes_cbc"

    @property
    def key_size(self) -> int:
        """Key length in bytes."""
        return _KEY_SIZE_BY_VALUE[self._value_]

    @property
    def block_size(self) -> int:
        """Cipher block (and IV) length in bytes."""
        return 8 if self is Encryption.TRIPLEDES_CBC else 16

    @property
    def oid(self) -> bytes:
        """The DER-encoded OBJECT IDENTIFIER."""
        return _CIPHER_OIDS[self]

    def cipher(self, key: bytes) -> algorithms.AES | TripleDES:
        """The `cryptography` block cipher keyed with `key`."""
        if self is Encryption.TRIPLEDES_CBC:
            return TripleDES(key)
        return algorithms.AES(key)


class KeyTransport(enum.Enum):
    """How the content key is encrypted to the recipient: RSA PKCS#1 v1.5 or RSAES-OAEP."""

    RSA_PKCS1V15 = "rsa_pkcs1v15"
    RSA_OAEP = "rsa_oaep"


class Compression(enum.Enum):
    """Whether and where to compress (RFC 5402): none, before signing, or after signing."""

    NONE = "none"
    BEFORE_SIGNING = "before_signing"
    AFTER_SIGNING = "after_signing"


class TransferEncoding(enum.Enum):
    """Content-Transfer-Encoding of the parts we write: binary (AS2 default) or base64."""

    BINARY = "binary"
    BASE64 = "base64"


_HASHES: dict[Digest, hashes.HashAlgorithm] = {
    Digest.SHA1: hashes.SHA1(),  # noqa: S303 - partners still sign with SHA-1
    Digest.SHA256: hashes.SHA256(),
    Digest.SHA384: hashes.SHA384(),
    Digest.SHA512: hashes.SHA512(),
}
_CONSTRUCTORS: dict[Digest, Callable[[bytes], _Hasher]] = {
    Digest.SHA1: hashlib.sha1,
    Digest.SHA256: hashlib.sha256,
    Digest.SHA384: hashlib.sha384,
    Digest.SHA512: hashlib.sha512,
}
_PREHASHED = {digest: Prehashed(algorithm) for digest, algorithm in _HASHES.items()}
# keyed by the member's value: Enum.__hash__ is a Python-level call, str hashes are cached
_CONSTRUCTORS_BY_VALUE = {digest.value: build for digest, build in _CONSTRUCTORS.items()}
_PREHASHED_BY_VALUE = {digest.value: prehashed for digest, prehashed in _PREHASHED.items()}
_MICALG_BY_VALUE = {digest.value: f"sha-{digest.value[3:]}" for digest in Digest}  # "sha-256"
_KEY_SIZE_BY_VALUE = {"aes128_cbc": 16, "aes192_cbc": 24, "aes256_cbc": 32, "tripledes_cbc": 24}
_DIGEST_OIDS = {
    Digest.SHA1: asn1.oid("1.3.14.3.2.26"),
    Digest.SHA256: asn1.oid("2.16.840.1.101.3.4.2.1"),
    Digest.SHA384: asn1.oid("2.16.840.1.101.3.4.2.2"),
    Digest.SHA512: asn1.oid("2.16.840.1.101.3.4.2.3"),
}
_RSA_OIDS = {
    Digest.SHA1: asn1.oid("1.2.840.113549.1.1.5"),
    Digest.SHA256: asn1.oid("1.2.840.113549.1.1.11"),
    Digest.SHA384: asn1.oid("1.2.840.113549.1.1.12"),
    Digest.SHA512: asn1.oid("1.2.840.113549.1.1.13"),
}
_CIPHER_OIDS = {
    Encryption.AES128_CBC: asn1.oid("2.16.840.1.101.3.4.1.2"),
    Encryption.AES192_CBC: asn1.oid("2.16.840.1.101.3.4.1.22"),
    Encryption.AES256_CBC: asn1.oid("2.16.840.1.101.3.4.1.42"),
    Encryption.TRIPLEDES_CBC: asn1.oid("1.2.840.113549.3.7"),
}
DIGEST_BY_OID = {value: key for key, value in _DIGEST_OIDS.items()}
#: what a partner may sign and encrypt with unless its profile allows a weak algorithm too
STRONG_DIGESTS = frozenset({Digest.SHA256, Digest.SHA384, Digest.SHA512})
STRONG_ENCRYPTIONS = frozenset(
    {Encryption.AES128_CBC, Encryption.AES192_CBC, Encryption.AES256_CBC}
)
#: weak algorithms a partner's profile may allow (`allow_weak`), by their plain names
WEAK = {"sha1": Digest.SHA1, "tripledes_cbc": Encryption.TRIPLEDES_CBC}
#: broken algorithms we never accept, whatever the profile says: named, so the refusal can say so
NEVER_DIGESTS = {
    asn1.oid("1.2.840.113549.2.5"): "MD5",
    asn1.oid("1.2.840.113549.2.2"): "MD2",
}
NEVER_ENCRYPTIONS = {
    asn1.oid("1.2.840.113549.3.2"): "RC2-CBC",
    asn1.oid("1.2.840.113549.3.4"): "RC4",
    asn1.oid("1.3.14.3.2.7"): "DES-CBC",
}
_NEVER = re.compile(r"^(md5|md2|rc2|rc4|des)\d*$")
DIGEST_BY_RSA_OID = {value: key for key, value in _RSA_OIDS.items()}
ENCRYPTION_BY_OID = {value: key for key, value in _CIPHER_OIDS.items()}

_DIGEST_NAMES = {"sha1": Digest.SHA1, "sha": Digest.SHA1}
_DIGEST_NAMES.update({f"sha{d.value[3:]}": d for d in Digest})
_SEPARATORS = re.compile(r"[-_ ]")
_RSA_AFFIX = re.compile(r"^(rsa)?(?P<name>sha\d*)(rsa|withrsa|withrsaencryption)?$")
_CIPHER_NAMES = {
    "aes128": Encryption.AES128_CBC,
    "aes192": Encryption.AES192_CBC,
    "aes256": Encryption.AES256_CBC,
    "3des": Encryption.TRIPLEDES_CBC,
    "tripledes": Encryption.TRIPLEDES_CBC,
    "tripledes192": Encryption.TRIPLEDES_CBC,
    "desede3": Encryption.TRIPLEDES_CBC,
    "desede": Encryption.TRIPLEDES_CBC,
}


@functools.lru_cache(maxsize=256)
def find_mic_algorithm(name: str) -> Digest | None:
    """The digest a micalg / MIC algorithm token names, or None when it names none we know."""
    compact = _SEPARATORS.sub("", name.strip().strip('"').lower())
    match = _RSA_AFFIX.match(compact)
    return _DIGEST_NAMES.get(match["name"]) if match else None


def parse_mic_algorithm(name: str) -> Digest:
    """The digest for any spelling: "sha256", "SHA-256", "sha_256", "sha256_rsa", "rsa-sha256".

    Raises ConfigurationError naming the value and the accepted names.

    >>> parse_mic_algorithm("rsa-sha1")
    <Digest.SHA1: 'sha1'>
    """
    found = find_mic_algorithm(name)
    if found is None:
        allowed = ", ".join(d.micalg for d in Digest)
        raise ConfigurationError(f"unknown MIC/digest algorithm {name!r}; allowed: {allowed}")
    return found


def parse_weak_algorithm(name: str) -> Digest | Encryption:
    """The weak algorithm a profile's `allow_weak` entry names: SHA-1 or 3DES, any spelling.

    MD5, RC2, RC4 and DES are refused by name (never accepted); strong ones need no allowance.

    >>> parse_weak_algorithm("sha-1"), parse_weak_algorithm("3des")
    (<Digest.SHA1: 'sha1'>, <Encryption.TRIPLEDES_CBC: 'tripledes_cbc'>)
    """
    compact = _SEPARATORS.sub("", name.strip().lower()).removesuffix("cbc")
    never = _NEVER.match(compact)
    if never:
        raise ConfigurationError(f"{never[1].upper()} is never accepted, so it cannot be allowed")
    found: Digest | Encryption | None = find_mic_algorithm(name) or _CIPHER_NAMES.get(compact)
    if found is None or found not in WEAK.values():
        allowed = ", ".join(WEAK)
        raise ConfigurationError(f"{name!r} is not a weak algorithm to allow; allowed: {allowed}")
    return found


def parse_encryption(name: str) -> Encryption:
    """The cipher for "aes256_cbc", "aes-256-cbc", "AES256", "tripledes_192_cbc", "3des"...

    >>> parse_encryption("tripledes_192_cbc")
    <Encryption.TRIPLEDES_CBC: 'tripledes_cbc'>
    """
    compact = _SEPARATORS.sub("", name.strip().lower()).removesuffix("cbc")
    if compact in _CIPHER_NAMES:
        return _CIPHER_NAMES[compact]
    allowed = ", ".join(e.value for e in Encryption)
    raise ConfigurationError(f"unknown encryption algorithm {name!r}; allowed: {allowed}")
