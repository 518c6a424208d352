"""The outbound half of the pipeline: what a worker does with one due message.

claim ─► map to X12 ─► control numbers, exact bytes stored ─► send ─► sent | retry | failed | dead

Messages to one partner leave one after another, in the order they were accepted (see
`claim_next`), unless its profile says `[delivery] parallel = true`.

>>> transports = TransportCache(gateway.settings)
>>> while process_next(gateway, transports, worker="node1-w1"): ...
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re

import httpx

from b2b import as2flow
from b2b.config import Settings
from b2b.coupa import parse_order_headers, parse_order_request, restore_shared_secret
from b2b.documents import OrderType, PurchaseOrder, ReceivedOrder, SourceFormat
from b2b.engine import Gateway
from b2b.errors import B2BError, MappingError, PermanentTransportError, TransportError
from b2b.failpoints import failpoint
from b2b.logs import bind
from b2b.mapping import map_order_change, map_purchase_order
from b2b.metrics import timed_send
from b2b.partners import As2Transport, PartnerProfile
from b2b.store import (
    Built,
    Claim,
    MessageState,
    claim_next,
    previous_document,
    record_failure,
    record_mapped,
    record_sent,
    utcnow,
)
from b2b.transport import OutboundFile, Transport, open_transport
from b2b.transport.as2 import As2Poster
from b2b.transport.coupa import post_cxml
from b2b.x12 import write_interchange

log = logging.getLogger(__name__)


def process_next(gateway: Gateway, transports: TransportCache, *, worker: str) -> bool:
    """Map and send one due message; False when none is due."""
    now = utcnow()
    lease = dt.timedelta(seconds=gateway.settings.lease_seconds)
    claim = claim_next(
        engine=gateway.engine,
        blobs=gateway.blobs,
        worker=worker,
        now=now,
        lease=lease,
        parallel=_parallel(gateway),
    )
    if claim is None:
        return False
    bind(po=claim.po_number or None, message_id=claim.message_id, partner=claim.partner_id)
    try:
        partner = gateway.partners.get(claim.partner_id)
    except KeyError:
        _fail(gateway, claim, worker, f"partner {claim.partner_id!r} is no longer configured")
        return True
    if claim.state == MessageState.AWAITING_MDN and claim.attempts >= partner.retry.max_attempts:
        _fail(gateway, claim, worker, f"no MDN after {claim.attempts} attempts", dead=True)
        return True
    try:
        built = _built(claim) or _map(gateway, claim, partner, worker)
    except B2BError as exc:
        _fail(gateway, claim, worker, f"mapping failed: {exc.reason}")
        return True
    _send(gateway, transports, claim=claim, partner=partner, built=built, worker=worker)
    return True


def _parallel(gateway: Gateway) -> frozenset[str]:
    """The partners whose messages may leave side by side (`[delivery] parallel = true`)."""
    return frozenset(p.id for p in gateway.partners if p.delivery.parallel)


def _built(claim: Claim) -> Built | None:
    if claim.payload is None or claim.filename is None:
        return None
    return Built(claim.payload, claim.filename, claim.interchange_control_number or 0, 0, ())


def _map(gateway: Gateway, claim: Claim, partner: PartnerProfile, worker: str) -> Built:
    order = _reparse(claim.source_format, claim.raw, claim.po_number).order
    if order.order_type is OrderType.NEW:
        transaction = map_purchase_order(order, partner.x12, gateway.maps)
    else:
        previous = _previous(gateway, claim)
        transaction = map_order_change(
            previous, order, partner.x12, gateway.maps, request_date=utcnow().date()
        )
    envelope = partner.x12.envelope

    def build(control_number: int) -> Built:
        interchange = write_interchange(
            [transaction],
            envelope,
            control_number=control_number,
            version=partner.x12.version,
            now=utcnow(),
        )
        return Built(
            interchange.data,
            _filename(partner, claim, transaction.set_id, control_number),
            interchange.control_number,
            interchange.group_control_number,
            interchange.transaction_control_numbers,
        )

    return record_mapped(
        engine=gateway.engine,
        blobs=gateway.blobs,
        message_id=claim.message_id,
        worker=worker,
        sender=f"{envelope.sender_qualifier}:{envelope.sender_id}",
        receiver=f"{envelope.receiver_qualifier}:{envelope.receiver_id}",
        build=build,
        now=utcnow(),
        ack_overdue_hours=_ack_overdue_hours(partner),
    )


def _ack_overdue_hours(partner: PartnerProfile) -> float | None:
    acks = partner.x12.acknowledgments
    return acks.overdue_after_hours if acks.expect else None


def _previous(gateway: Gateway, claim: Claim) -> PurchaseOrder | None:
    """The version of the order the partner has (the last one mapped for it), if any."""
    found = previous_document(engine=gateway.engine, message_id=claim.message_id)
    if found is None:
        return None
    source_format, raw = found
    return _reparse(source_format, raw, claim.po_number).order


def _reparse(source_format: str | None, raw: bytes | None, po_number: str) -> ReceivedOrder:
    if raw is None:
        raise MappingError(f"PO {po_number}: the message has no document to map")
    if source_format == SourceFormat.CXML.value:
        return parse_order_request(raw)
    for order in parse_order_headers(raw):
        if order.order.number == po_number:
            return order
    raise MappingError(f"PO {po_number} is no longer in its stored document")


def _filename(partner: PartnerProfile, claim: Claim, set_id: str, control_number: int) -> str:
    po = re.sub(r"[^A-Za-z0-9_-]", "_", claim.po_number)[:40]
    return f"{partner.id}_{set_id}_{po}_{control_number:09d}.x12"


def _send(
    gateway: Gateway,
    transports: TransportCache,
    *,
    claim: Claim,
    partner: PartnerProfile,
    built: Built,
    worker: str,
) -> None:
    isa13 = built.interchange_control_number
    bind(control_number=f"{isa13:09d}" if isa13 else None)
    kind = "coupa" if claim.destination == "coupa" else partner.transport.kind
    try:
        with timed_send(partner.id, kind):
            receipt = _deliver(
                gateway, transports, claim=claim, partner=partner, built=built, worker=worker
            )
    except B2BError as exc:
        _send_failed(gateway, claim, partner, worker, exc)
        return
    if receipt is None:  # an asynchronous MDN is awaited
        log.info(
            "sent message %d (PO %s) to %s by AS2; awaiting the MDN",
            claim.message_id,
            claim.po_number,
            partner.id,
        )
        return
    failpoint("outbound.before-record-sent")
    record_sent(
        engine=gateway.engine,
        message_id=claim.message_id,
        worker=worker,
        receipt=receipt,
        now=utcnow(),
    )
    log.info(
        "sent message %d (PO %s) to %s: %s", claim.message_id, claim.po_number, partner.id, receipt
    )


def _deliver(
    gateway: Gateway,
    transports: TransportCache,
    *,
    claim: Claim,
    partner: PartnerProfile,
    built: Built,
    worker: str,
) -> str | None:
    """Hand the bytes to the transport: the receipt, or None while an MDN is awaited."""
    if claim.destination == "coupa":
        secret = gateway.coupa_secrets.get(partner.id)
        return _post_to_coupa(transports.coupa_client, claim, partner, built, secret)
    transport = transports.get(partner)
    if isinstance(transport, As2Poster):
        return as2flow.deliver(
            gateway.as2,
            gateway.engine,
            transport,
            blobs=gateway.blobs,
            claim=claim,
            partner=partner,
            payload=built.payload,
            filename=built.filename,
            worker=worker,
            host=gateway.settings.payload_id_host,
        )
    receipt = transport.send(
        OutboundFile(claim.message_id, partner.id, built.filename, built.payload)
    )
    detail = f" ({receipt.detail})" if receipt.detail else ""  # size, SHA-256, "already..."
    return f"{receipt.transport}:{receipt.location}{detail}"


def _post_to_coupa(
    client: httpx.Client, claim: Claim, partner: PartnerProfile, built: Built, secret: str | None
) -> str:
    """Post the cXML of a partner's document to Coupa; its Response Status decides."""
    settings = partner.coupa.documents
    if claim.url is None or settings is None or secret is None:
        raise PermanentTransportError(f"{partner.id} has no [coupa.documents] to post to")
    # The stored payload is not the bytes sent: it carries REDACTED for the SharedSecret (see
    # b2b.tocoupa). The stored bytes + the partner's current secret = the bytes sent.
    body = restore_shared_secret(built.payload, secret)
    return post_cxml(client, claim.url, body, timeout=settings.timeout_seconds)


