"""pyas2lib helpers for the peer-side scripts; they run in the peer's virtualenv only.

The external side is AS2 ID PYAS2LIB_CLIENT (certs/client_keycert.pem), the django-pyas2 server
is DJANGO_PEER (certs/peer_keycert.pem); both keys are encrypted with the passphrase "test".
Environment: CLIENT_AS2_ID, PEER_AS2_ID, PEER_URL (the server's as2receive URL).

    msg = build_message(client_org(), peer_partner(), b"ISA*...")
"""

from __future__ import annotations

import http.client
import json
import os
import urllib.parse
from pathlib import Path
from typing import Any

from pyas2lib import Mdn, Message, Organization, Partner  # type: ignore[import-not-found]

BASE = Path(__file__).resolve().parent
CERTS = BASE / "certs"
PASSPHRASE = "test"
CLIENT_ID = os.environ.get("CLIENT_AS2_ID", "PYAS2LIB_CLIENT")
PEER_ID = os.environ.get("PEER_AS2_ID", "DJANGO_PEER")
PEER_URL = os.environ.get("PEER_URL", "http://127.0.0.1:8080/pyas2/as2receive")
SENT_INDEX = BASE / "received" / "sent_index.json"

Response = tuple[int, str, list[tuple[str, str]], bytes]


def _org(as2_id: str, keycert: str, mdn_url: str | None = None) -> Any:
    blob = (CERTS / keycert).read_bytes()  # encrypted PKCS#8 key + certificate, one PEM blob
    return Organization(
        as2_name=as2_id,
        sign_key=blob,
        sign_key_pass=PASSPHRASE,
        decrypt_key=blob,
        decrypt_key_pass=PASSPHRASE,
        mdn_url=mdn_url,
    )


def _partner(as2_id: str, cert_file: str, over: dict[str, Any]) -> Any:
    cert = (CERTS / cert_file).read_bytes()
    options: dict[str, Any] = {
        "as2_name": as2_id,
        "verify_cert": cert,
        "encrypt_cert": cert,
        "validate_certs": False,  # self-signed test certificates
        "compress": True,
        "sign": True,
        "digest_alg": "sha256",
        "encrypt": True,
        "enc_alg": "aes_256_cbc",
        "mdn_mode": "SYNC",
        "mdn_digest_alg": "sha256",
    }
    return Partner(**(options | over))


def client_org(mdn_url: str | None = None) -> Any:
    """The external side's pyas2lib Organization (signs, decrypts)."""
    return _org(CLIENT_ID, "client_keycert.pem", mdn_url)


def peer_partner(**over: Any) -> Any:
    """The django-pyas2 server as the client's pyas2lib Partner; `over` replaces options."""
    return _partner(PEER_ID, "peer_cert.pem", over)


def peer_org() -> Any:
    """The server's identity as a pyas2lib Organization (for benchmarks of the receive side)."""
    return _org(PEER_ID, "peer_keycert.pem")


def client_partner(**over: Any) -> Any:
    """The external side as the server's pyas2lib Partner (for benchmarks of the receive side)."""
    return _partner(CLIENT_ID, "client_cert.pem", over)


def build_message(
    org: Any,
    partner: Any,
    payload: bytes,
    filename: str = "test.x12",
    content_type: str = "application/EDI-X12",
) -> Any:
    """A built pyas2lib Message: signed, encrypted, compressed as `partner` says."""
    msg = Message(sender=org, receiver=partner)
    msg.build(
        payload,
        filename=filename,
        subject="AS2 interop test",
        content_type=content_type,
        disposition_notification_to="client@example.invalid",
    )
    return msg


def post(
    url: str,
    headers: dict[str, str],
    body: bytes,
    conn: http.client.HTTPConnection | None = None,
) -> Response:
    """POST `body`: (status, reason, header tuples, body bytes)."""
    parts = urllib.parse.urlsplit(url)
    own = conn is None
    connection = conn or http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=60)
    try:
        connection.request("POST", parts.path, body=body, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.reason, response.getheaders(), response.read()
    finally:
        if own:
            connection.close()


def raw_mime(headers: list[tuple[str, str]], body: bytes) -> bytes:
    """HTTP headers and body as the MIME bytes pyas2lib parses."""
    return "".join(f"{k}: {v}\r\n" for k, v in headers).encode() + b"\r\n" + body


def parse_sync_mdn(msg: Any, headers: list[tuple[str, str]], body: bytes) -> tuple[str, Any, Any]:
    """Let pyas2lib verify the MDN in an HTTP response: (status, detail, Mdn)."""
    mdn = Mdn()
    status, detail = mdn.parse(raw_mime(headers, body), lambda _mid, _rcpt: msg)
    return str(status), detail, mdn


def remember_sent(msg: Any) -> None:
    """Record message-id -> MIC so receiver.py can verify an asynchronous MDN later."""
    SENT_INDEX.parent.mkdir(exist_ok=True)
    index = json.loads(SENT_INDEX.read_text()) if SENT_INDEX.exists() else {}
    index[msg.message_id] = msg.mic.decode() if msg.mic else None
    SENT_INDEX.write_text(json.dumps(index, indent=1))


def find_sent(message_id: str, _recipient: str | None = None) -> Any:
    """The pyas2lib Message an asynchronous MDN refers to, rebuilt from the index; or None."""
    index = json.loads(SENT_INDEX.read_text()) if SENT_INDEX.exists() else {}
    if message_id not in index:
        return None
    msg = Message(sender=client_org(), receiver=peer_partner(mdn_mode="ASYNC"))
    msg.message_id = message_id
    msg.mic = index[message_id].encode() if index[message_id] else None
    return msg
