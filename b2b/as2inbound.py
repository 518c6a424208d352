"""AS2 from partners: open, keep, answer with an MDN (sync, or async posted by the worker).

open (decrypt, verify, decompress) ─► MDN built ─► stored (raw + payload) ─► answered
duplicate (after authentication) ─► the stored MDN again

>>> answer = receive(directory, keep, headers, body, host="b2b.example", max_payload_bytes=n)
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine

from b2b.as2 import (
    AS2Envelope,
    ReceivedMessage,
    ReceiveLimits,
    build_mdn,
    open_message,
    read_envelope,
)
from b2b.as2flow import TEXT, HttpAnswer, new_message_id
from b2b.errors import AS2Error, AS2UnknownTradingPartner, B2BError
from b2b.partners.security import As2Directory
from b2b.store import utcnow
from b2b.store.as2 import Inbound, StoredMdn, claim_pending_mdn, record_mdn_post
from b2b.transport.as2 import Headers, post

log = logging.getLogger(__name__)


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
    """
    prepared = prepare(directory, headers, body, host=host, max_payload_bytes=max_payload_bytes)
    if isinstance(prepared, HttpAnswer):
        return prepared
    _, duplicate = keep(prepared.inbound)
    return prepared.answer(duplicate)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A received message opened and answered, ready to be kept; `answer` once it is."""

    inbound: Inbound
    envelope: AS2Envelope
    error: AS2Error | None
    mdn: tuple[Headers, bytes] | None

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
            reason = f"{self.error.disposition_modifier}: {self.error.reason}\n"
            return HttpAnswer(400, TEXT, reason.encode())
        return HttpAnswer(200, TEXT, b"AS2 message received\n")


def prepare(
    directory: As2Directory,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    *,
    host: str,
    max_payload_bytes: int,
) -> Prepared | HttpAnswer:
    """Open the message and build its MDN; an HttpAnswer when it is not AS2 at all."""
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
    return Prepared(inbound, envelope, error, mdn)


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
