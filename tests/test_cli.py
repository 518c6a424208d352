"""The `b2b` command as an operator runs it: a real process, real files, a real database."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from sqlalchemy import update

from b2b.store import accept_documents, open_engine, utcnow
from b2b.store.blobs import BlobStore
from b2b.store.inbound import (
    Arrival,
    InterchangeRead,
    claim_inbound,
    record_inbound_file,
    record_read,
)
from b2b.store.schema import messages
from tests.conftest import ROOT, NewDatabase
from tests.factories import acceptance


def b2b(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "b2b", *args],
        cwd=ROOT,
        check=False,
        text=True,
        capture_output=True,
        env={**os.environ, **env},
        timeout=60,
    )


def table(stdout: str) -> list[dict[str, str]]:
    """The rows of the rich table `stdout` holds, by column name (a folded cell is joined)."""
    lines = stdout.splitlines()
    header = next(line for line in lines if "┃" in line)
    names = [cell.strip() for cell in header.strip("┃").split("┃")]
    rows: list[dict[str, str]] = []
    for line in lines:
        if "│" not in line:
            continue
        cells = [cell.strip() for cell in line.strip().strip("│").split("│")]
        if cells[0] or not rows:
            rows.append(dict(zip(names, cells, strict=True)))
        else:  # a value folded onto the next line
            rows[-1] = {n: f"{rows[-1][n]} {c}".strip() for n, c in zip(names, cells, strict=True)}
    return rows


def test_partners_check_lists_the_valid_partners() -> None:
    result = b2b("partners", "check")
    assert result.returncode == 0, result.stderr
    assert "ok  acme" in result.stdout
    assert "X12 005010" in result.stdout


def test_partners_check_names_every_broken_file_and_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.toml").write_text('id = "bad"\nname = "Bad"\n')
    (tmp_path / "worse.toml").write_text("id = [")
    result = b2b("partners", "check", B2B_PARTNERS_DIR=str(tmp_path))
    assert result.returncode == 2
    assert "bad.toml: coupa: Field required" in result.stderr
    assert "bad.toml: x12: Field required" in result.stderr
    assert "worse.toml" in result.stderr


def test_a_wrong_setting_is_named(tmp_path: Path) -> None:
    result = b2b("partners", "check", B2B_PORT="eighty")
    assert result.returncode == 2
    assert "B2B_PORT" in result.stderr


def test_messages_show_tells_where_a_po_is(new_database: NewDatabase) -> None:
    url = new_database()
    engine = open_engine(url)
    accept_documents(engine=engine, items=[acceptance("4711")])
    engine.dispose()
    listed = b2b("messages", "list", B2B_DATABASE_URL=url)
    [row] = table(listed.stdout)
    assert (row["state"], row["PO"], row["partner"], row["set"]) == (
        "received",
        "4711",
        "acme",
        "850",
    )
    [as_json] = json.loads(b2b("messages", "list", "--json", B2B_DATABASE_URL=url).stdout)[
        "messages"
    ]
    assert (as_json["po_number"], as_json["state"]) == ("4711", "received")
    shown = b2b("messages", "show", "--po", "4711", B2B_DATABASE_URL=url)
    assert "state RECEIVED" in shown.stdout
    assert "payload-4711@test" in shown.stdout
    data = json.loads(b2b("messages", "show", "1", "--json", B2B_DATABASE_URL=url).stdout)
    assert data["messages"][0]["po_number"] == "4711"
    missing = b2b("messages", "show", "--po", "nope", B2B_DATABASE_URL=url)
    assert missing.returncode == 1
    assert "nothing found" in missing.stderr


def test_messages_list_overdue_shows_only_late_acknowledgments(new_database: NewDatabase) -> None:
    url = new_database()
    engine = open_engine(url)
    accept_documents(engine=engine, items=[acceptance("4711"), acceptance("4712")])
    with engine.begin() as conn:  # 4711 was sent a day ago and its 997 was due an hour ago
        due = utcnow() - dt.timedelta(hours=1)
        conn.execute(update(messages).where(messages.c.po_number == "4711").values(ack_due_at=due))
    engine.dispose()
    late = b2b("messages", "list", "--overdue", B2B_DATABASE_URL=url)
    assert late.returncode == 0, late.stderr
    assert [(r["PO"], r["ack"]) for r in table(late.stdout)] == [("4711", "OVERDUE")]
    shown = b2b("messages", "show", "--po", "4711", B2B_DATABASE_URL=url)
    assert "acknowledgment OVERDUE since" in shown.stdout


def test_inbound_list_shows_each_interchange_verdict_and_what_was_done(
    tmp_path: Path, new_database: NewDatabase
) -> None:
    url = new_database()
    engine = open_engine(url)
    blobs = BlobStore(tmp_path / "blobs")
    data = b"ISA*00*..."
    arrival = Arrival("acme", "sftp", "/out/855.x12", "0" * 64, data, utcnow())
    record_inbound_file(engine=engine, blobs=blobs, arrival=arrival)
    claim = claim_inbound(
        engine=engine, blobs=blobs, worker="w", now=utcnow(), lease=dt.timedelta(minutes=1)
    )
    assert claim is not None
    read = InterchangeRead(
        partner_id="acme",
        sender="01:123456789",
        receiver="ZZ:B2BGATEWAY",
        control_number="000001855",
        status="R",
        note_code="025",
        duplicate=True,
        result={},
        notes=("TA1 queued as message 3 (ISA13 000000007)",),
    )
    record_read(engine=engine, claim=claim, worker="w", read=lambda seen: [read], now=utcnow())
    engine.dispose()
    listed = b2b("inbound", "list", B2B_DATABASE_URL=url)
    assert listed.returncode == 0, listed.stderr
    [row] = table(listed.stdout)
    assert row["origin"] == "sftp /out/855.x12"
    assert row["interchange"] == "ISA13 000001855 from 01:123456789: TA1 R 025  DUPLICATE"
    assert row["done"] == "TA1 queued as message 3 (ISA13 000000007)"
    [file] = json.loads(b2b("inbound", "list", "--json", B2B_DATABASE_URL=url).stdout)["files"]
    assert file["origin_ref"] == "/out/855.x12"


def test_certs_new_makes_a_usable_identity_and_never_overwrites(tmp_path: Path) -> None:
    made = b2b(
        "certs",
        "new",
        "ours.pem",
        "--passphrase",
        "s3cret",
        B2B_CERTS_DIR=str(tmp_path),
        B2B_AS2_ID="ACME-BUYER",
    )
    assert made.returncode == 0, made.stderr
    assert """B2B_AS2_KEYS='["ours.pem"]'""" in made.stdout
    from b2b.as2 import load_certificates, load_key_pair

    pair = load_key_pair((tmp_path / "ours.pem").read_bytes(), passphrase="s3cret")
    [public] = load_certificates((tmp_path / "ours-public.pem").read_bytes())
    assert public == pair.certificate
    assert "ACME-BUYER" in public.subject.rfc4514_string()
    again = b2b("certs", "new", "ours.pem", B2B_CERTS_DIR=str(tmp_path))
    assert again.returncode == 2
    assert "not overwritten" in again.stderr


def test_partners_check_warns_at_60_30_14_and_7_days_naming_the_step(tmp_path: Path) -> None:
    certs = tmp_path / "certs"
    for name, days in [("soon.pem", "13"), ("ours.pem", "50"), ("later.pem", "100")]:
        made = b2b("certs", "new", name, "--days", days, B2B_CERTS_DIR=str(certs))
        assert made.returncode == 0, made.stderr
    partners = tmp_path / "partners"
    partners.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    profile = profile.replace("demo/demo-partner-public.pem", "soon-public.pem")
    (partners / "demo-as2.toml").write_text(profile)
    shutil.copytree(ROOT / "certs" / "demo", certs / "demo")
    env = {"B2B_CERTS_DIR": str(certs), "B2B_PARTNERS_DIR": str(partners)}
    result = b2b("partners", "check", B2B_AS2_KEYS='["ours.pem", "later.pem"]', **env)
    assert result.returncode == 0, result.stderr
    warnings = [line for line in result.stderr.splitlines() if line.startswith("warning:")]
    assert len(warnings) == 2, result.stderr  # later.pem (99 days) is not warned about
    assert "warning: partner B2B-DEMO-PARTNER: certificate" in warnings[1]
    assert warnings[1].endswith("expires in 12 days (within 14)")
    assert warnings[0].startswith("warning: our key: certificate")
    assert warnings[0].endswith("expires in 49 days (within 60)")


def test_partners_check_names_a_missing_certificate_file(tmp_path: Path) -> None:
    partners = tmp_path / "partners"
    partners.mkdir()
    profile = (ROOT / "partners" / "demo-as2.toml").read_text()
    (partners / "demo-as2.toml").write_text(profile.replace("demo-partner-public", "missing"))
    result = b2b("partners", "check", B2B_PARTNERS_DIR=str(partners))
    assert result.returncode == 2
    assert "partner demo-as2: as2.certificates: cannot read" in result.stderr
    assert "demo/missing.pem" in result.stderr


def test_bulk_resend_of_dead_messages_for_one_partner(new_database: NewDatabase) -> None:
    url = new_database()
    engine = open_engine(url)
    accept_documents(engine=engine, items=[acceptance(po) for po in ("4711", "4712", "4713")])
    with engine.begin() as conn:
        dead = messages.c.po_number.in_(["4711", "4712"])
        conn.execute(update(messages).where(dead).values(state="dead", attempts=8))
        conn.execute(
            update(messages).where(messages.c.po_number == "4712").values(partner_id="globex")
        )
    engine.dispose()
    asked = b2b("messages", "resend", "--state", "dead", "--partner", "acme", B2B_DATABASE_URL=url)
    assert asked.returncode == 1  # no terminal to say yes: nothing done
    assert "Aborted" in asked.stdout + asked.stderr
    done = b2b(
        "messages", "resend", "--state", "dead", "--partner", "acme", "--yes", B2B_DATABASE_URL=url
    )
    assert done.returncode == 0, done.stderr
    assert "1 of 1 message(s) queued again" in done.stdout
    states = {
        r["PO"]: r["state"] for r in table(b2b("messages", "list", B2B_DATABASE_URL=url).stdout)
    }
    assert states == {"4711": "received", "4712": "dead", "4713": "received"}
    future = b2b(
        "messages",
        "resend",
        "--state",
        "dead",
        "--since",
        "2999-01-01",
        "--yes",
        B2B_DATABASE_URL=url,
    )
    assert future.returncode == 1
    assert "no message matches" in future.stderr
    neither = b2b("messages", "resend", B2B_DATABASE_URL=url)
    assert neither.returncode == 2


def test_inbound_import_records_a_folder_once(tmp_path: Path, new_database: NewDatabase) -> None:
    url = new_database()
    folder = tmp_path / "backlog"
    folder.mkdir()
    for name in ("acme_855_004010.x12", "acme_856_004010.x12"):
        shutil.copy(ROOT / "samples" / "x12" / name, folder)
    env = {"B2B_DATABASE_URL": url, "B2B_DATA_DIR": str(tmp_path / "var")}
    first = b2b("inbound", "import", str(folder), "--partner", "acme", **env)
    assert first.returncode == 0, first.stderr
    assert "2 new file(s) recorded, 0 already recorded" in first.stdout
    again = b2b("inbound", "import", str(folder), "--partner", "acme", **env)
    assert again.returncode == 1
    assert "0 new file(s) recorded, 2 already recorded" in again.stdout
    files = json.loads(b2b("inbound", "list", "--json", **env).stdout)["files"]
    assert sorted((f["origin"], Path(f["origin_ref"]).name) for f in files) == [
        ("import", "acme_855_004010.x12"),
        ("import", "acme_856_004010.x12"),
    ]
    engine = open_engine(url)
    claim = claim_inbound(
        engine=engine, blobs=BlobStore(tmp_path / "var" / "blobs"), worker="w", now=utcnow(),
        lease=dt.timedelta(minutes=1),
    )  # fmt: skip
    engine.dispose()
    assert claim is not None
    assert claim.partner_id == "acme"
    unknown = b2b("inbound", "import", str(folder), "--partner", "nobody", **env)
    assert unknown.returncode == 2


def test_a_list_setting_written_as_plain_text_is_named_with_exit_code_2() -> None:
    """`B2B_AS2_KEYS=ours.pem` (not JSON) is a configuration error, not a traceback."""
    result = b2b("partners", "check", B2B_AS2_KEYS="ours.pem")
    assert result.returncode == 2
    assert "as2_keys" in result.stderr
    assert "JSON" in result.stderr
    assert "Traceback" not in result.stderr
