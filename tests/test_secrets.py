"""Sealed secrets (issue 7): AES-256-GCM under a KEK, bound to the secret's name; every secret
file reader opens them; settings hold sealed values; the KEK file is guarded; `b2b secrets`."""

from __future__ import annotations

import base64
import http.server
import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519

from b2b.as2 import new_self_signed, private_key_pem
from b2b.as2.certificates import certificate_pem
from b2b.config import load_settings
from b2b.engine import load_coupa_secrets
from b2b.errors import ConfigurationError
from b2b.partners import load_partners
from b2b.partners.buyers import BuyerDirectory
from b2b.partners.profile import SftpInbound
from b2b.partners.secret_files import check_sealed
from b2b.partners.security import local_identity
from b2b.secrets import (
    encode_kek,
    is_sealed,
    key_id,
    new_kek,
    read_secret,
    seal,
    unseal,
)
from b2b.store import utcnow
from b2b.transport.as2 import As2Poster
from b2b.transport.sftp import load_private_key, resolve_passphrase
from tests.conftest import ROOT
from tests.fixtures.kek import copy_certs, seal_file, write_kek
from tests.transport.test_as2_http import _Handler, _settings, server  # noqa: F401 (fixture)

PASSPHRASE = "correct horse battery staple"
HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"


@pytest.fixture
def kek() -> bytes:
    return new_kek()


def test_a_sealed_value_opens_with_its_kek_and_name(kek: bytes) -> None:
    sealed = seal(b"hunter2\n", kek, "acme/basic.password")

    assert sealed.startswith(f"b2b-sealed:v1:{key_id(kek)}:")
    assert "hunter2" not in sealed
    assert is_sealed(sealed)
    assert is_sealed(sealed.encode() + b"\n")
    assert unseal(sealed, kek, "acme/basic.password") == b"hunter2\n"
    assert seal(b"hunter2\n", kek, "acme/basic.password") != sealed  # a fresh nonce each time


def test_a_wrong_kek_is_named_by_its_key_id(kek: bytes) -> None:
    other = new_kek()
    sealed = seal(b"secret", kek, "x.secret")

    with pytest.raises(ConfigurationError) as raised:
        unseal(sealed, other, "x.secret")

    assert f"sealed with KEK {key_id(kek)}" in str(raised.value)
    assert f"the configured KEK is {key_id(other)}" in str(raised.value)


def test_a_sealed_value_without_a_kek_says_which_kek_it_needs(kek: bytes) -> None:
    with pytest.raises(ConfigurationError, match=f"sealed with KEK {key_id(kek)} but no KEK"):
        unseal(seal(b"secret", kek, "x.secret"), None, "x.secret")


def test_a_tampered_sealed_value_does_not_open(kek: bytes) -> None:
    sealed = seal(b"secret", kek, "x.secret")
    raw = bytearray(base64.urlsafe_b64decode(sealed.rsplit(":", 1)[1] + "=="))
    raw[-1] ^= 1
    tampered = sealed.rsplit(":", 1)[0] + ":" + base64.urlsafe_b64encode(raw).decode()

    with pytest.raises(ConfigurationError, match="does not open: altered"):
        unseal(tampered, kek, "x.secret")


def test_a_sealed_value_moved_to_another_name_does_not_open(kek: bytes, tmp_path: Path) -> None:
    (tmp_path / "b.secret").write_text(seal(b"a's secret", kek, "a.secret"))

    with pytest.raises(ConfigurationError, match="sealed for another name"):
        read_secret(tmp_path / "b.secret", kek, "b.secret")


def test_a_clear_file_is_read_as_it_is(kek: bytes, tmp_path: Path) -> None:
    (tmp_path / "clear.secret").write_bytes(b"plain\n")

    assert read_secret(tmp_path / "clear.secret", kek, "clear.secret") == b"plain\n"


# ------------------------------------------------------------------ the KEK in settings


def test_the_kek_comes_from_a_file_or_the_environment(tmp_path: Path) -> None:
    kek = write_kek(tmp_path / "kek")

    assert load_settings(kek_file=tmp_path / "kek").kek_bytes() == kek
    assert load_settings(kek=encode_kek(kek)).kek_bytes() == kek
    assert load_settings().kek_bytes() is None


def test_a_kek_file_inside_the_working_tree_is_refused(tmp_path: Path) -> None:
    inside = tmp_path / "site"
    inside.mkdir()
    write_kek(inside / "kek")
    cwd = Path.cwd()
    os.chdir(inside)
    try:
        with pytest.raises(ConfigurationError, match=r"lies inside .*keep the KEK outside"):
            load_settings(kek_file=inside / "kek")
    finally:
        os.chdir(cwd)


