"""Interop with OpenSSL's `openssl cms`: it opens what we build, and we open what it builds.

OpenSSL is a CMS implementation we did not write; these tests run the real command.
"""

from __future__ import annotations

import base64
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from b2b.as2 import (
    BuiltMessage,
    Compression,
    Digest,
    Encryption,
    KeyPair,
    KeyTransport,
    LocalIdentity,
    OutboundSecurity,
    PartnerSecurity,
    ReceivedMessage,
    SignatureScheme,
    build_message,
    certificate_pem,
    open_message,
    private_key_pem,
)
from tests.as2.conftest import NOW, X12, allowing_weak, lookup

OPENSSL = shutil.which("openssl")
pytestmark = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")
CIPHER_FLAGS = {
    Encryption.AES128_CBC: "-aes128",
    Encryption.AES192_CBC: "-aes192",
    Encryption.AES256_CBC: "-aes256",
    Encryption.TRIPLEDES_CBC: "-des3",
}
ENTITY_HEAD = b"Content-Type: application/edi-x12\r\nContent-Transfer-Encoding: binary\r\n\r\n"


@dataclass(frozen=True)
class Files:
    """PEM files of both parties, for the openssl command line."""

    folder: Path

    def __getitem__(self, name: str) -> str:
        return str(self.folder / name)


@pytest.fixture
def files(tmp_path: Path, alice: KeyPair, bob: KeyPair) -> Files:
    for name, pair in (("alice", alice), ("bob", bob)):
        (tmp_path / f"{name}.key").write_bytes(private_key_pem(pair.private_key))
        (tmp_path / f"{name}.crt").write_bytes(certificate_pem(pair.certificate))
    return Files(tmp_path)


def cms(*args: str, stdin: bytes | None = None) -> bytes:
    """Run `openssl cms ...`; fail the test with OpenSSL's message if it fails."""
    assert OPENSSL is not None
    done = subprocess.run([OPENSSL, "cms", *args], input=stdin, capture_output=True, check=False)
    if done.returncode:
        pytest.fail(f"openssl cms {' '.join(args)} failed: {done.stderr.decode(errors='replace')}")
    return done.stdout


def _build(alice: KeyPair, bob: KeyPair, settings: OutboundSecurity, payload: bytes) -> bytes:
    return _built(alice, bob, settings, payload).body


def _built(
    alice: KeyPair, bob: KeyPair, settings: OutboundSecurity, payload: bytes
) -> BuiltMessage:
    return build_message(
        payload,
        settings=settings,
        ours=LocalIdentity("ALICE", (alice,)),
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        message_id="m@alice.example",
        now=NOW,
    )


def _signed_parts(built: BuiltMessage) -> tuple[bytes, bytes]:
    """(signed part, signature DER) of a multipart/signed message, split without our parser."""
    boundary = re.search(r'boundary="([^"]+)"', dict(built.headers)["Content-Type"])
    assert boundary is not None
    pieces = (b"\r\n" + built.body).split(b"\r\n--" + boundary[1].encode())
    signed = pieces[1].split(b"\r\n", 1)[1]
    signature_part = pieces[2].split(b"\r\n\r\n", 1)[1]
    return signed, base64.b64decode(signature_part)


@pytest.mark.parametrize("transport", list(KeyTransport), ids=lambda t: t.value)
@pytest.mark.parametrize("cipher", list(Encryption), ids=lambda c: c.value)
def test_openssl_decrypts_and_verifies_what_we_build(
    files: Files, alice: KeyPair, bob: KeyPair, cipher: Encryption, transport: KeyTransport
) -> None:
    crlf_x12 = X12.replace(b"\n", b"\r\n")  # OpenSSL's S/MIME reader rewrites bare LFs
    body = _build(
        alice, bob, OutboundSecurity(encryption=cipher, key_transport=transport), crlf_x12
    )
    decrypted = cms(
        "-decrypt", "-binary", "-inform", "DER", "-recip", files["bob.crt"],
        "-inkey", files["bob.key"], stdin=body,
    )  # fmt: skip
    assert decrypted.startswith(b"Content-Type: multipart/signed;")
    content = cms(
        "-verify", "-noverify", "-nointern", "-certfile", files["alice.crt"],
        "-inform", "SMIME", stdin=decrypted,
    )  # fmt: skip
    assert content == ENTITY_HEAD + crlf_x12


@pytest.mark.parametrize("scheme", list(SignatureScheme), ids=lambda s: s.value)
@pytest.mark.parametrize("digest", list(Digest), ids=lambda d: d.value)
def test_openssl_verifies_our_detached_signature_over_binary_content(
    files: Files, alice: KeyPair, bob: KeyPair, digest: Digest, scheme: SignatureScheme
) -> None:
    """Bare-LF binary content, checked as the bytes AS2 sends (OpenSSL's S/MIME reader would
    turn LF into CRLF, so the parts go to `-content` and `-inform DER`)."""
    settings = OutboundSecurity(encrypt=False, digest=digest, signature_scheme=scheme)
    signed, signature = _signed_parts(_built(alice, bob, settings, X12))
    assert signed == ENTITY_HEAD + X12
    (files.folder / "signed.bin").write_bytes(signed)
    content = cms(
        "-verify", "-binary", "-noverify", "-nointern", "-certfile", files["alice.crt"],
        "-inform", "DER", "-content", files["signed.bin"], stdin=signature,
    )  # fmt: skip
    assert content == signed


