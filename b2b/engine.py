"""The gateway's parts, loaded once, and the request path: Coupa documents and AS2 messages in.

    Coupa XML ─► parse ─► authenticate ─► route ─► store (document + message) ─► answer

The outbound half, what a worker does with each stored message, is `b2b.outbound`.

>>> gateway = open_gateway(load_settings())
>>> answer = await receive_cxml(gateway, body)
"""

from __future__ import annotations

import asyncio
import datetime as dt
import functools
import logging
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import Engine

from b2b import as2flow, as2inbound
from b2b.as2flow import HttpAnswer
from b2b.config import DEMO_AS2_KEY, Settings
from b2b.coupa import (
    CxmlCodes,
    new_payload_id,
    parse_order_headers,
    parse_order_request,
    redact_shared_secrets,
    render_cxml_response,
)
from b2b.coupa.receipt import render_order_receipt
from b2b.documents import OrderType, ReceivedOrder, SourceFormat
from b2b.errors import (
    B2BError,
    ConfigurationError,
    InvalidDocument,
    StoreUnavailable,
)
from b2b.logs import bind
from b2b.mapping import MapLibrary
from b2b.partners import PartnerProfile, PartnerRegistry, load_partners
from b2b.partners.buyers import BuyerDirectory, Caller
from b2b.partners.secret_files import check_sealed
from b2b.partners.security import As2Directory
from b2b.partners.watch import FolderWatch, watched_files
from b2b.secrets import read_named_secret
from b2b.store import (
    Acceptance,
    IngestWriter,
    Rejection,
    open_engine,
    record_rejection,
    utcnow,
)
from b2b.store.as2 import Inbound, StoredMdn, keep_inbound, offload_inbound
from b2b.store.batch import BatchWriter
from b2b.store.blobs import BlobStore
from b2b.x12 import SetSchemas

log = logging.getLogger(__name__)

CXML = "text/xml; charset=utf-8"
PURCHASE_ORDER_SET = "850"
CHANGE_ORDER_SET = "860"


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
    schemas: SetSchemas
    coupa_secrets: dict[str, str]  # partner id → the shared secret of its cXML to Coupa
    cxml_codes: CxmlCodes  # maps/cxml/codes.toml: the 855/856/810 code lists for Coupa
    buyers: BuyerDirectory  # who may call the Coupa routes
    wake: threading.Event = field(default_factory=threading.Event)
    #: why the last reload of the profiles failed (the old ones still run); None when it worked
    profiles_error: str | None = None
    profiles_watch: FolderWatch | None = None
    reload_lock: threading.Lock = field(default_factory=threading.Lock)

    def close(self) -> None:
        """Stop watching the profiles, flush the ingest writer and release the database."""
        if self.profiles_watch is not None:
            self.profiles_watch.stop()
        self.writer.stop()
        self.as2_writer.stop()
        self.engine.dispose()


def open_gateway(settings: Settings) -> Gateway:
    """Load partners and maps (refusing bad ones), open the store, start the ingest writer."""
    partners, coupa_secrets, buyers, as2 = _load_profiles(settings)
    maps = MapLibrary.load(settings.resolve(settings.maps_dir))
    schemas = SetSchemas.load(settings.resolve(settings.maps_dir) / "x12")
    cxml_codes = CxmlCodes.load(settings.resolve(settings.maps_dir) / "cxml" / "codes.toml")
    engine = open_engine(settings.database_url)
    writer = IngestWriter(engine)
    writer.start()
    as2_writer = BatchWriter(engine, keep_inbound, name="b2b-as2-inbound")
    as2_writer.start()
    blobs = BlobStore(settings.resolve(settings.data_dir) / "blobs")
    gateway = Gateway(
        settings,
        engine,
        partners,
        maps,
        writer,
        as2,
        as2_writer,
        blobs,
        schemas,
        coupa_secrets,
        cxml_codes,
        buyers,
    )
    gateway.profiles_watch = watch_profiles(gateway)
    return gateway