def test_a_kek_file_others_can_read_is_refused(tmp_path: Path) -> None:
    write_kek(tmp_path / "kek")
    (tmp_path / "kek").chmod(0o640)

    with pytest.raises(ConfigurationError, match=r"readable by group or others \(mode 640\)"):
        load_settings(kek_file=tmp_path / "kek")


@pytest.mark.parametrize(
    ("value", "problem"),
    [("not base64!", "not base64"), (base64.b64encode(b"short").decode(), "must be 32 bytes")],
)
def test_a_malformed_kek_is_refused(value: str, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=f"B2B_KEK: .*{problem}"):
        load_settings(kek=value)


def test_a_secret_setting_may_hold_a_sealed_value(kek: bytes) -> None:
    sealed = seal(b"open sesame", kek, "B2B_AS2_KEY_PASSPHRASE")
    settings = load_settings(kek=encode_kek(kek), as2_key_passphrase=sealed)

    assert settings.secret("as2_key_passphrase") == "open sesame"
    assert "open sesame" not in repr(settings)
    with pytest.raises(ConfigurationError, match=r"B2B_COUPA_SHARED_SECRET: .*another name"):
        load_settings(kek=encode_kek(kek), coupa_shared_secret=sealed)  # refused at load
    with pytest.raises(ConfigurationError, match=f"sealed with KEK {key_id(kek)}, the configured"):
        load_settings(kek=encode_kek(new_kek()), as2_key_passphrase=sealed)


# ------------------------------------------------------------------ the readers


def test_a_sealed_as2_key_with_a_sealed_passphrase_loads(tmp_path: Path) -> None:
    kek = write_kek(tmp_path / "kek")
    certs = tmp_path / "certs"
    certs.mkdir()
    pair = new_self_signed("OURS", now=utcnow())
    key = private_key_pem(pair.private_key, PASSPHRASE) + certificate_pem(pair.certificate)
    (certs / "ours.pem").write_bytes(key)
    seal_file(certs, "ours.pem", kek)
    settings = load_settings(
        kek_file=tmp_path / "kek",
        certs_dir=certs,
        as2_keys=("ours.pem",),
        as2_key_passphrase=seal(PASSPHRASE.encode(), kek, "B2B_AS2_KEY_PASSPHRASE"),
    )

    identity = local_identity(settings, certs)

    assert identity is not None
    assert identity.keys[0].certificate == pair.certificate


def test_a_sealed_sftp_key_opens_with_a_sealed_passphrase_file(tmp_path: Path) -> None:
    kek = new_kek()
    certs = tmp_path / "certs"
    (certs / "acme").mkdir(parents=True)
    key = ed25519.Ed25519PrivateKey.generate()
    (certs / "acme" / "sftp_ed25519").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.OpenSSH,
            serialization.BestAvailableEncryption(PASSPHRASE.encode()),
        )
    )
    (certs / "acme" / "sftp.passphrase").write_text(PASSPHRASE + "\n")
    seal_file(certs, "acme/sftp_ed25519", kek)
    seal_file(certs, "acme/sftp.passphrase", kek)
    inbound = _sftp_inbound("acme/sftp_ed25519", "acme/sftp.passphrase")

    passphrase = resolve_passphrase(
        inbound, certs_dir=certs, passphrase=None, section="inbound", kek=kek
    )
    loaded = load_private_key(
        certs / "acme/sftp_ed25519", passphrase, section="inbound", kek=kek, certs_dir=certs
    )

    assert passphrase == PASSPHRASE
    assert loaded.get_name() == "ssh-ed25519"
    with pytest.raises(ConfigurationError, match=r"inbound\.private_key: .*no KEK"):
        load_private_key(certs / "acme/sftp_ed25519", passphrase, section="inbound")


def _sftp_inbound(key: str, passphrase_file: str) -> SftpInbound:
    return SftpInbound.model_validate(
        {
            "kind": "sftp",
            "host": "127.0.0.1",
            "username": "edi",
            "private_key": key,
            "private_key_passphrase_file": passphrase_file,
            "host_key": HOST_KEY,
        }
    )


