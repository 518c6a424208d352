"""Build and open AS2 messages with ourselves on both ends, across the option matrix, and the
failures a receiver must report with the right MDN disposition modifier."""

from __future__ import annotations

import dataclasses
import itertools
import tracemalloc
import zlib
from datetime import timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes

from b2b.as2 import (
    BuiltMessage,
    Compression,
    Digest,
    Encryption,
    KeyPair,
    KeyTransport,
    LocalIdentity,
    MdnOptions,
    OutboundSecurity,
    PartnerSecurity,
    ReceiveLimits,
    SignatureScheme,
    TransferEncoding,
    asn1,
    build_mdn,
    build_message,
    compressed_data,
    mime,
    new_self_signed,
    open_message,
    parse_mdn,
    read_envelope,
    signed_data,
)
from b2b.as2.envelope import quote_as2_name, unquote_as2_name
from b2b.errors import (
    AS2AuthenticationFailed,
    AS2DecompressionFailed,
    AS2DecryptionFailed,
    AS2InsufficientSecurity,
    AS2MalformedMessage,
    AS2UnknownTradingPartner,
    AS2UnsupportedMicAlgorithms,
    ConfigurationError,
)
from tests.as2.conftest import NOW, X12, Lookup, allowing_weak, lookup

ENCRYPTIONS = [None, *itertools.product(Encryption, KeyTransport)]


def _round_trip(
    alice: KeyPair, bob: KeyPair, settings: OutboundSecurity, payload: bytes = X12
) -> None:
    """ALICE sends to BOB; BOB opens it and answers; ALICE checks the MDN strictly."""
    built = build_message(
        payload,
        settings=settings,
        ours=LocalIdentity("ALICE", (alice,)),
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        message_id="po-4711@alice.example",
        filename="po4711.x12",
        now=NOW,
    )
    policy = allowing_weak(
        PartnerSecurity(
            "ALICE", (alice.certificate,), require_signed=settings.sign, require_encrypted=False
        )
    )
    bob_identity = LocalIdentity("BOB", (bob,))
    received = open_message(
        built.headers, built.body, find_partner=lookup(bob_identity, policy), now=NOW
    )
    assert received.payload == payload
    assert received.filename == "po4711.x12"
    assert (received.signed, received.encrypted) == (settings.sign, settings.encrypt)
    assert received.compressed is (settings.compression is not Compression.NONE)
    assert received.mic == built.mic
    assert received.mic_algorithm is built.mic_algorithm
    mdn = build_mdn(received, mdn_message_id="mdn-1@bob.example", ours=bob_identity, now=NOW)
    assert settings.mdn is not None
    assert mdn.signed is settings.mdn.signed
    outcome = parse_mdn(
        mdn.headers,
        mdn.body,
        partner=allowing_weak(PartnerSecurity("BOB", (bob.certificate,))),
        expected_message_id=built.message_id,
        expected_mic=built.mic,
        expected_mic_algorithm=built.mic_algorithm,
        require_signed=settings.mdn.signed,
        now=NOW,
    )
    assert outcome.status == "delivered"
    assert outcome.received_mic == built.mic


@pytest.mark.parametrize("mdn_signed", [True, False], ids=["signed-mdn", "unsigned-mdn"])
@pytest.mark.parametrize("encoding", list(TransferEncoding), ids=lambda e: e.value)
@pytest.mark.parametrize("compression", list(Compression), ids=lambda c: c.value)
@pytest.mark.parametrize(
    "encryption",
    ENCRYPTIONS,
    ids=lambda e: "plain" if e is None else f"{e[0].value}-{e[1].value}",
)
@pytest.mark.parametrize("sign", [True, False], ids=["signed", "unsigned"])
def test_round_trip_matrix(
    alice: KeyPair,
    bob: KeyPair,
    sign: bool,
    encryption: tuple[Encryption, KeyTransport] | None,
    compression: Compression,
    encoding: TransferEncoding,
    mdn_signed: bool,
) -> None:
    cipher, transport = encryption or (Encryption.AES256_CBC, KeyTransport.RSA_PKCS1V15)
    settings = OutboundSecurity(
        sign=sign,
        encrypt=encryption is not None,
        encryption=cipher,
        key_transport=transport,
        compression=compression,
        transfer_encoding=encoding,
        mdn=MdnOptions(signed=mdn_signed),
    )
    _round_trip(alice, bob, settings)


