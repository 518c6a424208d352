#!/usr/bin/env python3
"""The two commands. Needs only Python 3.11+; sets up everything else itself.

python3 dev.py run     start the gateway (SQLite, example partners) on http://127.0.0.1:8080
python3 dev.py test    install what the tests need, then lint, type-check and run every test,
                       once on SQLite and once on PostgreSQL
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
LOCK = ROOT / "requirements.lock"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
# Debian packages the tests start for real: OpenSSH's sshd, the PostgreSQL server, Chromium for
# the dashboard, and the openssl command as an AS2 peer (`openssl cms`).
SYSTEM_PACKAGES = {
    "/usr/sbin/sshd": "openssh-server",
    "initdb": "postgresql",
    "/usr/bin/chromium": "chromium",
    "openssl": "openssl",
}


def say(text: str) -> None:
    print(f"dev.py: {text}", flush=True)


def run(*cmd: str | Path, env: dict[str, str] | None = None) -> None:
    subprocess.run([str(c) for c in cmd], check=True, cwd=ROOT, env=env)


def ensure_venv() -> None:
    """Create .venv and install the locked dependencies, once per lock file version."""
    stamp = VENV / ".installed"
    digest = hashlib.sha256(LOCK.read_bytes() + (ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if stamp.exists() and stamp.read_text() == digest:
        return
    if not (BIN / "python").exists():
        say("creating .venv")
        venv.create(VENV, with_pip=True)
    say("installing locked dependencies (requirements.lock)")
    pip = [BIN / "python", "-m", "pip", "--disable-pip-version-check", "-q"]
    run(*pip, "install", "--require-hashes", "--no-deps", "-r", LOCK)
    run(*pip, "install", "--no-deps", "--no-build-isolation", "-e", ROOT)
    stamp.write_text(digest)


def ensure_system_packages() -> None:
    """Install what the tests run (SYSTEM_PACKAGES) when it is missing."""
    missing = [pkg for binary, pkg in SYSTEM_PACKAGES.items() if not _has(binary)]
    if not missing:
        return
    if shutil.which("apt-get") is None:
        say(f"missing {missing} and no apt-get: the tests that need them will be skipped")
        return
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"]
    say(f"installing {' '.join(missing)} with apt-get")
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    run(*sudo, "apt-get", "update", "-qq", env=env)
    run(*sudo, "apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing, env=env)


def _has(binary: str) -> bool:
    if os.path.isabs(binary):
        return os.path.exists(binary)
    return shutil.which(binary) is not None or any(
        Path("/usr/lib/postgresql").glob(f"*/bin/{binary}")
    )


# The loopback AS2 partner of the demo: a second gateway with its own identity and store.
DEMO_PARTNER_ENV = {
    "B2B_PORT": "8081",
    "B2B_AS2_ID": "B2B-DEMO-PARTNER",
    "B2B_AS2_KEYS": '["demo/demo-partner.pem"]',
    "B2B_PARTNERS_DIR": "examples/as2-partner/partners",
    "B2B_DATABASE_URL": "sqlite:///var/demo-partner/b2b.sqlite3",
    "B2B_DATA_DIR": "var/demo-partner",
    "B2B_PUBLIC_URL": "http://127.0.0.1:8081",
}


def demo_user() -> None:
    """A dashboard login for the demo, once: demo / demo-password (`b2b users add` for real)."""
    subprocess.run(
        [BIN / "b2b", "users", "add", "demo", "--role", "operator", "--password-stdin"],
        input="demo-password\n",
        text=True,
        capture_output=True,  # the second time it says the name is taken: nothing to do
        check=False,
        cwd=ROOT,
    )
    say("dashboard:  http://127.0.0.1:8080/ui  (log in as demo / demo-password)")


def cmd_run(args: list[str]) -> None:
    ensure_venv()
    os.chdir(ROOT)
    # The samples carry this shared secret, so the demo authenticates Coupa as production does.
    os.environ.setdefault("B2B_COUPA_SHARED_SECRET", "demo-secret")
    # The admin API needs a key: this one is for the demo only (b2b keys new makes real ones).
    os.environ.setdefault("B2B_BOOTSTRAP_API_KEY", "demo-operator-key")
    demo_user()
    say("demo AS2 partner on http://127.0.0.1:8081 (examples/as2-partner)")
    partner = subprocess.Popen([BIN / "b2b", "serve"], env={**os.environ, **DEMO_PARTNER_ENV})
    say("gateway on http://127.0.0.1:8080 (SQLite var/b2b.sqlite3, partners/, maps/)")
    say(
        "post a PO:  curl -s -H 'Content-Type: text/xml' --data-binary "
        "@samples/cxml/order_request_new.xml http://127.0.0.1:8080/coupa/cxml"
    )
    say(
        "then ask:   curl -s -H 'Authorization: Bearer demo-operator-key' "
        "'http://127.0.0.1:8080/messages?po=HMG-PO-100482'"
    )
    say("over AS2:   the same with samples/cxml/order_request_as2.xml, then ?po=HMG-PO-100484")
    try:
        subprocess.run([BIN / "b2b", "serve", *args], check=False)
    except KeyboardInterrupt:
        pass
    finally:
        partner.terminate()
        partner.wait(timeout=30)


# The suite runs twice: the second time every gateway and store the tests open is in
# PostgreSQL (tests/conftest.py). B2B_TEST_DATABASE=sqlite or postgresql runs only that one.
PYTEST_RUNS = {
    "sqlite": "gateways and stores on SQLite (the tests of both backends on both)",
    "postgresql": "every gateway and store on PostgreSQL (B2B_TEST_DATABASE=postgresql)",
}


def cmd_test(args: list[str]) -> None:
    ensure_venv()
    ensure_system_packages()
    py = BIN / "python"
    say("ruff")
    run(py, "-m", "ruff", "check", "b2b", "tests", "bench", "dev.py")
    run(py, "-m", "ruff", "format", "--check", "b2b", "tests", "bench", "dev.py")
    say("mypy --strict")
    run(py, "-m", "mypy")
    chosen = os.environ.get("B2B_TEST_DATABASE")
    runs = [chosen] if chosen else list(PYTEST_RUNS)
    for number, database in enumerate(runs, 1):
        which, started = f"pytest {number}/{len(runs)}", time.monotonic()
        say(f"{which}: {PYTEST_RUNS.get(database, database)}")
        run(py, "-m", "pytest", *args, env={**os.environ, "B2B_TEST_DATABASE": database})
        say(f"{which} ({database}) passed in {time.monotonic() - started:.0f} s")


def main() -> None:
    if sys.version_info < (3, 11):  # noqa: UP036 - dev.py runs on whatever python3 is
        sys.exit("dev.py needs Python 3.11 or newer")
    commands = {"run": cmd_run, "test": cmd_test}
    if len(sys.argv) < 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    try:
        commands[sys.argv[1]](sys.argv[2:])
    except subprocess.CalledProcessError as exc:
        sys.exit(exc.returncode)


if __name__ == "__main__":
    main()
