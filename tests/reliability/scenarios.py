"""The two scenarios with one partner at a time, as functions the tests and the bench share.

run = crash_and_recover(tmp, "sftp.before-rename", "sftp", sftp=partner)
run.ledger.lost(), run.received.duplicates(), run.before   # what the crash left

run = partner_down_and_up(tmp, sftp=partner)
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.fixtures.ports import free_port
from tests.reliability.harness import (
    Ledger,
    Site,
    api_in_process,
    order,
    post_orders,
    start_worker,
    stop,
    wait_until,
)
from tests.reliability.partners import (
    Received,
    RecordingProxy,
    SftpPartner,
    as2_delivered,
    as2_partner,
    folder_received,
)

AS2_DUNS = "777777777"  # partners/demo-as2.toml
OTHER_DUNS = "900000001"

# (failpoint, transport, duplicates the partner is handed: the crashed send, when it arrived)
CRASH_CASES = [
    ("directory.before-write", "directory", 0),
    ("outbound.before-record-sent", "directory", 0),  # the resend finds the file: not written
    ("sftp.before-upload", "sftp", 0),
    ("sftp.during-upload", "sftp", 0),
    ("sftp.before-rename", "sftp", 0),
    ("outbound.before-record-sent", "sftp", 0),
    ("as2.before-post", "as2", 0),
    ("as2.after-post", "as2", 1),  # posted twice; the partner answers the second from its store
    ("outbound.before-record-sent", "as2", 1),
]


@dataclass(frozen=True)
class CrashRun:
    crashed_status: int | None  # the killed worker's exit status: -9
    crashed_log: str
    before: Received  # the partner's side right after the crash
    received: Received  # ... once a fresh worker has finished
    ledger: Ledger
    answers: list[int]


def crash_and_recover(
    root: Path,
    failpoint: str,
    transport: str,
    *,
    sftp: SftpPartner | None,
    orders: int = 3,
    database_url: str | None = None,
) -> CrashRun:
    """Queue `orders` orders, run a worker that SIGKILLs itself at `failpoint`, then a fresh one
    until every order is sent (or two minutes pass). SQLite unless `database_url` says."""
    site = Site.create(root / "ours", database_url)
    with contextlib.ExitStack() as stack:
        received, duns = _partner(site, failpoint, transport, root, sftp, stack)
        api = stack.enter_context(api_in_process(site, free_port()))
        answers = post_orders(api, [order(f"PO-{i}", duns) for i in range(orders)])

        crashed = start_worker(site, name="crashed", failpoint=failpoint)
        crashed.wait(timeout=120)
        before = received()

        worker = stack.enter_context(_running(site))
        wait_until(lambda: not Ledger.read(site.database_url).lost(), "every order is sent")
        assert stop(worker) == 0, (site.root / "worker.log").read_text()
        return CrashRun(
            crashed.returncode,
            (site.root / "crashed.log").read_text(),
            before,
            received(),
            Ledger.read(site.database_url),
            [a.status_code for a in answers],
        )


def _partner(
    site: Site,
    failpoint: str,
    transport: str,
    root: Path,
    sftp: SftpPartner | None,
    stack: contextlib.ExitStack,
) -> tuple[Callable[[], Received], str]:
    """Set up the partner for `transport`: how to read what it received, and its DUNS."""
    partner_id = f"p-{failpoint.replace('.', '-')}-{transport}"
    if transport == "directory":
        site.add_directory_partner(partner_id, duns=OTHER_DUNS)
        return lambda: folder_received(site.outbox(partner_id)), OTHER_DUNS
    if transport == "sftp":
        assert sftp is not None
        site.add_sftp_partner(partner_id, duns=OTHER_DUNS, sshd=sftp)
        return lambda: sftp.received(partner_id), OTHER_DUNS
    url = stack.enter_context(as2_partner(root / "as2-partner", free_port()))
    proxy = stack.enter_context(RecordingProxy(url.removesuffix("/as2")))
    site.add_as2_partner(proxy.url + "/as2")
    partner_db = f"sqlite:///{root / 'as2-partner' / 'partner.sqlite3'}"
    return lambda: proxy.received(as2_delivered(partner_db)), AS2_DUNS


@contextlib.contextmanager
def _running(site: Site) -> Iterator[subprocess.Popen[bytes]]:
    worker = start_worker(site)
    try:
        yield worker
    finally:
        stop(worker)


# ------------------------------------------------------------------------------- outage

SFTP_PARTNER = "outage-sftp"
SFTP_DUNS = "900000002"


@dataclass(frozen=True)
class OutageRun:
    ledger: Ledger
    sftp: Received
    as2: Received
    retried: dict[str, int]  # partner -> failed attempts during the outage
    answers: list[int]


def partner_down_and_up(
    root: Path,
    *,
    sftp: SftpPartner,
    before: int = 2,
    during: int = 4,
    database_url: str | None = None,
) -> OutageRun:
    """Send `before` orders to an SFTP and an AS2 partner; stop both; queue `during` more each;
    once both have been retried twice, start them again and wait until everything is sent."""
    site = Site.create(root / "ours", database_url)
    site.add_sftp_partner(SFTP_PARTNER, duns=SFTP_DUNS, sshd=sftp)
    as2_port, as2_root = free_port(), root / "as2-partner"
    with contextlib.ExitStack() as stack:
        as2_up = contextlib.ExitStack()
        url = as2_up.enter_context(as2_partner(as2_root, as2_port))
        proxy = stack.enter_context(RecordingProxy(url.removesuffix("/as2")))
        site.add_as2_partner(proxy.url + "/as2")
        api = stack.enter_context(api_in_process(site, free_port()))
        worker = stack.enter_context(_running(site))

        answers = _post(api, "UP", before)
        wait_until(lambda: _sent(site) == 2 * before, "the first orders are sent")
        sftp.stop()  # the outage: connections cut, nothing listens
        as2_up.close()
        answers += _post(api, "DOWN", during)
        wait_until(lambda: len(_retried(site)) == 2, "both partners are being retried")
        sftp.start()
        stack.enter_context(as2_partner(as2_root, as2_port))
        wait_until(lambda: _sent(site) == 2 * (before + during), "everything is delivered")
        assert stop(worker) == 0, (site.root / "worker.log").read_text()
        ledger = Ledger.read(site.database_url)
        return OutageRun(
            ledger,
            sftp.received(SFTP_PARTNER),
            proxy.received(as2_delivered(f"sqlite:///{as2_root / 'partner.sqlite3'}")),
            {
                p: sum(m.retries for m in ledger.messages if m.partner_id == p)
                for p in _retried(site)
            },
            answers,
        )


def _post(api: str, tag: str, count: int) -> list[int]:
    bodies = [order(f"{tag}-{i}", duns) for i in range(count) for duns in (SFTP_DUNS, AS2_DUNS)]
    return [a.status_code for a in post_orders(api, bodies)]


def _sent(site: Site) -> int:
    return Ledger.read(site.database_url).count("sent")


def _retried(site: Site) -> set[str]:
    """Partners with a message tried at least three times (two retries) in vain."""
    return {m.partner_id for m in Ledger.read(site.database_url).messages if m.retries >= 2}