@pytest.mark.parametrize("scheme", list(SignatureScheme), ids=lambda s: s.value)
@pytest.mark.parametrize("digest", list(Digest), ids=lambda d: d.value)
def test_every_digest_and_signature_scheme(
    alice: KeyPair, bob: KeyPair, digest: Digest, scheme: SignatureScheme
) -> None:
    settings = OutboundSecurity(
        digest=digest, signature_scheme=scheme, mdn=MdnOptions(mic_algorithm=digest)
    )
    _round_trip(alice, bob, settings)


def test_binary_payload_and_old_micalg_names(alice: KeyPair, bob: KeyPair) -> None:
    binary = bytes(range(256)) * 40 + b"\n\r\n\r"
    settings = OutboundSecurity(
        content_type="application/octet-stream",
        micalg_style="rfc3851",
        compression=Compression.AFTER_SIGNING,
    )
    _round_trip(alice, bob, settings, payload=binary)


def _build(
    alice: KeyPair, bob: KeyPair, settings: OutboundSecurity | None = None, payload: bytes = X12
) -> tuple[tuple[tuple[str, str], ...], bytes]:
    built = build_message(
        payload,
        settings=settings or OutboundSecurity(),
        ours=LocalIdentity("ALICE", (alice,)),
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        message_id="po-4711@alice.example",
        now=NOW,
    )
    return built.headers, built.body


def _open(
    headers: tuple[tuple[str, str], ...],
    body: bytes,
    bob_keys: tuple[KeyPair, ...],
    partner: PartnerSecurity,
    limits: ReceiveLimits | None = None,
) -> None:
    open_message(
        headers,
        body,
        find_partner=lookup(LocalIdentity("BOB", bob_keys), partner),
        limits=limits or ReceiveLimits(),
        now=NOW,
    )


def test_the_headers_a_partner_sees(alice: KeyPair, bob: KeyPair) -> None:
    settings = OutboundSecurity(mdn=MdnOptions(async_url="https://alice.example/as2/mdn"))
    headers = mime.Headers(_build(alice, bob, settings)[0])
    assert headers["AS2-Version"] == "1.2"
    assert (headers["as2-from"], headers["AS2-TO"]) == ("ALICE", "BOB")
    assert headers["Message-ID"] == "<po-4711@alice.example>"
    assert headers["Disposition-Notification-Options"] == (
        "signed-receipt-protocol=optional, pkcs7-signature; signed-receipt-micalg=optional, sha-256"
    )
    assert headers["Receipt-Delivery-Option"] == "https://alice.example/as2/mdn"
    assert headers["Content-Type"].startswith("application/pkcs7-mime; smime-type=enveloped-data")
    assert headers["Date"] == "Sat, 28 Nov 2026 12:00:00 +0000"


def test_a_retry_can_reuse_the_stored_bytes_and_unencrypted_builds_repeat(
    alice: KeyPair, bob: KeyPair
) -> None:
    plain = OutboundSecurity(encrypt=False)
    assert _build(alice, bob, plain) == _build(alice, bob, plain)
    first, second = _build(alice, bob), _build(alice, bob)
    assert first[0] == second[0]  # same headers, same Message-ID
    assert first[1] != second[1]  # a fresh content key each time: store the bytes to resend


