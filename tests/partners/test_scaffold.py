"""`b2b partners new` through the entry point: the template `b2b partners check` accepts once
its placeholders are filled, and refuses, naming each one, before."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from b2b.partners.profile import As2Partner, SftpTransport
from b2b.partners.scaffold import render_profile
from tests.conftest import ROOT
from tests.test_cli import b2b

PARTNER_CERT = ROOT / "certs" / "demo" / "demo-partner-public.pem"


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    for folder in ("partners", "certs"):
        (tmp_path / folder).mkdir()
    return {
        "B2B_PARTNERS_DIR": str(tmp_path / "partners"),
        "B2B_CERTS_DIR": str(tmp_path / "certs"),
        "B2B_BUYERS_DIR": str(tmp_path / "buyers"),
        "B2B_DATA_DIR": str(tmp_path / "var"),
    }


def test_as2_profile_is_checked_once_filled_and_our_key_is_made(
    tmp_path: Path, env: dict[str, str]
) -> None:
    made = b2b("partners", "new", "acme2", "--transport", "as2", "--as2-id", "ACME2-AS2",
               "--url", "https://as2.acme2.example/as2", **env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    assert "our AS2 ID       B2B-GATEWAY" in made.stdout
    assert "our AS2 URL      http://127.0.0.1:8080/as2" in made.stdout
    assert (tmp_path / "certs" / "ours-public.pem").exists()
    profile = tmp_path / "partners" / "acme2.toml"
    text = profile.read_text()
    assert 'url = "https://as2.acme2.example/as2"' in text
    assert '# mdn = "sync"  (allowed: "sync", "async", "none")' in text

    refused = b2b("partners", "check", **env, B2B_AS2_KEYS='["ours.pem"]')
    assert refused.returncode == 2
    assert (
        "acme2.toml: fill in name, coupa.identities, x12.envelope.sender_id, "
        "x12.envelope.receiver_id, as2.certificates (still FILL-ME)"
    ) in refused.stderr

    filled = text.replace('name = "FILL-ME"', 'name = "Acme Two"')
    filled = filled.replace('["DUNS:FILL-ME"]', '["DUNS:222222222"]')
    filled = filled.replace('sender_id = "FILL-ME"', 'sender_id = "B2BGATEWAY"')
    filled = filled.replace('receiver_id = "FILL-ME"', 'receiver_id = "ACME2"')
    filled = filled.replace('certificates = ["FILL-ME"]', f'certificates = ["{PARTNER_CERT}"]')
    profile.write_text(filled)
    checked = b2b("partners", "check", **env, B2B_AS2_KEYS='["ours.pem"]')
    assert checked.returncode == 0, checked.stderr
    assert "ok  acme2" in checked.stdout


def test_an_existing_profile_is_never_overwritten(tmp_path: Path, env: dict[str, str]) -> None:
    (tmp_path / "partners" / "taken.toml").write_text("# mine\n")
    result = b2b("partners", "new", "taken", "--transport", "directory", **env)
    assert result.returncode == 2
    assert "exists; not overwritten" in result.stderr
    assert (tmp_path / "partners" / "taken.toml").read_text() == "# mine\n"


def test_an_unknown_transport_is_a_usage_error(env: dict[str, str]) -> None:
    result = b2b("partners", "new", "x", "--transport", "ftp", **env)
    assert result.returncode == 2
    assert "allowed: as2, sftp, directory" in result.stderr


@pytest.mark.parametrize("transport", ["as2", "sftp", "directory"])
def test_every_schema_field_of_the_transport_is_in_the_template(transport: str) -> None:
    text = render_profile("p", transport, {})
    data = tomllib.loads(text)
    assert data["transport"]["kind"] == transport
    fields = {"as2": As2Partner, "sftp": SftpTransport}
    model = fields.get(transport)
    section = "as2" if transport == "as2" else "transport"
    for name in model.model_fields if model else ():
        assert f"\n{name} = " in text or f"\n# {name} = " in text, (section, name)


def test_sftp_template_names_what_to_fill(tmp_path: Path, env: dict[str, str]) -> None:
    made = b2b("partners", "new", "sftp2", "--transport", "sftp", "--host", "sftp.example",
               "--sender-id", "B2BGATEWAY", **env)  # fmt: skip
    assert made.returncode == 0, made.stderr
    checked = b2b("partners", "check", **env)
    assert checked.returncode == 2
    assert (
        "fill in name, coupa.identities, x12.envelope.receiver_id, transport.username, "
        "transport.private_key, transport.host_key (still FILL-ME)"
    ) in checked.stderr
