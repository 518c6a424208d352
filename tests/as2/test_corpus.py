"""Every AS2 capture in ../shared/corpus/as2 (Mendelson AS2, IBM Sterling B2B Integrator), opened
or checked with the keys its README names. The captures' certificates have long expired, so
certificate-date validation is off for these partners, as it would be for a lapsed partner.
"""

from __future__ import annotations

import base64
from pathlib import Path

import pytest
from asn1crypto import cms  # type: ignore[import-untyped]
from cryptography import x509

from b2b.as2 import (
    Digest,
    Encryption,
    LocalIdentity,
    MdnOutcome,
    PartnerSecurity,
    load_certificates,
    load_key_pair,
    mime,
    open_message,
    parse_mdn,
    signed_data,
)
from b2b.as2.algorithms import STRONG_DIGESTS, STRONG_ENCRYPTIONS
from b2b.errors import AS2AuthenticationFailed, AS2InsufficientSecurity, MdnRejected
from tests.as2.conftest import allowing_weak, read_capture

# what each capture holds, found by opening it (the README's table calls
# mecas2_compressed.as2 unsigned; it is signed, then compressed inside the signature)
MENDELSON = {
    "mecas2_signed.as2": (True, False, False),
    "mecas2_encrypted.as2": (False, True, False),
    "mecas2_signed_encrypted.as2": (True, True, False),
    "mecas2_compressed.as2": (True, False, True),
    "mecas2_compressed_signed_encrypted.as2": (True, True, True),
}
STERLING_MESSAGE_ID = "151694007918.24690.7052273208458909245@ip-172-31-14-209.ec2.internal"


def _ours(corpus: Path) -> LocalIdentity:
    return LocalIdentity(
        "pyas2lib", (load_key_pair((corpus / "cert_test.p12").read_bytes(), "test"),)
    )


# what each product uses that we accept only when the partner's profile allows it (allow_weak)
WEAK_IN_USE = {
    "mecas2": {"accept_encryptions": STRONG_ENCRYPTIONS | {Encryption.TRIPLEDES_CBC}},
    "sb2bi": {"accept_digests": STRONG_DIGESTS | {Digest.SHA1}},
}


def _partner(
    corpus: Path, name: str, *, canonicalize_line_endings: bool = False
) -> PartnerSecurity:
    return PartnerSecurity(
        name,
        load_certificates((corpus / f"cert_{name}_public.pem").read_bytes()),
        require_signed=False,
        require_encrypted=False,
        validate_certificate_dates=False,
        canonicalize_line_endings=canonicalize_line_endings,
        **WEAK_IN_USE.get(name, {}),  # type: ignore[arg-type]
    )


@pytest.mark.parametrize("capture", sorted(MENDELSON))
def test_mendelson_messages_open(as2_corpus: Path, capture: str) -> None:
    headers, body = read_capture(as2_corpus / capture)
    partner = _partner(as2_corpus, "mecas2")
    received = open_message(
        headers, body, find_partner=lambda _from, _to: (_ours(as2_corpus), partner)
    )
    assert received.payload == (as2_corpus / "payload.txt").read_bytes()
    assert (received.signed, received.encrypted, received.compressed) == MENDELSON[capture]
    assert received.signature_digest is (Digest.SHA256 if received.signed else None)
    assert received.encryption is (Encryption.TRIPLEDES_CBC if received.encrypted else None)
    assert received.as2_from == "mecas2"
    assert received.message_id.startswith("mendelson_opensource_AS2-")
    assert received.filename == "payload.txt"


def test_mendelson_signature_binds_the_payload(as2_corpus: Path) -> None:
    headers, body = read_capture(as2_corpus / "mecas2_signed.as2")
    tampered = body.replace(b"BGM+220+1AA1TEST+9'", b"BGM+220+1AA1TEST+8'")
    assert tampered != body
    partner = _partner(as2_corpus, "mecas2")
    with pytest.raises(AS2AuthenticationFailed, match="message digest does not match"):
        open_message(
            headers, tampered, find_partner=lambda _from, _to: (_ours(as2_corpus), partner)
        )


def _embedded_signer(body: bytes, headers: tuple[tuple[str, str], ...]) -> x509.Certificate:
    """The certificate a signed MDN carries inside its SignedData (read with asn1crypto)."""
    entity = mime.Entity(mime.Headers(headers), body)
    parts = mime.split_multipart(body, entity.content_type.param("boundary") or "")
    der = mime.parse_entity(parts[1]).decoded()
    certificate = cms.ContentInfo.load(der)["content"]["certificates"][0].chosen
    return x509.load_der_x509_certificate(certificate.dump())


def test_mendelson_signed_mdn(as2_corpus: Path) -> None:
    """The README says cert_mecas2_public.pem signed this MDN; it did not. The MDN (2016) is
    signed by the certificate it carries (CN=mecas2, "Your company", serial 0x57710415), an
    older Mendelson test key than cert_mecas2_public.pem (CN=mendelson test key 3, 2017)."""
    headers, body = read_capture(as2_corpus / "mecas2_signed.mdn")

    def check(partner: PartnerSecurity) -> MdnOutcome:
        return parse_mdn(
            headers,
            body,
            partner=partner,
            expected_message_id="20161230102456.10748.40759@imac.local",
            expected_mic="O4bvrm5t2YunRfwvZicNdEUmPaPZ9vUslX8loVLDck0=",
            expected_mic_algorithm=Digest.SHA256,
        )

    with pytest.raises(MdnRejected, match="signature does not verify"):
        check(_partner(as2_corpus, "mecas2"))
    signer = _embedded_signer(body, headers)
    assert signer.serial_number == 0x57710415
    embedded = PartnerSecurity("mecas2", (signer,), validate_certificate_dates=False)
    with pytest.raises(MdnRejected, match="signed with sha-1"):
        check(embedded)  # a 2016 MDN: SHA-1, refused unless the profile allows weak algorithms
    outcome = check(allowing_weak(embedded))
    assert (outcome.status, outcome.signed, outcome.mic_algorithm) == (
        "delivered",
        True,
        Digest.SHA256,
    )