def test_a_sealed_http_basic_password_is_sent_in_clear_to_the_partner(
    server: tuple[http.server.HTTPServer, type[_Handler]],  # noqa: F811 (the fixture)
    tmp_path: Path,
) -> None:
    httpd, handler = server
    kek = new_kek()
    (tmp_path / "partner.pass").write_text(seal(b"s3cret\n", kek, "partner.pass"))
    url = f"http://127.0.0.1:{httpd.server_port}/as2"
    settings = _settings(url, basic_auth_user="b2b", basic_auth_password_file="partner.pass")

    with As2Poster(settings, certs_dir=tmp_path, kek=kek) as poster:
        poster.post((("AS2-From", "US"),), b"body")

    assert handler.seen[0]["Authorization"] == "Basic YjJiOnMzY3JldA=="  # b2b:s3cret


def test_sealed_buyer_and_partner_secret_files_are_read(tmp_path: Path) -> None:
    kek = write_kek(tmp_path / "kek")
    certs = tmp_path / "certs"
    buyers = tmp_path / "buyers"
    (certs / "buyers").mkdir(parents=True)
    buyers.mkdir()
    (certs / "buyers" / "harborview.secret").write_text("buyer-Secr3t\n")
    seal_file(certs, "buyers/harborview.secret", kek)
    (buyers / "harborview.toml").write_text(
        'id = "harborview"\nidentities = ["NetworkID:harborview"]\n'
        'shared_secret_file = "buyers/harborview.secret"\n'
    )
    partners = _partners_with_coupa_documents(tmp_path, certs, kek)
    settings = load_settings(
        kek_file=tmp_path / "kek", certs_dir=certs, buyers_dir=buyers, partners_dir=partners
    )

    [buyer] = BuyerDirectory.load(settings)
    secrets = load_coupa_secrets(settings, load_partners(partners))

    assert buyer.shared_secret == "buyer-Secr3t"
    assert secrets == {"acme": "supplier-Secr3t"}


def _partners_with_coupa_documents(tmp_path: Path, certs: Path, kek: bytes) -> Path:
    folder = tmp_path / "partners"
    folder.mkdir()
    (certs / "acme-coupa.secret").write_text("supplier-Secr3t\n")
    seal_file(certs, "acme-coupa.secret", kek)
    text = (ROOT / "partners" / "acme.toml").read_text()
    documents = (
        '[coupa.documents]\nurl = "https://coupa.example"\nfrom_identity = "DUNS:1"\n'
        'to_identity = "NetworkID:h"\nshared_secret_file = "acme-coupa.secret"\n\n[x12]'
    )
    (folder / "acme.toml").write_text(text.replace("[x12]", documents, 1))
    return folder


# ------------------------------------------------------------------ clear secrets at start


def test_clear_secrets_are_warned_about_once_a_kek_is_set_and_refused_when_required(
    tmp_path: Path,
) -> None:
    kek = write_kek(tmp_path / "kek")
    certs = copy_certs(tmp_path / "certs")
    partners = _partners_with_coupa_documents(tmp_path, certs, kek)
    (certs / "acme-coupa.secret").write_text("supplier-Secr3t\n")  # clear again
    values = {"certs_dir": certs, "partners_dir": partners, "buyers_dir": tmp_path / "none"}

    assert check_sealed(load_settings(**values), load_partners(partners)) == []  # no KEK
    warnings = check_sealed(
        load_settings(**values, kek_file=tmp_path / "kek"), load_partners(partners)
    )
    assert [w for w in warnings if "acme-coupa.secret is not sealed" in w] == warnings
    assert len(warnings) == 1  # the demo key (B2B_AS2_KEYS) is public and exempt
    with pytest.raises(ConfigurationError, match=r"B2B_REQUIRE_SEALED: .*acme-coupa\.secret"):
        check_sealed(load_settings(**values, require_sealed=True), load_partners(partners))
    seal_file(certs, "acme-coupa.secret", kek)
    settings = load_settings(**values, kek_file=tmp_path / "kek", require_sealed=True)
    assert check_sealed(settings, load_partners(partners)) == []


# ------------------------------------------------------------------ `b2b secrets`


def b2b(cwd: Path, *args: str, stdin: str = "", **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("B2B_")}
    return subprocess.run(
        [sys.executable, "-m", "b2b", *args],
        cwd=cwd,
        check=False,
        text=True,
        input=stdin,
        capture_output=True,
        env={**environment, "PYTHONPATH": str(ROOT), **env},
        timeout=60,
    )


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """An operator's working directory with a copy of certs/ (the KEK lives outside it)."""
    folder = tmp_path / "site"
    folder.mkdir()
    copy_certs(folder / "certs")
    return folder


