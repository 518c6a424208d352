"""AS2 security from configuration: our keys (settings) and each partner's `[as2]` section.

Loads the key and certificate files once, at start, so that a missing file or a wrong
passphrase stops the gateway with the file named, not the first message.

    >>> directory = As2Directory.load(settings, registry)
    >>> directory.find_partner("ACME-AS2", "B2B-GATEWAY")
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import hashes

from b2b.as2 import (
    Compression,
    Digest,
    Encryption,
    KeyTransport,
    LocalIdentity,
    MdnOptions,
    OutboundSecurity,
    PartnerSecurity,
    SignatureScheme,
    TransferEncoding,
    days_until_expiry,
    load_certificates,
    load_key_pair,
)
from b2b.as2.algorithms import STRONG_DIGESTS, STRONG_ENCRYPTIONS, WEAK
from b2b.config import Settings
from b2b.errors import ConfigurationError
from b2b.partners.profile import As2Partner, PartnerProfile
from b2b.partners.registry import PartnerRegistry
from b2b.secrets import read_cert_secret, read_named_secret

#: Days before notAfter at which a certificate is warned about; the warning names the step.
EXPIRY_WARNING_STEPS = (60, 30, 14, 7)


@dataclass(frozen=True)
class PartnerAs2:
    """A partner profile with its loaded AS2 security."""

    profile: PartnerProfile
    security: PartnerSecurity
    outbound: OutboundSecurity
    #: SHA-256 of the TLS client certificate its AS2 posts must come with (`[as2]
    #: tls_client_certificate`); None: any, or none
    tls_client_sha256: bytes | None = None
    #: SHA-256 of `user:password`, the HTTP Basic its AS2 posts must come with (`[as2]
    #: inbound_basic_auth_*`); None: not asked for. Never the password itself.
    basic_auth_sha256: bytes | None = None


@dataclass(frozen=True)
class As2Directory:
    """Our AS2 identity and every AS2 partner's loaded security, by AS2 name."""

    ours: LocalIdentity | None
    partners: dict[str, PartnerAs2]

    @classmethod
    def load(cls, settings: Settings, registry: PartnerRegistry) -> As2Directory:
        """Load our keys and the partners' certificates; ConfigurationError names the file."""
        certs = settings.resolve(settings.certs_dir)
        ours = local_identity(settings, certs)
        mdn_url = f"{settings.public_url.rstrip('/')}/as2/mdn"
        partners = {}
        for profile in registry:
            if profile.as2 is None:
                continue
            security = partner_security(profile.as2, certs, profile.id, kek=settings.kek_bytes())
            outbound = outbound_security(profile.as2, async_url=mdn_url)
            tls = tls_client_sha256(profile.as2, certs, profile.id, kek=settings.kek_bytes())
            basic = basic_auth_sha256(profile.as2, certs, profile.id, kek=settings.kek_bytes())
            partners[profile.as2.as2_id] = PartnerAs2(profile, security, outbound, tls, basic)
        if partners and ours is None:
            raise ConfigurationError(
                "partners use AS2 but B2B_AS2_KEYS names no key of ours (make one with "
                "`b2b certs new`)"
            )
        return cls(ours, partners)

    def find_partner(
        self, as2_from: str, as2_to: str
    ) -> tuple[LocalIdentity, PartnerSecurity] | None:
        """For `open_message`: the pair for a message from `as2_from` to us, else None."""
        found = self.partners.get(as2_from)
        if found is None or self.ours is None or as2_to != self.ours.as2_id:
            return None
        return self.ours, found.security

    def expiring(self, *, now: dt.datetime) -> list[str]:
        """Warnings for every certificate within 60, 30, 14 or 7 days of expiry, or expired.

        >>> directory.expiring(now=utcnow())
        ['partner ACME-AS2: certificate CN=ACME expires in 12 days (within 14)']
        """
        named = [("our key", pair.certificate) for pair in (self.ours.keys if self.ours else ())]
        for as2_id, partner in self.partners.items():
            named += [(f"partner {as2_id}", c) for c in partner.security.certificates]
        warnings = []
        for who, certificate in named:
            state = expiry_state(days_until_expiry(certificate, now=now))
            if state is not None:
                subject = certificate.subject.rfc4514_string()
                warnings.append(f"{who}: certificate {subject} {state}")
        return warnings


def expiry_state(days: int) -> str | None:
    """The warning for a certificate `days` from expiry, or None when no step is reached yet.

    >>> expiry_state(12)
    'expires in 12 days (within 14)'
    """
    if days < 0:
        return "expired"
    reached = [step for step in EXPIRY_WARNING_STEPS if days <= step]
    if not reached:
        return None
    unit = "day" if days == 1 else "days"
    return f"expires in {days} {unit} (within {min(reached)})"


