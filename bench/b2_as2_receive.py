"""B2: receive AS2 messages and answer with a signed MDN, messages per second on one core.

Receive = open_message (decrypt AES-256/RSA, verify the SHA-256 signature, decompress, compute
the MIC, check the partner policy) + build_mdn (multipart/report, signed with RSA-2048). The
messages are B1's (10 KB X12, sign+compress+encrypt), built once before timing. Each stage is
also timed on its own. Target (B2): >= 1,000 receives/s. Prints figures, asserts nothing.

    python -m bench.b2_as2_receive [--seconds 3]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from b1_as2_build import NOW, pin_to_one_core, rate, x12_payload

from b2b.as2 import (
    Compression,
    LocalIdentity,
    OutboundSecurity,
    PartnerSecurity,
    ReceivedMessage,
    build_mdn,
    build_message,
    enveloped_data,
    new_self_signed,
    open_message,
)

TARGET = 1_000


def peer_figures() -> dict[str, float] | None:
    """pyas2lib, the named peer, measured now in its own venv (it is GPL: never imported here)."""
    from bench._peers import peer_rate, pyas2lib_receive_rate

    return peer_rate(pyas2lib_receive_rate, "receive + signed MDN")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    args = parser.parse_args()
    pinned = pin_to_one_core()

    sender = new_self_signed("BENCH-SENDER", now=NOW)
    receiver = new_self_signed("BENCH-RECEIVER", now=NOW)
    them = LocalIdentity("BENCH-SENDER", (sender,))
    us = LocalIdentity("BENCH-RECEIVER", (receiver,))
    to_receiver = PartnerSecurity("BENCH-RECEIVER", (receiver.certificate,))
    from_sender = PartnerSecurity("BENCH-SENDER", (sender.certificate,))
    settings = OutboundSecurity(compression=Compression.BEFORE_SIGNING)
    payload = x12_payload()
    built = build_message(
        payload,
        settings=settings,
        ours=them,
        partner=to_receiver,
        message_id="bench-1@b2b.example",
        filename="po.x12",
        now=NOW,
    )
    known = {("BENCH-SENDER", "BENCH-RECEIVER"): (us, from_sender)}

    def receive() -> bytes:
        received = open_message(built.headers, built.body, find_partner=_lookup(known), now=NOW)
        return build_mdn(received, mdn_message_id="mdn-1@b2b.example", ours=us, now=NOW).body

    opened: ReceivedMessage = open_message(
        built.headers, built.body, find_partner=_lookup(known), now=NOW
    )
    if opened.payload != payload or opened.mic != built.mic:
        raise SystemExit("the received message differs from the one built")
    print(f"B2: AS2 receive + signed MDN, one core ({pinned})")
    print(
        f"    {len(built.body):,} bytes of AS2 body -> {len(payload):,} bytes of X12; RSA-2048, "
        f"SHA-256, zlib, AES-256-CBC; {args.seconds:.1f} s each"
    )
    count, elapsed = rate(receive, args.seconds)
    per_second = count / elapsed
    verdict = "meets" if per_second >= TARGET else "MISSES"
    print(
        f"  b2b open_message + build_mdn: {per_second:,.0f} receives/s "
        f"({elapsed / count * 1e6:.1f} us each) -- {verdict} the target of {TARGET:,}/s"
    )
    encrypted = _body_der(built.body)
    stages: dict[str, Callable[[], Any]] = {
        "open_message (decrypt+verify+decompress+MIC)": lambda: open_message(
            built.headers, built.body, find_partner=_lookup(known), now=NOW
        ),
        "  of which enveloped_data.decrypt": lambda: enveloped_data.decrypt(encrypted, us.keys),
        "build_mdn (signed)": lambda: build_mdn(
            opened, mdn_message_id="mdn-1@b2b.example", ours=us, now=NOW
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


def _lookup(
    known: dict[tuple[str, str], tuple[LocalIdentity, PartnerSecurity]],
) -> Callable[[str, str], tuple[LocalIdentity, PartnerSecurity] | None]:
    return lambda as2_from, as2_to: known.get((as2_from, as2_to))


def _body_der(body: bytes) -> bytes:
    return body  # binary transfer encoding: the HTTP body is the DER


if __name__ == "__main__":
    main()
