"""B4: cXML OrderRequest → 850 interchange bytes, POs per second on one core, 5-line POs.

The pipeline is the gateway's pure core: `b2b.coupa.parse_order_request` (lxml), then
`map_purchase_order` with maps/850.toml, then `write_interchange`. Each stage is also timed on
its own. As the peer, measured in the same process on the same bytes: pyx12's `X12Reader`
(pyx12.x12file, the reader the project would use as validator) reading the generated interchange
back, beside b2b's own `read_interchanges`. pyx12 has no 850 writer, so no writer is compared.
Target (B4): >= 5,000 POs/s. Prints figures, asserts nothing. Each figure is the best of
`--repeat` windows (other work on the machine only ever slows a window down); run it pinned,
`taskset -c 1 python -m bench.b4_cxml_to_850`. The figures of each change are in the issue notes.

Where the time goes (5-line PO, 7.3 kB of cXML, one core):
- lxml builds the tree in about 50 us and frees it in about 6; b2b.xmlsafe adds its prolog
  scan (about 2 us) and the depth check (one compiled XPath, about 4.5 us). Parser options were
  measured: remove_blank_text=True is the fastest setting, the DOCTYPE costs about 2 us.
- Reading the tree into the canonical documents is the rest of "parse". Each lxml element
  touched costs a proxy object plus a new str for its tag and text, about 0.2 us; the readers
  touch each element once (one pass over each element's children), and build the frozen
  documents through b2b.coupa._build (slots set directly, 3x cheaper than the frozen __init__).
- End to end is slower than the sum of the stages (about 50 us on a 2-vCPU VM). It is not the
  garbage collector: the pipeline allocates and frees in balance, so a collection runs a few
  times per 10,000 POs (printed below), and gc.freeze() or gc.disable() change nothing that can
  be measured. It is the CPU's caches and branch predictors: a stage timed alone runs the same
  small code path on the same objects over and over; the pipeline cycles through all three
  (batching 100 POs per stage closes about 30 us of the gap). glibc's allocator also matters for
  lxml: GLIBC_TUNABLES=glibc.malloc.tcache_count=1000 in the environment saves about 7% end to
  end (libxml2 frees and allocates more same-sized nodes than the default tcache of 7 holds).
- The floor: the bench also times lxml alone with the same options, and lxml plus one visit of
  each element (its tag, text and an attribute, which any reader of the tree pays), and prints
  the rate the pipeline would reach if building the documents cost nothing: that visit plus
  map plus write. Against the target, it says how much any rewrite of the reader could give.

    python -m bench.b4_cxml_to_850 [--seconds 3] [--repeat 5] [--version 004010|005010]
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import importlib.metadata
import io
import os
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from b2b.coupa import parse_order_request
from b2b.mapping import MapLibrary, map_purchase_order
from b2b.partners.profile import Envelope, X12Settings
from b2b.x12 import read_interchanges, write_interchange

ROOT = Path(__file__).resolve().parents[1]
SAMPLE = ROOT / "samples" / "cxml" / "order_request_new.xml"  # the project's 5-line OrderRequest
NOW = dt.datetime(2026, 11, 28, 12, 0)
TARGET = 5_000
# This bench, best of several runs, `taskset -c 1`, X12 004010, the project's 2-vCPU development
# VM shared with other work: (label, parse, map, write, end to end) in us per PO. "before" is
# the code of commit e2289c2 measured by this same bench, in the same session.


def pin_to_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {sorted(os.sched_getaffinity(0))[0]})
        return f"pinned to CPU {sorted(os.sched_getaffinity(0))[0]}"
    return "not pinned (no sched_setaffinity)"


def rate(run: Callable[[], Any], seconds: float, repeat: int = 5) -> tuple[int, float]:
    """(iterations, elapsed seconds) of the fastest of `repeat` windows of `seconds / repeat`."""
    for _ in range(200):
        run()
    return min((_window(run, seconds / repeat) for _ in range(repeat)), key=lambda w: w[1] / w[0])


def _window(run: Callable[[], Any], seconds: float) -> tuple[int, float]:
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


def print_floor(body: bytes, map_and_write: float, args: argparse.Namespace) -> None:
    """What lxml alone costs, and the rate this pipeline could reach if reading cost nothing."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True)

    def visit() -> int:  # each element once, its tag, text and an attribute: what any reader does
        root = etree.fromstring(body, parser)
        return len([(e.tag, e.text, e.get("domain")) for e in root.iter()])

    print("  the floor under parse (lxml, same options, nothing else):")
    floor = 0.0
    for name, run in (
        ("lxml builds the tree", lambda: etree.fromstring(body, parser)),
        ("lxml builds it, each element visited once", visit),
    ):
        count, elapsed = rate(run, args.seconds / 2, args.repeat)
        floor = elapsed / count
        print(f"    {name:<45} {floor * 1e6:8.1f} us")
    print(
        f"  ceiling if building the documents cost nothing (visit + map + write):"
        f" {1 / (floor + map_and_write):,.0f} POs/s"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--repeat", type=int, default=5, help="windows per measurement")
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
    collections = sum(s["collections"] for s in gc.get_stats())
    count, elapsed = rate(pipeline, args.seconds, args.repeat)
    collections = sum(s["collections"] for s in gc.get_stats()) - collections
    per_second = count / elapsed
    verdict = "meets" if per_second >= TARGET else "MISSES"
    print(
        f"  end to end: {per_second:,.0f} POs/s ({elapsed / count * 1e6:.1f} us per PO)"
        f" -- {verdict} the target of {TARGET:,} POs/s"
    )
    print(f"    garbage collections while it ran: {collections}")
    print("  per stage:")
    took = {}
    for name, run in stages.items():
        count, elapsed = rate(run, args.seconds / 2, args.repeat)
        took[name] = elapsed / count
        print(f"    {name:<45} {took[name] * 1e6:8.1f} us")
    print_floor(body, took["map (maps/850.toml)"] + took["write interchange"], args)

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
