"""AS2 from partners: open, keep, answer with an MDN (sync, or async posted by the worker).

who is posting (the TLS client certificate, HTTP Basic: when the profile asks for them)
    ─► open (decrypt, verify, decompress)
    ─► MDN built ─► stored (raw + payload) ─► answered
duplicate (after authentication) ─► the stored MDN again

>>> answer = receive(directory, keep, headers, body, host="b2b.example", max_payload_bytes=n)
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import hmac
import logging
import posixpath
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from b2b.as2 import (
    AS2Envelope,
    ReceivedMessage,
    ReceiveLimits,
    build_mdn,
    mime,
    open_message,
    read_envelope,
)
from b2b.as2flow import TEXT, HttpAnswer, new_message_id
from b2b.coupa.redact import redact_shared_secrets
from b2b.errors import AS2AuthenticationFailed, AS2Error, AS2UnknownTradingPartner, B2BError
from b2b.partners.security import As2Directory, PartnerAs2
from b2b.store import utcnow
from b2b.store.as2 import Inbound, StoredMdn, claim_pending_mdn, record_mdn_post
from b2b.transport.as2 import Headers, post
from b2b.transport.inbound_core import NAME_MAX, name_problem

log = logging.getLogger(__name__)

#: An XML payload (a BOM, blanks, then "<"): only such a one can hold a cXML SharedSecret.
_XML_START = re.compile(rb"[ \t\r\n]*(?:\xef\xbb\xbf)?[ \t\r\n]*<")
#: Request headers whose credentials are never stored: kept as "<scheme> <redacted>".
_CREDENTIAL_HEADERS = frozenset({"authorization", "proxy-authorization"})
_BASIC_CHALLENGE = (("WWW-Authenticate", 'Basic realm="AS2"'),)


Keep = Callable[[Inbound], tuple[int, StoredMdn | None]]


def receive(
    directory: As2Directory,
    keep: Keep,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    host: str,
    max_payload_bytes: int,
    client_certificate: bytes | None = None,
) -> HttpAnswer:
    """Open a partner's message, keep it, and answer it with its MDN (sync) or 200 (async).

    `keep` stores the message durably and says whether it is a duplicate of a processed one.
    `client_certificate`: the DER of the TLS client certificate the post came with, if any.
    """
    prepared = prepare(
        directory,
        headers,
        body,
        host=host,
        max_payload_bytes=max_payload_bytes,
        client_certificate=client_certificate,
    )
    if isinstance(prepared, HttpAnswer):
        return prepared
    _, duplicate = keep(prepared.inbound)
    return prepared.answer(duplicate)


@dataclass(frozen=True, slots=True)
class Refusal:
    """The post did not come from whom the partner's profile says may post: refused before
    anything is decrypted."""

    error: AS2AuthenticationFailed
    #: the answer when no MDN carries the refusal: 403 (TLS client certificate), 401 (Basic)
    status: int
    headers: Headers = ()


@dataclass(frozen=True, slots=True)
class Prepared:
    """A received message opened and answered, ready to be kept; `answer` once it is."""

    inbound: Inbound
    envelope: AS2Envelope
    error: AS2Error | None
    mdn: tuple[Headers, bytes] | None
    #: refused for who posted it (`Refusal.status` when no MDN carries that)
    refusal: Refusal | None = None

    def answer(self, duplicate: StoredMdn | None) -> HttpAnswer:
        """The HTTP answer, given whether the store found a processed duplicate."""
        _log(self.envelope, self.error, duplicate is not None)
        if duplicate is not None:
            if duplicate.mdn_state == "sync":
                return HttpAnswer(200, duplicate.headers, duplicate.body)
            return HttpAnswer(200, TEXT, b"duplicate message: already received and answered\n")
        if self.mdn is not None and self.inbound.mdn_state == "sync":
            return HttpAnswer(200, self.mdn[0], self.mdn[1])
        if self.error is not None and self.mdn is None:
            reason = f"{self.error.disposition_modifier}: {self.error.reason}\n".encode()
            if self.refusal is not None:
                return HttpAnswer(self.refusal.status, TEXT + self.refusal.headers, reason)
            return HttpAnswer(400, TEXT, reason)
        return HttpAnswer(200, TEXT, b"AS2 message received\n")


def prepare(
    directory: As2Directory,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    host: str,
    max_payload_bytes: int,
    client_certificate: bytes | None = None,
) -> Prepared | HttpAnswer:
    """Open the message and build its MDN; an HttpAnswer when it is not AS2 at all.

    A partner tied to a TLS client certificate (`[as2] tls_client_certificate`) or to HTTP
    Basic credentials (`[as2] inbound_basic_auth_*`) whose post did not come with them is
    refused before anything is decrypted. Credentials are never stored: Authorization is kept
    as "Basic <redacted>".
    """
    fields = tuple(headers)
    parsed = mime.Headers(fields)  # looked up by read_envelope and open_message alike
    now = utcnow()
    try:
        envelope = read_envelope(parsed)
    except AS2Error as exc:
        return HttpAnswer(400, TEXT, f"not an AS2 message: {exc.reason}\n".encode())
    partner = directory.partners.get(envelope.as2_from)
    refusal = _poster_refused(partner, fields, client_certificate)
    if refusal is None:
        received, error = _open(directory, parsed, body, envelope, max_payload_bytes)
    else:
        received, error = None, refusal.error
    mdn = _mdn(directory, envelope, received=received, error=error, host=host, now=now)
    request = envelope.mdn_request
    mdn_state = "none" if mdn is None else ("pending" if request and request.async_url else "sync")
    inbound = Inbound(
        partner_id=partner.profile.id if partner else None,
        as2_from=envelope.as2_from,
        as2_to=envelope.as2_to,
        as2_message_id=envelope.message_id,
        received_at=now,
        headers=_kept_headers(fields),
        body=_kept_body(body, received),
        payload=_kept_payload(received.payload) if received else None,
        filename=safe_filename(received.filename) if received else None,
        status="processed" if error is None else "error",
        disposition=_disposition(error),
        mdn_headers=mdn[0] if mdn else None,
        mdn_body=mdn[1] if mdn else None,
        mdn_url=request.async_url if request else None,
        mdn_state=mdn_state,
    )
    return Prepared(inbound, envelope, error, mdn, refusal=refusal)


def safe_filename(name: str | None) -> str | None:
    """The partner's file name (Content-Disposition) made one plain name, never a path: its
    last component, without control characters or leading dots, at most 255 bytes (the
    extension kept); None when nothing is left.

    >>> safe_filename("../../etc/x.edi"), safe_filename("..\\\\x"), safe_filename("/")
    ('x.edi', 'x', None)
    """
    if name is None:
        return None
    last = re.split(r"[/\\]", name)[-1]
    plain = "".join(ch for ch in last if ch.isprintable()).strip().lstrip(".").strip()
    stem, extension = posixpath.splitext(plain)
    if len(extension.encode()) > NAME_MAX // 2:
        stem, extension = plain, ""
    room = NAME_MAX - len(extension.encode())
    safe = stem.encode()[:room].decode("utf-8", "ignore") + extension
    return safe if safe and name_problem(safe) is None else None


def _kept_payload(payload: bytes | bytearray) -> bytes | bytearray:
    """The payload as stored: an XML one (cXML sent by AS2) with its SharedSecrets redacted;
    X12 and other payloads untouched (and not even scanned)."""
    return redact_shared_secrets(bytes(payload)) if _XML_START.match(payload) else payload


def _kept_body(body: bytes, received: ReceivedMessage | None) -> bytes:
    """The raw body as stored: as received when it was encrypted (nothing readable in it);
    else with any SharedSecret redacted (its signature no longer verifies on the stored copy,
    which keeps the headers, the MIC and the MDN)."""
    if received is not None and received.encrypted:
        return body
    return redact_shared_secrets(body)


def _kept_headers(headers: Headers) -> Headers:
    """The request headers as stored: credentials replaced by "<scheme> <redacted>"."""
    return tuple(
        (name, f"{value.strip().partition(' ')[0]} <redacted>".lstrip())
        if name.lower() in _CREDENTIAL_HEADERS
        else (name, value)
        for name, value in headers
    )


def _poster_refused(
    partner: PartnerAs2 | None, headers: Headers, client_certificate: bytes | None
) -> Refusal | None:
    """Who is posting: a Refusal when the profile of AS2-From ties its posts to a TLS client
    certificate or to HTTP Basic credentials and this post did not come with them."""
    if partner is None:
        return None
    name = partner.security.as2_id
    problem = _certificate_problem(partner.tls_client_sha256, client_certificate, name)
    if problem is not None:
        return Refusal(AS2AuthenticationFailed(problem), 403)
    authorization = next((v for k, v in headers if k.lower() == "authorization"), None)
    problem = _basic_problem(partner.basic_auth_sha256, authorization, name)
    if problem is not None:
        return Refusal(AS2AuthenticationFailed(problem), 401, _BASIC_CHALLENGE)
    return None


def _certificate_problem(expected: bytes | None, der: bytes | None, name: str) -> str | None:
    if expected is None:
        return None
    if der is None:
        return (
            f"partner {name!r} must post with its TLS client certificate; "
            "this post came without one"
        )
    presented = hashlib.sha256(der).digest()
    if not hmac.compare_digest(presented, expected):
        return (
            f"the TLS client certificate (SHA-256 {presented.hex()}) is not the one of "
            f"partner {name!r}"
        )
    return None


def _basic_problem(expected: bytes | None, authorization: str | None, name: str) -> str | None:
    if expected is None:
        return None
    scheme, _, token = (authorization or "").strip().partition(" ")
    if scheme.lower() != "basic":
        return (
            f"partner {name!r} must post with HTTP Basic credentials; this post came without them"
        )
    try:
        credentials = base64.b64decode(token.strip(), validate=True)
    except binascii.Error:
        credentials = b""
    if not hmac.compare_digest(hashlib.sha256(credentials).digest(), expected):
        return f"the HTTP Basic credentials are not those of partner {name!r}"
    return None


def _open(
    directory: As2Directory,
    headers: mime.Headers,
    body: bytes,
    envelope: AS2Envelope,
    max_payload_bytes: int,
) -> tuple[ReceivedMessage | None, AS2Error | None]:
    try:
        received = open_message(
            headers,
            body,
            find_partner=directory.find_partner,
            limits=ReceiveLimits(max_payload_bytes=max_payload_bytes),
            envelope=envelope,
        )
    except AS2Error as exc:
        return None, exc
    return received, None


def _mdn(
    directory: As2Directory,
    envelope: AS2Envelope,
    *,
    received: ReceivedMessage | None,
    error: AS2Error | None,
    host: str,
    now: dt.datetime,
) -> tuple[Headers, bytes] | None:
    if envelope.mdn_request is None:
        return None
    # An unknown partner gets an unsigned MDN: we hold no agreement to sign for it.
    ours = None if isinstance(error, AS2UnknownTradingPartner) else directory.ours
    built = build_mdn(
        received if received is not None else envelope,
        mdn_message_id=new_message_id(host),
        ours=ours,
        error=error,
        now=now,
    )
    return built.headers, built.body


def _disposition(error: AS2Error | None) -> str:
    return "processed" if error is None else error.disposition


def _log(envelope: AS2Envelope, error: AS2Error | None, duplicate: bool) -> None:
    what = f"AS2 message <{envelope.message_id}> from {envelope.as2_from}"
    if duplicate:
        log.info("%s is a duplicate: answered with the stored MDN", what)
    elif error is None:
        log.info("%s received and stored", what)
    else:
        log.warning("%s refused: %s: %s", what, error.disposition_modifier, error.reason)


# ------------------------------------------------------------------------ async MDN posting


MDN_RETRY_SECONDS = (30, 60, 300, 900, 3600, 3600, 3600)


def post_next_mdn(engine: Engine, client: httpx.Client) -> bool:
    """Post one due asynchronous MDN; False when none is due."""
    now = utcnow()
    pending = claim_pending_mdn(engine=engine, now=now, lease=dt.timedelta(minutes=5))
    if pending is None:
        return False
    try:
        post(client, pending.url, pending.headers, pending.body)
    except B2BError as exc:
        attempt = pending.attempts
        retry_at = (
            utcnow() + dt.timedelta(seconds=MDN_RETRY_SECONDS[attempt])
            if attempt < len(MDN_RETRY_SECONDS)
            else None
        )
        record_mdn_post(
            engine=engine,
            inbound_id=pending.inbound_id,
            error=str(exc),
            retry_at=retry_at,
            now=utcnow(),
        )
        log.warning("async MDN to %s failed (attempt %d): %s", pending.url, attempt + 1, exc)
        return True
    record_mdn_post(
        engine=engine, inbound_id=pending.inbound_id, error=None, retry_at=None, now=utcnow()
    )
    log.info("async MDN posted to %s", pending.url)
    return True