def test_a_tampered_signed_payload_fails_authentication(alice: KeyPair, bob: KeyPair) -> None:
    headers, body = _build(alice, bob, OutboundSecurity(encrypt=False))
    at = body.index(b"PO1*17*")
    tampered = body[:at] + b"PO1*71*" + body[at + 7 :]
    partner = PartnerSecurity("ALICE", (alice.certificate,), require_encrypted=False)
    with pytest.raises(AS2AuthenticationFailed) as caught:
        _open(headers, tampered, (bob,), partner)
    assert caught.value.disposition_modifier == "error: authentication-failed"


def test_a_signature_by_someone_else_fails_authentication(
    alice: KeyPair, bob: KeyPair, mallory: KeyPair
) -> None:
    headers, body = _build(mallory, bob)
    with pytest.raises(AS2AuthenticationFailed):
        _open(headers, body, (bob,), PartnerSecurity("ALICE", (alice.certificate,)))


def test_a_message_for_another_certificate_fails_decryption(
    alice: KeyPair, bob: KeyPair, mallory: KeyPair
) -> None:
    headers, body = _build(alice, mallory)  # encrypted to MALLORY's certificate
    with pytest.raises(AS2DecryptionFailed) as caught:
        _open(headers, body, (bob,), PartnerSecurity("ALICE", (alice.certificate,)))
    assert caught.value.disposition_modifier == "error: decryption-failed"


def test_a_corrupted_ciphertext_fails_decryption(alice: KeyPair, bob: KeyPair) -> None:
    headers, body = _build(alice, bob)
    # The ciphertext ends the DER. Flipping the top bit of the next-to-last block's last byte
    # flips the same bit of the padding length in the last plaintext block (CBC), making it
    # 0x81..0x90, never valid: a failure every time. (Random damage to the tail could leave
    # valid padding and touch only the MIME epilogue, outside what the signature covers.)
    corrupted = body[:-17] + bytes([body[-17] ^ 0x80]) + body[-16:]
    with pytest.raises((AS2DecryptionFailed, AS2MalformedMessage)):
        _open(headers, corrupted, (bob,), PartnerSecurity("ALICE", (alice.certificate,)))


@pytest.mark.parametrize(
    ("settings", "policy"),
    [
        (OutboundSecurity(sign=False), {"require_signed": True}),
        (OutboundSecurity(encrypt=False), {"require_encrypted": True}),
        (OutboundSecurity(sign=False, encrypt=False), {"require_signed": True}),
    ],
    ids=["unsigned", "unencrypted", "neither"],
)
def test_insufficient_message_security(
    alice: KeyPair, bob: KeyPair, settings: OutboundSecurity, policy: dict[str, bool]
) -> None:
    headers, body = _build(alice, bob, settings)
    partner = PartnerSecurity(
        "ALICE",
        (alice.certificate,),
        require_signed=policy.get("require_signed", True),
        require_encrypted=policy.get("require_encrypted", True),
    )
    with pytest.raises(AS2InsufficientSecurity) as caught:
        _open(headers, body, (bob,), partner)
    assert caught.value.disposition_modifier == "error: insufficient-message-security"


def test_an_unknown_trading_partner(alice: KeyPair, bob: KeyPair) -> None:
    headers, body = _build(alice, bob)
    stranger = PartnerSecurity("CAROL", (alice.certificate,))
    with pytest.raises(AS2UnknownTradingPartner) as caught:
        _open(headers, body, (bob,), stranger)
    assert caught.value.disposition_modifier == "error: unknown-trading-partner"


def test_missing_as2_headers_are_malformed() -> None:
    with pytest.raises(AS2MalformedMessage, match="AS2-To, Message-ID"):
        read_envelope([("AS2-From", "ALICE"), ("Content-Type", "application/edi-x12")])


def _zlib_bomb(megabytes: int) -> bytes:
    """A valid zlib stream of `megabytes` MiB of zeros, made without inflating it in memory:
    after a full flush, the same 1 MiB block compresses to the same bytes."""
    chunk = bytes(1 << 20)
    deflater = zlib.compressobj(9)
    first = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    block = deflater.compress(chunk) + deflater.flush(zlib.Z_FULL_FLUSH)
    tail = deflater.flush(zlib.Z_FINISH)[:-4]  # the final empty block, without the checksum
    adler = ((megabytes << 20) % 65521) << 16 | 1  # Adler-32 of n zero bytes
    return first + block * (megabytes - 1) + tail + adler.to_bytes(4, "big")


