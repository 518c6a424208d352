"""No secret at rest (issue 7, "Security"): after a gateway has taken cXML in (accepted, and
refused for a wrong SharedSecret) and posted a partner's documents to Coupa, neither its
database file (with the SQLite WAL), nor its data directory, nor its logs (DEBUG) hold a
SharedSecret, the demo private keys or a passphrase in clear. With a KEK (B2B_KEK_FILE) and
every secret sealed, a full run (cXML with a SharedSecret → 850 by AS2 with HTTP Basic, which
the receiving gateway checks, and by SFTP with an encrypted key) leaves no clear secret (nor
the base64 of the Basic credentials) in the data, the database, the certs/ copy or any log
record at DEBUG (uvicorn, httpx, httpcore and paramiko included).
"""

from __future__ import annotations

import base64
import logging
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from b2b.as2 import new_self_signed, private_key_pem
from b2b.as2.certificates import certificate_pem
from b2b.partners import load_partners
from b2b.partners.secret_files import check_sealed
from b2b.secrets import encode_kek, seal
from b2b.store import utcnow
from tests.api.conftest import (  # noqa: F401 (the fixture)
    BOOTSTRAP_KEY,
    GatewayFactory,
    RunningGateway,
    start_gateway,
)
from tests.api.test_coupa_cxml import SAMPLE, SAMPLE_PO
from tests.api.test_inbound import _drop, _partners
from tests.api.test_to_coupa import SAMPLES, _coupa_messages, _with_coupa
from tests.conftest import ROOT
from tests.fixtures.coupa import SECRET, CoupaStandIn
from tests.fixtures.kek import copy_certs, seal_file, write_kek
from tests.fixtures.sshd import PASSPHRASE as SFTP_PASSPHRASE
from tests.fixtures.sshd import SshServer

COUPA_SECRET = "inbound-Secr3t-7f1c"  # what Coupa presents to us
WRONG_SECRET = "guessed-Secr3t-99aa"  # a refused sender's


def _pem_bodies() -> dict[str, bytes]:
    """Each demo private key's base64 lines, by file: none may be stored or logged."""
    found: dict[str, bytes] = {}
    for path in sorted((ROOT / "certs").rglob("*.pem")):
        text = path.read_bytes()
        for block in re.findall(rb"-----BEGIN [A-Z ]*PRIVATE KEY-----(.*?)-----END", text, re.S):
            lines = [line for line in block.split() if len(line) >= 40]
            found[f"{path.name}:{len(found)}"] = b"".join(lines[:1])  # the first line suffices
    return found


def _stored_bytes(database_url: str, data_dir: Path) -> bytes:
    url = make_url(database_url)
    assert url.database is not None
    database = Path(url.database)
    files = [database, database.with_name(database.name + "-wal")]
    files += [p for p in data_dir.rglob("*") if p.is_file()]
    return b"".join(p.read_bytes() for p in files if p.exists())


