"""What the reliability tests and `bench/reliability.py` share: a site of real gateway
processes, and the ledger of what our store says became of every order.

    site = Site.create(tmp, database_url)              # partners/, var/, the environment
    site.add_directory_partner("p01", duns="900000001")
    with gateway_process(site, port) as url:           # `b2b serve`, no embedded worker
        post_orders(url, [order(f"PO-{i}", "900000001") for i in range(10)])
        worker = start_worker(site, failpoint="sftp.before-rename")
        ...
    ledger = Ledger.read(site.database_url)
    assert ledger.lost() == []

What the partners received is `tests/reliability/partners.py`.
"""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
from sqlalchemy import create_engine, text

if TYPE_CHECKING:
    from tests.reliability.partners import SftpPartner

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = (ROOT / "samples" / "cxml" / "order_request_new.xml").read_bytes()
SAMPLE_PO = b"HMG-PO-100482"
SAMPLE_DUNS = b"<Identity>123456789</Identity>"
SAMPLE_PAYLOAD_ID = re.compile(rb'payloadID="[^"]*"')
#: Retries in seconds, not the production half minute: a partner outage lasts seconds here.
FAST_RETRY = "[retry]\nmax_attempts = 100\ninitial_backoff_seconds = 0.2\nmax_backoff_seconds = 1\n"
LEASE_SECONDS = 3  # a killed worker's claim expires after this long


def order(po: str, duns: str) -> bytes:
    """The sample cXML OrderRequest as PO `po` for the supplier identity DUNS:`duns`."""
    body = SAMPLE.replace(SAMPLE_PO, po.encode())
    body = body.replace(SAMPLE_DUNS, f"<Identity>{duns}</Identity>".encode(), 1)
    return SAMPLE_PAYLOAD_ID.sub(
        f'payloadID="{po}.{duns}@reliability.example"'.encode(), body, count=1
    )


# ---------------------------------------------------------------------------------- the site


@dataclass
class Site:
    """One gateway installation: its database, partner profiles and data folder."""

    root: Path
    database_url: str
    partners_dir: Path
    data_dir: Path
    logs: list[Path] = field(default_factory=list)

    @classmethod
    def create(cls, root: Path, database_url: str | None = None) -> Site:
        root.mkdir(parents=True, exist_ok=True)
        (root / "partners").mkdir(exist_ok=True)
        url = database_url or f"sqlite:///{root / 'b2b.sqlite3'}"
        return cls(root, url, root / "partners", root / "var")

    def env(self, **extra: str) -> dict[str, str]:
        """The environment of a `b2b` process of this site (never an inherited failpoint)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("B2B_")}
        env |= {
            "B2B_DATABASE_URL": self.database_url,
            "B2B_PARTNERS_DIR": str(self.partners_dir),
            "B2B_DATA_DIR": str(self.data_dir),
            "B2B_MAPS_DIR": str(ROOT / "maps"),
            "B2B_CERTS_DIR": str(ROOT / "certs"),
            "B2B_WORKER_POLL_SECONDS": "0.1",
            "B2B_LEASE_SECONDS": str(LEASE_SECONDS),
        }
        return env | extra

    def outbox(self, partner_id: str) -> Path:
        return self.data_dir / "outbox" / partner_id

    def add_directory_partner(self, partner_id: str, *, duns: str) -> None:
        self._profile(
            partner_id,
            duns,
            f'kind = "directory"\ncreate = true\npath = "{self.outbox(partner_id)}"\n',
        )

    def add_sftp_partner(self, partner_id: str, *, duns: str, sshd: SftpPartner) -> None:
        self._profile(partner_id, duns, sshd.transport_toml(partner_id))

    def add_as2_partner(self, url: str) -> None:
        """The demo AS2 partner (DUNS 777777777) at `url`."""
        profile = (ROOT / "partners" / "demo-as2.toml").read_text()
        profile = profile.replace("http://127.0.0.1:8081/as2", url)
        (self.partners_dir / "demo-as2.toml").write_text(profile + "\n" + FAST_RETRY)

    def _profile(self, partner_id: str, duns: str, transport: str) -> None:
        (self.partners_dir / f"{partner_id}.toml").write_text(f"""
