"""A copy of the django-pyas2 peer's project in a folder of its own, and the servers it runs.

`PeerSite.create` copies the Django project and the pyas2lib scripts of tests/peers/as2peer,
makes two self-signed RSA-2048 identities with `openssl req -x509` (the peer's, DJANGO_PEER, and
the external client's, PYAS2LIB_CLIENT), migrates the SQLite database and configures the client as
partner. `serve` runs gunicorn on 127.0.0.1; `pyas2lib_receiver` runs receiver.py.

    site = PeerSite.create(tmp / "peer", peer_python(), port=free_port())
    with serve(site, workers=2):
        site.run("send_to_peer.py")
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.peers.venv import PEER_FILES, PeerUnavailable

PEER_AS2_ID = "DJANGO_PEER"
CLIENT_AS2_ID = "PYAS2LIB_CLIENT"
PASSPHRASE = "test"
STARTUP_SECONDS = 30.0
COMMAND_SECONDS = 120.0
# The peer's subprocesses must not see our venv or a test's Django settings.
HIDDEN_ENV = ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "DJANGO_SETTINGS_MODULE")


@dataclass(frozen=True)
class Identity:
    """An AS2 identity: self-signed RSA-2048/SHA-256 certificate, encrypted PKCS#8 key."""

    as2_id: str
    cert: Path  # PEM certificate
    key: Path  # PEM private key, encrypted with `passphrase`
    keycert: Path  # key and certificate in one PEM blob, as pyas2lib wants them
    passphrase: str = PASSPHRASE


def make_identity(folder: Path, name: str, as2_id: str) -> Identity:
    """Make `<name>_key.pem`, `<name>_cert.pem` and `<name>_keycert.pem` in `folder`."""
    if shutil.which("openssl") is None:
        raise PeerUnavailable("the openssl command is needed to make the peer's certificates")
    ident = Identity(
        as2_id,
        folder / f"{name}_cert.pem",
        folder / f"{name}_key.pem",
        folder / f"{name}_keycert.pem",
    )
    subject = f"/CN={name}-as2-test/O=AS2 Interop Test"
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-sha256", "-days", "3650"),
            *("-subj", subject, "-keyout", str(ident.key), "-out", str(ident.cert)),
            *("-passout", f"pass:{PASSPHRASE}"),
        ],
        check=True,
        capture_output=True,
    )
    ident.keycert.write_bytes(ident.key.read_bytes() + ident.cert.read_bytes())
    return ident


