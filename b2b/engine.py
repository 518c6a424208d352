"""The pipeline in a page: `receive_*` on the request path, `process_next` in the worker.

Coupa XML ─► parse ─► authenticate ─► route ─► store (document + message) ─► answer
worker:  claim ─► map to X12 ─► control numbers + exact bytes stored ─► send ─► sent | retry

>>> gateway = open_gateway(load_settings())
>>> answer = await receive_cxml(gateway, body)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import hmac
import logging
import re
import threading
from dataclasses import dataclass, field

import httpx
from sqlalchemy import Engine

from b2b import as2flow
from b2b.config import DEMO_AS2_KEY, Settings
from b2b.coupa import new_payload_id, parse_order_headers, parse_order_request, render_cxml_response
from b2b.coupa.receipt import render_order_receipt
from b2b.documents import ReceivedOrder, SourceFormat
from b2b.errors import AuthenticationFailed, B2BError, MappingError, StoreUnavailable
from b2b.mapping import MapLibrary, map_purchase_order
from b2b.partners import As2Transport, PartnerProfile, PartnerRegistry, load_partners
from b2b.partners.security import As2Directory
from b2b.store import (
    Acceptance,
    Built,
    Claim,
    IngestWriter,
    MessageState,
    Rejection,
    claim_next,
    open_engine,
    record_failure,
    record_mapped,
    record_rejection,
    record_sent,
    utcnow,
)
from b2b.store.as2 import Inbound, StoredMdn, keep_inbound
from b2b.store.batch import BatchWriter
from b2b.store.blobs import BlobStore
from b2b.transport import OutboundFile, Transport, open_transport
from b2b.transport.as2 import As2Poster
from b2b.x12 import write_interchange

log = logging.getLogger(__name__)

CXML = "text/xml; charset=utf-8"
PURCHASE_ORDER_SET = "850"


@dataclass(frozen=True, slots=True)
class Answer:
    """What the sender gets back, in its own protocol."""

    status: int
    body: bytes
    media_type: str = CXML


@dataclass
class Gateway:
    """Everything the pipeline needs, loaded once and passed in."""

    settings: Settings
    engine: Engine
    partners: PartnerRegistry
    maps: MapLibrary
    writer: IngestWriter
    as2: As2Directory
    as2_writer: BatchWriter[Inbound, tuple[int, StoredMdn | None]]
    blobs: BlobStore
    wake: threading.Event = field(default_factory=threading.Event)

    def close(self) -> None:
        """Flush the ingest writer and release the database."""
        self.writer.stop()
        self.as2_writer.stop()
        self.engine.dispose()


def open_gateway(settings: Settings) -> Gateway:
    """Load partners and maps (refusing bad ones), open the store, start the ingest writer."""
    partners = load_partners(settings.resolve(settings.partners_dir))
    maps = MapLibrary.load(settings.resolve(settings.maps_dir))
    as2 = As2Directory.load(settings, partners)
    for warning in as2.expiring(now=utcnow()):
        log.warning("%s", warning)
    if as2.partners and DEMO_AS2_KEY in settings.as2_keys:
        log.warning(
            "AS2 uses the public demo key certs/%s: make your own with `b2b certs new`",
            DEMO_AS2_KEY,
        )
    engine = open_engine(settings.database_url)
    if settings.coupa_shared_secret is None:
        log.warning("B2B_COUPA_SHARED_SECRET is not set: cXML from any sender is accepted")
    writer = IngestWriter(engine)
    writer.start()
    as2_writer = BatchWriter(engine, keep_inbound, name="b2b-as2-inbound")
    as2_writer.start()
    blobs = BlobStore(settings.resolve(settings.data_dir) / "blobs")
    return Gateway(settings, engine, partners, maps, writer, as2, as2_writer, blobs)


# ---------------------------------------------------------------- request path


async def receive_cxml(gateway: Gateway, body: bytes) -> Answer:
    """A cXML OrderRequest: stored and answered with a cXML Response, or refused with a reason."""
    now = utcnow()
    try:
        received = parse_order_request(body)
        _check_shared_secret(gateway.settings, received)
        partner = gateway.partners.route(received.recipients)
    except B2BError as exc:
        return await reject(gateway, SourceFormat.CXML, body, exc, now=now)
    ok = _cxml_answer(gateway, 200, "OK", "", now)
    return await _accept(gateway, [(received, partner)], body, ok, now)


async def receive_coupa_xml(gateway: Gateway, body: bytes, token: str | None) -> Answer:
    """Coupa `order-header(s)` XML: every order stored, or the whole request refused."""
    now = utcnow()
    try:
        _check_token(gateway.settings, token)
        orders = parse_order_headers(body)
        routed = [(order, gateway.partners.route(order.recipients)) for order in orders]
    except B2BError as exc:
        return await reject(gateway, SourceFormat.COUPA_XML, body, exc, now=now)
    ok = Answer(200, render_order_receipt([order for order, _ in routed]), "application/xml")
    return await _accept(gateway, routed, body, ok, now)


async def _accept(
    gateway: Gateway,
    routed: list[tuple[ReceivedOrder, PartnerProfile]],
    body: bytes,
    ok: Answer,
    now: dt.datetime,
) -> Answer:
    futures = [
        gateway.writer.submit(
            Acceptance(received, partner.id, PURCHASE_ORDER_SET, body, ok.status, ok.body, now)
        )
        for received, partner in routed
    ]
    try:
        results = [await asyncio.wrap_future(f) for f in futures]
    except StoreUnavailable as exc:
        log.error("not accepted, the sender will retry: %s", exc)
        return _error_answer(gateway, routed[0][0].source_format, exc, now)
    if not all(r.duplicate for r in results):
        gateway.wake.set()
    first = results[0]
    return Answer(first.response_status, first.response_body, ok.media_type)


async def reject(
    gateway: Gateway,
    source: SourceFormat,
    body: bytes,
    exc: B2BError,
    *,
    now: dt.datetime,
    keep_bytes: int | None = None,
) -> Answer:
    """Answer a refused document in its protocol and keep it, with the reason, in the store."""
    answer = _error_answer(gateway, source, exc, now)
    rejection = Rejection(
        source_format=source.value,
        raw=body[:keep_bytes],
        reason=exc.reason,
        error=type(exc).__name__,
        response_status=answer.status,
        response_body=answer.body,
        received_at=now,
        **_identify(source, body),
    )
    try:
        await asyncio.to_thread(record_rejection, engine=gateway.engine, rejection=rejection)
    except StoreUnavailable as store_exc:
        log.error("rejection not stored (%s): %s", store_exc, exc.reason)
        return _error_answer(gateway, source, store_exc, now)
    log.info("rejected %s document: %s", source.value, exc.reason)
    return answer


def _error_answer(
    gateway: Gateway, source: SourceFormat, exc: B2BError, now: dt.datetime
) -> Answer:
    code, text = exc.cxml_status
    if source is SourceFormat.CXML:
        # cXML answers in the body; the HTTP status mirrors it so that Coupa retries a 5xx.
        return _cxml_answer(gateway, code, text, exc.reason, now)
    return Answer(exc.http_status, render_order_receipt([], error=exc.reason), "application/xml")


def _cxml_answer(gateway: Gateway, code: int, text: str, message: str, now: dt.datetime) -> Answer:
    payload_id = new_payload_id(gateway.settings.payload_id_host)
    body = render_cxml_response(code, text, message, payload_id=payload_id, timestamp=now)
    return Answer(code if code >= 400 else 200, body)


_KEY_PATTERNS = {
    SourceFormat.CXML: (
        re.compile(rb'payloadID="([^"]{1,512})"'),
        re.compile(rb'orderID="([^"]{1,64})"'),
    ),
    SourceFormat.COUPA_XML: (None, re.compile(rb"<id[^>]*>\s*([^<\s]{1,64})\s*</id>")),
}


def _identify(source: SourceFormat, body: bytes) -> dict[str, str | None]:
    """Best-effort keys of a refused document, so operators can find it by PO number."""
    found: dict[str, str | None] = {}
    for name, pattern in zip(("document_key", "po_number"), _KEY_PATTERNS[source], strict=True):
        match = pattern.search(body[:65536]) if pattern is not None else None
        found[name] = match.group(1).decode("utf-8", "replace") if match else None
    return found


def _check_shared_secret(settings: Settings, received: ReceivedOrder) -> None:
    expected = settings.coupa_shared_secret
    if expected is None:
        return
    given = received.shared_secret or ""
    if not hmac.compare_digest(given.encode(), expected.get_secret_value().encode()):
        raise AuthenticationFailed("Sender/Credential/SharedSecret is missing or wrong")


def _check_token(settings: Settings, token: str | None) -> None:
    expected = settings.coupa_api_token
    if expected is None:
        return
    if not hmac.compare_digest((token or "").encode(), expected.get_secret_value().encode()):
        raise AuthenticationFailed("the bearer token is missing or wrong")


# ---------------------------------------------------------------- worker path


def process_next(gateway: Gateway, transports: TransportCache, *, worker: str) -> bool:
    """Map and send one due message; False when none is due."""
    now = utcnow()
    lease = dt.timedelta(seconds=gateway.settings.lease_seconds)
    claim = claim_next(
        engine=gateway.engine, blobs=gateway.blobs, worker=worker, now=now, lease=lease
    )
    if claim is None:
        return False
    try:
        partner = gateway.partners.get(claim.partner_id)
    except KeyError:
        _fail(gateway, claim, worker, f"partner {claim.partner_id!r} is no longer configured")
        return True
    if claim.state == MessageState.AWAITING_MDN and claim.attempts >= partner.retry.max_attempts:
        _fail(gateway, claim, worker, f"no MDN after {claim.attempts} attempts")
        return True
    try:
        built = _built(claim) or _map(gateway, claim, partner, worker)
    except B2BError as exc:
        _fail(gateway, claim, worker, f"mapping failed: {exc.reason}")
        return True
    _send(
        gateway, transports.get(partner), claim=claim, partner=partner, built=built, worker=worker
    )
    return True


def _built(claim: Claim) -> Built | None:
    if claim.payload is None or claim.filename is None:
        return None
    return Built(claim.payload, claim.filename, claim.interchange_control_number or 0, 0, ())


def _map(gateway: Gateway, claim: Claim, partner: PartnerProfile, worker: str) -> Built:
    received = _reparse(claim)
    transaction = map_purchase_order(received.order, partner.x12, gateway.maps)
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
            _filename(partner, claim, control_number),
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
    )


def _reparse(claim: Claim) -> ReceivedOrder:
    if claim.source_format == SourceFormat.CXML.value:
        return parse_order_request(claim.raw)
    for order in parse_order_headers(claim.raw):
        if order.order.number == claim.po_number:
            return order
    raise MappingError(f"PO {claim.po_number} is no longer in its stored document")


def _filename(partner: PartnerProfile, claim: Claim, control_number: int) -> str:
    po = re.sub(r"[^A-Za-z0-9_-]", "_", claim.po_number)[:40]
    return f"{partner.id}_{PURCHASE_ORDER_SET}_{po}_{control_number:09d}.x12"


def _send(
    gateway: Gateway,
    transport: Transport | As2Poster,
    *,
    claim: Claim,
    partner: PartnerProfile,
    built: Built,
    worker: str,
) -> None:
    try:
        receipt = _deliver(
            gateway, transport, claim=claim, partner=partner, built=built, worker=worker
        )
    except B2BError as exc:
        attempt = claim.attempts + 1
        give_up = not exc.retryable or attempt >= partner.retry.max_attempts
        retry_at = (
            None if give_up else utcnow() + dt.timedelta(seconds=partner.retry.backoff(attempt))
        )
        reason = f"attempt {attempt}: {type(exc).__name__}: {exc.reason}"
        _fail(gateway, claim, worker, reason, retry_at=retry_at, attempted=True)
        return
    if receipt is None:  # an asynchronous MDN is awaited
        log.info(
            "sent message %d (PO %s) to %s by AS2; awaiting the MDN",
            claim.message_id,
            claim.po_number,
            partner.id,
        )
        return
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
    transport: Transport | As2Poster,
    *,
    claim: Claim,
    partner: PartnerProfile,
    built: Built,
    worker: str,
) -> str | None:
    """Hand the bytes to the transport: the receipt, or None while an MDN is awaited."""
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
    return f"{receipt.transport}:{receipt.location}"


def _fail(
    gateway: Gateway,
    claim: Claim,
    worker: str,
    reason: str,
    *,
    retry_at: dt.datetime | None = None,
    attempted: bool = False,
) -> None:
    """Record a failed step: retried at `retry_at`, or failed for good when it is None."""
    record_failure(
        engine=gateway.engine,
        message_id=claim.message_id,
        worker=worker,
        reason=reason,
        now=utcnow(),
        retry_at=retry_at,
        attempted=attempted,
    )
    level = logging.WARNING if retry_at else logging.ERROR
    outcome = f"retry at {retry_at:%H:%M:%S}" if retry_at else "failed"
    log.log(level, "message %d (PO %s) %s: %s", claim.message_id, claim.po_number, outcome, reason)


class TransportCache:
    """One open transport per partner, re-used across sends by one worker."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._open: dict[str, Transport | As2Poster] = {}

    def get(self, partner: PartnerProfile) -> Transport | As2Poster:
        """The partner's transport, opened on first use."""
        if partner.id not in self._open:
            self._open[partner.id] = self._opened(partner)
        return self._open[partner.id]

    def _opened(self, partner: PartnerProfile) -> Transport | As2Poster:
        certs = self._settings.resolve(self._settings.certs_dir)
        if isinstance(partner.transport, As2Transport):
            return As2Poster(partner.transport, certs_dir=certs)
        return open_transport(
            partner.transport,
            certs_dir=certs,
            data_dir=self._settings.resolve(self._settings.data_dir),
        )

    @functools.cached_property
    def mdn_client(self) -> httpx.Client:
        """The HTTP client that posts asynchronous MDNs to the URLs partners ask for."""
        return httpx.Client(timeout=60.0)

    def close(self) -> None:
        """Close every open transport."""
        for transport in self._open.values():
            transport.close()
        self._open.clear()
        if "mdn_client" in self.__dict__:
            self.mdn_client.close()