def test_the_bomb_helper_makes_a_real_stream() -> None:
    assert zlib.decompress(_zlib_bomb(3)) == bytes(3 << 20)


def test_a_decompression_bomb_is_stopped_at_the_limit(alice: KeyPair, bob: KeyPair) -> None:
    bomb = compressed_data.from_deflated(_zlib_bomb(1024))  # 1 GiB of zeros in about 1 MB
    assert len(bomb) < 2 << 20
    # a signed, encrypted message whose signed entity is compressed data: an authentic partner
    # (or a stolen key) sending a bomb
    settings = OutboundSecurity(content_type="application/pkcs7-mime; smime-type=compressed-data")
    headers, body = _build(alice, bob, settings, payload=bomb)
    find = lookup(LocalIdentity("BOB", (bob,)), PartnerSecurity("ALICE", (alice.certificate,)))
    tracemalloc.start()
    try:
        with pytest.raises(AS2DecompressionFailed) as caught:
            open_message(
                headers,
                body,
                find_partner=find,
                limits=ReceiveLimits(max_payload_bytes=8 << 20),
                now=NOW,
            )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert "inflates past the limit of 8388608 bytes" in str(caught.value)
    assert caught.value.disposition_modifier == "error: decompression-failed"
    assert peak < 64 << 20  # the work stopped near the 8 MiB limit, not at 1 GiB


def test_corrupt_compressed_data_fails_decompression() -> None:
    with pytest.raises(AS2DecompressionFailed, match="corrupt"):
        compressed_data.decompress(compressed_data.from_deflated(b"not zlib"), limit=1 << 20)
    truncated = compressed_data.from_deflated(zlib.compress(X12)[:-20])
    with pytest.raises(AS2DecompressionFailed, match="truncated"):
        compressed_data.decompress(truncated, limit=1 << 20)


def test_rollover_decrypts_with_the_old_key_and_verifies_the_new_certificate(
    alice: KeyPair, bob: KeyPair
) -> None:
    bob_next = new_self_signed("BOB", now=NOW)
    alice_next = new_self_signed("ALICE", now=NOW)
    headers, body = _build(alice_next, bob)  # sent to BOB's old certificate, signed with new
    partner = PartnerSecurity("ALICE", (alice.certificate, alice_next.certificate))
    _open(headers, body, (bob_next, bob), partner)  # BOB now signs with the new key first


def test_encryption_picks_the_newest_valid_certificate(alice: KeyPair, bob: KeyPair) -> None:
    later = new_self_signed("BOB", now=NOW.replace(year=2027))
    built = build_message(
        X12,
        settings=OutboundSecurity(),
        ours=LocalIdentity("ALICE", (alice,)),
        partner=PartnerSecurity("BOB", (bob.certificate, later.certificate)),
        message_id="m@x",
        now=NOW,
    )  # `later` is not valid yet at NOW: the message goes to `bob`
    _open(built.headers, built.body, (bob,), PartnerSecurity("ALICE", (alice.certificate,)))


def test_expired_certificates_refused_unless_date_checks_are_off(
    alice: KeyPair, bob: KeyPair
) -> None:
    headers, body = _build(alice, bob)
    later = NOW.replace(year=2030)
    strict = PartnerSecurity("ALICE", (alice.certificate,))
    find = lookup(LocalIdentity("BOB", (bob,)), strict)
    with pytest.raises(AS2AuthenticationFailed, match="valid on 2030-11-28"):
        open_message(headers, body, find_partner=find, now=later)
    lenient = dataclasses.replace(strict, validate_certificate_dates=False)
    find = lookup(LocalIdentity("BOB", (bob,)), lenient)
    assert open_message(headers, body, find_partner=find, now=later).payload == X12
    with pytest.raises(ConfigurationError, match="no certificate valid on 2030-11-28"):
        build_message(
            X12,
            settings=OutboundSecurity(),
            ours=LocalIdentity("ALICE", (alice,)),
            partner=PartnerSecurity("BOB", (bob.certificate,)),
            message_id="m@x",
            now=later,
        )


