"""Send one signed, encrypted, compressed AS2 message to the django-pyas2 peer with pyas2lib.

With a synchronous MDN it verifies the peer's signed MDN and ends with `RESULT: OK` when the MDN
says processed, is signed and names our Message-ID. With --async-mdn URL the peer answers 200
and keeps the MDN until `manage.py manageas2server --async-mdns` posts it to URL (receiver.py).

usage: python send_to_peer.py [payload_file] [--url URL] [--async-mdn RETURN_URL]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import pyas2lib  # type: ignore[import-not-found]
from as2client import (  # type: ignore[import-not-found, unused-ignore]
    PEER_URL,
    build_message,
    client_org,
    parse_sync_mdn,
    peer_partner,
    post,
    remember_sent,
)

SAMPLE_850 = (
    b"ISA*00*          *00*          *ZZ*PYAS2LIB_CLIENT*ZZ*DJANGO_PEER    *240101*1200*U*00401"
    b"*000000001*0*T*:~GS*PO*SENDER*RECEIVER*20240101*1200*1*X*004010~ST*850*0001~"
    b"BEG*00*SA*PO1**20240101~PO1*1*10*EA*9.95**BP*ITEM1~CTT*1~SE*5*0001~GE*1*1~IEA*1*000000001~\n"
)


def main() -> int:
    """Send, then check the answer; the exit status is 0 on success."""
    parser = argparse.ArgumentParser()
    parser.add_argument("payload", nargs="?")
    parser.add_argument("--url", default=PEER_URL)
    parser.add_argument("--async-mdn", metavar="RETURN_URL", help="ask for an ASYNC signed MDN")
    args = parser.parse_args()
    payload = Path(args.payload).read_bytes() if args.payload else SAMPLE_850
    if args.async_mdn:
        org, partner = client_org(mdn_url=args.async_mdn), peer_partner(mdn_mode="ASYNC")
    else:
        org, partner = client_org(), peer_partner()
    start = time.perf_counter()
    msg = build_message(org, partner, payload)
    print(
        f"pyas2lib {pyas2lib.__version__}: built message-id={msg.message_id} "
        f"signed={msg.signed} encrypted={msg.encrypted} compressed={msg.compressed} "
        f"mic={msg.mic.decode()}"
    )
    status, reason, headers, body = post(args.url, msg.headers, msg.content)
    content_type = {k.lower(): v for k, v in headers}.get("content-type")
    print(f"HTTP {status} {reason}; content-type={content_type}")
    if args.async_mdn:
        remember_sent(msg)
        print(f"ASYNC MDN requested to {args.async_mdn}; response body: {body[:80]!r}")
        print("RESULT:", "OK" if status == 200 else "FAILED")
        return 0 if status == 200 else 1
    mdn_status, detail, mdn = parse_sync_mdn(msg, headers, body)
    print(
        f"MDN status={mdn_status!r} detail={detail!r} signed_with={mdn.digest_alg!r} "
        f"mdn-id={mdn.message_id} orig-id={mdn.orig_message_id} "
        f"({(time.perf_counter() - start) * 1000:.0f} ms round trip)"
    )
    ok = (
        mdn_status == "processed"
        and mdn.digest_alg is not None
        and mdn.orig_message_id == msg.message_id
    )
    print("RESULT:", "OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
