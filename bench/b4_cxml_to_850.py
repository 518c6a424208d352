"""B4: cXML OrderRequest → 850 interchange bytes, POs per second on one core, 5-line POs.

The pipeline is the gateway's pure core: `b2b.coupa.parse_order_request` (lxml), then
`map_purchase_order` with maps/850.toml, then `write_interchange`. Each stage is also timed on
its own. As the peer, measured in the same process on the same bytes: pyx12's `X12Reader`
(pyx12.x12file, the reader the project would use as validator) reading the generated interchange
back, beside b2b's own `read_interchanges`. pyx12 has no 850 writer, so no writer is compared.
Target (B4): >= 5,000 POs/s. Prints figures, asserts nothing.

    python bench/b4_cxml_to_850.py [--seconds 3] [--version 004010|005010]
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.metadata
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from b2b.coupa import parse_order_request
from b2b.mapping import MapLibrary, map_purchase_order
from b2b.partners.profile import Envelope, X12Settings
from b2b.x12 import read_interchanges, write_interchange

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "cxml" / "order_request_new.xml"  # the project's 5-line OrderRequest
NOW = dt.datetime(2026, 11, 28, 12, 0)
TARGET = 5_000


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        return f"pinned to CPU {sorted(os.sched_getaffinity(0))[0]}"
    return "not pinned (no sched_setaffinity)"


def rate(run: Callable[[], Any], seconds: float) -> tuple[int, float]:
    """(iterations, elapsed seconds) of calling `run` for about `seconds`."""
    for _ in range(200):
        run()
    count, start = 0, time.perf_counter()
    deadline = start + seconds
    while True:
        for _ in range(100):
            run()
        count += 100
        now = time.perf_counter()
        if now >= deadline:
            return count, now - start


def pyx12_reader() -> tuple[Callable[[bytes], int], str] | str:
    """A function reading an interchange with pyx12, and pyx12's version; or why there is none."""
    try:
        from pyx12.x12file import X12Reader  # type: ignore[import-untyped]
    except ImportError as exc:  # not a dependency of b2b; `pip install pyx12` to compare
        return f"pyx12 is not installed ({exc})"

    def read(data: bytes) -> int:
        reader = X12Reader(io.StringIO(data.decode("ascii")))
        count = sum(1 for _ in reader)
        if reader.pop_errors():
            raise RuntimeError("pyx12 found envelope errors in the generated interchange")
        return count

    return read, importlib.metadata.version("pyx12")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--version", choices=["004010", "005010"], default="004010")
    args = parser.parse_args()
    pinned = pin_to_one_core()

    body = SAMPLE.read_bytes()
    maps = MapLibrary.load(ROOT / "maps")
    envelope = Envelope(sender_id="HARBORVIEW", receiver_id="123456789", receiver_qualifier="01")
    partner = X12Settings(version=args.version, envelope=envelope, uom={"GLL": "GA"})
    order = parse_order_request(body).order
    transaction = map_purchase_order(order, partner, maps)
    data = write_interchange(
        [transaction], envelope, control_number=1, version=args.version, now=NOW
    ).data

    def pipeline() -> bytes:
        tx = map_purchase_order(parse_order_request(body).order, partner, maps)
        return write_interchange(
            [tx], envelope, control_number=1, version=args.version, now=NOW
        ).data

    stages: dict[str, Callable[[], Any]] = {
        "parse cXML (b2b.coupa.parse_order_request)": lambda: parse_order_request(body),
        "map (maps/850.toml)": lambda: map_purchase_order(order, partner, maps),
        "write interchange": lambda: write_interchange(
            [transaction], envelope, control_number=1, version=args.version, now=NOW
        ),
        "b2b read_interchanges (read back)": lambda: read_interchanges(data),
    }

    lines = len(order.lines)
    print(f"B4: cXML -> 850 bytes, {lines}-line POs, X12 {args.version}, one core ({pinned})")
    print(f"    {len(body)} bytes of cXML -> {len(data)} bytes of X12; {args.seconds:.1f} s each")
    count, elapsed = rate(pipeline, args.seconds)
    per_second = count / elapsed
    verdict = "meets" if per_second >= TARGET else "MISSES"
    print(
        f"  end to end: {per_second:,.0f} POs/s ({elapsed / count * 1e6:.1f} us per PO)"
        f" -- {verdict} the target of {TARGET:,} POs/s"
    )
    print("  per stage:")
    for name, run in stages.items():
        count, elapsed = rate(run, args.seconds / 2)
        print(f"    {name:<45} {elapsed / count * 1e6:8.1f} us")

    found = pyx12_reader()
    if isinstance(found, str):
        print(f"  peer: {found}; no peer figure")
        return
    peer, version = found
    peer(data)
    count, elapsed = rate(lambda: peer(data), args.seconds / 2)
    ours, ours_elapsed = rate(lambda: read_interchanges(data), args.seconds / 2)
    print("  peer, same process, same interchange:")
    print(
        f"    {f'pyx12 {version} X12Reader, read back':<45} {elapsed / count * 1e6:8.1f} us"
        f"  ({count / elapsed:,.0f} interchanges/s)"
    )
    print(
        f"    {'b2b read_interchanges, read back':<45} {ours_elapsed / ours * 1e6:8.1f} us"
        f"  ({ours / ours_elapsed:,.0f} interchanges/s)"
    )


if __name__ == "__main__":
    main()
