"""An AS2 partner whose posts must come with HTTP Basic credentials (`[as2]
inbound_basic_auth_user` + `inbound_basic_auth_password_file`): others are refused before
anything is decrypted, with the MDN the partner expects (or HTTP 401 and a challenge), and
recorded without the credentials; our own outbound Basic (`[transport] basic_auth_*`) passes
another gateway of ours that asks for it."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path
from typing import Any

import httpx
import pytest

from b2b.as2 import BuiltMessage
from b2b.config import load_settings
from b2b.errors import ConfigurationError
from b2b.partners.registry import load_partners
from b2b.partners.secret_files import check_sealed, secret_files
from b2b.partners.security import As2Directory
from tests.api.conftest import GatewayFactory, RunningGateway
from tests.api.test_as2 import AS2_PO, AS2_SAMPLE
from tests.api.test_client_certificates import AS2_ID_LINE, _message
from tests.conftest import ROOT
from tests.fixtures.kek import copy_certs, seal_file, write_kek

USER = "demo-partner"
PASSWORD = "inbound-Basic-8c1f"
PASSWORD_FILE = "demo-as2/inbound.basic"
CREDENTIALS = f"{USER}:{PASSWORD}"
ENCODED = base64.b64encode(CREDENTIALS.encode()).decode()


def _certs(tmp_path: Path) -> Path:
    certs = copy_certs(tmp_path / "certs")
    (certs / "demo-as2").mkdir()
    (certs / PASSWORD_FILE).write_text(PASSWORD + "\n")
    return certs


def _with_basic(profile: str, after: str, user: str = USER) -> str:
    """A profile's text with `[as2] inbound_basic_auth_*` added after the line `after`."""
    assert after in profile
    basic = f'inbound_basic_auth_user = "{user}"\n'
    basic += f'inbound_basic_auth_password_file = "{PASSWORD_FILE}"\n'
    return profile.replace(after, after + basic)


def _partners(tmp_path: Path) -> Path:
    """The example partners, the demo AS2 partner asked for HTTP Basic."""
    folder = tmp_path / "partners"
    shutil.copytree(ROOT / "partners", folder)
    profile = folder / "demo-as2.toml"
    profile.write_text(_with_basic(profile.read_text(), AS2_ID_LINE))
    return folder


@pytest.fixture
def gateway(start_gateway: GatewayFactory, tmp_path: Path) -> RunningGateway:
    return start_gateway(certs_dir=_certs(tmp_path), partners_dir=_partners(tmp_path))


def _post(
    gateway: RunningGateway, built: BuiltMessage, auth: tuple[str, str] | None
) -> httpx.Response:
    with httpx.Client(timeout=30, auth=auth) as client:
        return client.post(f"{gateway.url}/as2", content=built.body, headers=list(built.headers))


def _rows(gateway: RunningGateway, message_id: str) -> list[tuple[Any, ...]]:
    return gateway.query(
        "select status, disposition, payload is null from as2_inbound "
        f"where as2_message_id = '{message_id}' order by id"
    )


REFUSED = ("error", "processed/error: authentication-failed", True)


def test_the_partner_posting_with_its_credentials_is_received(gateway: RunningGateway) -> None:
    answer = _post(gateway, _message("basic-1@demo"), (USER, PASSWORD))
    assert answer.status_code == 200
    assert b"; processed\r\n" in answer.content
    assert _rows(gateway, "basic-1@demo") == [("processed", "processed", False)]


def test_a_post_without_credentials_gets_an_authentication_failed_mdn_and_keeps_its_id(
    gateway: RunningGateway,
) -> None:
    built = _message("basic-2@demo")
    answer = _post(gateway, built, None)
    assert answer.status_code == 200  # the MDN is the answer
    assert b"processed/error: authentication-failed" in answer.content
    assert b"must post with HTTP Basic credentials" in answer.content
    assert _rows(gateway, "basic-2@demo") == [REFUSED]  # recorded, nothing decrypted kept
    again = _post(gateway, built, (USER, PASSWORD))
    assert b"; processed\r\n" in again.content  # not answered as a duplicate of the refusal
    assert [row[0] for row in _rows(gateway, "basic-2@demo")] == ["error", "processed"]


@pytest.mark.parametrize(
    "auth",
    [(USER, "guessed-Passw0rd"), ("someone-else", PASSWORD), (USER, PASSWORD.upper())],
    ids=["wrong-password", "wrong-user", "case-changed"],
)
def test_wrong_credentials_are_refused(gateway: RunningGateway, auth: tuple[str, str]) -> None:
    answer = _post(gateway, _message("basic-3@demo"), auth)
    assert b"processed/error: authentication-failed" in answer.content
    assert b"are not those of partner 'B2B-DEMO-PARTNER'" in answer.content
    assert _rows(gateway, "basic-3@demo") == [REFUSED]


def test_credentials_of_another_scheme_or_not_base64_are_refused(gateway: RunningGateway) -> None:
    for number, authorization in enumerate([f"Bearer {ENCODED}", "Basic not*base64"]):
        built = _message(f"basic-4.{number}@demo")
        headers = [*built.headers, ("Authorization", authorization)]
        answer = httpx.post(f"{gateway.url}/as2", content=built.body, headers=headers)
        assert b"processed/error: authentication-failed" in answer.content
        assert _rows(gateway, f"basic-4.{number}@demo") == [REFUSED]


