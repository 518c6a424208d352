"""B6: HTTP ingest of cXML OrderRequests to the durable store and the cXML Response.

Starts `b2b serve --workers 2` (SQLite, synchronous=FULL, WAL; embedded worker off so that only
ingest is measured) and, as the peer, a bare FastAPI endpoint served the same way (uvicorn's
protocol, connections dealt to 2 processes: bench/_dealt.py). Measures:
  * throughput: wrk (C, Debian package) with unique payloadIDs, closed loop;
  * latency at a fixed 500 req/s: an open-loop asyncio client on raw sockets, latency counted
    from each request's scheduled time (no coordinated omission).
Targets (issue 2): >= 1,500 req/s; p99 < 25 ms at 500 req/s. Prints figures, asserts nothing.

    python -m bench.b6_http_ingest [--seconds 10] [--workers 2]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from bench._load import http_request, open_loop, percentile_ms

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = (ROOT / "samples" / "cxml" / "order_request_new.xml").read_bytes()
PAYLOAD_ATTR = b'payloadID="'
PREFIX, _, rest = SAMPLE.partition(PAYLOAD_ATTR)
SUFFIX = rest[rest.index(b'"') :]

WRK_SCRIPT = """
counter = 0
local prefix = [==[%s]==]
local suffix = [==[%s]==]
local tag = "%s"
wrk.method = "POST"
wrk.headers["Content-Type"] = "text/xml"
request = function()
  counter = counter + 1
  return wrk.format(nil, "/coupa/cxml", nil, prefix .. tag .. counter .. suffix)
end
"""


def body(tag: str, n: int) -> bytes:
    return PREFIX + PAYLOAD_ATTR + f"{tag}{n}".encode() + SUFFIX


def start(cmd: list[str], env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen(
        cmd, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=1).read()
            return proc
        except OSError:
            time.sleep(0.1)
    proc.kill()
    sys.exit(f"server did not start: {' '.join(cmd)}")


def wrk(port: int, seconds: int, tag: str, connections: int) -> tuple[float, str]:
    if shutil.which("wrk") is None:
        return float("nan"), "wrk not installed (apt-get install wrk)"
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as f:
        prefix = (PREFIX + PAYLOAD_ATTR).decode()
        f.write(WRK_SCRIPT % (prefix, SUFFIX.decode(), tag))
    out = subprocess.run(
        [
            "wrk",
            "-t1",
            f"-c{connections}",
            f"-d{seconds}s",
            "--latency",
            "-s",
            f.name,
            f"http://127.0.0.1:{port}",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    os.unlink(f.name)
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p99 = re.search(r"99%\s+(\S+)", out)
    note = f"p99 {p99.group(1) if p99 else '?'} at saturation"
    if non2xx or errors:
        note += f"; non-2xx {non2xx.group(1) if non2xx else 0}; {errors.group(1) if errors else ''}"
    return rate, note


def requests_for(tag: str, count: int) -> list[bytes]:
    return [
        http_request("/coupa/cxml", (("Content-Type", "text/xml"),), body(tag, i))
        for i in range(count)
    ]


def measure(
    name: str,
    cmd: list[str],
    env: dict[str, str],
    port: int,
    args: argparse.Namespace,
) -> dict[str, str]:
    proc = start(cmd, env, port)
    try:
        wrk(port, 2, f"warm.{name}.", 16)
        rate, note = wrk(port, args.seconds, f"wrk.{name}.", args.connections)
        results = asyncio.run(
            open_loop(port, requests_for(f"ol.{name}.", 500 * args.seconds), rate=500)
        )
        latencies = [r.seconds for r in results]
        failures = sum(r.status != 200 for r in results)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return {
        "req/s (wrk)": f"{rate:,.0f}",
        "saturation": note,
        "p50 @500/s": f"{percentile_ms(latencies, 50):.2f} ms",
        "p99 @500/s": f"{percentile_ms(latencies, 99):.2f} ms",
        "max @500/s": f"{max(latencies) * 1000:.2f} ms",
        "failed @500/s": str(failures),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="b2b-b6-"))
    db = tmp / "b2b.sqlite3"
    env = {
        **os.environ,
        "B2B_DATABASE_URL": f"sqlite:///{db}",
        "B2B_DATA_DIR": str(tmp),
        "B2B_EMBEDDED_WORKER": "false",
        "PYTHONPATH": str(ROOT),
    }
    workers = str(args.workers)
    py = sys.executable
    ours = [
        py,
        "-m",
        "b2b",
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "18461",
        "--workers",
        workers,
    ]
    results = {
        "b2b ingest": measure("b2b", ours, env, 18461, args),
        "peer: bare FastAPI": measure(
            "peer",
            [py, "-m", "bench._dealt", "bench._baseline_app:app", "18462", workers],
            env,
            18462,
            args,
        ),
    }
    with sqlite3.connect(db) as conn:
        stored = conn.execute("select count(*) from documents").fetchone()[0]
    print(
        f"B6 HTTP ingest, {os.cpu_count()} cores, server workers={args.workers}, "
        f"{args.seconds}s per run, {len(SAMPLE)} byte 5-line cXML, SQLite synchronous=FULL"
    )
    keys = list(next(iter(results.values())))
    print(f"{'':<16}" + "".join(f"{name:>34}" for name in results))
    for key in keys:
        print(f"{key:<16}" + "".join(f"{r[key]:>34}" for r in results.values()))
    print(f"documents durably stored by b2b: {stored:,}")
    print("targets: >= 1,500 req/s; p99 < 25 ms at 500 req/s")
    shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