def test_new_kek_writes_an_owner_only_key_once_and_outside_the_tree(
    site: Path, tmp_path: Path
) -> None:
    made = b2b(site, "secrets", "new-kek", str(tmp_path / "kek"))
    again = b2b(site, "secrets", "new-kek", str(tmp_path / "kek"))
    inside = b2b(site, "secrets", "new-kek", str(site / "kek"))

    assert made.returncode == 0, made.stderr
    assert (tmp_path / "kek").stat().st_mode & 0o777 == 0o600
    kek = load_settings(kek_file=tmp_path / "kek").kek_bytes()
    assert kek is not None
    assert f"KEK {key_id(kek)}" in made.stdout
    assert again.returncode == 2
    assert "exists; not overwritten" in again.stderr
    assert inside.returncode == 2
    assert "keep the KEK outside" in inside.stderr
    assert not (site / "kek").exists()


def test_seal_unseal_and_check_through_the_command(site: Path, tmp_path: Path) -> None:
    kek = write_kek(tmp_path / "kek")
    env = {"B2B_KEK_FILE": str(tmp_path / "kek")}
    secret = site / "certs" / "acme.password"
    secret.write_text("hunter2\n")

    sealed = b2b(site, "secrets", "seal", "certs/acme.password", **env)
    twice = b2b(site, "secrets", "seal", "certs/acme.password", **env)
    shown = b2b(site, "secrets", "unseal", "acme.password", "--stdout", **env)
    without = b2b(site, "secrets", "unseal", "acme.password", "--stdout")
    checked = b2b(site, "secrets", "check", B2B_PARTNERS_DIR=str(ROOT / "partners"), **env)

    assert sealed.returncode == 0, sealed.stderr
    assert "hunter2" not in secret.read_text()
    assert unseal(secret.read_text(), kek, "acme.password") == b"hunter2\n"
    assert not list(secret.parent.glob(".acme.password*"))  # no temporary file left
    assert twice.returncode == 2
    assert "already sealed" in twice.stderr
    assert shown.returncode == 0
    assert shown.stdout == "hunter2\n"
    assert without.returncode == 2
    assert "no KEK is configured" in without.stderr
    assert checked.returncode == 0, checked.stderr
    assert f"KEK {key_id(kek)}" in checked.stdout
    assert "demo     " in checked.stdout
    assert "(B2B_AS2_KEYS)" in checked.stdout


def test_seal_value_prints_a_sealed_setting(site: Path, tmp_path: Path) -> None:
    kek = write_kek(tmp_path / "kek")
    env = {"B2B_KEK_FILE": str(tmp_path / "kek")}

    result = b2b(
        site, "secrets", "seal-value", "--name", "as2_key_passphrase", stdin="s3cret\n", **env
    )

    assert result.returncode == 0, result.stderr
    variable, _, value = result.stdout.strip().partition("=")
    assert variable == "B2B_AS2_KEY_PASSPHRASE"
    assert unseal(value, kek, variable) == b"s3cret"
    settings = load_settings(kek_file=tmp_path / "kek", as2_key_passphrase=value)
    assert settings.secret("as2_key_passphrase") == "s3cret"


def test_reseal_moves_sealed_files_to_the_new_kek(site: Path, tmp_path: Path) -> None:
    old = write_kek(tmp_path / "old-kek")
    new = write_kek(tmp_path / "new-kek")
    secret = site / "certs" / "acme.password"
    secret.write_text(seal(b"hunter2", old, "acme.password"))

    result = b2b(
        site,
        "secrets",
        "reseal",
        "--old-kek-file",
        str(tmp_path / "old-kek"),
        "certs/acme.password",
        B2B_KEK_FILE=str(tmp_path / "new-kek"),
    )

    assert result.returncode == 0, result.stderr
    assert f"b2b-sealed:v1:{key_id(new)}:" in secret.read_text()
    assert unseal(secret.read_text(), new, "acme.password") == b"hunter2"


def test_certs_new_writes_the_key_sealed_when_a_kek_is_set(site: Path, tmp_path: Path) -> None:
    kek = write_kek(tmp_path / "kek")

    result = b2b(site, "certs", "new", "ours.pem", B2B_KEK_FILE=str(tmp_path / "kek"))

    assert result.returncode == 0, result.stderr
    stored = (site / "certs" / "ours.pem").read_bytes()
    assert is_sealed(stored)
    assert b"PRIVATE KEY" not in stored
    assert b"PRIVATE KEY" in unseal(stored, kek, "ours.pem")
    assert b"PRIVATE KEY" not in (site / "certs" / "ours-public.pem").read_bytes()