def _as2(content_type: str, body: bytes) -> tuple[tuple[tuple[str, str], ...], bytes]:
    headers = (
        ("AS2-From", "ALICE"),
        ("AS2-To", "BOB"),
        ("Message-ID", "<openssl-1@alice.example>"),
        ("Content-Type", content_type),
    )
    return headers, body


def _open(
    alice: KeyPair, bob: KeyPair, headers: tuple[tuple[str, str], ...], body: bytes
) -> ReceivedMessage:
    partner = allowing_weak(PartnerSecurity("ALICE", (alice.certificate,)))
    find = lookup(LocalIdentity("BOB", (bob,)), partner)
    return open_message(headers, body, find_partner=find, now=NOW)


@pytest.mark.parametrize(
    "keyopts",
    [(), ("-keyopt", "rsa_padding_mode:oaep"), ("-keyopt", "rsa_padding_mode:oaep",
     "-keyopt", "rsa_oaep_md:sha256")],
    ids=["pkcs1v15", "oaep-sha1", "oaep-sha256"],
)  # fmt: skip
@pytest.mark.parametrize("cipher", list(Encryption), ids=lambda c: c.value)
def test_we_open_what_openssl_signs_and_encrypts(
    files: Files, alice: KeyPair, bob: KeyPair, cipher: Encryption, keyopts: tuple[str, ...]
) -> None:
    payload = bytes(range(256)) + X12
    (files.folder / "entity").write_bytes(ENTITY_HEAD + payload)
    signed = cms(
        "-sign", "-binary", "-md", "sha256", "-signer", files["alice.crt"],
        "-inkey", files["alice.key"], "-in", files["entity"],
    )  # fmt: skip
    encrypted = cms(
        "-encrypt", "-binary", CIPHER_FLAGS[cipher], "-outform", "DER",
        "-recip", files["bob.crt"], *keyopts, stdin=signed,
    )  # fmt: skip
    received = _open(
        alice, bob, *_as2("application/pkcs7-mime; smime-type=enveloped-data", encrypted)
    )
    assert received.payload == payload
    assert (received.signed, received.encrypted, received.encryption) == (True, True, cipher)
    expected = KeyTransport.RSA_OAEP if keyopts else KeyTransport.RSA_PKCS1V15
    assert received.key_transport is expected


@pytest.mark.parametrize("digest", ["sha1", "sha384"])
def test_we_verify_openssl_pss_signatures(
    files: Files, alice: KeyPair, bob: KeyPair, digest: str
) -> None:
    (files.folder / "entity").write_bytes(ENTITY_HEAD + X12)
    signed = cms(
        "-sign", "-binary", "-md", digest, "-signer", files["alice.crt"],
        "-inkey", files["alice.key"], "-keyopt", "rsa_padding_mode:pss", "-in", files["entity"],
    )  # fmt: skip
    head, _, body = signed.partition(b"\n\n")
    content_type = re.search(rb"Content-Type: (multipart/signed;[^\n]+)", head)
    assert content_type is not None
    headers, body = _as2(content_type[1].decode(), body)
    partner = allowing_weak(PartnerSecurity("ALICE", (alice.certificate,), require_encrypted=False))
    find = lookup(LocalIdentity("BOB", (bob,)), partner)
    received = open_message(headers, body, find_partner=find, now=NOW)
    assert received.payload == X12
    assert received.signature_digest is Digest(digest)


def _zlib_in_openssl(files: Files) -> bool:
    (files.folder / "probe").write_bytes(b"probe")
    assert OPENSSL is not None
    done = subprocess.run(
        [OPENSSL, "cms", "-compress", "-in", files["probe"], "-outform", "DER"],
        capture_output=True,
        check=False,
    )
    return done.returncode == 0


def test_compressed_data_both_ways(files: Files, alice: KeyPair, bob: KeyPair) -> None:
    if not _zlib_in_openssl(files):
        pytest.skip(
            "this openssl has no zlib (`openssl cms -compress`: unsupported compression "
            "algorithm); CompressedData is checked against the corpus and asn1crypto instead"
        )
    settings = OutboundSecurity(encrypt=False, sign=False, compression=Compression.BEFORE_SIGNING)
    body = _build(alice, bob, settings, X12)
    assert cms("-uncompress", "-binary", "-inform", "DER", stdin=body) == ENTITY_HEAD + X12
    (files.folder / "entity").write_bytes(ENTITY_HEAD + X12)
    compressed = cms("-compress", "-binary", "-in", files["entity"], "-outform", "DER")
    partner = PartnerSecurity("ALICE", (alice.certificate,), False, False)
    find = lookup(LocalIdentity("BOB", (bob,)), partner)
    headers, body = _as2("application/pkcs7-mime; smime-type=compressed-data", compressed)
    assert open_message(headers, body, find_partner=find, now=NOW).payload == X12