def _send_failed(
    gateway: Gateway, claim: Claim, partner: PartnerProfile, worker: str, exc: B2BError
) -> None:
    """A permanent failure stops at once ("failed"); a retryable one is retried after the
    partner's backoff (or the server's Retry-After) until its last attempt ("dead")."""
    attempt = claim.attempts + 1
    reason = f"attempt {attempt}: {type(exc).__name__}: {exc.reason}"
    if not exc.retryable:
        _fail(gateway, claim, worker, reason, attempted=True)
    elif attempt >= partner.retry.max_attempts:
        _fail(gateway, claim, worker, f"{reason}; no attempts left", attempted=True, dead=True)
    else:
        retry_after = exc.retry_after if isinstance(exc, TransportError) else None
        delay = partner.retry.delay(attempt, retry_after=retry_after)
        retry_at = utcnow() + dt.timedelta(seconds=delay)
        _fail(gateway, claim, worker, reason, retry_at=retry_at, attempted=True)


def _fail(
    gateway: Gateway,
    claim: Claim,
    worker: str,
    reason: str,
    *,
    retry_at: dt.datetime | None = None,
    attempted: bool = False,
    dead: bool = False,
) -> None:
    """Record a failed step: retried at `retry_at`, or failed for good when it is None (dead
    when `dead`: the retries are used up)."""
    record_failure(
        engine=gateway.engine,
        message_id=claim.message_id,
        worker=worker,
        reason=reason,
        now=utcnow(),
        retry_at=retry_at,
        attempted=attempted,
        dead=dead,
    )
    level = logging.WARNING if retry_at else logging.ERROR
    outcome = f"retry at {retry_at:%H:%M:%S}" if retry_at else ("dead" if dead else "failed")
    log.log(level, "message %d (PO %s) %s: %s", claim.message_id, claim.po_number, outcome, reason)


