"""The partner's side of a reliability run: what each partner was handed, and how often.

A partner folder (directory transport) or an OpenSSH server of our own that can be stopped and
started (`SftpPartner`, whose log has every open and rename), and for AS2 the demo partner
gateway behind `RecordingProxy`, which keeps the Message-ID and SHA-256 of every POST,
duplicates included (the partner gateway itself keeps each Message-ID once).

    with RecordingProxy(partner_url) as proxy:
        ...
    received = proxy.received(as2_delivered(partner_database_url))
    received.duplicates(), received.differing_duplicates(), received.duplicate_isa13()
"""

from __future__ import annotations

import contextlib
import hashlib
import http.server
import os
import re
import signal
import socket
import subprocess
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

from tests.reliability.harness import ROOT, Ledger, isa13, late_count

# ---------------------------------------------------------------------- the partner's side


@dataclass(frozen=True)
class Received:
    """What one partner holds: each interchange it got, and how often it was handed over."""

    files: dict[str, bytes]  # final name -> bytes
    deliveries: Counter[str]  # final name -> times handed over (a rename, or an AS2 POST)
    variants: dict[str, set[str]]  # final name -> SHA-256 of every copy handed over
    delivered_at: dict[str, int]  # final name -> ctime in ns, for the delivery order
    debris: list[str] = field(default_factory=list)  # temporary files left behind

    def duplicates(self) -> int:
        return sum(n - 1 for n in self.deliveries.values() if n > 1)

    def differing_duplicates(self) -> int:
        """Interchanges handed over more than once with different bytes: must be 0."""
        return sum(len(v) > 1 for v in self.variants.values())

    def duplicate_isa13(self) -> int:
        """ISA13 values used by more than one distinct interchange."""
        numbers = Counter(isa13(data) for data in self.files.values())
        return sum(n - 1 for n in numbers.values() if n > 1)


def folder_received(folder: Path, renames: Counter[str] | None = None) -> Received:
    """A partner folder (directory transport, or the SFTP server's upload folder)."""
    files = {p.name: p.read_bytes() for p in folder.iterdir() if not p.name.endswith(".part")}
    sha = {name: {hashlib.sha256(data).hexdigest()} for name, data in files.items()}
    deliveries = renames if renames is not None else Counter(dict.fromkeys(files, 1))
    return Received(
        files,
        Counter({name: deliveries[name] for name in files}),
        sha,
        {name: (folder / name).stat().st_ctime_ns for name in files},
        sorted(p.name for p in folder.iterdir() if p.name.endswith(".part")),
    )


def delivery_order_violations(ledger: Ledger, received: dict[str, Received]) -> int:
    """Per partner, interchanges that landed (ctime) after one accepted later had landed."""
    total = 0
    for partner_id, found in ledger.by_partner().items():
        landed = received[partner_id].delivered_at
        times = [landed[m.filename] for m in found if m.filename in landed]
        total += late_count(times)
    return total


# ---------------------------------------------------------------------------------- SFTP


@dataclass
class SftpPartner:
    """An OpenSSH sshd of our own on fixed ports, so it can be stopped and started again."""

    root: Path
    ports: tuple[int, int]
    username: str
    client_key: Path
    host_key_line: str
    upload_dir: Path
    log_path: Path
    _process: subprocess.Popen[bytes] | None = None

    @classmethod
    def create(cls, root: Path) -> SftpPartner:
        import getpass

        from tests.fixtures.ports import free_ports
        from tests.fixtures.sshd import _make_keys, _public_line

        root.mkdir(parents=True, exist_ok=True)
        keys = _make_keys(root)
        (root / "authorized_keys").write_text(_public_line(keys["ed25519"]) + "\n")
        ports = free_ports(2)
        upload = root / "upload"
        upload.mkdir()
        return cls(
            root,
            (ports[0], ports[1]),
            getpass.getuser(),
            keys["ed25519"],
            _public_line(keys["host"]),
            upload,
            root / "sshd.log",
        )

    def folder(self, partner_id: str) -> Path:
        path = self.upload_dir / partner_id
        path.mkdir(exist_ok=True)
        return path

    def transport_toml(self, partner_id: str) -> str:
        return f"""kind = "sftp"
host = "127.0.0.1"
port = {self.ports[0]}
username = "{self.username}"
private_key = "{self.client_key}"
host_key = "{self.host_key_line}"
remote_dir = "{self.folder(partner_id)}"
timeout_seconds = 5
"""

    def start(self) -> None:
        from tests.fixtures.sshd import SSHD_CANDIDATES, _binary, _config

        binary = _binary(SSHD_CANDIDATES, "openssh-server")
        config = _config(
            self.root, self.ports, self.root / "host_ed25519", self.root / "authorized_keys"
        )
        if os.geteuid() == 0:
            Path("/run/sshd").mkdir(mode=0o755, parents=True, exist_ok=True)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [binary, "-D", "-e", "-f", config], stdout=log, stderr=subprocess.STDOUT
            )
        _wait_for_port(self.ports[0])

    def stop(self) -> None:
        """Stop the server and cut every open connection (a partner outage)."""
        if self._process is None:
            return
        from tests.fixtures.sshd import _descendants

        serving = _descendants(self._process.pid)
        self._process.terminate()
        self._process.wait(timeout=10)
        for pid in serving:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._process = None

    def renames(self) -> Counter[str]:
        """Final file name -> how many times a file was renamed to it (handed over)."""
        log = self.log_path.read_text(errors="replace")
        return Counter(
            Path(new).name for new in re.findall(r'rename old "[^"]+" new "([^"]+)"', log)
        )

    def opens(self, suffix: str = ".part") -> Counter[str]:
        """Temporary file name -> how many times it was opened (an upload started)."""
        log = self.log_path.read_text(errors="replace")
        return Counter(
            Path(name).name for name in re.findall(r'open "([^"]+)"', log) if name.endswith(suffix)
        )

    def received(self, partner_id: str) -> Received:
        return folder_received(self.folder(partner_id), self.renames())


