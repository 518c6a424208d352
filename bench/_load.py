"""A light HTTP/1.1 load client on raw asyncio sockets, for benchmarks on this 2-core machine.

It costs far less CPU per request than httpx, so the server keeps the cores. Requests are
prebuilt bytes; connections are kept alive and shared.

    requests = [http_request("/as2", headers, body) for ...]
    results = asyncio.run(closed_loop(port, requests, concurrency=8))
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass

_LENGTH = re.compile(rb"(?i)\r\ncontent-length:\s*(\d+)")


@dataclass(frozen=True)
class Result:
    status: int
    body: bytes
    seconds: float  # from the scheduled (open loop) or actual (closed loop) start


def http_request(path: str, headers: Iterable[tuple[str, str]], body: bytes) -> bytes:
    """A POST request's bytes."""
    head = "".join(f"{name}: {value}\r\n" for name, value in headers)
    return (
        f"POST {path} HTTP/1.1\r\nHost: bench\r\n{head}Content-Length: {len(body)}\r\n\r\n".encode(
            "latin-1"
        )
        + body
    )


async def _exchange(
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
) -> tuple[int, bytes]:
    reader, writer = conn
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    found = _LENGTH.search(head)
    body = await reader.readexactly(int(found.group(1))) if found else b""
    return int(head.split(b" ", 2)[1]), body


async def _pool(
    port: int, size: int
) -> asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    pool: asyncio.Queue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = asyncio.Queue()
    for _ in range(size):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port, limit=1 << 24))
    return pool


async def closed_loop(port: int, requests: list[bytes], *, concurrency: int) -> list[Result]:
    """Send every request, `concurrency` at a time, as fast as the server answers."""
    pool = await _pool(port, concurrency)
    results: list[Result] = []

    async def one(request: bytes) -> None:
        conn = await pool.get()
        started = time.perf_counter()
        try:
            status, body = await _exchange(conn, request)
        finally:
            pool.put_nowait(conn)
        results.append(Result(status, body, time.perf_counter() - started))

    await asyncio.gather(*(one(r) for r in requests))
    return results


async def open_loop(
    port: int, requests: list[bytes], *, rate: float, connections: int = 64
) -> list[Result]:
    """Send request i at start + i/rate; latency counts from that schedule (no omission)."""
    pool = await _pool(port, connections)
    results: list[Result] = []

    async def fire(request: bytes, due: float) -> None:
        conn = await pool.get()
        try:
            status, body = await _exchange(conn, request)
        finally:
            pool.put_nowait(conn)
        results.append(Result(status, body, time.perf_counter() - due))

    start = time.perf_counter()
    tasks = []
    for i, request in enumerate(requests):
        due = start + i / rate
        delay = due - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        tasks.append(asyncio.create_task(fire(request, due)))
    await asyncio.gather(*tasks)
    return results


def percentile_ms(values: list[float], q: float) -> float:
    """The q-th percentile (0-100) of seconds, in milliseconds."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q / 100))] * 1000
