"""AS2 to partners: build once, send, check the MDN strictly (sync, or async at /as2/mdn).

    build once (Message-ID, bytes, MIC stored) ─► POST ─► sync MDN checked ─► sent
                                                   └─► async: awaiting-mdn until the MDN
                                                       or the deadline, then resent
Receiving from partners is `b2b.as2inbound`.

    >>> receipt = deliver(directory, engine, poster, blobs=blobs, claim=claim, partner=acme, ...)
"""

from __future__ import annotations

import datetime as dt
import logging
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import Engine

from b2b.as2 import (
    Digest,
    build_message,
    mime,
    parse_mdn,
)
from b2b.errors import AS2Error, B2BError, PermanentTransportError
from b2b.failpoints import failpoint
from b2b.logs import bind
from b2b.partners import PartnerProfile
from b2b.partners.security import As2Directory, PartnerAs2
from b2b.store import Claim, utcnow
from b2b.store.as2 import (
    StoredAs2,
    find_awaited,
    load_as2_built,
    record_as2_built,
    record_async_mdn,
    record_awaiting_mdn,
    record_mdn_details,
)
from b2b.store.blobs import BlobStore
from b2b.transport.as2 import As2Poster, Headers

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
    bind(as2_message_id=stored.as2_message_id)
    failpoint("as2.before-post")
    reply = poster.post(stored.headers, stored.body)
    failpoint("as2.after-post")
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


@dataclass(frozen=True, slots=True)
class HttpAnswer:
    """The HTTP response to an AS2 POST: the sync MDN, or a short text."""

    status: int
    headers: Headers
    body: bytes


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
    bind(message_id=awaited.message_id, partner=awaited.partner_id, as2_message_id=original)
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
