"""A small pyas2lib AS2 receiver (AS2 ID PYAS2LIB_CLIENT) for django-pyas2 -> pyas2lib.

Listens on 127.0.0.1:PORT/as2, decrypts, verifies and decompresses with pyas2lib, writes payloads
to ./received/ and answers with the MDN the sender asked for: signed and in the response (sync),
or 200 and the MDN posted to the sender's Receipt-Delivery-Option URL (async). A POST that is an
asynchronous MDN for something send_to_peer.py sent is verified and logged instead.

usage: python receiver.py [--port 8090] [--max-requests N]
"""

from __future__ import annotations

import argparse
import logging
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from as2client import (  # type: ignore[import-not-found, unused-ignore]
    CLIENT_ID,
    PEER_ID,
    client_org,
    find_sent,
    peer_partner,
    post,
    raw_mime,
)
from pyas2lib import Mdn, Message  # type: ignore[import-not-found]

OUT = Path(__file__).resolve().parent / "received"
ORG, PARTNER = client_org(), peer_partner()
SEEN: set[str] = set()
LOCK = threading.Lock()
log = logging.getLogger("receiver")


class Server(ThreadingHTTPServer):
    """Counts requests so that --max-requests can stop it."""

    count = 0
    max_requests = 0


class Handler(BaseHTTPRequestHandler):
    """One POST: an asynchronous MDN, or an AS2 message answered with an MDN."""

    protocol_version = "HTTP/1.1"
    server: Server

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        raw = raw_mime(list(self.headers.items()), body)
        if not self._was_async_mdn(raw):
            self._receive(raw)
        with LOCK:
            self.server.count += 1
            done = self.server.max_requests and self.server.count >= self.server.max_requests
        if done:
            threading.Thread(target=self.server.shutdown, daemon=True).start()

    def _was_async_mdn(self, raw: bytes) -> bool:
        mdn = Mdn()
        status, detail = mdn.parse(raw, find_sent)
        if detail == "mdn-not-found":
            return False
        log.info(
            "ASYNC MDN in: orig-id=%s status=%s detail=%s signed_with=%s",
            mdn.orig_message_id,
            status,
            detail,
            mdn.digest_alg,
        )
        self._answer_text(b"ASYNC MDN received\n")
        return True

    def _receive(self, raw: bytes) -> None:
        msg = Message()
        status, (exc, _tb), mdn = msg.parse(
            raw,
            find_org_cb=lambda as2_to: ORG if as2_to == CLIENT_ID else None,
            find_partner_cb=lambda as2_from: PARTNER if as2_from == PEER_ID else None,
            find_message_cb=lambda mid, _pid: mid in SEEN,
        )
        with LOCK:
            SEEN.add(msg.message_id)
        if status == "processed":
            name = (msg.payload.get_filename() if msg.payload else None) or f"{msg.message_id}.msg"
            (OUT / Path(name).name).write_bytes(msg.content)
        log.info(
            "AS2 in: id=%s status=%s signed=%s encrypted=%s compressed=%s err=%r",
            msg.message_id,
            status,
            msg.signed,
            msg.encrypted,
            msg.compressed,
            exc,
        )
        if mdn and mdn.mdn_mode == "SYNC":
            self._answer(dict(mdn.headers.items()), mdn.content)
            return
        if mdn and mdn.mdn_mode == "ASYNC":
            threading.Thread(target=send_async_mdn, args=(mdn,), daemon=True).start()
        self._answer_text(b"AS2 message received\n")

    def _answer_text(self, text: bytes) -> None:
        self._answer({"Content-Type": "text/plain"}, text)

    def _answer(self, headers: dict[str, str], body: bytes) -> None:
        self.send_response(200)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def send_async_mdn(mdn: Any) -> None:
    """POST the signed MDN to the URL the sender asked for, once its Message row is saved."""
    time.sleep(0.5)  # django-pyas2 saves the outbound Message row after its POST returns
    status, _reason, _headers, body = post(mdn.mdn_url, mdn.headers, mdn.content)
    log.info("ASYNC MDN out -> %s: HTTP %s %r", mdn.mdn_url, status, body[:60])


def main() -> None:
    """Serve until killed, or until --max-requests requests were answered."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--max-requests", type=int, default=0, help="0 = run until killed")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    OUT.mkdir(exist_ok=True)
    server = Server(("127.0.0.1", args.port), Handler)
    server.max_requests = args.max_requests
    log.info("pyas2lib receiver %s listening on http://127.0.0.1:%d/as2", CLIENT_ID, args.port)
    server.serve_forever()


if __name__ == "__main__":
    main()
