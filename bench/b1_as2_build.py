"""B1: build AS2 messages (sign + compress + encrypt), messages per second on one core.

A 10 KB X12 850 (the project's sample header plus seeded, varied PO1 lines, so zlib sees
realistic entropy), RSA-2048 keys made at start, SHA-256 PKCS#1 v1.5 signature, zlib before
signing (the default level, 1; level 6 is measured too; ISA-L deflates, Python's zlib is timed
beside it), AES-256-CBC with RSA PKCS#1 v1.5 key
transport, binary transfer encoding, a signed MDN requested. Each stage is also timed on its
own. Target (B1): >= 1,500 builds/s. Prints figures, asserts nothing.

    python -m bench.b1_as2_build [--seconds 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import os
import random
import time
import zlib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from b2b.as2 import (
    Compression,
    LocalIdentity,
    OutboundSecurity,
    PartnerSecurity,
    build_message,
    compressed_data,
    enveloped_data,
    new_self_signed,
    signed_data,
)

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "x12" / "order_request_new.acme.850.x12"
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
TARGET = 1_500
PAYLOAD_SIZE = 10 * 1024


def pin_to_one_core() -> str:
    """Pin to the last allowed CPU (the other benches pin to the first: run side by side,
    they do not share a core)."""
    if hasattr(os, "sched_setaffinity"):
        cpu = max(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def rate(run: Callable[[], Any], seconds: float) -> tuple[int, float]:
    """(iterations, elapsed seconds) of calling `run` for about `seconds`."""
    for _ in range(50):
        run()
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(50):
            run()
        count += 50
        now = time.perf_counter()
        if now >= deadline:
            return count, now - start


def x12_payload(size: int = PAYLOAD_SIZE) -> bytes:
    """About `size` bytes of 850: the sample's header, then seeded PO1/PID lines."""
    head = SAMPLE.read_bytes().split(b"PO1*", 1)[0]
    rng = random.Random(4711)
    lines, n = [head], 0
    while sum(map(len, lines)) < size:
        n += 1
        qty, price = rng.randint(1, 500), rng.randint(100, 999_999) / 100
        part = f"{rng.choice('ABCDEFGHJK')}{rng.randint(10_000, 99_999)}-{rng.randint(10, 99)}"
        lines.append(
            f"PO1*{n}*{qty}*EA*{price:.2f}**VP*{part}*BP*HMG-{rng.randint(100_000, 999_999)}~\n"
            f"PID*F****Item {part} lot {rng.randint(1000, 9999)}~\n".encode()
        )
    return b"".join(lines)[:size]


def peer_figures() -> dict[str, float] | None:
    """pyas2lib, the named peer, measured now in its own venv (it is GPL: never imported here)."""
    from bench._peers import peer_rate, pyas2lib_build_rate

    return peer_rate(pyas2lib_build_rate, "build")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    args = parser.parse_args()
    pinned = pin_to_one_core()

    sender = new_self_signed("BENCH-SENDER", now=NOW)
    receiver = new_self_signed("BENCH-RECEIVER", now=NOW)
    ours = LocalIdentity("BENCH-SENDER", (sender,))
    partner = PartnerSecurity("BENCH-RECEIVER", (receiver.certificate,))
    settings = OutboundSecurity(compression=Compression.BEFORE_SIGNING)
    payload = x12_payload()
    counter = iter(range(1 << 62))

    def build(with_settings: OutboundSecurity = settings) -> bytes:
        return build_message(
            payload,
            settings=with_settings,
            ours=ours,
            partner=partner,
            message_id=f"bench-{next(counter)}@b2b.example",
            filename="po.x12",
            now=NOW,
        ).body

    body = build()
    print(f"B1: AS2 build, sign+compress+encrypt, one core ({pinned})")
    print(
        f"    {len(payload):,} bytes of X12 -> {len(body):,} bytes of AS2 body; RSA-2048, "
        f"SHA-256, zlib level {settings.zlib_level}, AES-256-CBC; {args.seconds:.1f} s each"
    )
    count, elapsed = rate(build, args.seconds)
    per_second = count / elapsed
    verdict = "meets" if per_second >= TARGET else "MISSES"
    print(
        f"  b2b build_message: {per_second:,.0f} builds/s ({elapsed / count * 1e6:.1f} us each)"
        f" -- {verdict} the target of {TARGET:,}/s"
    )
    level6 = dataclasses.replace(settings, zlib_level=6)
    count, elapsed = rate(lambda: build(level6), args.seconds / 2)
    print(
        f"  the same at zlib level 6: {count / elapsed:,.0f} builds/s "
        f"({len(build(level6)):,} bytes of body)"
    )
    digest = hashlib.sha256(payload).digest()
    stages: dict[str, Callable[[], Any]] = {
        f"compress, zlib level {settings.zlib_level} (compressed_data)": lambda: (
            compressed_data.compress(payload, level=settings.zlib_level)
        ),
        f"  the same with Python's zlib (10 KB, level {settings.zlib_level})": lambda: (
            zlib.compress(payload, settings.zlib_level)
        ),
        "RSA-2048 sign (signed_data.sign)": lambda: signed_data.sign(
            digest,
            digest=settings.digest,
            scheme=settings.signature_scheme,
            signer=sender,
        ),
        "AES-256 + RSA encrypt (enveloped_data.encrypt)": lambda: enveloped_data.encrypt(
            payload,
            recipient=receiver.certificate,
            encryption=settings.encryption,
            key_transport=settings.key_transport,
        ),
    }
    print("  per stage:")
    for name, run in stages.items():
        count, elapsed = rate(run, args.seconds / 3)
        print(f"    {name:<48} {elapsed / count * 1e6:8.1f} us")
    peers = peer_figures()
    if peers is None:
        print("  peer: no figure (see above)")
        return
    for name, figure in peers.items():
        print(f"  peer {name}: {figure:,.0f}/s  (b2b: {per_second / figure:.1f}x)")


if __name__ == "__main__":
    main()
