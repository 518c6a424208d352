"""AS2 in the pipeline: send with an MDN checked strictly; receive and answer with an MDN.

outbound: build once (Message-ID, bytes, MIC stored) ─► POST ─► sync MDN checked ─► sent
                                                           └─► async: awaiting-mdn until
                                                               the MDN or the deadline
inbound:  open (decrypt, verify, decompress) ─► store raw + payload ─► MDN (sync or async)

>>> receipt = deliver(directory, engine, poster, blobs=blobs, claim=claim, partner=acme, ...)
>>> answer = receive(directory, keep, headers, body, host=host, max_payload_bytes=limit)
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from b2b.as2 import (
    AS2Envelope,
    Digest,
    ReceivedMessage,
    ReceiveLimits,
    build_mdn,
    build_message,
    mime,
    open_message,
    parse_mdn,
    read_envelope,
)
from b2b.errors import AS2Error, AS2UnknownTradingPartner, B2BError, PermanentTransportError
from b2b.partners import PartnerProfile
from b2b.partners.security import As2Directory, PartnerAs2
from b2b.store import Claim, utcnow
from b2b.store.as2 import (
    Inbound,
    StoredAs2,
    StoredMdn,
    claim_pending_mdn,
    find_awaited,
    load_as2_built,
    record_as2_built,
    record_async_mdn,
    record_awaiting_mdn,
    record_mdn_details,
    record_mdn_post,
)
from b2b.store.blobs import BlobStore
from b2b.transport.as2 import As2Poster, Headers, post

log = logging.getLogger(__name__)

TEXT = (("Content-Type", "text/plain; charset=utf-8"),)


def new_message_id(host: str) -> str:
    """A unique AS2 Message-ID (without angle brackets)."""
    return f"{uuid.uuid4().hex}@{host}"


# -------------------------------------------------------------------------------- outbound


def deliver(
    directory: As2Directory,
    engine: Engine,
    poster: As2Poster,
    *,
    blobs: BlobStore,
    claim: Claim,
    partner: PartnerProfile,
    payload: bytes,
    filename: str,
    worker: str,
    host: str,
) -> str | None:
    """Send `payload` to `partner` by AS2; the receipt, or None while an async MDN is awaited.

    A negative or untrusted MDN raises (the message fails); a network error raises
    TransportError (the message is retried with the same bytes and Message-ID).
    """
    entry = _entry(directory, partner)
    stored = load_as2_built(engine=engine, blobs=blobs, message_id=claim.message_id)
    if stored is None:
        stored = _build(directory, entry, payload, filename, host)
        record_as2_built(
            engine=engine,
            blobs=blobs,
            message_id=claim.message_id,
            worker=worker,
            stored=stored,
            now=utcnow(),
        )
    reply = poster.post(stored.headers, stored.body)
    mdn = entry.outbound.mdn
    if mdn is None:
        return f"as2:{poster.url} HTTP {reply.status}, no MDN requested"
    if mdn.async_url is not None:
        timeout = entry.profile.as2.async_mdn_timeout_seconds if entry.profile.as2 else 3600.0
        record_awaiting_mdn(
            engine=engine,
            message_id=claim.message_id,
            worker=worker,
            deadline=utcnow() + dt.timedelta(seconds=timeout),
            now=utcnow(),
        )
        return None
    return check_mdn(
        engine,
        entry,
        message_id=claim.message_id,
        stored=stored,
        headers=reply.headers,
        body=reply.body,
    )


def _entry(directory: As2Directory, partner: PartnerProfile) -> PartnerAs2:
    if partner.as2 is None or partner.as2.as2_id not in directory.partners:
        raise PermanentTransportError(f"partner {partner.id!r} has no AS2 configuration")
    return directory.partners[partner.as2.as2_id]


def _build(
    directory: As2Directory, entry: PartnerAs2, payload: bytes, filename: str, host: str
) -> StoredAs2:
    assert directory.ours is not None  # As2Directory.load refuses AS2 partners without it
    built = build_message(
        payload,
        settings=entry.outbound,
        ours=directory.ours,
        partner=entry.security,
        message_id=new_message_id(host),
        filename=filename,
    )
    algorithm = built.mic_algorithm.value if built.mic_algorithm else None
    return StoredAs2(built.message_id, built.headers, built.body, built.mic, algorithm)


def check_mdn(
    engine: Engine,
    entry: PartnerAs2,
    *,
    message_id: int,
    stored: StoredAs2,
    headers: Headers,
    body: bytes,
) -> str:
    """Check an MDN for `stored` strictly and keep it; the receipt when it says delivered."""
    mdn = entry.outbound.mdn
    raw = b"".join(f"{n}: {v}\r\n".encode() for n, v in headers) + b"\r\n" + body
    try:
        outcome = parse_mdn(
            headers,
            body,
            partner=entry.security,
            expected_message_id=stored.as2_message_id,
            expected_mic=stored.mic,
            expected_mic_algorithm=Digest(stored.mic_algorithm) if stored.mic_algorithm else None,
            require_signed=bool(mdn and mdn.signed),
        )
    except AS2Error as exc:
        record_mdn_details(
            engine=engine,
            message_id=message_id,
            disposition=f"refused: {exc.reason}",
            signed=False,
            raw=raw,
            now=utcnow(),
        )
        raise
    record_mdn_details(
        engine=engine,
        message_id=message_id,
        disposition=outcome.disposition,
        signed=outcome.signed,
        raw=raw,
        now=utcnow(),
    )
    if outcome.status != "delivered":
        raise PermanentTransportError(f"the partner's MDN reports {outcome.disposition}")
    signed = "signed " if outcome.signed else ""
    return f"as2 {signed}MDN {outcome.disposition}, MIC {outcome.received_mic}"


# --------------------------------------------------------------------------------- inbound


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """The HTTP response to an AS2 POST: the sync MDN, or a short text."""

    status: int
    headers: Headers
    body: bytes


Keep = Callable[[Inbound], tuple[int, StoredMdn | None]]


def receive(
    directory: As2Directory,
    keep: Keep,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    host: str,
    max_payload_bytes: int,
) -> HttpAnswer:
    """Open a partner's message, keep it, and answer it with its MDN (sync) or 200 (async).

    `keep` stores the message durably and says whether it is a duplicate of a processed one.
    The opened payload is let go as soon as it is kept (the caller still holds `body`).
    """
    fields = tuple(headers)
    now = utcnow()
    try:
        envelope = read_envelope(fields)
    except AS2Error as exc:
        return HttpAnswer(400, TEXT, f"not an AS2 message: {exc.reason}\n".encode())
    received, error = _open(directory, fields, body, max_payload_bytes)
    mdn = _mdn(directory, envelope, received=received, error=error, host=host, now=now)
    request = envelope.mdn_request
    mdn_state = "none" if mdn is None else ("pending" if request and request.async_url else "sync")
    partner = directory.partners.get(envelope.as2_from)
    inbound = Inbound(
        partner_id=partner.profile.id if partner else None,
        as2_from=envelope.as2_from,
        as2_to=envelope.as2_to,
        as2_message_id=envelope.message_id,
        received_at=now,
        headers=fields,
        body=body,
        payload=received.payload if received else None,
        filename=received.filename if received else None,
        status="processed" if error is None else "error",
        disposition=_disposition(error),
        mdn_headers=mdn[0] if mdn else None,
        mdn_body=mdn[1] if mdn else None,
        mdn_url=request.async_url if request else None,
        mdn_state=mdn_state,
    )
    del received  # the inbound below holds the payload now; it goes once kept
    _, duplicate = keep(inbound)
    del inbound
    _log(envelope, error, duplicate is not None)
    if duplicate is not None:
        if duplicate.mdn_state == "sync":
            return HttpAnswer(200, duplicate.headers, duplicate.body)
        return HttpAnswer(200, TEXT, b"duplicate message: already received and answered\n")
    if mdn is not None and mdn_state == "sync":
        return HttpAnswer(200, mdn[0], mdn[1])
    if error is not None and mdn is None:
        return HttpAnswer(400, TEXT, f"{error.disposition_modifier}: {error.reason}\n".encode())
    return HttpAnswer(200, TEXT, b"AS2 message received\n")


def _open(
    directory: As2Directory, headers: Headers, body: bytes, max_payload_bytes: int
) -> tuple[ReceivedMessage | None, AS2Error | None]:
    try:
        received = open_message(
            headers,
            body,
            find_partner=directory.find_partner,
            limits=ReceiveLimits(max_payload_bytes=max_payload_bytes),
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
    return "processed" if error is None else f"processed/{error.disposition_modifier}"


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


# ------------------------------------------------------------------------ async MDN receipt


def receive_async_mdn(
    directory: As2Directory,
    engine: Engine,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    blobs: BlobStore,
) -> HttpAnswer:
    """An asynchronous MDN for a message we sent: checked strictly, then the message settles."""
    fields = tuple(headers)
    original = _original_message_id(fields, body)
    awaited = find_awaited(engine=engine, as2_message_id=original) if original else None
    if awaited is None:
        return HttpAnswer(400, TEXT, f"no message of ours has Message-ID {original!r}\n".encode())
    stored = load_as2_built(engine=engine, blobs=blobs, message_id=awaited.message_id)
    partner = next(
        (p for p in directory.partners.values() if p.profile.id == awaited.partner_id), None
    )
    if stored is None or partner is None:
        return HttpAnswer(400, TEXT, b"the message this MDN answers is not an AS2 message\n")
    try:
        receipt = check_mdn(
            engine, partner, message_id=awaited.message_id, stored=stored, headers=fields, body=body
        )
    except B2BError as exc:
        record_async_mdn(
            engine=engine,
            message_id=awaited.message_id,
            delivered=False,
            detail=f"{type(exc).__name__}: {exc.reason}",
            now=utcnow(),
        )
        log.warning("async MDN for message %d refused: %s", awaited.message_id, exc.reason)
        return HttpAnswer(200, TEXT, b"MDN received; it does not confirm delivery\n")
    record_async_mdn(
        engine=engine, message_id=awaited.message_id, delivered=True, detail=receipt, now=utcnow()
    )
    log.info("async MDN for message %d: %s", awaited.message_id, receipt)
    return HttpAnswer(200, TEXT, b"MDN received\n")


def _original_message_id(headers: Headers, body: bytes) -> str | None:
    """Original-Message-ID of an MDN, read before any check (to find what it answers)."""
    try:
        entity = mime.Entity(mime.Headers(headers), body)
        if entity.content_type.mime_type == "multipart/signed":
            boundary = entity.content_type.param("boundary") or ""
            entity = mime.parse_entity(mime.split_multipart(entity.body, boundary)[0])
        boundary = entity.content_type.param("boundary") or ""
        for raw in mime.split_multipart(entity.body, boundary):
            part = mime.parse_entity(raw)
            if part.content_type.mime_type == "message/disposition-notification":
                found = mime.parse_headers(part.decoded()).get("original-message-id")
                return found.strip().strip("<>") if found else None
    except (AS2Error, IndexError):
        return None
    return None