def test_mendelson_unsigned_error_mdn(as2_corpus: Path) -> None:
    headers, body = read_capture(as2_corpus / "mecas2_unsigned.mdn")
    partner = _partner(as2_corpus, "mecas2")
    with pytest.raises(MdnRejected, match="not signed"):
        parse_mdn(
            headers,
            body,
            partner=partner,
            expected_message_id="20161230102316.10728.85252@imac.local",
            expected_mic=None,
            expected_mic_algorithm=None,
        )
    outcome = parse_mdn(
        headers,
        body,
        partner=partner,
        expected_message_id="20161230102316.10728.85252@imac.local",
        expected_mic=None,
        expected_mic_algorithm=None,
        require_signed=False,
    )
    assert (outcome.status, outcome.modifier) == ("failed", "error: authentication-failed")
    assert "Error verifying the senders digital signature" in outcome.text


def test_sterling_signed_mdn(as2_corpus: Path) -> None:
    headers, body = read_capture(as2_corpus / "sb2bi_signed.mdn")
    outcome = parse_mdn(
        headers,
        body,
        partner=_partner(as2_corpus, "sb2bi"),
        expected_message_id=STERLING_MESSAGE_ID,
        expected_mic="wNh76aEicfBurg/et2wio4zk/2I=",
        expected_mic_algorithm=Digest.SHA1,
    )
    assert (outcome.status, outcome.signed, outcome.disposition) == (
        "delivered",
        True,
        "processed",
    )
    with pytest.raises(MdnRejected, match="uses sha-1, we asked for sha-256"):
        parse_mdn(
            headers,
            body,
            partner=_partner(as2_corpus, "sb2bi"),
            expected_message_id=STERLING_MESSAGE_ID,
            expected_mic="wNh76aEicfBurg/et2wio4zk/2I=",
            expected_mic_algorithm=Digest.SHA256,
        )


@pytest.mark.parametrize("switch", [False, True], ids=["plain", "sterling-switch"])
def test_sterling_signed_compressed_message(as2_corpus: Path, switch: bool) -> None:
    """What Sterling signed: the part with CRLF header lines and the binary body unchanged.

    The capture stores the part's header lines with bare LF (as the receiving web stack logged
    them); MIME canonical form restores CRLF there. Turning *every* LF into CRLF, as pyas2lib's
    fallback does (and the reason its own test of this file is skipped), cannot verify: the
    compressed body holds three bare LF bytes that Sterling hashed as they are.
    """
    ours = LocalIdentity(
        "as2server",
        (load_key_pair((as2_corpus / "cert_oldpyas2_private.pem").read_bytes(), "password"),),
    )
    partner = _partner(as2_corpus, "sb2bi", canonicalize_line_endings=switch)
    headers, body = read_capture(as2_corpus / "sb2bi_signed_cmp.msg")
    received = open_message(headers, body, find_partner=lambda _from, _to: (ours, partner))
    assert (received.signed, received.compressed, received.signature_digest) == (
        True,
        True,
        Digest.SHA1,
    )
    assert received.payload.startswith(b"ISA*00*          *00*          *07*0083967000016")
    assert received.payload.rstrip().endswith(b"IEA*1*000000002~")
    entity = mime.Entity(mime.Headers(headers), body)
    signed_part = mime.split_multipart(body, entity.content_type.param("boundary") or "")[0]
    head, start = mime.split_head(signed_part)
    as_signed = mime.canonical_line_endings(head) + b"\r\n" + signed_part[start:]
    assert base64.b64decode(received.mic) == _sha1(as_signed)
    everything_crlf = mime.canonical_line_endings(signed_part)
    info = signed_data.read_signed_data(
        mime.parse_entity(
            mime.split_multipart(body, entity.content_type.param("boundary") or "")[1]
        ).decoded()
    )
    with pytest.raises(AS2AuthenticationFailed, match="message digest does not match"):
        signed_data.verify(info, [everything_crlf], partner.certificates)


def _sha1(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha1(data).digest()


@pytest.mark.parametrize(
    ("capture", "name", "ours_key"),
    [
        ("mecas2_encrypted.as2", "mecas2", ("cert_test.p12", "test")),
        ("sb2bi_signed_cmp.msg", "sb2bi", ("cert_oldpyas2_private.pem", "password")),
    ],
)
def test_without_the_allowance_3des_and_sha1_are_refused(
    as2_corpus: Path, capture: str, name: str, ours_key: tuple[str, str]
) -> None:
    ours = LocalIdentity(
        "us", (load_key_pair((as2_corpus / ours_key[0]).read_bytes(), ours_key[1]),)
    )
    strict = PartnerSecurity(
        name,
        load_certificates((as2_corpus / f"cert_{name}_public.pem").read_bytes()),
        require_signed=False,
        require_encrypted=False,
        validate_certificate_dates=False,
    )
    headers, body = read_capture(as2_corpus / capture)
    with pytest.raises(AS2InsufficientSecurity, match=r"tripledes_cbc|sha-1"):
        open_message(headers, body, find_partner=lambda _from, _to: (ours, strict))