class TransportCache:
    """One open transport per partner, re-used across sends by one worker."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._open: dict[str, Transport | As2Poster] = {}
        self._profiles: dict[str, PartnerProfile] = {}

    def get(self, partner: PartnerProfile) -> Transport | As2Poster:
        """The partner's transport, opened on first use and again once its profile is reloaded
        (`b2b.engine.reload_profiles` makes new profile objects)."""
        if partner.id not in self._open or self._profiles.get(partner.id) is not partner:
            stale = self._open.pop(partner.id, None)
            if stale is not None:
                stale.close()
            self._open[partner.id] = self._opened(partner)
            self._profiles[partner.id] = partner
        return self._open[partner.id]

    def _opened(self, partner: PartnerProfile) -> Transport | As2Poster:
        certs = self._settings.resolve(self._settings.certs_dir)
        kek = self._settings.kek_bytes()
        if isinstance(partner.transport, As2Transport):
            return As2Poster(partner.transport, certs_dir=certs, kek=kek)
        return open_transport(
            partner.transport,
            certs_dir=certs,
            data_dir=self._settings.resolve(self._settings.data_dir),
            kek=kek,
        )

    @functools.cached_property
    def coupa_client(self) -> httpx.Client:
        """The HTTP client that posts partners' confirmations, ship notices, invoices to Coupa."""
        return httpx.Client()

    @functools.cached_property
    def mdn_client(self) -> httpx.Client:
        """The HTTP client that posts asynchronous MDNs to the URLs partners ask for."""
        return httpx.Client(timeout=60.0)

    def close(self) -> None:
        """Close every open transport."""
        for transport in self._open.values():
            transport.close()
        self._open.clear()
        for client in ("mdn_client", "coupa_client"):
            if client in self.__dict__:
                self.__dict__[client].close()
