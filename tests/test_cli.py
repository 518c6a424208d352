"""The `b2b` command as an operator runs it: a real process, real files, a real database."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from b2b.store import accept_documents, open_engine
from tests.conftest import ROOT
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


def test_messages_show_tells_where_a_po_is(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'b2b.sqlite3'}"
    engine = open_engine(url)
    accept_documents(engine=engine, items=[acceptance("4711")])
    engine.dispose()
    listed = b2b("messages", "list", B2B_DATABASE_URL=url)
    assert "received" in listed.stdout
    assert "PO 4711" in listed.stdout
    shown = b2b("messages", "show", "--po", "4711", B2B_DATABASE_URL=url)
    assert "state RECEIVED" in shown.stdout
    assert "payload-4711@test" in shown.stdout
    data = json.loads(b2b("messages", "show", "1", "--json", B2B_DATABASE_URL=url).stdout)
    assert data["messages"][0]["po_number"] == "4711"
    missing = b2b("messages", "show", "--po", "nope", B2B_DATABASE_URL=url)
    assert missing.returncode == 1
    assert "nothing found" in missing.stderr
