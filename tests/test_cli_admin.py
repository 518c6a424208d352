"""`b2b keys` and `b2b users` as an operator runs them: a real process and database (the
password prompt through typer's runner, which can type into it)."""

from __future__ import annotations

import os
import re
import subprocess
import sys

from typer.testing import CliRunner

from b2b.cli import app
from b2b.store import open_engine, utcnow
from b2b.store.auth import Principal, Role, principal_for_token, verify_user
from tests.conftest import ROOT, NewDatabase


def b2b(*args: str, url: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "b2b", *args],
        cwd=ROOT,
        check=False,
        text=True,
        capture_output=True,
        input=stdin,
        env={**os.environ, "B2B_DATABASE_URL": url},
        timeout=60,
    )


def test_keys_new_prints_a_token_once_that_list_never_shows(new_database: NewDatabase) -> None:
    url = new_database()
    made = b2b("keys", "new", "monitoring", "--role", "operator", url=url)
    assert made.returncode == 0, made.stderr
    token = made.stdout.strip()
    engine = open_engine(url)
    try:
        found = principal_for_token(engine=engine, token=token, now=utcnow())
    finally:
        engine.dispose()
    assert found == Principal("monitoring", Role.OPERATOR, "key")
    listed = b2b("keys", "list", url=url)
    assert listed.returncode == 0, listed.stderr
    [row] = listed.stdout.splitlines()[1:]
    _, prefix, secret = token.split("_", 2)  # the secret is base64url: it may hold "_" itself
    assert row.split()[:3] == ["monitoring", "operator", prefix]
    assert secret not in listed.stdout


def test_keys_revoke_and_the_exit_codes(new_database: NewDatabase) -> None:
    url = new_database()
    assert b2b("keys", "new", "ci", url=url).returncode == 0
    taken = b2b("keys", "new", "ci", url=url)
    assert taken.returncode == 2
    assert "exists" in taken.stderr
    assert b2b("keys", "new", "ci2", "--role", "admin", url=url).returncode == 2
    revoked = b2b("keys", "revoke", "ci", url=url)
    assert revoked.returncode == 0, revoked.stderr
    assert "revoked" in revoked.stdout
    row = b2b("keys", "list", url=url).stdout.splitlines()[1]
    assert re.search(r"  - +\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$", row), row  # never used, revoked
    missing = b2b("keys", "revoke", "nobody", url=url)
    assert missing.returncode == 1
    assert "no api key 'nobody'" in missing.stderr


def test_users_add_passwd_remove_from_stdin(new_database: NewDatabase) -> None:
    url = new_database()
    added = b2b(
        "users", "add", "ci", "--role", "viewer", "--password-stdin", url=url, stdin="s3cret-pass\n"
    )
    assert added.returncode == 0, added.stderr
    engine = open_engine(url)
    try:
        assert verify_user(engine=engine, name="ci", password="s3cret-pass") is not None
        changed = b2b("users", "passwd", "ci", "--password-stdin", url=url, stdin="n3w-pass-word\n")
        assert changed.returncode == 0, changed.stderr
        assert verify_user(engine=engine, name="ci", password="s3cret-pass") is None
        assert verify_user(engine=engine, name="ci", password="n3w-pass-word") is not None
    finally:
        engine.dispose()
    short = b2b("users", "add", "bob", "--password-stdin", url=url, stdin="short\n")
    assert short.returncode == 2
    assert "at least 8" in short.stderr
    listed = b2b("users", "list", url=url)
    assert [line.split()[:2] for line in listed.stdout.splitlines()[1:]] == [["ci", "viewer"]]
    assert "s3cret" not in listed.stdout
    assert b2b("users", "remove", "ci", url=url).returncode == 0
    assert b2b("users", "remove", "ci", url=url).returncode == 1
    assert (
        b2b("users", "passwd", "ci", "--password-stdin", url=url, stdin="whatever-1\n").returncode
        == 1
    )


def test_users_add_asks_the_password_twice(new_database: NewDatabase) -> None:
    url = new_database()
    runner = CliRunner()
    env = {"B2B_DATABASE_URL": url}
    mismatch = runner.invoke(
        app, ["users", "add", "ada"], input="first-password\nsecond-password\n", env=env
    )
    assert mismatch.exit_code != 0
    added = runner.invoke(
        app,
        ["users", "add", "ada", "--role", "operator"],
        input="first-password\nfirst-password\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    assert "first-password" not in added.output
    engine = open_engine(url)
    try:
        found = verify_user(engine=engine, name="ada", password="first-password")
    finally:
        engine.dispose()
    assert found == Principal("ada", Role.OPERATOR, "session")