def _wait_for_port(port: int, timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with (
            contextlib.suppress(OSError),
            socket.create_connection(("127.0.0.1", port), timeout=1) as probe,
        ):
            if probe.recv(64).startswith(b"SSH-2.0-"):
                return
        time.sleep(0.05)
    raise RuntimeError(f"sshd did not answer on port {port}")


# ----------------------------------------------------------------------------------- AS2


@dataclass(frozen=True)
class Post:
    message_id: str
    sha256: str
    status: int


class RecordingProxy:
    """An HTTP proxy in front of the AS2 partner that records every POST it forwards.

        >>> with RecordingProxy(partner_url) as proxy:
        ...     site.add_as2_partner(proxy.url + "/as2")
        >>> proxy.posts   # [Post(message_id, sha256, status), ...], duplicates included

    The partner down answers 502 (a retryable failure for the sender).
    """

    def __init__(self, target: str) -> None:
        self.target = target
        self.posts: list[Post] = []
        self._lock = threading.Lock()
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = [(k, v) for k, v in self.headers.items() if k.lower() not in _HOP]
                try:
                    answer = httpx.post(
                        proxy.target + self.path, content=body, headers=headers, timeout=60
                    )
                    status, reply, content = (
                        answer.status_code,
                        answer.headers.multi_items(),
                        answer.content,
                    )
                except httpx.HTTPError:
                    status, reply, content = 502, [], b"partner unreachable\n"
                message_id = (self.headers.get("Message-ID") or "").strip().strip("<>")
                with proxy._lock:
                    proxy.posts.append(Post(message_id, hashlib.sha256(body).hexdigest(), status))
                self.send_response(status)
                for name, value in reply:
                    if name.lower() not in _HOP:
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self._server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> RecordingProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def received(self, delivered: dict[str, bytes]) -> Received:
        """The partner's view, keyed by AS2 Message-ID: `delivered` maps each processed
        Message-ID to its payload (from the partner gateway's store)."""
        deliveries: Counter[str] = Counter()
        variants: dict[str, set[str]] = defaultdict(set)
        for post in self.posts:
            if post.status == 200:
                deliveries[post.message_id] += 1
                variants[post.message_id].add(post.sha256)
        order = {p.message_id: i for i, p in reversed(list(enumerate(self.posts)))}
        return Received(dict(delivered), deliveries, dict(variants), order)


_HOP = {"host", "content-length", "connection", "transfer-encoding", "keep-alive"}


def as2_delivered(database_url: str) -> dict[str, bytes]:
    """A partner gateway's processed AS2 messages: Message-ID -> payload."""
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn:
            rows = conn.execute(
                text("select as2_message_id, payload from as2_inbound where status = 'processed'")
            ).all()
    finally:
        engine.dispose()
    return {r.as2_message_id: bytes(r.payload) for r in rows}


@contextlib.contextmanager
def as2_partner(root: Path, port: int) -> Iterator[str]:
    """The demo AS2 partner: a second gateway in this process on `port`; yields its /as2 URL.

    Its own worker is off, so it only receives and answers MDNs (no 999s come back to us).
    """
    from b2b.config import load_settings
    from tests.api.conftest import serve

    settings = load_settings(
        database_url=f"sqlite:///{root / 'partner.sqlite3'}",
        data_dir=root / "partner-var",
        partners_dir=ROOT / "examples" / "as2-partner" / "partners",
        maps_dir=ROOT / "maps",
        certs_dir=ROOT / "certs",
        as2_id="B2B-DEMO-PARTNER",
        as2_keys=("demo/demo-partner.pem",),
        embedded_worker=False,
        public_url=f"http://127.0.0.1:{port}",
    )
    running = serve(settings, port)
    gateway = next(running)
    try:
        yield gateway.url + "/as2"
    finally:
        next(running, None)