def test_no_secret_is_kept_in_the_database_the_data_or_the_logs(
    start_gateway: GatewayFactory,  # noqa: F811
    tmp_path: Path,
    coupa: CoupaStandIn,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    folder = _with_coupa(_partners(tmp_path / "partners"), coupa, tmp_path)
    gateway = start_gateway(partners_dir=folder, coupa_shared_secret=COUPA_SECRET)
    if not gateway.settings.database_url.startswith("sqlite"):
        pytest.skip("reads the SQLite file")
    order = SAMPLE.replace(b"demo-secret", COUPA_SECRET.encode())
    wrong = SAMPLE.replace(b"demo-secret", WRONG_SECRET.encode())
    assert gateway.post_cxml(wrong).status_code == 401
    assert gateway.post_cxml(order).status_code == 200
    assert gateway.post_cxml(order).status_code == 200  # a duplicate, answered the same
    gateway.wait_for(SAMPLE_PO, "sent")
    _drop(gateway, "acme", "855.x12", (SAMPLES / "acme_855_004010.x12").read_bytes())
    _coupa_messages(gateway, 1, "sent")
    assert SECRET.encode() in coupa.received[0][1]  # Coupa got the secret, the store did not
    assert gateway.query("SELECT count(*) FROM rejections") == [(1,)]

    stored = _stored_bytes(gateway.settings.database_url, gateway.settings.data_dir)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    secrets = {"Coupa's": COUPA_SECRET, "the refused": WRONG_SECRET, "the supplier's": SECRET}
    for whose, secret in secrets.items():
        assert secret.encode() not in stored, f"{whose} SharedSecret is stored"
        assert secret not in logged, f"{whose} SharedSecret is logged"
    for name, body in _pem_bodies().items():
        assert body not in stored, f"the private key {name} is stored"
        assert body.decode() not in logged, f"the private key {name} is logged"
    assert b"[redacted]" in stored


# ------------------------------------------------------------------ sealed secrets (B2B_KEK_FILE)

AS2_SAMPLE = (ROOT / "samples" / "cxml" / "order_request_as2.xml").read_bytes()
AS2_PO = "HMG-PO-100484"
AS2_PASSPHRASE = "as2-Passphr4se-31c7"  # our AS2 key's, sealed in B2B_AS2_KEY_PASSPHRASE
BASIC_PASSWORD = "basic-Passw0rd-5e2d"  # HTTP Basic to the AS2 partner, in a sealed file


@dataclass
class SealedSite:
    """A copy of certs/ whose secrets are sealed, and every clear value that must not leak."""

    certs: Path
    kek_file: Path
    kek: bytes
    clear: dict[str, str]  # what -> a clear secret value (or a key's base64 line)

    def sealed_setting(self, variable: str, value: str) -> str:
        return seal(value.encode(), self.kek, variable)


def _sealed_site(tmp_path: Path, sshd: SshServer) -> SealedSite:
    kek_file = tmp_path / "kek"
    kek = write_kek(kek_file)
    certs = copy_certs(tmp_path / "certs")
    pair = new_self_signed("B2B-GATEWAY", now=utcnow())
    encrypted = private_key_pem(pair.private_key, AS2_PASSPHRASE)
    (certs / "ours.pem").write_bytes(encrypted + certificate_pem(pair.certificate))
    # the partner gateway (same certs copy) checks our signatures with our new certificate
    (certs / "demo" / "b2b-gateway-public.pem").write_bytes(certificate_pem(pair.certificate))
    (certs / "demo-as2.basic").write_text(BASIC_PASSWORD + "\n")
    (certs / "acme").mkdir()
    shutil.copyfile(sshd.encrypted_key, certs / "acme" / "sftp_ed25519")
    (certs / "acme" / "sftp.passphrase").write_text(SFTP_PASSPHRASE + "\n")
    for name in ("ours.pem", "demo-as2.basic", "acme/sftp_ed25519", "acme/sftp.passphrase"):
        seal_file(certs, name, kek)
    clear = {
        "Coupa's SharedSecret": COUPA_SECRET,
        "the refused SharedSecret": WRONG_SECRET,
        "the AS2 key passphrase": AS2_PASSPHRASE,
        "the HTTP Basic password": BASIC_PASSWORD,
        "the HTTP Basic credentials (base64)": base64.b64encode(
            f"b2b:{BASIC_PASSWORD}".encode()
        ).decode(),
        "the SFTP key passphrase": SFTP_PASSPHRASE,
        "the KEK": encode_kek(kek),
        "the bootstrap API key": BOOTSTRAP_KEY,
    }
    clear_key = private_key_pem(pair.private_key)
    for what, pem in (
        ("our AS2 key (encrypted PEM)", encrypted),
        ("our AS2 key (clear PEM)", clear_key),
        ("the SFTP key", sshd.encrypted_key.read_bytes()),
    ):
        clear[what] = _first_body_line(pem)
    return SealedSite(certs, kek_file, kek, clear)


def _first_body_line(pem: bytes) -> str:
    lines = [line for line in pem.decode().splitlines() if line and not line.startswith("-----")]
    return lines[-2]  # deep in the private part (the first lines hold headers, a public key)


def _our_partners(folder: Path, partner_url: str, sshd: SshServer, remote: Path) -> Path:
    """demo-as2 by AS2 with HTTP Basic; acme by SFTP with an encrypted key."""
    folder.mkdir()
    as2 = (ROOT / "partners" / "demo-as2.toml").read_text()
    basic = 'basic_auth_user = "b2b"\nbasic_auth_password_file = "demo-as2.basic"\n'
    as2 = as2.replace("http://127.0.0.1:8081", partner_url)
    as2 = as2.replace("timeout_seconds = 30\n", f"timeout_seconds = 30\n{basic}")
    (folder / "demo-as2.toml").write_text(as2)
    sftp = f"""[transport]
kind = "sftp"
host = "{sshd.host}"
port = {sshd.port}
username = "{sshd.username}"
private_key = "acme/sftp_ed25519"
private_key_passphrase_file = "acme/sftp.passphrase"
host_key = "{sshd.host_key_line}"
remote_dir = "{remote}"

"""
    acme = (ROOT / "partners" / "acme.toml").read_text()
    acme = re.sub(r"\[transport\]\n(?:[^\[].*\n|\n)*", sftp, acme, count=1)
    (folder / "acme.toml").write_text(acme)
    return folder


def _their_partners(folder: Path) -> Path:
    """The demo AS2 partner's profile of us, asking our posts for the HTTP Basic we send."""
    shutil.copytree(ROOT / "examples" / "as2-partner" / "partners", folder)
    profile = folder / "b2b-gateway.toml"
    basic = 'inbound_basic_auth_user = "b2b"\n'
    basic += 'inbound_basic_auth_password_file = "demo-as2.basic"\n'
    profile.write_text(profile.read_text().replace("[as2]\n", f"[as2]\n{basic}"))
    return folder


def _capture_every_logger(caplog: pytest.LogCaptureFixture) -> list[logging.Logger]:
    """DEBUG from every logger, also those that do not propagate (uvicorn's)."""
    caplog.set_level(logging.DEBUG)
    attached = []
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "httpx", "httpcore", "paramiko"):
        caplog.set_level(logging.DEBUG, logger=name)
    for logger in [logging.getLogger(n) for n in list(logging.root.manager.loggerDict)]:
        if not logger.propagate and caplog.handler not in logger.handlers:
            logger.addHandler(caplog.handler)
            attached.append(logger)
    return attached


