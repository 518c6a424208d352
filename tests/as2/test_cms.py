"""Our CMS encoding checked by an independent reader (asn1crypto), and our BER reader on the
encodings other products use (indefinite lengths, chunked OCTET STRINGs)."""

from __future__ import annotations

import hashlib
import zlib

import pytest
from asn1crypto import cms  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st

from b2b.as2 import (
    Digest,
    Encryption,
    KeyPair,
    KeyTransport,
    SignatureScheme,
    asn1,
    compressed_data,
    enveloped_data,
    signed_data,
)
from b2b.errors import AS2AuthenticationFailed, AS2DecryptionFailed, AS2MalformedMessage
from tests.as2.conftest import X12


@pytest.mark.parametrize("level", range(10))
def test_asn1crypto_reads_our_compressed_data(level: int) -> None:
    # At each zlib level: 1-9 deflate with ISA-L, whose stream Python's zlib inflates here.
    parsed = cms.ContentInfo.load(compressed_data.compress(X12, level=level))
    assert parsed["content_type"].native == "compressed_data"
    assert parsed["content"].decompressed == X12


@pytest.mark.parametrize("level", [-1, 10])
def test_a_level_zlib_does_not_have_is_refused(level: int) -> None:
    with pytest.raises(ValueError, match="not 0 to 9"):
        compressed_data.compress(X12, level=level)


def test_we_read_asn1crypto_compressed_data() -> None:
    built = cms.ContentInfo(
        {
            "content_type": "compressed_data",
            "content": cms.CompressedData(
                {
                    "version": "v0",
                    "compression_algorithm": {"algorithm": "zlib"},
                    "encap_content_info": {
                        "content_type": "data",
                        "content": zlib.compress(X12),
                    },
                }
            ),
        }
    )
    assert compressed_data.decompress(built.dump(), limit=1 << 20) == X12


@pytest.mark.parametrize("scheme", list(SignatureScheme), ids=lambda s: s.value)
@pytest.mark.parametrize("digest", list(Digest), ids=lambda d: d.value)
def test_asn1crypto_reads_our_signed_data(
    alice: KeyPair, digest: Digest, scheme: SignatureScheme
) -> None:
    content_digest = hashlib.new(digest.value, X12).digest()
    der = signed_data.sign(content_digest, digest=digest, scheme=scheme, signer=alice)
    parsed = cms.ContentInfo.load(der)["content"]
    assert parsed["version"].native == "v1"
    assert parsed["digest_algorithms"][0]["algorithm"].native == digest.value
    assert parsed["encap_content_info"]["content"].native is None  # detached
    signer = parsed["signer_infos"][0]
    assert signer["sid"].chosen["serial_number"].native == alice.certificate.serial_number
    attributes = {a["type"].native: a["values"][0].native for a in signer["signed_attrs"]}
    assert attributes == {"content_type": "data", "message_digest": content_digest}
    algorithm = signer["signature_algorithm"]
    if scheme is SignatureScheme.PSS:
        assert algorithm["algorithm"].native == "rsassa_pss"
        params = algorithm["parameters"]
        assert params["hash_algorithm"]["algorithm"].native == digest.value
        assert params["salt_length"].native == digest.hash.digest_size
    else:
        assert algorithm["algorithm"].native == "rsassa_pkcs1v15"
    assert parsed["certificates"][0].chosen.dump() == alice.certificate_der