@dataclass(frozen=True)
class PeerSite:
    """The peer's project folder; its commands run with the peer venv's python in it."""

    folder: Path
    python: Path
    port: int

    @classmethod
    def create(cls, folder: Path, python: Path, port: int) -> PeerSite:
        """Copy the project, make certificates, migrate, configure PYAS2LIB_CLIENT."""
        site = cls.scripts_only(folder, python, port)
        site.run_checked("setup_partners.py", "--migrate")
        return site

    @classmethod
    def scripts_only(cls, folder: Path, python: Path, port: int = 8080) -> PeerSite:
        """Copy the project and make certificates: enough for the pyas2lib-only scripts."""
        shutil.copytree(PEER_FILES, folder, ignore=shutil.ignore_patterns("__pycache__"))
        for sub in ("certs", "media/outbox", "received"):
            (folder / sub).mkdir(parents=True, exist_ok=True)
        make_identity(folder / "certs", "peer", PEER_AS2_ID)
        make_identity(folder / "certs", "client", CLIENT_AS2_ID)
        return cls(folder, python, port)

    @property
    def url(self) -> str:
        """The peer's AS2 receive endpoint."""
        return f"http://127.0.0.1:{self.port}/pyas2/as2receive"

    @property
    def peer(self) -> Identity:
        """The django-pyas2 server's identity (it decrypts and signs MDNs with it)."""
        return _identity(self.folder, "peer", PEER_AS2_ID)

    @property
    def client(self) -> Identity:
        """The pyas2lib client's identity, configured as the peer's default partner."""
        return _identity(self.folder, "client", CLIENT_AS2_ID)

    def env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The environment of the peer's commands: port, URL, and `extra`."""
        env = {k: v for k, v in os.environ.items() if k not in HIDDEN_ENV}
        env.update(AS2PEER_PORT=str(self.port), PEER_URL=self.url, PYTHONDONTWRITEBYTECODE="1")
        return env | dict(extra or {})

    def run(
        self, *args: str | Path, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """Run `python <args>` in the folder (a script or manage.py), output captured."""
        return subprocess.run(
            [str(self.python), *map(str, args)],
            cwd=self.folder,
            env=self.env(env),
            capture_output=True,
            text=True,
            timeout=COMMAND_SECONDS,
            check=False,
        )

    def run_checked(
        self, *args: str | Path, env: Mapping[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`run`, raising RuntimeError with the output when the command fails."""
        done = self.run(*args, env=env)
        if done.returncode != 0:
            raise RuntimeError(
                f"AS2 peer: {' '.join(map(str, args))} exited {done.returncode}\n"
                f"{done.stdout}{done.stderr}"
            )
        return done

    def configure_partner(self, settings: Mapping[str, str]) -> None:
        """Run setup_partners.py with `settings` as its environment overrides."""
        self.run_checked("setup_partners.py", env=settings)

    def messages(self) -> list[dict[str, Any]]:
        """The peer's Message rows, as list_messages.py prints them."""
        rows: list[dict[str, Any]] = json.loads(self.run_checked("list_messages.py").stdout)
        return rows

    def inbox(self) -> Path:
        """Where django-pyas2 writes received payloads: <inbox>/<partner>/<message-id>.msg."""
        return self.folder / "media" / "messages" / PEER_AS2_ID / "inbox"


def _identity(folder: Path, name: str, as2_id: str) -> Identity:
    certs = folder / "certs"
    return Identity(
        as2_id, certs / f"{name}_cert.pem", certs / f"{name}_key.pem", certs / f"{name}_keycert.pem"
    )


@contextlib.contextmanager
def serve(site: PeerSite, workers: int = 2) -> Iterator[subprocess.Popen[bytes]]:
    """Run the peer under gunicorn on 127.0.0.1:<site.port> until the block ends."""
    log_path = site.folder / "gunicorn.log"
    cmd = [str(site.python), "-m", "gunicorn", "-w", str(workers), "-b", f"127.0.0.1:{site.port}"]
    cmd += ["--preload", "--no-control-socket", "--graceful-timeout", "2"]
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [*cmd, "as2peer_site.wsgi:application"],
            cwd=site.folder,
            env=site.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        wait_for_http(site.url, process, log_path)
        yield process
    finally:
        stop(process, signal.SIGINT)  # gunicorn: INT = quick shutdown


@dataclass(frozen=True)
class Receiver:
    """A running receiver.py: where to send, its log, and where payloads land."""

    url: str
    log_path: Path
    received: Path

    def log(self) -> str:
        """What the receiver logged so far."""
        return self.log_path.read_text(errors="replace")


@contextlib.contextmanager
def pyas2lib_receiver(site: PeerSite, port: int) -> Iterator[Receiver]:
    """Run receiver.py (pyas2lib, AS2 ID PYAS2LIB_CLIENT) on 127.0.0.1:<port>/as2."""
    log_path = site.folder / f"receiver-{port}.log"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [str(site.python), "receiver.py", "--port", str(port)],
            cwd=site.folder,
            env=site.env(),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}/as2"
    try:
        wait_for_http(url, process, log_path, method="HEAD")
        yield Receiver(url, log_path, site.folder / "received")
    finally:
        stop(process, signal.SIGTERM)


def wait_for_http(
    url: str, process: subprocess.Popen[bytes], log_path: Path, method: str = "GET"
) -> None:
    """Return once `url` answers any HTTP status; RuntimeError if the process dies or stalls."""
    host_port = url.split("/")[2]
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited {process.returncode}\n{_tail(log_path)}")
        conn = http.client.HTTPConnection(host_port, timeout=2)
        try:
            conn.request(method, "/" + url.split("/", 3)[3])
            conn.getresponse().read()
            return
        except OSError:
            time.sleep(0.05)
        finally:
            conn.close()
    stop(process, signal.SIGKILL)
    raise RuntimeError(f"{url}: no answer within {STARTUP_SECONDS} s\n{_tail(log_path)}")


def stop(process: subprocess.Popen[bytes], first: signal.Signals) -> None:
    """Send `first`, then SIGKILL after 10 s; reap the process."""
    if process.poll() is None:
        process.send_signal(first)
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _tail(path: Path) -> str:
    return path.read_text(errors="replace")[-3000:] if path.exists() else ""