def _load_profiles(
    settings: Settings,
) -> tuple[PartnerRegistry, dict[str, str], BuyerDirectory, As2Directory]:
    """partners/, buyers/ and the secrets and certificates they name, with their warnings
    logged (certificates expiring, clear secrets, the demo key); a bad file is named."""
    partners = load_partners(settings.resolve(settings.partners_dir))
    coupa_secrets = load_coupa_secrets(settings, partners)
    buyers = BuyerDirectory.load(settings)
    as2 = As2Directory.load(settings, partners)
    for warning in as2.expiring(now=utcnow()) + check_sealed(settings, partners):
        log.warning("%s", warning)
    if as2.partners and DEMO_AS2_KEY in settings.as2_keys:
        log.warning(
            "AS2 uses the public demo key certs/%s: make your own with `b2b certs new`",
            DEMO_AS2_KEY,
        )
    _warn_about_buyers(settings, buyers)
    return partners, coupa_secrets, buyers, as2


def _warn_about_buyers(settings: Settings, buyers: BuyerDirectory) -> None:
    if buyers.shorthand is None:
        if settings.coupa_shared_secret is not None or settings.coupa_api_token is not None:
            log.warning("%s holds buyer profiles: B2B_COUPA_* are ignored", settings.buyers_dir)
    elif settings.coupa_shared_secret is None:
        log.warning("B2B_COUPA_SHARED_SECRET is not set: cXML from any sender is accepted")


def load_coupa_secrets(settings: Settings, partners: PartnerRegistry) -> dict[str, str]:
    """Each partner's shared secret for its cXML to Coupa, read once; a missing file is named."""
    secrets: dict[str, str] = {}
    for partner in partners:
        documents = partner.coupa.documents
        if documents is None:
            continue
        secrets[partner.id] = read_named_secret(
            settings.resolve(settings.certs_dir),
            documents.shared_secret_file,
            settings.kek_bytes(),
            f"{partner.id}: coupa.documents.shared_secret_file",
        )
    return secrets


# ---------------------------------------------------------------- profile reload


def reload_profiles(gateway: Gateway) -> PartnerRegistry:
    """Load partners/, buyers/ and the files they name again and swap them in: validated first,
    so a ConfigurationError (naming the file) leaves the old set running.

    The four fields are swapped together under `reload_lock`, partners last: a request that
    routes to a new partner finds its AS2 security and Coupa secret already in place. Each
    object is immutable once loaded, so a request holding one sees a consistent view of it.
    """
    settings = gateway.settings
    with gateway.reload_lock:
        partners, coupa_secrets, buyers, as2 = _load_profiles(settings)
        gateway.as2, gateway.coupa_secrets, gateway.buyers = as2, coupa_secrets, buyers
        gateway.partners = partners
        gateway.profiles_error = None
    log.info("profiles reloaded: %s", ", ".join(p.id for p in partners) or "no partners")
    gateway.wake.set()
    return partners


def try_reload_profiles(gateway: Gateway) -> str | None:
    """`reload_profiles`, logging and keeping (in `profiles_error`) the reason it failed.

    >>> try_reload_profiles(gateway)  # None: reloaded
    'partners/acme.toml: x12.envelope.receiver_id: Field required'
    """
    try:
        reload_profiles(gateway)
    except ConfigurationError as exc:
        gateway.profiles_error = exc.reason
        log.error("profiles not reloaded, the previous ones stay in use: %s", exc.reason)
        return exc.reason
    return None


def watch_profiles(gateway: Gateway) -> FolderWatch | None:
    """Reload the profiles whenever their files change (every `partners_watch_seconds`)."""
    interval = gateway.settings.partners_watch_seconds
    if interval <= 0:
        return None
    files = functools.partial(_watched, gateway)
    return FolderWatch(interval, files, functools.partial(try_reload_profiles, gateway)).start()


def _watched(gateway: Gateway) -> list[Path]:
    return watched_files(gateway.settings, gateway.partners)


# ---------------------------------------------------------------- request path


async def receive_cxml(gateway: Gateway, body: bytes, caller: Caller | None = None) -> Answer:
    """A cXML OrderRequest: stored and answered with a cXML Response, or refused with a reason."""
    now = utcnow()
    try:
        received = parse_order_request(body)
        bind(po=received.order.number, payload_id=received.document_key)
        bind(buyer=gateway.buyers.check_cxml(received, caller or Caller()).id)
        partner = gateway.partners.route(received.recipients)
        bind(partner=partner.id)
    except B2BError as exc:
        return await reject(gateway, SourceFormat.CXML, body, exc, now=now)
    ok = _cxml_answer(gateway, 200, "OK", "", now)
    # Checked above, the secret is not kept: the stored bytes still parse and map to the 850.
    return await _accept(gateway, [(received, partner)], redact_shared_secrets(body), ok, now)