@pytest.mark.parametrize("transport", list(KeyTransport), ids=lambda t: t.value)
@pytest.mark.parametrize("cipher", list(Encryption), ids=lambda c: c.value)
def test_asn1crypto_reads_our_enveloped_data(
    bob: KeyPair, cipher: Encryption, transport: KeyTransport
) -> None:
    der = enveloped_data.encrypt(
        X12, recipient=bob.certificate, encryption=cipher, key_transport=transport
    )
    parsed = cms.ContentInfo.load(der)["content"]
    assert parsed["version"].native == "v0"
    recipient = parsed["recipient_infos"][0].chosen
    assert recipient["rid"].chosen["serial_number"].native == bob.certificate.serial_number
    expected = {KeyTransport.RSA_PKCS1V15: "rsaes_pkcs1v15", KeyTransport.RSA_OAEP: "rsaes_oaep"}
    assert recipient["key_encryption_algorithm"]["algorithm"].native == expected[transport]
    content_info = parsed["encrypted_content_info"]
    assert content_info["content_encryption_algorithm"].encryption_cipher in ("aes", "tripledes")
    assert content_info["content_encryption_algorithm"].key_length == cipher.key_size
    assert len(content_info["encrypted_content"].native) % cipher.block_size == 0


def test_enveloped_data_refuses_unknown_ciphers(bob: KeyPair) -> None:
    der = enveloped_data.encrypt(
        X12,
        recipient=bob.certificate,
        encryption=Encryption.AES128_CBC,
        key_transport=KeyTransport.RSA_PKCS1V15,
    )
    gcm = asn1.oid("2.16.840.1.101.3.4.1.6")  # aes128-GCM: same length, not a CBC cipher
    swapped = der.replace(Encryption.AES128_CBC.oid, gcm)
    with pytest.raises(AS2DecryptionFailed, match="refuse"):
        enveloped_data.decrypt(swapped, [bob])


def test_a_signed_data_without_signer_is_refused() -> None:
    empty = asn1.sequence(
        signed_data.ID_SIGNED_DATA,
        asn1.explicit(
            0,
            asn1.sequence(
                asn1.integer(1),
                asn1.set_of(),
                asn1.sequence(signed_data.ID_DATA),
                asn1.set_of(),
            ),
        ),
    )
    with pytest.raises(AS2AuthenticationFailed, match="no signer"):
        signed_data.read_signed_data(empty)


def _ber_octets(chunks: list[bytes]) -> bytes:
    """A constructed, indefinite-length OCTET STRING made of chunks, as BouncyCastle writes."""
    return b"\x24\x80" + b"".join(asn1.octet_string(c) for c in chunks) + b"\x00\x00"


def _ber_compressed(deflated: bytes, chunk: int) -> bytes:
    pieces = [deflated[i : i + chunk] for i in range(0, len(deflated), chunk)]
    inner = b"\xa0\x80" + _ber_octets(pieces) + b"\x00\x00"
    encapsulated = b"\x30\x80" + signed_data.ID_DATA + inner + b"\x00\x00"
    algorithm = asn1.algorithm(asn1.oid("1.2.840.113549.1.9.16.3.8"))
    body = b"\x30\x80" + asn1.integer(0) + algorithm + encapsulated + b"\x00\x00"
    return b"\x30\x80" + compressed_data.ID_COMPRESSED_DATA + b"\xa0\x80" + body + b"\0\0\0\0"


@given(chunk=st.integers(min_value=1, max_value=600))
def test_indefinite_lengths_and_chunked_strings(chunk: int) -> None:
    ber = _ber_compressed(zlib.compress(X12), chunk)
    assert compressed_data.decompress(ber, limit=1 << 20) == X12
    assert cms.ContentInfo.load(ber)["content"].decompressed == X12  # the same BER, per asn1crypto


_WHOLE = asn1.sequence(asn1.integer(1), asn1.octet_string(bytes(150)), asn1.sequence())


@given(cut=st.integers(min_value=0, max_value=len(_WHOLE) - 1))
def test_cut_short_structures_are_malformed(cut: int) -> None:
    truncated = _WHOLE[:cut]
    with pytest.raises(AS2MalformedMessage):
        asn1.children(truncated, asn1.read(truncated))


@given(value=st.integers(min_value=-(2**70), max_value=2**70))
def test_integers_round_trip(value: int) -> None:
    der = asn1.integer(value)
    assert asn1.read_integer(der, asn1.read(der)) == value