id = "{partner_id}"
name = "Partner {partner_id}"
[coupa]
identities = ["DUNS:{duns}"]
[x12.envelope]
sender_id = "B2BGATEWAY"
receiver_qualifier = "01"
receiver_id = "{duns}"
[transport]
{transport}
{FAST_RETRY}
""")


# ------------------------------------------------------------------------------ processes


def start_process(site: Site, args: list[str], name: str, **env: str) -> subprocess.Popen[bytes]:
    """`python -m b2b ARGS` for `site`, its output appended to `<root>/<name>.log`."""
    log_path = site.root / f"{name}.log"
    site.logs.append(log_path)
    with log_path.open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "b2b", *args],
            cwd=ROOT,
            env=site.env(**env),
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def start_worker(
    site: Site, *, name: str = "worker", failpoint: str | None = None
) -> subprocess.Popen[bytes]:
    """A `b2b worker` process; with `failpoint`, it SIGKILLs itself at that step."""
    extra = {"B2B_FAILPOINT": failpoint} if failpoint else {}
    return start_process(site, ["worker"], name, **extra)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM, wait; the exit status (negative: killed by that signal)."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@contextlib.contextmanager
def gateway_process(
    site: Site, port: int, *, name: str = "serve", embedded_worker: bool = False
) -> Iterator[str]:
    """`b2b serve` on `port` until the block ends; yields its URL."""
    process = start_process(
        site,
        ["serve", "--port", str(port)],
        name,
        B2B_EMBEDDED_WORKER=str(embedded_worker).lower(),
        B2B_PUBLIC_URL=f"http://127.0.0.1:{port}",
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(url + "/health", process)
        yield url
    finally:
        stop(process)


def wait_for_http(url: str, process: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(url, timeout=2).status_code == 200:
                return
        time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


def post_orders(url: str, bodies: Iterable[bytes], *, concurrency: int = 8) -> list[httpx.Response]:
    """POST each body to /coupa/cxml, `concurrency` at a time; the responses in order."""
    with httpx.Client(base_url=url, timeout=60) as client:

        def post(body: bytes) -> httpx.Response:
            return client.post("/coupa/cxml", content=body, headers={"Content-Type": "text/xml"})

        with ThreadPoolExecutor(concurrency) as pool:
            return list(pool.map(post, bodies))


def wait_until(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting until {what}")
        time.sleep(0.1)


def logged(site: Site, needle: str) -> list[str]:
    """Lines of this site's process logs that contain `needle`."""
    return [
        line
        for path in site.logs
        if path.exists()
        for line in path.read_text(errors="replace").splitlines()
        if needle in line
    ]


# ------------------------------------------------------------------------------- the ledger


@dataclass(frozen=True)
class Message:
    id: int
    partner_id: str
    po_number: str
    state: str
    isa13: int | None
    filename: str | None
    payload: bytes | None
    receipt: str | None
    as2_message_id: str | None
    sent_events: int
    retries: int


@dataclass(frozen=True)
class Ledger:
    """Our side: every 850 we queued, as the store has it."""

    messages: tuple[Message, ...]

    @classmethod
    def read(cls, database_url: str) -> Ledger:
        engine = create_engine(database_url)
        try:
            with engine.connect() as conn:
                events = _event_counts(conn.execute(text(EVENTS)).all())
                rows = conn.execute(text(MESSAGES)).all()
        finally:
            engine.dispose()
        return cls(
            tuple(
                Message(
                    id=r.id,
                    partner_id=r.partner_id,
                    po_number=r.po_number,
                    state=r.state,
                    isa13=r.interchange_control_number,
                    filename=r.filename,
                    payload=None if r.payload is None else bytes(r.payload),
                    receipt=r.receipt,
                    as2_message_id=r.as2_message_id,
                    sent_events=events[r.id]["sent"],
                    retries=events[r.id]["retry"],
                )
                for r in rows
            )
        )

    def count(self, state: str) -> int:
        return sum(m.state == state for m in self.messages)

    def lost(self) -> list[Message]:
        """Messages that did not end sent."""
        return [m for m in self.messages if m.state != "sent"]

    def double_recorded(self) -> list[Message]:
        """Messages recorded as sent more than once."""
        return [m for m in self.messages if m.sent_events > 1]

    def by_partner(self) -> dict[str, list[Message]]:
        """Each partner's messages in acceptance order (the order the API stored them)."""
        found: dict[str, list[Message]] = defaultdict(list)
        for message in sorted(self.messages, key=lambda m: m.id):
            found[message.partner_id].append(message)
        return dict(found)

    def isa13_out_of_order(self) -> int:
        """Messages numbered (ISA13) below a message of the same partner accepted before them."""
        return sum(
            late_count([m.isa13 or 0 for m in found]) for found in self.by_partner().values()
        )


MESSAGES = """
select m.id, m.partner_id, m.po_number, m.state, m.interchange_control_number, m.filename,
       m.payload, m.receipt, o.as2_message_id
from messages m left join as2_outbound o on o.message_id = m.id
where m.destination = 'partner' and m.transaction_set in ('850', '860')
order by m.id
"""
EVENTS = "select message_id, state, count(*) as n from message_events group by message_id, state"


def _event_counts(rows: Iterable[tuple[int, str, int]]) -> dict[int, Counter[str]]:
    counts: dict[int, Counter[str]] = defaultdict(Counter)
    for message_id, state, n in rows:
        counts[message_id][state] = n
    return counts


def late_count(sequence: list[int]) -> int:
    """How many items come after a larger one: delivered after something accepted later."""
    late, highest = 0, None
    for value in sequence:
        if highest is not None and value < highest:
            late += 1
        highest = value if highest is None else max(highest, value)
    return late


def isa13(interchange: bytes) -> int:
    """ISA13 of an X12 interchange (the element separator is the fourth byte)."""
    return int(interchange[:106].split(interchange[3:4])[13])


@contextlib.contextmanager
def api_in_process(site: Site, port: int) -> Iterator[str]:
    """Our gateway's HTTP API in this process (no embedded worker); yields its URL."""
    from b2b.config import load_settings
    from tests.api.conftest import serve

    settings = load_settings(
        database_url=site.database_url,
        partners_dir=site.partners_dir,
        data_dir=site.data_dir,
        maps_dir=ROOT / "maps",
        certs_dir=ROOT / "certs",
        embedded_worker=False,
        public_url=f"http://127.0.0.1:{port}",
    )
    running = serve(settings, port)
    gateway = next(running)
    try:
        yield gateway.url
    finally:
        next(running, None)