async def receive_coupa_xml(gateway: Gateway, body: bytes, caller: Caller) -> Answer:
    """Coupa `order-header(s)` XML: every order stored, or the whole request refused."""
    now = utcnow()
    try:
        bind(buyer=gateway.buyers.check_token(caller).id)
        orders = parse_order_headers(body)
        bind(po=orders[0].order.number if len(orders) == 1 else None)
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
            Acceptance(
                received,
                partner.id,
                transaction_set(received, partner),
                body,
                ok.status,
                ok.body,
                now,
            )
        )
        for received, partner in routed
    ]
    source = routed[0][0].source_format
    try:
        results = [await asyncio.wrap_future(f) for f in futures]
    except StoreUnavailable as exc:
        log.error("not accepted, the sender will retry: %s", exc)
        return _error_answer(gateway, source, exc, now)
    refused = [r.refused for r in results if r.refused]
    if len(refused) < len(results) and not all(r.duplicate for r in results if not r.refused):
        gateway.wake.set()
    if refused:  # the others, if any, are kept: sent again, they are answered as duplicates
        return await reject(gateway, source, body, InvalidDocument("; ".join(refused)), now=now)
    first = results[0]
    return Answer(first.response_status, first.response_body, ok.media_type)


def transaction_set(received: ReceivedOrder, partner: PartnerProfile) -> str:
    """The X12 an order becomes: an 850, or for a change or cancellation the partner's choice."""
    if received.order.order_type is OrderType.NEW or partner.x12.changes == "850":
        return PURCHASE_ORDER_SET
    return CHANGE_ORDER_SET


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
        raw=redact_shared_secrets(body[:keep_bytes]),  # a refused cXML's secret is not kept
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


def _keep(gateway: Gateway) -> as2inbound.Keep:
    def keep(inbound: Inbound) -> tuple[int, StoredMdn | None]:
        # Large bodies go to files here, in the request's thread, durable before the row commits.
        return gateway.as2_writer.submit(offload_inbound(inbound, gateway.blobs)).result()

    return keep


#: Below this, a received AS2 message is opened on the event loop (cheaper than a thread hop);
#: above it, in a thread, so that a large one does not hold up other requests.
INLINE_AS2_BYTES = 1 << 20


async def receive_as2(
    gateway: Gateway,
    headers: tuple[tuple[str, str], ...],
    body: bytes,
    client_certificate: bytes | None = None,
) -> HttpAnswer:
    """An AS2 message from a partner: opened, kept durably, answered with its MDN or 200.

    `client_certificate`: DER of the TLS client certificate the post came with, if any.
    """
    host, limit = gateway.settings.payload_id_host, gateway.settings.as2_max_payload_bytes
    tls = client_certificate
    if len(body) > INLINE_AS2_BYTES:
        return await asyncio.to_thread(
            functools.partial(
                as2inbound.receive, host=host, max_payload_bytes=limit, client_certificate=tls
            ),
            gateway.as2,
            _keep(gateway),
            headers,
            body,
        )
    prepared = as2inbound.prepare(
        gateway.as2, headers, body, host=host, max_payload_bytes=limit, client_certificate=tls
    )
    if isinstance(prepared, HttpAnswer):
        return prepared
    _, duplicate = await asyncio.wrap_future(
        gateway.as2_writer.submit(offload_inbound(prepared.inbound, gateway.blobs))
    )
    return prepared.answer(duplicate)


async def receive_mdn(
    gateway: Gateway, headers: tuple[tuple[str, str], ...], body: bytes
) -> HttpAnswer:
    """An asynchronous MDN for a message we sent: checked strictly, then the message settles."""
    return await asyncio.to_thread(
        functools.partial(as2flow.receive_async_mdn, blobs=gateway.blobs),
        gateway.as2,
        gateway.engine,
        headers,
        body,
    )


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
