"""Algorithm names as partners spell them."""

from __future__ import annotations

import pytest

from b2b.as2 import Digest, Encryption, parse_encryption, parse_mic_algorithm
from b2b.errors import ConfigurationError


@pytest.mark.parametrize(
    "name",
    ["sha256", "sha-256", "sha_256", "SHA256", "SHA-256", "sha256_rsa", "rsa-sha256", '"sha256"'],
)
def test_sha256_aliases(name: str) -> None:
    assert parse_mic_algorithm(name) is Digest.SHA256


@pytest.mark.parametrize(
    ("name", "digest"),
    [("sha1", Digest.SHA1), ("SHA-1", Digest.SHA1), ("sha384", Digest.SHA384),
     ("sha512WithRSAEncryption", Digest.SHA512), ("rsa-sha512", Digest.SHA512)],
)  # fmt: skip
def test_other_digests(name: str, digest: Digest) -> None:
    assert parse_mic_algorithm(name) is digest


@pytest.mark.parametrize("name", ["md5", "sha224", "sha3-256", "", "sha-2567"])
def test_unknown_mic_algorithms_are_refused_by_name(name: str) -> None:
    with pytest.raises(ConfigurationError, match="allowed: sha-1, sha-256, sha-384, sha-512"):
        parse_mic_algorithm(name)


def test_micalg_names() -> None:
    assert [d.micalg for d in Digest] == ["sha-1", "sha-256", "sha-384", "sha-512"]


@pytest.mark.parametrize(
    ("name", "cipher"),
    [("aes256_cbc", Encryption.AES256_CBC), ("AES-128-CBC", Encryption.AES128_CBC),
     ("aes192", Encryption.AES192_CBC), ("tripledes_192_cbc", Encryption.TRIPLEDES_CBC),
     ("3des", Encryption.TRIPLEDES_CBC), ("des-ede3-cbc", Encryption.TRIPLEDES_CBC)],
)  # fmt: skip
def test_encryption_aliases(name: str, cipher: Encryption) -> None:
    assert parse_encryption(name) is cipher


def test_unknown_encryption_is_refused_by_name() -> None:
    with pytest.raises(ConfigurationError, match="'rc2_40'; allowed: aes128_cbc"):
        parse_encryption("rc2_40")