def local_identity(settings: Settings, certs: Path) -> LocalIdentity | None:
    """Our AS2 name and key pairs from settings, or None when no key is configured."""
    if not settings.as2_keys:
        return None
    passphrase = settings.secret("as2_key_passphrase")
    kek = settings.kek_bytes()
    pairs = tuple(
        load_key_pair(_read(certs, name, "B2B_AS2_KEYS", kek), passphrase=passphrase)
        for name in settings.as2_keys
    )
    return LocalIdentity(settings.as2_id, pairs)


def partner_security(
    as2: As2Partner, certs: Path, partner_id: str, *, kek: bytes | None = None
) -> PartnerSecurity:
    """The partner's certificates and inbound policy."""
    where = f"partner {partner_id}: as2.certificates"
    certificates = tuple(
        c for name in as2.certificates for c in load_certificates(_read(certs, name, where, kek))
    )
    weak = [WEAK[name] for name in as2.allow_weak]
    return PartnerSecurity(
        as2_id=as2.as2_id,
        certificates=certificates,
        require_signed=as2.require_signed,
        require_encrypted=as2.require_encrypted,
        validate_certificate_dates=as2.validate_certificate_dates,
        canonicalize_line_endings=as2.canonicalize_line_endings,
        accept_digests=STRONG_DIGESTS | {d for d in weak if isinstance(d, Digest)},
        accept_encryptions=STRONG_ENCRYPTIONS | {e for e in weak if isinstance(e, Encryption)},
    )


def tls_client_sha256(
    as2: As2Partner, certs: Path, partner_id: str, *, kek: bytes | None = None
) -> bytes | None:
    """The SHA-256 fingerprint `[as2] tls_client_certificate` names (as itself, or as the first
    certificate of a file under certs/); None when the partner is not tied to a certificate.

    >>> tls_client_sha256(acme.as2, certs, "acme").hex()
    '5d41402abc4b2a76b9719d911017c592...'
    """
    value = as2.tls_client_certificate
    if value is None:
        return None
    digits = value.strip().lower().removeprefix("sha256:").replace(":", "")
    if len(digits) == 64 and all(c in "0123456789abcdef" for c in digits):
        return bytes.fromhex(digits)
    where = f"partner {partner_id}: as2.tls_client_certificate"
    try:
        certificate = load_certificates(_read(certs, value, where, kek))[0]
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from exc
    return certificate.fingerprint(hashes.SHA256())


def basic_auth_sha256(
    as2: As2Partner, certs: Path, partner_id: str, *, kek: bytes | None = None
) -> bytes | None:
    """SHA-256 of the `user:password` (UTF-8) `[as2] inbound_basic_auth_*` name, the password
    read from its file under certs/ (sealed or clear); None when Basic is not asked for.

    >>> basic_auth_sha256(acme.as2, certs, "acme") == hashlib.sha256(b"acme:hunter2").digest()
    True
    """
    user, name = as2.inbound_basic_auth_user, as2.inbound_basic_auth_password_file
    if user is None or name is None:
        return None
    where = f"partner {partner_id}: as2.inbound_basic_auth_password_file"
    password = read_named_secret(certs, name, kek, where)
    if not password:
        raise ConfigurationError(f"{where}: {certs / name} is empty")
    return hashlib.sha256(f"{user}:{password}".encode()).digest()


def outbound_security(as2: As2Partner, *, async_url: str) -> OutboundSecurity:
    """How we package messages for this partner."""
    mdn = None
    if as2.mdn != "none":
        mdn = MdnOptions(
            signed=as2.mdn_signed,
            mic_algorithm=Digest(as2.mdn_mic_algorithm),
            async_url=async_url if as2.mdn == "async" else None,
        )
    return OutboundSecurity(
        sign=as2.sign is not None,
        digest=Digest(as2.sign or "sha256"),
        signature_scheme=SignatureScheme(as2.signature_scheme),
        encrypt=as2.encrypt is not None,
        encryption=Encryption(as2.encrypt or "aes256_cbc"),
        key_transport=KeyTransport(as2.key_transport),
        compression=Compression(as2.compress),
        transfer_encoding=TransferEncoding(as2.transfer_encoding),
        content_type=as2.content_type,
        mdn=mdn,
        micalg_style=as2.micalg_style,
    )


def _read(certs: Path, name: str, where: str, kek: bytes | None) -> bytes:
    """A key or certificate file under certs/, unsealed when sealed (`b2b.secrets`)."""
    try:
        return read_cert_secret(certs, name, kek)
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from exc
