"""pyas2lib and django-pyas2 measurements for benchmarks B1, B2 and B3; runs in the peer venv.

Prints one JSON object on its last line. Payloads are X12-like bytes of the asked size; messages
are signed (sha256), encrypted (AES-256-CBC) and compressed with the RSA-2048 keys in ./certs.

    python bench_pyas2lib.py build   --size 10240 --seconds 3     # B1, one core
    python bench_pyas2lib.py receive --size 10240 --seconds 3     # B2, one core, signed MDN
    python bench_pyas2lib.py http    --size 10240 --count 200 --concurrency 2   # B3 client
"""

from __future__ import annotations

import argparse
import concurrent.futures
import json
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import pyas2lib  # type: ignore[import-not-found]
from as2client import (  # type: ignore[import-not-found, unused-ignore]
    PEER_URL,
    build_message,
    client_org,
    client_partner,
    parse_sync_mdn,
    peer_org,
    peer_partner,
    post,
    raw_mime,
)

SEGMENTS = b"ST*850*0001~BEG*00*SA*PO1**20240101~PO1*1*10*EA*9.95**BP*ITEM1~\r\n"
POOL = 100  # distinct prebuilt messages that `receive` parses in turn


def payload(size: int) -> bytes:
    """`size` bytes of repeated X12 segments."""
    return (SEGMENTS * (size // len(SEGMENTS) + 1))[:size]


def pin_to_one_core() -> int:
    """Run on the first CPU this process may use; return its number."""
    cpu = min(os.sched_getaffinity(0))
    os.sched_setaffinity(0, {cpu})
    return cpu


def timed(step: Callable[[int], object], seconds: float) -> tuple[int, float]:
    """Call step(0), step(1), ... for about `seconds` after a short warm-up: (count, elapsed)."""
    for i in range(5):
        step(i)
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        step(count)
        count += 1
    return count, time.perf_counter() - start


def wire(msg: Any) -> tuple[dict[str, str], bytes]:
    """What goes on the wire: the HTTP headers and body of a built message or MDN."""
    return dict(msg.headers.items()), msg.content


def bench_build(size: int, seconds: float) -> dict[str, Any]:
    """B1: build (sign+encrypt+compress) and serialise messages on one core."""
    cpu = pin_to_one_core()
    org, partner, data = client_org(), peer_partner(), payload(size)
    count, elapsed = timed(lambda i: wire(build_message(org, partner, data, f"po{i}.x12")), seconds)
    return {"rate": count / elapsed, "count": count, "seconds": elapsed, "cpu": cpu}


def bench_receive(size: int, seconds: float) -> dict[str, Any]:
    """B2: parse+decrypt+verify+decompress, then build and serialise a signed sync MDN."""
    cpu = pin_to_one_core()
    org, partner, data = client_org(), peer_partner(), payload(size)
    pool = [raw_mime(*_items(build_message(org, partner, data, f"po{i}.x12"))) for i in range(POOL)]
    receiver, sender = peer_org(), client_partner()
    failures: list[str] = []

    def receive(i: int) -> None:
        status, (exc, _tb), mdn = pyas2lib.Message().parse(
            pool[i % POOL],
            find_org_cb=lambda _to: receiver,
            find_partner_cb=lambda _from: sender,
            find_message_cb=lambda _mid, _pid: False,
        )
        if status != "processed" or mdn is None or mdn.digest_alg is None:
            failures.append(f"{status}: {exc!r}")
        wire(mdn)

    count, elapsed = timed(receive, seconds)
    if failures:
        raise SystemExit(f"{len(failures)} messages not processed, first: {failures[0]}")
    return {"rate": count / elapsed, "count": count, "seconds": elapsed, "cpu": cpu}


def _items(msg: Any) -> tuple[list[tuple[str, str]], bytes]:
    headers, body = wire(msg)
    return list(headers.items()), body


def bench_http(size: int, count: int, concurrency: int, url: str) -> dict[str, Any]:
    """B3 client: prebuild `count` messages, POST them, then verify every signed sync MDN."""
    org, partner, data = client_org(), peer_partner(), payload(size)
    messages = [build_message(org, partner, data, f"po{i}.x12") for i in range(count)]

    def one(msg: Any) -> tuple[Any, Any, float]:
        start = time.perf_counter()
        answer = post(url, *wire(msg))
        return msg, answer, time.perf_counter() - start

    start = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(concurrency) as pool:
        results = list(pool.map(one, messages))
    elapsed = time.perf_counter() - start
    failed = sum(not _mdn_ok(msg, answer) for msg, answer, _ in results)
    latencies = sorted(latency for _, _, latency in results)
    return {
        "rate": count / elapsed,
        "count": count,
        "seconds": elapsed,
        "concurrency": concurrency,
        "failed": failed,
        "p50_ms": statistics.median(latencies) * 1000,
        "p95_ms": latencies[int(len(latencies) * 0.95)] * 1000,
    }


def _mdn_ok(msg: Any, answer: tuple[int, str, list[tuple[str, str]], bytes]) -> bool:
    status, _reason, headers, body = answer
    if status != 200:
        return False
    mdn_status, _detail, mdn = parse_sync_mdn(msg, headers, body)
    return mdn_status == "processed" and mdn.digest_alg is not None


def main() -> None:
    """Run the asked measurement and print its figures as JSON."""
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", choices=["build", "receive", "http"])
    parser.add_argument("--size", type=int, default=10240)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--url", default=PEER_URL)
    args = parser.parse_args()
    if args.mode == "build":
        figures = bench_build(args.size, args.seconds)
    elif args.mode == "receive":
        figures = bench_receive(args.size, args.seconds)
    else:
        figures = bench_http(args.size, min(args.count, 5000), args.concurrency, args.url)
    figures |= {"payload_bytes": args.size, "pyas2lib": pyas2lib.__version__}
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