def test_without_an_mdn_to_carry_the_refusal_the_answer_is_401_with_a_challenge(
    gateway: RunningGateway,
) -> None:
    answer = _post(gateway, _message("basic-5@demo", mdn=False), None)
    assert answer.status_code == 401
    assert answer.headers["WWW-Authenticate"] == 'Basic realm="AS2"'
    assert "authentication-failed" in answer.text
    assert "HTTP Basic" in answer.text
    assert _rows(gateway, "basic-5@demo")[0][0] == "error"
    accepted = _post(gateway, _message("basic-6@demo", mdn=False), (USER, PASSWORD))
    assert accepted.status_code == 200


def test_a_partner_not_asked_for_basic_posts_with_or_without_credentials(
    start_gateway: GatewayFactory,
) -> None:
    gateway = start_gateway()  # the example partners: no Basic asked of anyone
    for number, auth in enumerate([None, ("anyone", "anything")]):
        answer = _post(gateway, _message(f"plain-{number}@demo"), auth)
        assert b"; processed\r\n" in answer.content
        assert _rows(gateway, f"plain-{number}@demo") == [("processed", "processed", False)]


def test_the_credentials_are_not_stored(gateway: RunningGateway) -> None:
    _post(gateway, _message("basic-8@demo"), (USER, PASSWORD))
    _post(gateway, _message("basic-9@demo"), (USER, "guessed-Passw0rd"))
    stored = "".join(str(h) for (h,) in gateway.query("select headers from as2_inbound"))
    assert stored.count("Basic <redacted>") == 2
    for secret in (PASSWORD, ENCODED, "guessed-Passw0rd"):
        assert secret not in stored
    refused_encoded = base64.b64encode(f"{USER}:guessed-Passw0rd".encode()).decode()
    assert refused_encoded not in stored


def test_the_password_file_may_be_sealed(start_gateway: GatewayFactory, tmp_path: Path) -> None:
    certs = _certs(tmp_path)
    kek_file = tmp_path / "kek"
    seal_file(certs, PASSWORD_FILE, write_kek(kek_file))
    assert PASSWORD not in (certs / PASSWORD_FILE).read_text()
    gateway = start_gateway(certs_dir=certs, partners_dir=_partners(tmp_path), kek_file=kek_file)
    assert b"; processed\r\n" in _post(gateway, _message("sealed-1@demo"), (USER, PASSWORD)).content
    refused = _post(gateway, _message("sealed-2@demo"), (USER, "guessed-Passw0rd"))
    assert b"authentication-failed" in refused.content


def test_the_profile_needs_both_fields(tmp_path: Path) -> None:
    folder = _partners(tmp_path)
    profile = folder / "demo-as2.toml"
    text = profile.read_text()
    profile.write_text(text.replace(f'inbound_basic_auth_user = "{USER}"\n', ""))
    with pytest.raises(ConfigurationError, match="inbound_basic_auth_user and inbound_basic"):
        load_partners(folder)


def test_a_missing_password_file_is_named_at_load(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    certs = _certs(tmp_path)
    (certs / PASSWORD_FILE).unlink()
    settings = load_settings(certs_dir=certs, partners_dir=_partners(tmp_path), data_dir=tmp_path)
    with pytest.raises(
        ConfigurationError, match=r"inbound_basic_auth_password_file.*inbound\.basic"
    ):
        As2Directory.load(settings, load_partners(settings.partners_dir))


def test_secrets_check_lists_the_password_file(tmp_path: Path) -> None:
    kek_file = tmp_path / "kek"
    write_kek(kek_file)
    settings = load_settings(
        certs_dir=_certs(tmp_path),
        partners_dir=_partners(tmp_path),
        data_dir=tmp_path,
        kek_file=kek_file,
    )
    listed = {
        f.where: f.state() for f in secret_files(settings, load_partners(settings.partners_dir))
    }
    assert listed["partner demo-as2: as2.inbound_basic_auth_password_file"] == "clear"
    warnings = check_sealed(settings, load_partners(settings.partners_dir))
    assert any("as2.inbound_basic_auth_password_file" in w for w in warnings)


# ------------------------------------------------- our outbound Basic to a gateway asking for it


def test_our_gateway_passes_the_basic_auth_another_gateway_asks_for(
    start_gateway: GatewayFactory, tmp_path: Path
) -> None:
    certs = _certs(tmp_path)
    theirs = tmp_path / "their-partners"
    shutil.copytree(ROOT / "examples" / "as2-partner" / "partners", theirs)
    us = theirs / "b2b-gateway.toml"
    us.write_text(_with_basic(us.read_text(), 'as2_id = "B2B-GATEWAY"\n', user="b2b"))
    partner = start_gateway(
        database="partner",
        data_dir=tmp_path / "partner-var",
        partners_dir=theirs,
        certs_dir=certs,
        as2_id="B2B-DEMO-PARTNER",
        as2_keys=("demo/demo-partner.pem",),
    )
    ours = tmp_path / "our-partners"
    ours.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("http://127.0.0.1:8081", partner.url)
    basic = f'basic_auth_user = "b2b"\nbasic_auth_password_file = "{PASSWORD_FILE}"\n'
    profile = profile.replace("timeout_seconds = 30\n", f"timeout_seconds = 30\n{basic}")
    (ours / "demo-as2.toml").write_text(profile)
    gateway = start_gateway(partners_dir=ours, certs_dir=certs)
    assert gateway.post_cxml(AS2_SAMPLE).status_code == 200
    assert "processed" in gateway.wait_for(AS2_PO, "sent")["receipt"]
    [(status, headers)] = partner.query("select status, headers from as2_inbound")
    assert status == "processed"
    assert "Basic <redacted>" in str(headers)
    assert base64.b64encode(f"b2b:{PASSWORD}".encode()).decode() not in str(headers)
