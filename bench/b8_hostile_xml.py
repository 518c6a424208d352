"""B8: hostile XML (billion laughs, quadratic blowup, XXE, XInclude), time and memory per attack.

Each body of tests/api/test_hostile_xml.py is given to `b2b.xmlsafe.parse_xml` and, as the peer
in the same process on the same bytes, to lxml's default parser (`etree.fromstring(body)`) and
to lxml with `resolve_entities=True` (what an older lxml did by default). For each: the outcome
(refused with the reason, or parsed and how much text came out, and whether /etc/passwd was
read), the median time of `--runs` calls, and the peak resident-set growth of the first call
(VmHWM, reset through /proc/self/clear_refs, Linux only). The issue's figure: refused in
< 50 ms with < 10 MB of memory; over HTTP, tests/api/test_hostile_xml.py prints the times of
the whole request (`pytest -s`). Prints figures, asserts nothing.

    python -m bench.b8_hostile_xml [--runs 50]
"""

from __future__ import annotations

import argparse
import contextlib
import re
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

from b2b.errors import MalformedDocument
from b2b.xmlsafe import parse_xml
from tests.api.test_hostile_xml import HOSTILE, _xxe_http

Parse = Callable[[bytes], Any]
PARSERS: dict[str, Parse] = {
    "b2b.xmlsafe": parse_xml,
    "lxml default": etree.fromstring,
    "lxml resolve_entities": lambda body: etree.fromstring(
        body, etree.XMLParser(resolve_entities=True)
    ),
}


def _peak_kib() -> int:
    match = re.search(r"VmHWM:\s+(\d+) kB", Path("/proc/self/status").read_text())
    return int(match.group(1)) if match else 0


def _reset_peak() -> None:
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")


def outcome(parse: Parse, body: bytes) -> str:
    """What `parse` made of `body`, in a few words."""
    try:
        root = parse(body)
    except (etree.XMLSyntaxError, MalformedDocument) as exc:
        reason = exc.reason if isinstance(exc, MalformedDocument) else str(exc)
        return f"refused: {reason[:60]}"
    text = "".join(root.itertext()) + "".join(root.attrib.values())
    read = " (/etc/passwd READ)" if "root:" in text else ""
    return f"parsed, {len(text)} chars of text{read}"


def measure(parse: Parse, body: bytes, runs: int) -> tuple[str, float, int]:
    """(outcome, median ms, peak growth KiB of the first call)."""
    _reset_peak()
    before = _peak_kib()
    result = outcome(parse, body)
    grown = _peak_kib() - before
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        outcome(parse, body)
        times.append((time.perf_counter() - started) * 1000)
    return result, statistics.median(times), grown


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=50)
    args = parser.parse_args()
    bodies = HOSTILE | _xxe_http("http://127.0.0.1:9")  # discard port: nothing should connect
    print(f"lxml {etree.LXML_VERSION}, libxml2 {etree.LIBXML_VERSION}; median of {args.runs}")
    print(f"{'attack':<20} {'parser':<22} {'ms':>8} {'+KiB':>7}  outcome")
    for name, body in bodies.items():
        for label, parse in PARSERS.items():
            result, ms, grown = measure(parse, body, args.runs)
            print(f"{name:<20} {label:<22} {ms:8.3f} {grown:7d}  {result}")


if __name__ == "__main__":
    main()
