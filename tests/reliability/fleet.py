"""Many orders through several gateway processes on one store, and what came of them.

    run = run_fleet(site, orders=400, partners=20, serves=1, workers=2)
    run.figures()   # {"lost": 0, "double sends": 0, "order violations": 0, ...}

Partners are generated with directory transports (their folders are the partners' view);
orders are spread over them round robin and posted concurrently, spread over the `serves`
`b2b serve` processes (their embedded workers on when `embedded_worker`), while `workers`
`b2b worker` processes send.
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import create_engine, text

from tests.fixtures.ports import free_ports
from tests.reliability.harness import (
    Ledger,
    Site,
    gateway_process,
    logged,
    order,
    post_orders,
    start_worker,
    stop,
)
from tests.reliability.partners import (
    Received,
    delivery_order_violations,
    folder_received,
)

LOCKED = "database is locked"


@dataclass(frozen=True)
class FleetRun:
    ledger: Ledger
    received: dict[str, Received]
    statuses: Counter[int]  # HTTP status -> how many answers
    locked: list[str]  # log lines saying "database is locked", from every process
    post_seconds: float  # posting every order
    total_seconds: float  # from the first post until every order was sent

    def double_sends(self) -> int:
        """Interchanges handed to a partner more than once, or recorded sent more than once."""
        handed = sum(r.duplicates() for r in self.received.values())
        return handed + len(self.ledger.double_recorded())

    def figures(self) -> dict[str, object]:
        orders = len(self.ledger.messages)
        return {
            "orders": orders,
            "answered 200": self.statuses[200],
            "answered 5xx": sum(n for s, n in self.statuses.items() if s >= 500),
            "delivered": sum(len(r.files) for r in self.received.values()),
            "lost": len(self.ledger.lost()),
            "double sends": self.double_sends(),
            "duplicates, same bytes": sum(r.duplicates() for r in self.received.values()),
            "duplicates, different bytes": sum(
                r.differing_duplicates() for r in self.received.values()
            ),
            "order violations (delivery)": delivery_order_violations(self.ledger, self.received),
            "order violations (ISA13)": self.ledger.isa13_out_of_order(),
            "duplicate ISA13": sum(r.duplicate_isa13() for r in self.received.values()),
            "'database is locked' logged": len(self.locked),
            "ingest orders/s": f"{orders / self.post_seconds:,.0f}",
            "end-to-end orders/s": f"{orders / self.total_seconds:,.0f}",
        }


def partner_ids(partners: int) -> list[tuple[str, str]]:
    """(partner id, DUNS) of each generated partner."""
    return [(f"p{i:02d}", f"9100000{i:02d}") for i in range(partners)]


def run_fleet(
    site: Site,
    *,
    orders: int,
    partners: int,
    serves: int = 1,
    workers: int = 2,
    embedded_worker: bool = False,
    concurrency: int = 16,
    timeout: float = 600,
) -> FleetRun:
    """Post `orders` orders, wait until all are sent (or `timeout`), and count."""
    ids = partner_ids(partners)
    for partner_id, duns in ids:
        site.add_directory_partner(partner_id, duns=duns)
    bodies = [order(f"PO-{n:06d}", ids[n % partners][1]) for n in range(orders)]
    with contextlib.ExitStack() as stack:
        urls = [
            stack.enter_context(
                gateway_process(site, port, name=f"serve-{i}", embedded_worker=embedded_worker)
            )
            for i, port in enumerate(free_ports(serves))
        ]
        for i in range(workers):
            stack.callback(stop, start_worker(site, name=f"worker-{i}"))
        started = time.monotonic()
        answers = post_orders_spread(urls, bodies, concurrency)
        posted = time.monotonic()
        _wait_all_sent(site.database_url, orders, timeout)
        finished = time.monotonic()
    return FleetRun(
        Ledger.read(site.database_url),
        {p: folder_received(site.outbox(p)) for p, _ in ids},
        Counter(answers),
        logged(site, LOCKED),
        posted - started,
        finished - started,
    )


def post_orders_spread(urls: list[str], bodies: list[bytes], concurrency: int) -> list[int]:
    """Post every body, alternating between `urls` (concurrently); the HTTP statuses."""
    from concurrent.futures import ThreadPoolExecutor

    shares = [bodies[i :: len(urls)] for i in range(len(urls))]
    per_url = max(1, concurrency // len(urls))
    with ThreadPoolExecutor(len(urls)) as pool:
        results = pool.map(
            lambda pair: post_orders(*pair, concurrency=per_url), zip(urls, shares, strict=True)
        )
        return [answer.status_code for found in results for answer in found]


def _wait_all_sent(database_url: str, orders: int, timeout: float) -> None:
    engine = create_engine(database_url)
    query = text("select count(*) from messages where state in ('sent', 'failed', 'dead')")
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            with engine.connect() as conn:
                if conn.execute(query).scalar_one() >= orders:
                    return
            time.sleep(0.2)
    finally:
        engine.dispose()
