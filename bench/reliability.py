"""Reliability run (issue 6, "nothing lost, nothing sent twice"): four scenarios, their figures.

1. A `b2b worker` SIGKILLed at each step of a send (B2B_FAILPOINT, see b2b/failpoints.py), then a
   fresh worker: lost, duplicates at the partner (same bytes / different bytes).
2. An SFTP and an AS2 partner down for a while, then up: retries, delivered, lost.
3. PostgreSQL: `b2b serve` (B2B_EMBEDDED_WORKER=false) and two `b2b worker` processes, 20
   generated partners (directory transports), N orders posted concurrently: double sends,
   order violations (per partner, delivered out of acceptance order), duplicate ISA13, orders/s.
4. SQLite: two `b2b serve` processes (embedded workers) and a `b2b worker` on one file, orders
   posted concurrently to both: 5xx answers and "database is locked" anywhere.

Prints figures, asserts nothing (tests/reliability/ asserts, on smaller runs).

    python -m bench.reliability [--orders 10000] [--sqlite-orders 1000] [--only 3]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from tests.fixtures.ports import free_port
from tests.fixtures.postgres import Postgres, _as_owner, _binary, _wait, create_database
from tests.reliability.fleet import run_fleet
from tests.reliability.harness import Site
from tests.reliability.partners import SftpPartner
from tests.reliability.scenarios import CRASH_CASES, crash_and_recover, partner_down_and_up


def crashes(root: Path, sftp: SftpPartner) -> None:
    print("1. worker SIGKILLed at each step, then restarted (3 orders each)")
    print(
        f"   {'failpoint':<28} {'transport':<10} killed  sent  lost  dup same  dup diff  dup ISA13"
    )
    for i, (failpoint, transport, _) in enumerate(CRASH_CASES):
        run = crash_and_recover(root / f"crash{i}", failpoint, transport, sftp=sftp)
        got = run.received
        print(
            f"   {failpoint:<28} {transport:<10} {run.crashed_status == -9!s:<7} "
            f"{run.ledger.count('sent'):>4}  {len(run.ledger.lost()):>4}  "
            f"{got.duplicates():>8}  {got.differing_duplicates():>8}  {got.duplicate_isa13():>9}"
        )


def outage(root: Path, sftp: SftpPartner) -> None:
    print("2. SFTP and AS2 partner down, then up (2 orders each before, 4 each during)")
    started = time.monotonic()
    run = partner_down_and_up(root / "outage", sftp=sftp)
    delivered = len(run.sftp.files) + len(run.as2.files)
    duplicates = run.sftp.duplicates() + run.as2.duplicates()
    print(
        f"   orders {len(run.ledger.messages)}, delivered {delivered}, "
        f"lost {len(run.ledger.lost())}, duplicates {duplicates}, "
        f"failed attempts during the outage {run.retried}, "
        f"{time.monotonic() - started:.1f} s in all"
    )


def fleet(title: str, site: Site, **kwargs: int | bool) -> None:
    print(title)
    run = run_fleet(site, **kwargs)  # type: ignore[arg-type]
    for name, value in run.figures().items():
        print(f"   {name:<30} {value}")


@contextlib.contextmanager
def temporary_postgres() -> Iterator[Postgres]:
    """The tests' throwaway cluster (tests/fixtures/postgres.py), outside pytest."""
    initdb, pg_ctl = _binary("initdb"), _binary("pg_ctl")
    if initdb is None or pg_ctl is None:
        raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    base = Path(tempfile.mkdtemp(prefix="b2b-bench-pg-"))
    if os.geteuid() == 0:
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()
    subprocess.run(
        _as_owner([initdb, "-D", str(data), "-U", "b2b", "-A", "trust", "--no-sync"]),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c max_connections=200"
    subprocess.run(
        _as_owner([pg_ctl, "-D", str(data), "-o", options, "-l", str(base / "log"), "-w", "start"]),
        check=True,
        capture_output=True,
    )
    try:
        _wait(port)
        yield Postgres(port, f"postgresql+psycopg://b2b@127.0.0.1:{port}/postgres")
    finally:
        stopping = [pg_ctl, "-D", str(data), "-m", "fast", "stop"]
        subprocess.run(_as_owner(stopping), check=False, capture_output=True)
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=10_000, help="scenario 3 (PostgreSQL)")
    parser.add_argument("--partners", type=int, default=20, help="scenario 3")
    parser.add_argument("--sqlite-orders", type=int, default=1_000, help="scenario 4")
    parser.add_argument("--only", type=int, choices=(1, 2, 3, 4), action="append")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)  # the in-process gateways' start-up warnings
    chosen = set(args.only or (1, 2, 3, 4))
    root = Path(tempfile.mkdtemp(prefix="b2b-reliability-"))
    print(f"b2b reliability run in {root} ({os.cpu_count()} CPUs)")
    try:
        if chosen & {1, 2}:
            sftp = SftpPartner.create(root / "sftp-partner")
            sftp.start()
            try:
                if 1 in chosen:
                    crashes(root, sftp)
                if 2 in chosen:
                    outage(root, sftp)
            finally:
                sftp.stop()
        if 3 in chosen:
            with temporary_postgres() as pg:
                site = Site.create(root / "pg", create_database(pg, "reliability"))
                title = (
                    f"3. PostgreSQL: b2b serve + 2 b2b workers, {args.partners} partners, "
                    f"{args.orders} orders"
                )
                fleet(title, site, orders=args.orders, partners=args.partners, workers=2)
        if 4 in chosen:
            title = (
                "4. SQLite: 2 b2b serve (embedded workers) + 1 b2b worker, "
                f"{args.sqlite_orders} orders"
            )
            site = Site.create(root / "sqlite")
            fleet(
                title,
                site,
                orders=args.sqlite_orders,
                partners=5,
                serves=2,
                workers=1,
                embedded_worker=True,
            )
    except BaseException:
        print(f"kept {root} for the logs")
        raise
    shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
