"""Keys and certificates for AS2: load them (PEM, DER, PKCS#12), check dates, make new ones.

Only RSA keys are used, as in every AS2 product we interoperate with. Errors are
ConfigurationError naming what was wrong (wrong passphrase, no key, not RSA).

    >>> pair = load_key_pair(Path("certs/ours.p12").read_bytes(), passphrase="secret")
    >>> days_until_expiry(pair.certificate, now=datetime.now(UTC))
    364
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import NameOID

from b2b.as2 import asn1
from b2b.errors import ConfigurationError

_PEM_BLOCK = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----.+?-----END \1-----\r?\n?", re.DOTALL)


@dataclass(frozen=True)
class KeyPair:
    """Our RSA private key and the certificate that carries its public key."""

    private_key: rsa.RSAPrivateKey
    #: compared and hashed through `certificate_der`, whose hash Python caches (a certificate
    #: hashes its whole DER again on every call; pairs are cache keys when signing)
    certificate: x509.Certificate = field(compare=False)
    #: DER IssuerAndSerialNumber, the CMS name of this certificate (computed once)
    issuer_and_serial: bytes = field(init=False, repr=False)
    #: the certificate's DER (computed once)
    certificate_der: bytes = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if (
            self.private_key.public_key().public_numbers()
            != _rsa_key(self.certificate).public_numbers()
        ):
            subject = self.certificate.subject.rfc4514_string()
            raise ConfigurationError(f"the private key does not belong to certificate {subject}")
        object.__setattr__(self, "issuer_and_serial", issuer_and_serial(self.certificate))
        der = self.certificate.public_bytes(serialization.Encoding.DER)
        object.__setattr__(self, "certificate_der", der)


def issuer_and_serial(certificate: x509.Certificate) -> bytes:
    """DER IssuerAndSerialNumber of a certificate (how CMS names a signer or recipient)."""
    return asn1.sequence(certificate.issuer.public_bytes(), asn1.integer(certificate.serial_number))


def load_private_key(data: bytes, passphrase: str | bytes | None = None) -> rsa.RSAPrivateKey:
    """An RSA private key from PEM (encrypted or not), DER PKCS#8 or PKCS#12.

    >>> load_private_key(Path("certs/ours.key").read_bytes(), "secret").key_size
    2048
    """
    return _load(data, passphrase)[0]


def load_key_pair(
    data: bytes, passphrase: str | bytes | None = None, certificate: bytes | None = None
) -> KeyPair:
    """Key and certificate from one PKCS#12 or PEM bundle, or the key plus a certificate file."""
    key, bundled = _load(data, passphrase)
    certs = load_certificates(certificate) if certificate is not None else bundled
    for cert in certs:
        if _rsa_key(cert).public_numbers() == key.public_key().public_numbers():
            return KeyPair(key, cert)
    raise ConfigurationError("no certificate for the private key was found (bundle or file)")


def load_certificates(data: bytes) -> tuple[x509.Certificate, ...]:
    """All certificates in PEM (one or more blocks) or a single DER certificate."""
    try:
        if b"-----BEGIN" in data:
            blocks = [m.group(0) for m in _PEM_BLOCK.finditer(data) if m[1] == b"CERTIFICATE"]
            certs = tuple(x509.load_pem_x509_certificate(block) for block in blocks)
        else:
            certs = (x509.load_der_x509_certificate(data),)
    except ValueError as exc:
        raise ConfigurationError(f"cannot read certificate: {exc}") from exc
    if not certs:
        raise ConfigurationError("no CERTIFICATE block found in the PEM data")
    return certs


def days_until_expiry(certificate: x509.Certificate, *, now: datetime) -> int:
    """Whole days until notAfter (negative once expired).

    >>> days_until_expiry(cert, now=cert.not_valid_after_utc - timedelta(days=3))
    3
    """
    return (certificate.not_valid_after_utc - now).days


