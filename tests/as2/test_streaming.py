"""The large-message helpers: sliced compression and inflation, bodies read in place, and
encryption that releases its plaintext as it goes (B7: a 100 MB payload in bounded memory)."""

from __future__ import annotations

import random
import zlib

import pytest

from b2b.as2 import Encryption, KeyPair, KeyTransport, compressed_data, enveloped_data, mime
from b2b.errors import AS2DecompressionFailed
from tests.as2.conftest import X12

#: over one megabyte, so compression and inflation both run across several slices
LARGE = X12 * 700


def test_a_payload_larger_than_a_slice_round_trips_through_compressed_data() -> None:
    der = compressed_data.compress(LARGE)
    assert len(LARGE) > 4 * (1 << 18)
    assert compressed_data.decompress(der, limit=len(LARGE)) == LARGE


def test_the_inflate_limit_holds_across_slices() -> None:
    noise = random.Random(3).randbytes(1 << 20)  # incompressible: about four input slices
    der = compressed_data.compress(noise)
    assert compressed_data.decompress(der, limit=len(noise)) == noise
    with pytest.raises(AS2DecompressionFailed, match="past the limit"):
        compressed_data.decompress(der, limit=len(noise) - 1)


def test_a_truncated_stream_is_refused_after_sliced_inflation() -> None:
    deflated = zlib.compress(LARGE)
    with pytest.raises(AS2DecompressionFailed, match="truncated"):
        compressed_data.inflate(deflated[: len(deflated) // 2], limit=len(LARGE))


def test_compressed_data_is_read_at_an_offset_in_a_mime_body() -> None:
    entity = mime.parse_entity(
        b"Content-Type: application/pkcs7-mime; smime-type=compressed-data\r\n"
        b"Content-Transfer-Encoding: binary\r\n\r\n" + compressed_data.compress(LARGE)
    )
    data, start = entity.decoded_at()
    assert type(data) is bytes
    assert data is entity.data
    assert start == entity.start > 0
    assert compressed_data.decompress(data, limit=len(LARGE), start=start) == LARGE


def test_a_base64_body_is_decoded_before_it_is_read() -> None:
    der = compressed_data.compress(X12)
    entity = mime.parse_entity(
        b"Content-Transfer-Encoding: base64\r\n\r\n" + mime.base64_lines(der)
    )
    assert entity.decoded_at() == (der, 0)


def test_take_decoded_cuts_the_headers_off_an_inflated_entity() -> None:
    inflated = bytearray(b"Content-Type: application/edi-x12\r\n\r\n" + X12)
    entity = mime.parse_inner_entity(inflated)
    assert entity is not None
    payload = entity.take_decoded()
    assert payload is inflated  # the same buffer, its head removed in place
    assert payload == X12


def test_take_decoded_of_a_bytes_entity_is_its_decoded_body() -> None:
    entity = mime.parse_entity(b"Content-Type: application/edi-x12\r\n\r\n" + X12)
    assert entity.take_decoded() == X12


def test_multipart_parts_of_a_bytearray_are_bytes() -> None:
    body = bytearray(mime.multipart([b"Content-Type: text/plain\r\n\r\nfirst", b"second"], "b-1"))
    parts = mime.split_multipart(body, "b-1")
    assert parts == [b"Content-Type: text/plain\r\n\r\nfirst", b"second"]
    assert all(type(part) is bytes for part in parts)


def test_consuming_encryption_releases_the_chunks_and_decrypts_the_same(bob: KeyPair) -> None:
    chunks = [LARGE[:1000], LARGE[1000:]]
    der = enveloped_data.encrypt_chunks(
        chunks,
        recipient=bob.certificate,
        encryption=Encryption.AES256_CBC,
        key_transport=KeyTransport.RSA_OAEP,
        consume=True,
    )
    assert chunks == [b"", b""]
    assert enveloped_data.decrypt(b"".join(der), [bob]).content == LARGE