def test_sealed_secrets_stay_sealed_and_out_of_the_logs_through_a_full_run(
    start_gateway: GatewayFactory,  # noqa: F811
    tmp_path: Path,
    sshd: SshServer,
    caplog: pytest.LogCaptureFixture,
) -> None:
    site = _sealed_site(tmp_path, sshd)
    remote = tmp_path / "sftp-inbox"
    remote.mkdir()
    partner = start_gateway(
        database="partner",
        data_dir=tmp_path / "partner-var",
        partners_dir=_their_partners(tmp_path / "their-partners"),
        certs_dir=site.certs,
        kek_file=site.kek_file,
        as2_id="B2B-DEMO-PARTNER",
        as2_keys=("demo/demo-partner.pem",),
    )
    ours = start_gateway(
        partners_dir=_our_partners(tmp_path / "partners", partner.url, sshd, remote),
        buyers_dir=tmp_path / "no-buyers",
        certs_dir=site.certs,
        kek_file=site.kek_file,
        as2_keys=("ours.pem",),
        as2_key_passphrase=site.sealed_setting("B2B_AS2_KEY_PASSPHRASE", AS2_PASSPHRASE),
        coupa_shared_secret=site.sealed_setting("B2B_COUPA_SHARED_SECRET", COUPA_SECRET),
    )
    attached = _capture_every_logger(caplog)
    try:
        as2_order = AS2_SAMPLE.replace(b"demo-secret", COUPA_SECRET.encode())
        sftp_order = SAMPLE.replace(b"demo-secret", COUPA_SECRET.encode())
        assert (
            ours.post_cxml(SAMPLE.replace(b"demo-secret", WRONG_SECRET.encode())).status_code == 401
        )
        assert ours.post_cxml(as2_order).status_code == 200
        assert ours.post_cxml(sftp_order).status_code == 200
        assert "processed" in ours.wait_for(AS2_PO, "sent")["receipt"]
        ours.wait_for(SAMPLE_PO, "sent")
    finally:
        for logger in attached:
            logger.removeHandler(caplog.handler)

    assert [p.name for p in remote.iterdir() if p.suffix == ".x12"]  # delivered by SFTP
    warnings = check_sealed(ours.settings, load_partners(ours.settings.partners_dir))
    assert [w.split(" is ")[0] for w in warnings] == ["B2B_BOOTSTRAP_API_KEY"]  # the tests' own
    logged = "\n".join(r.getMessage() for r in caplog.records) + caplog.text
    assert "DEBUG" in caplog.text  # DEBUG was captured
    kept = _kept_bytes(ours, partner, site.certs)
    for what, value in site.clear.items():
        assert value not in logged, f"{what} is logged"
        assert value.encode() not in kept, f"{what} is kept in clear"


def _kept_bytes(ours: RunningGateway, partner: RunningGateway, certs: Path) -> bytes:
    """Both gateways' data directories (and SQLite files), and certs/ bar the public demo."""
    kept = b""
    for gateway in (ours, partner):
        if gateway.settings.database_url.startswith("sqlite"):
            kept += _stored_bytes(gateway.settings.database_url, gateway.settings.data_dir)
        else:
            kept += b"".join(
                p.read_bytes() for p in gateway.settings.data_dir.rglob("*") if p.is_file()
            )
    files = [p for p in certs.rglob("*") if p.is_file() and "demo" not in p.parts]
    return kept + b"".join(p.read_bytes() for p in files)