def valid_at(certificate: x509.Certificate, now: datetime) -> bool:
    """True when `now` is inside the certificate's validity period."""
    return certificate.not_valid_before_utc <= now <= certificate.not_valid_after_utc


def new_self_signed(
    common_name: str, *, now: datetime, days: int = 730, key_size: int = 2048
) -> KeyPair:
    """A new RSA key and a self-signed certificate for our AS2 identity (`b2b certs new`).

    >>> pair = new_self_signed("ACME AS2", now=datetime.now(UTC))
    """
    key = rsa.generate_private_key(public_exponent=65537, key_size=key_size)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=True,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=False,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=False,
        )
        .sign(key, hashes.SHA256())
    )
    return KeyPair(key, cert)


def private_key_pem(key: rsa.RSAPrivateKey, passphrase: str | bytes | None = None) -> bytes:
    """PKCS#8 PEM, encrypted with the passphrase when one is given."""
    encryption: serialization.KeySerializationEncryption = serialization.NoEncryption()
    if passphrase:
        encryption = serialization.BestAvailableEncryption(_bytes(passphrase))
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    )


def certificate_pem(certificate: x509.Certificate) -> bytes:
    """The certificate as PEM text."""
    return certificate.public_bytes(serialization.Encoding.PEM)


def _load(
    data: bytes, passphrase: str | bytes | None
) -> tuple[rsa.RSAPrivateKey, tuple[x509.Certificate, ...]]:
    password = _bytes(passphrase) if passphrase else None
    try:
        if b"-----BEGIN" in data:
            key = _pem_key(data, password)
            certs = load_certificates(data) if b"CERTIFICATE-----" in data else ()
            return _rsa(key), certs
        return _der(data, password)
    except (ValueError, TypeError) as exc:
        raise ConfigurationError(f"cannot read private key: {exc}") from exc


def _der(
    data: bytes, password: bytes | None
) -> tuple[rsa.RSAPrivateKey, tuple[x509.Certificate, ...]]:
    try:
        return _pkcs12(data, password)
    except ValueError:
        return _rsa(serialization.load_der_private_key(data, password)), ()


def _pem_key(data: bytes, password: bytes | None) -> object:
    for match in _PEM_BLOCK.finditer(data):
        if match[1].endswith(b"PRIVATE KEY"):
            return serialization.load_pem_private_key(match.group(0), password)
    raise ConfigurationError("no PRIVATE KEY block found in the PEM data")


def _pkcs12(
    data: bytes, password: bytes | None
) -> tuple[rsa.RSAPrivateKey, tuple[x509.Certificate, ...]]:
    key, cert, extra = pkcs12.load_key_and_certificates(data, password)
    if key is None:
        raise ConfigurationError("the PKCS#12 file holds no private key")
    return _rsa(key), tuple(c for c in (cert, *extra) if c is not None)


def _rsa(key: object) -> rsa.RSAPrivateKey:
    if not isinstance(key, rsa.RSAPrivateKey):
        raise ConfigurationError(f"only RSA private keys are supported, got {type(key).__name__}")
    return key


def _rsa_key(certificate: x509.Certificate) -> rsa.RSAPublicKey:
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ConfigurationError(
            f"only RSA certificates are supported: {certificate.subject.rfc4514_string()}"
        )
    return key


def rsa_public_key(certificate: x509.Certificate) -> rsa.RSAPublicKey:
    """The certificate's RSA public key (ConfigurationError for other key types)."""
    return _rsa_key(certificate)


def _bytes(value: str | bytes) -> bytes:
    return value.encode() if isinstance(value, str) else value


__all__ = [
    "KeyPair",
    "certificate_pem",
    "days_until_expiry",
    "issuer_and_serial",
    "load_certificates",
    "load_key_pair",
    "load_private_key",
    "new_self_signed",
    "private_key_pem",
    "rsa_public_key",
    "valid_at",
]