def test_sterling_canonicalisation_changes_the_expected_mic(alice: KeyPair, bob: KeyPair) -> None:
    def mic(canonicalize: bool) -> str | None:
        return build_message(
            X12,
            settings=OutboundSecurity(encrypt=False),
            ours=LocalIdentity("ALICE", (alice,)),
            partner=PartnerSecurity(
                "BOB", (bob.certificate,), canonicalize_line_endings=canonicalize
            ),
            message_id="m@x",
            now=NOW,
        ).mic

    assert mic(True) != mic(False)  # X12 with bare LF: the CRLF form hashes differently


@pytest.mark.parametrize("name", ["ALICE", "Sterling B2B Integrator", 'say "hi"'])
def test_as2_names_with_spaces_and_quotes_survive(name: str) -> None:
    assert unquote_as2_name(quote_as2_name(name)) == name


def test_decryption_tries_every_key_when_no_certificate_is_named(
    alice: KeyPair, bob: KeyPair
) -> None:
    """BOB's certificate was re-issued for the same key: the recipient info names the new
    certificate, BOB's profile still holds the old one; the key is tried anyway."""
    reissued = (
        x509.CertificateBuilder()
        .subject_name(bob.certificate.subject)
        .issuer_name(bob.certificate.subject)
        .public_key(bob.private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=30))
        .sign(bob.private_key, hashes.SHA256())
    )
    headers, body = _build(alice, KeyPair(bob.private_key, reissued))
    _open(headers, body, (bob,), PartnerSecurity("ALICE", (alice.certificate,)))


def test_the_mdn_request_is_read_from_the_headers() -> None:
    envelope = read_envelope(
        [
            ("as2-from", '"Sterling B2B Integrator"'),
            ("AS2-TO", "ALICE"),
            ("message-id", "<0574493161569973Sterling@MOKO>"),
            ("Disposition-Notification-To", "mailto:as2@partner.example"),
            (
                "Disposition-Notification-Options",
                "signed-receipt-protocol=required,pkcs7-signature;"
                " signed-receipt-micalg=required, md5, SHA256, sha1",
            ),
            ("Receipt-Delivery-Option", "https://partner.example/mdn"),
        ]
    )
    assert envelope.as2_from == "Sterling B2B Integrator"
    assert envelope.message_id == "0574493161569973Sterling@MOKO"
    request = envelope.mdn_request
    assert request is not None
    assert (request.signed, request.signature_required) == (True, True)
    assert (request.mic_algorithm, request.mic_algorithm_name) == (Digest.SHA256, "SHA256")
    assert request.async_url == "https://partner.example/mdn"
    assert (
        read_envelope([("AS2-From", "a"), ("AS2-To", "b"), ("Message-ID", "m")]).mdn_request is None
    )


def _weak_round(
    alice: KeyPair, bob: KeyPair, settings: OutboundSecurity, policy: PartnerSecurity
) -> tuple[BuiltMessage, Lookup]:
    built = build_message(
        X12,
        settings=settings,
        ours=LocalIdentity("ALICE", (alice,)),
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        message_id="weak@alice.example",
        now=NOW,
    )
    return built, lookup(LocalIdentity("BOB", (bob,)), policy)


