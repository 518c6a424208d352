"""Sealed secrets: private keys, passphrases and passwords at rest, encrypted with a KEK.

A sealed value is one line of text, `b2b-sealed:v1:<key id>:<base64url(nonce+ciphertext+tag)>`:
AES-256-GCM under the key-encryption key (KEK, 32 bytes from B2B_KEK_FILE or B2B_KEK), a random
96-bit nonce, and the secret's name (its path under certs/, or its setting's variable) as the
associated data, so that a sealed value moved to another name no longer opens. The key id is
the first 8 hex digits of SHA-256(KEK): a wrong KEK is named, not a stack trace.

    >>> kek = new_kek()
    >>> sealed = seal(b"correct horse", kek, "acme/sftp.passphrase")
    >>> unseal(sealed, kek, "acme/sftp.passphrase")
    b'correct horse'

`read_secret` reads any secret file, sealed or clear (a clear one is returned as it is; the
start-up check, `b2b.partners.secret_files`, warns about it or refuses it).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from b2b.errors import ConfigurationError

PREFIX = "b2b-sealed:v1:"
KEK_BYTES = 32
NONCE_BYTES = 12


def key_id(kek: bytes) -> str:
    """The KEK's public name: the first 8 hex digits of its SHA-256.

    >>> key_id(bytes(32))
    '66687aad'
    """
    return hashlib.sha256(kek).hexdigest()[:8]


def new_kek() -> bytes:
    """32 random bytes: a new key-encryption key."""
    return os.urandom(KEK_BYTES)


def encode_kek(kek: bytes) -> str:
    """The KEK as a KEK file or B2B_KEK holds it: standard base64."""
    return base64.b64encode(kek).decode("ascii")


def decode_kek(text: str, *, where: str) -> bytes:
    """The 32 bytes of a base64 KEK; ConfigurationError naming `where` otherwise."""
    try:
        kek = base64.b64decode(text.strip(), validate=True)
    except binascii.Error as exc:
        raise ConfigurationError(f"{where}: the KEK is not base64: {exc}") from exc
    if len(kek) != KEK_BYTES:
        raise ConfigurationError(
            f"{where}: the KEK must be {KEK_BYTES} bytes (base64), got {len(kek)}"
        )
    return kek


def is_sealed(data: bytes | str) -> bool:
    """True when `data` is a sealed value (leading whitespace allowed)."""
    text = data.decode("ascii", "replace") if isinstance(data, bytes) else data
    return text.lstrip().startswith(PREFIX)


def seal(plaintext: bytes, kek: bytes, context: str) -> str:
    """`plaintext` encrypted under `kek`, bound to `context` (the secret's name)."""
    nonce = os.urandom(NONCE_BYTES)
    sealed = AESGCM(_checked(kek)).encrypt(nonce, plaintext, _aad(context))
    body = base64.urlsafe_b64encode(nonce + sealed).decode("ascii").rstrip("=")
    return f"{PREFIX}{key_id(kek)}:{body}"


def unseal(text: bytes | str, kek: bytes | None, context: str) -> bytes:
    """The plaintext of a sealed value; ConfigurationError naming `context` when the KEK is
    missing or not the one it was sealed with, or the value was altered or moved."""
    value = (text.decode("ascii", "replace") if isinstance(text, bytes) else text).strip()
    if not value.startswith(PREFIX):
        raise ConfigurationError(f"{context}: not a sealed value (no {PREFIX!r} prefix)")
    sealed_with, _, body = value[len(PREFIX) :].partition(":")
    if kek is None:
        raise ConfigurationError(
            f"{context} is sealed with KEK {sealed_with} but no KEK is configured "
            "(set B2B_KEK_FILE or B2B_KEK)"
        )
    if sealed_with != key_id(kek):
        raise ConfigurationError(
            f"{context} is sealed with KEK {sealed_with}, the configured KEK is {key_id(kek)}"
        )
    raw = _decode_body(body, context)
    try:
        return AESGCM(_checked(kek)).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], _aad(context))
    except InvalidTag as exc:
        raise ConfigurationError(
            f"{context}: the sealed value does not open: altered, or sealed for another name"
        ) from exc


def read_secret(path: Path, kek: bytes | None, context: str) -> bytes:
    """A secret file's content: unsealed when sealed, as it is when clear.

    ConfigurationError names the file when it cannot be read or opened.

    >>> read_secret(Path("certs/acme/basic.password"), kek, "acme/basic.password")
    b'hunter2\\n'
    """
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from exc
    if not is_sealed(data):
        return data
    return unseal(data, kek, context)


def read_secret_text(path: Path, kek: bytes | None, context: str) -> str:
    """`read_secret` as stripped UTF-8 text, for passwords, passphrases and shared secrets."""
    data = read_secret(path, kek, context)
    try:
        return data.decode("utf-8").strip()
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{path}: not UTF-8 text: {exc}") from exc


def file_context(certs_dir: Path, path: Path) -> str:
    """The name a secret file is sealed under: its path below certs/ (posix), else absolute.

    >>> file_context(Path("/srv/b2b/certs"), Path("/srv/b2b/certs/acme/key.pem"))
    'acme/key.pem'
    """
    resolved = path.resolve()
    try:
        return resolved.relative_to(certs_dir.resolve()).as_posix()
    except ValueError:
        return resolved.as_posix()


def read_named_secret(certs_dir: Path, name: str, kek: bytes | None, where: str) -> str:
    """`read_secret_text` of the file a setting (`where`) names relative to certs/, its
    ConfigurationError prefixed with that setting.

    >>> read_named_secret(certs, "acme/basic.password", kek, "transport.basic_auth_password_file")
    'hunter2'
    """
    path = certs_dir / name
    try:
        return read_secret_text(path, kek, file_context(certs_dir, path))
    except ConfigurationError as exc:
        raise ConfigurationError(f"{where}: {exc}") from exc


def read_cert_secret(certs_dir: Path, name: str | Path, kek: bytes | None) -> bytes:
    """`read_secret` for a file named relative to certs/ (its context is that name)."""
    path = certs_dir / name
    return read_secret(path, kek, file_context(certs_dir, path))


def _aad(context: str) -> bytes:
    return b"b2b-secret:" + context.encode("utf-8")


def _checked(kek: bytes) -> bytes:
    if len(kek) != KEK_BYTES:
        raise ConfigurationError(f"the KEK must be {KEK_BYTES} bytes, got {len(kek)}")
    return kek


def _decode_body(body: str, context: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except (binascii.Error, ValueError) as exc:
        raise ConfigurationError(f"{context}: the sealed value is not base64url: {exc}") from exc
    if len(raw) < NONCE_BYTES + 16:
        raise ConfigurationError(f"{context}: the sealed value is truncated")
    return raw
