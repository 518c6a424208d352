"""Loading keys and certificates in the forms partners and operators hand us."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from b2b.as2 import (
    KeyPair,
    certificate_pem,
    days_until_expiry,
    load_certificates,
    load_key_pair,
    load_private_key,
    new_self_signed,
    private_key_pem,
)
from b2b.errors import ConfigurationError
from tests.as2.conftest import NOW


def test_a_new_identity_is_valid_for_two_years(alice: KeyPair) -> None:
    pair = new_self_signed("ACME AS2", now=NOW)
    assert pair.certificate.subject.rfc4514_string() == "CN=ACME AS2"
    assert pair.private_key.key_size == 2048
    assert days_until_expiry(pair.certificate, now=NOW) == 730
    assert days_until_expiry(pair.certificate, now=NOW + timedelta(days=731)) == -1


def test_an_encrypted_pem_key_with_its_certificate(alice: KeyPair) -> None:
    bundle = private_key_pem(alice.private_key, "s3cret") + certificate_pem(alice.certificate)
    assert b"ENCRYPTED PRIVATE KEY" in bundle
    pair = load_key_pair(bundle, passphrase="s3cret")
    assert pair.certificate == alice.certificate
    assert pair.issuer_and_serial == alice.issuer_and_serial
    with pytest.raises(ConfigurationError, match="cannot read private key"):
        load_key_pair(bundle, passphrase="wrong")


def test_key_and_certificate_from_separate_files(alice: KeyPair, bob: KeyPair) -> None:
    key = private_key_pem(alice.private_key)
    pair = load_key_pair(key, certificate=certificate_pem(alice.certificate))
    assert pair.certificate == alice.certificate
    assert pair.private_key.private_numbers() == alice.private_key.private_numbers()
    with pytest.raises(ConfigurationError, match="no certificate for the private key"):
        load_key_pair(key, certificate=certificate_pem(bob.certificate))


def test_a_der_private_key(alice: KeyPair) -> None:
    der = alice.private_key.private_bytes(
        serialization.Encoding.DER,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )
    assert load_private_key(der).public_key().public_numbers() == (
        alice.private_key.public_key().public_numbers()
    )


def test_several_certificates_for_a_rollover(alice: KeyPair, bob: KeyPair) -> None:
    both = certificate_pem(alice.certificate) + certificate_pem(bob.certificate)
    assert load_certificates(both) == (alice.certificate, bob.certificate)
    der = alice.certificate.public_bytes(serialization.Encoding.DER)
    assert load_certificates(der) == (alice.certificate,)


def test_garbage_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match="cannot read certificate"):
        load_certificates(b"not a certificate")
    with pytest.raises(ConfigurationError, match="no CERTIFICATE block"):
        load_certificates(b"-----BEGIN PRIVATE KEY-----\nAA==\n-----END PRIVATE KEY-----\n")
    with pytest.raises(ConfigurationError, match="cannot read private key"):
        load_private_key(b"\x30\x03\x02\x01\x00")


def test_a_key_must_match_its_certificate(alice: KeyPair, bob: KeyPair) -> None:
    with pytest.raises(ConfigurationError, match="does not belong to certificate CN=BOB"):
        KeyPair(alice.private_key, bob.certificate)


def test_corpus_keys(as2_corpus: Path) -> None:
    from_p12 = load_key_pair((as2_corpus / "cert_test.p12").read_bytes(), "test")
    from_pem = load_key_pair((as2_corpus / "cert_test.pem").read_bytes(), "test")
    assert from_p12.certificate == from_pem.certificate
    assert (
        from_p12.certificate
        == load_certificates((as2_corpus / "cert_test_public.pem").read_bytes())[0]
    )
    chain = load_certificates((as2_corpus / "cert_sb2bi_public.ca").read_bytes())
    assert len(chain) >= 2
    assert (
        days_until_expiry(
            load_certificates((as2_corpus / "verify_cert_test2.cer").read_bytes())[0], now=NOW
        )
        < 0
    )