@pytest.mark.parametrize(
    ("settings", "named"),
    [
        (OutboundSecurity(digest=Digest.SHA1), "sha-1"),
        (OutboundSecurity(encryption=Encryption.TRIPLEDES_CBC), "tripledes_cbc"),
    ],
    ids=["sha1-signature", "3des"],
)
def test_weak_algorithms_are_refused_unless_the_profile_allows_them(
    alice: KeyPair, bob: KeyPair, settings: OutboundSecurity, named: str
) -> None:
    strict = PartnerSecurity("ALICE", (alice.certificate,))
    built, find = _weak_round(alice, bob, settings, strict)
    with pytest.raises(AS2InsufficientSecurity, match=named) as refused:
        open_message(built.headers, built.body, find_partner=find, now=NOW)
    assert refused.value.disposition == "processed/error: insufficient-message-security"
    _, allowed = _weak_round(alice, bob, settings, allowing_weak(strict))
    assert open_message(built.headers, built.body, find_partner=allowed, now=NOW).payload == X12


def test_rc2_and_md5_are_never_accepted(alice: KeyPair, bob: KeyPair) -> None:
    settings = OutboundSecurity(encryption=Encryption.TRIPLEDES_CBC)
    built, find = _weak_round(
        alice, bob, settings, allowing_weak(PartnerSecurity("ALICE", (alice.certificate,)))
    )
    tripledes, rc2 = asn1.oid("1.2.840.113549.3.7"), asn1.oid("1.2.840.113549.3.2")
    assert built.body.count(tripledes) == 1
    with pytest.raises(AS2InsufficientSecurity, match="RC2-CBC, never accepted"):
        open_message(built.headers, built.body.replace(tripledes, rc2), find_partner=find, now=NOW)
    with pytest.raises(AS2InsufficientSecurity, match="MD5, which is never accepted"):
        signed_data._digest(asn1.oid("1.2.840.113549.2.5"))


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ("signed-receipt-micalg=optional, sha1, sha-256", Digest.SHA256),  # first allowed one
        ("signed-receipt-micalg=optional, sha1", Digest.SHA384),  # the signature's instead
        ("signed-receipt-micalg=required, sha1, md5", AS2UnsupportedMicAlgorithms),
        ("signed-receipt-micalg=required, md5", AS2UnsupportedMicAlgorithms),
    ],
)
def test_the_mic_algorithm_an_mdn_request_names_must_be_allowed(
    alice: KeyPair, bob: KeyPair, options: str, expected: object
) -> None:
    settings = OutboundSecurity(digest=Digest.SHA384)
    built, find = _weak_round(alice, bob, settings, PartnerSecurity("ALICE", (alice.certificate,)))
    options = f"signed-receipt-protocol=optional, pkcs7-signature; {options}"
    headers = [
        (n, options if n == "Disposition-Notification-Options" else v) for n, v in built.headers
    ]
    if expected is AS2UnsupportedMicAlgorithms:
        with pytest.raises(AS2UnsupportedMicAlgorithms) as failed:
            open_message(headers, built.body, find_partner=find, now=NOW)
        assert failed.value.disposition == "failed/Failure: unsupported MIC-algorithms"
        return
    received = open_message(headers, built.body, find_partner=find, now=NOW)
    assert received.mic_algorithm is expected
    mdn = build_mdn(received, mdn_message_id="mdn@bob", ours=LocalIdentity("BOB", (bob,)))
    assert f"micalg={received.mic_algorithm.micalg};" in dict(mdn.headers)["Content-Type"]


def test_allow_weak_in_a_profile() -> None:
    from b2b.partners.profile import As2Partner

    profile = As2Partner(as2_id="X", certificates=("x.pem",), allow_weak=("SHA-1", "3des", "sha1"))
    assert profile.allow_weak == ("sha1", "tripledes_cbc")
    for never in ("md5", "rc2_cbc", "RC4", "des-cbc"):
        with pytest.raises(ValueError, match="never accepted"):
            As2Partner(as2_id="X", certificates=("x.pem",), allow_weak=(never,))
    with pytest.raises(ValueError, match="not a weak algorithm"):
        As2Partner(as2_id="X", certificates=("x.pem",), allow_weak=("sha256",))
