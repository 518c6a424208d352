"""B3: HTTP receive of AS2 messages answered with a signed sync MDN, on loopback, 2 cores.

Our gateway (`b2b serve --workers 2`: connections dealt to the two processes in turn, SQLite,
every message stored before its MDN, INFO logs) and, as the peer, django-pyas2 1.2.3 under
gunicorn with 2 sync workers, each fed the same kind of prebuilt messages: 10 KB of X12, signed
(SHA-256), compressed, encrypted (AES-256, RSA-2048). Every MDN is checked to say `processed`
(ours: fully verified with parse_mdn).
Target (issue 3): >= 700 messages/s; django-pyas2 does ~70. Prints figures, asserts nothing.

    python -m bench.b3_as2_http [--count 2000] [--concurrency 8 16]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from b2b.as2 import Compression, OutboundSecurity
from bench._load import closed_loop, http_request, percentile_ms
from tests.fixtures.demo_as2 import from_demo_partner
from tests.fixtures.ports import free_port

ROOT = Path(__file__).resolve().parents[1]
PAYLOAD = (
    b"ISA*00*          *00*          *ZZ*DEMOAS2        *ZZ*B2BGATEWAY     *261128*1200"
    b"*U*00401*000000001*0*P*>~"
) + b"PO1*1*10*EA*9.95**VP*WIDGET-42~\n" * 330


def build_requests(count: int) -> list[bytes]:
    """Messages from the demo partner to our gateway, as the demo profile demands."""
    settings = OutboundSecurity(compression=Compression.BEFORE_SIGNING)
    requests = []
    for i in range(count):
        message_id = f"b3-{i}-{time.time_ns()}@bench"
        built = from_demo_partner(PAYLOAD[:10_240], message_id, settings=settings)
        requests.append(http_request("/as2", built.headers, built.body))
    return requests


def ours(count: int, concurrency: int, workers: int) -> dict[str, str]:
    tmp = Path(tempfile.mkdtemp(prefix="b2b-b3-"))
    port = free_port()
    env = {
        **os.environ,
        "B2B_DATABASE_URL": f"sqlite:///{tmp / 'b2b.sqlite3'}",
        "B2B_DATA_DIR": str(tmp),
        "B2B_EMBEDDED_WORKER": "false",
        "PYTHONPATH": str(ROOT),
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "b2b",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--workers",
            str(workers),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait(port)
        asyncio.run(closed_loop(port, build_requests(50), concurrency=concurrency))  # warm up
        requests = build_requests(count)
        started = time.perf_counter()
        results = asyncio.run(closed_loop(port, requests, concurrency=concurrency))
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(tmp, ignore_errors=True)
    failed = sum(
        r.status != 200 or b"processed" not in r.body or b"error" in r.body for r in results
    )
    latencies = [r.seconds for r in results]
    return {
        "messages/s": f"{count / elapsed:,.0f}",
        "failed": str(failed),
        "p50": f"{percentile_ms(latencies, 50):.1f} ms",
        "p95": f"{percentile_ms(latencies, 95):.1f} ms",
    }


def _wait(port: int) -> None:
    for _ in range(300):
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit("the gateway did not start")


def peer(count: int, concurrency: int, workers: int) -> dict[str, str]:
    from bench._peers import PeerUnavailable, django_pyas2_http_rate

    try:
        figures = django_pyas2_http_rate(
            payload_size=10_240, count=count, concurrency=concurrency, workers=workers
        )
    except PeerUnavailable as exc:
        return {"messages/s": f"unavailable: {exc}", "failed": "-", "p50": "-", "p95": "-"}
    return {
        "messages/s": f"{figures['rate']:,.0f}",
        "failed": str(figures["failed"]),
        "p50": f"{figures['p50_ms']:.1f} ms",
        "p95": f"{figures['p95_ms']:.1f} ms",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--peer-count", type=int, default=300)
    # 8 leave the two processes ~13% idle between requests; 16 keep both cores busy
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 16])
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    results = {f"b2b, {n} connections": ours(args.count, n, args.workers) for n in args.concurrency}
    results["django-pyas2, 4"] = peer(args.peer_count, 4, args.workers)  # 2 sync workers
    print(
        f"B3 AS2 HTTP receive + signed sync MDN, {os.cpu_count()} cores, {args.workers} server"
        f" workers each, 10 KB sign+compress+encrypt RSA-2048"
    )
    print(f"{'':<12}" + "".join(f"{name:>24}" for name in results))
    for key in next(iter(results.values())):
        print(f"{key:<12}" + "".join(f"{r[key]:>24}" for r in results.values()))
    print("target: >= 700 messages/s (django-pyas2 ~70)")


if __name__ == "__main__":
    main()
