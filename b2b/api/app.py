"""The FastAPI application: thin routes over the engine.

>>> app = create_app(load_settings())
$ uvicorn --factory b2b.api.app:app_from_environment
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any

from fastapi import Depends, FastAPI, Header, HTTPException, Query, Request, Response

from b2b import engine
from b2b.api import admin, dashboard
from b2b.api.auth import Role, require
from b2b.api.metrics import install as install_metrics
from b2b.api.peercert import client_certificate
from b2b.api.proxies import ForwardedFor, parse_networks
from b2b.api.ready import install_ready
from b2b.api.throttle import Throttle, ThrottleMiddleware
from b2b.api.views import (
    document_json,
    inbound_json,
    message_json,
    rejection_json,
    timeline,
)
from b2b.config import Settings, load_settings
from b2b.documents import SourceFormat
from b2b.engine import Answer, Gateway, open_gateway
from b2b.errors import PayloadTooLarge, ResendRefused, UnknownMessage
from b2b.logs import configure_logging
from b2b.partners.buyers import Caller
from b2b.store import (
    MessageState,
    find_business_documents,
    find_inbound,
    find_messages,
    find_rejections,
    get_message,
    request_resend,
    utcnow,
)
from b2b.store.search import search_messages
from b2b.worker import start_worker_thread

STATES = tuple(s.value for s in MessageState)
SEARCH_BOX = "a PO number, ISA13/GS06/ST02 control number, AS2 Message-ID or payloadID"


def create_app(settings: Settings) -> FastAPI:
    """The gateway's HTTP application; the gateway opens when the app starts."""

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        gateway = open_gateway(settings)
        app.state.gateway = gateway
        stop = threading.Event()
        metrics = app.state.metrics  # the worker's sends are timed into the app's registry
        embedded = settings.embedded_worker
        worker = start_worker_thread(gateway, stop, metrics=metrics) if embedded else None
        app.state.worker = worker  # GET /ready checks it
        try:
            yield
        finally:
            stop.set()
            gateway.wake.set()
            if worker is not None:
                worker.join(timeout=30)
            gateway.close()

    app = FastAPI(title="b2b gateway", version="0.1.0", lifespan=lifespan)
    _routes(app, settings)
    app.include_router(admin.router)  # the admin API's JSON twins of the dashboard
    dashboard.mount(app)  # /ui
    _throttle(app, settings)
    install_metrics(app, settings)  # GET /metrics, requests counted
    install_ready(app, settings)  # GET /ready
    if settings.trusted_proxies:  # outermost: the throttle and the routes see the client
        app.add_middleware(ForwardedFor, trusted=parse_networks(settings.trusted_proxies))
    return app


def app_from_environment() -> FastAPI:
    """For `uvicorn --factory`: settings from the environment."""
    settings = load_settings()
    configure_logging(settings)  # also in each `b2b serve --workers` process
    return create_app(settings)


def _gateway(request: Request) -> Gateway:
    gateway: Gateway = request.app.state.gateway
    return gateway


async def _body(request: Request, gateway: Gateway, source: SourceFormat) -> bytes | Answer:
    """The request body, or the 413 answer once it passes the limit (nothing parsed)."""
    limit = gateway.settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    chunks, size = [], 0
    if not (declared.isdigit() and int(declared) > limit):
        async for chunk in request.stream():
            size += len(chunk)
            if size > limit:
                break
            chunks.append(chunk)
        else:
            return b"".join(chunks)
    head = b"".join(chunks)
    error = PayloadTooLarge(f"the body is over the limit of {limit} bytes")
    return await engine.reject(gateway, source, head, error, now=utcnow(), keep_bytes=65536)


def _headers(request: Request) -> tuple[tuple[str, str], ...]:
    """The request's headers as sent (names case-insensitive later, values as latin-1)."""
    return tuple((k.decode("latin-1"), v.decode("latin-1")) for k, v in request.headers.raw)


async def _as2_body(request: Request, gateway: Gateway) -> bytes | Response:
    limit = gateway.settings.as2_max_payload_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        return Response(f"over the limit of {limit} bytes\n", status_code=413)
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            return Response(f"over the limit of {limit} bytes\n", status_code=413)
        chunks.append(chunk)
    return b"".join(chunks)


def _caller(request: Request) -> Caller:
    """The client address (X-Forwarded-For only from B2B_TRUSTED_PROXIES, see `ForwardedFor`)
    and the Authorization header."""
    ip = request.client.host if request.client else None
    return Caller(ip, request.headers.get("authorization"))


def _response(answer: Answer) -> Response:
    return Response(answer.body, status_code=answer.status, media_type=answer.media_type)


def _routes(app: FastAPI, settings: Settings) -> None:
    @app.post("/coupa/cxml", summary="Receive a cXML OrderRequest from Coupa")
    async def coupa_cxml(request: Request) -> Response:
        gateway = _gateway(request)
        body = await _body(request, gateway, SourceFormat.CXML)
        if isinstance(body, Answer):
            return _response(body)
        return _response(await engine.receive_cxml(gateway, body, _caller(request)))

    @app.post("/coupa/orders", summary="Receive Coupa order-header XML")
    async def coupa_orders(
        request: Request, authorization: Annotated[str | None, Header()] = None
    ) -> Response:
        gateway = _gateway(request)
        body = await _body(request, gateway, SourceFormat.COUPA_XML)
        if isinstance(body, Answer):
            return _response(body)
        caller = Caller(request.client.host if request.client else None, authorization)
        return _response(await engine.receive_coupa_xml(gateway, body, caller))

    @app.post("/as2", summary="Receive an AS2 message from a partner (RFC 4130)")
    async def as2_receive(request: Request) -> Response:
        gateway = _gateway(request)
        body = await _as2_body(request, gateway)
        if isinstance(body, Response):
            return body
        certificate = client_certificate(request.scope)  # ASGI TLS extension (b2b.api.peercert)
        answer = await engine.receive_as2(gateway, _headers(request), body, certificate)
        if answer.status == 200:
            gateway.wake.set()  # an async MDN may be waiting to be posted
        return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))

    @app.post("/as2/mdn", summary="Receive an asynchronous MDN for a message we sent")
    async def as2_mdn(request: Request) -> Response:
        gateway = _gateway(request)
        body = await _as2_body(request, gateway)
        if isinstance(body, Response):
            return body
        answer = await engine.receive_mdn(gateway, _headers(request), body)
        return Response(answer.body, status_code=answer.status, headers=dict(answer.headers))

    @app.get(
        "/messages",
        summary="Where is a PO? Messages, the partner's documents and rejections, newest first",
        dependencies=[Depends(require(Role.VIEWER))],
    )
    def messages(  # noqa: PLR0917 (FastAPI query parameters)
        request: Request,
        po: str | None = None,
        partner: str | None = None,
        state: str | None = None,
        overdue: bool = False,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
        q: Annotated[str | None, Query(description=SEARCH_BOX)] = None,
        since: Annotated[dt.datetime | None, Query(description="created at or after")] = None,
        until: Annotated[dt.datetime | None, Query(description="created before")] = None,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        if state is not None and state not in STATES:
            raise HTTPException(400, f"state: {state!r} is not one of {', '.join(STATES)}")
        engine_ = _gateway(request).engine
        now = utcnow()
        found = search_messages(
            engine=engine_,
            q=q,
            po=po,
            partner=partner,
            state=state,
            since=since,
            until=until,
            limit=limit,
            offset=offset,
            overdue_at=now if overdue else None,
        )
        whole = partner is None and state is None and not overdue and q is None
        refused = find_rejections(engine=engine_, po=po, limit=limit) if whole else []
        documents = (
            find_business_documents(engine=engine_, po=po, limit=limit)
            if po is not None and state is None and not overdue
            else []
        )
        return {
            "messages": [message_json(m, now) for m in found],
            "documents": [document_json(d) for d in documents],
            "rejections": [rejection_json(r) for r in refused],
            "timeline": timeline(found, documents, refused) if po is not None else [],
        }

    @app.get(
        "/messages/{message_id}",
        summary="One message with its history",
        dependencies=[Depends(require(Role.VIEWER))],
    )
    def message(request: Request, message_id: int) -> dict[str, Any]:
        found = get_message(engine=_gateway(request).engine, message_id=message_id)
        if found is None:
            raise HTTPException(404, f"no message {message_id}")
        return message_json(found, utcnow())

    @app.post(
        "/messages/{message_id}/resend",
        summary="Resend a sent, failed or dead message: the same bytes, or new control numbers",
        dependencies=[Depends(require(Role.OPERATOR))],
    )
    def resend(request: Request, message_id: int, reissue: bool = False) -> dict[str, Any]:
        gateway = _gateway(request)
        try:
            resent = request_resend(
                engine=gateway.engine, message_id=message_id, now=utcnow(), reissue=reissue
            )
        except (UnknownMessage, ResendRefused) as exc:
            raise HTTPException(exc.http_status, exc.reason) from exc
        gateway.wake.set()
        return {"id": resent.message_id, "state": resent.state, "detail": resent.detail}

    @app.get(
        "/inbound",
        summary="Files partners sent, with the verdict on each interchange",
        dependencies=[Depends(require(Role.VIEWER))],
    )
    def inbound(
        request: Request,
        partner: str | None = None,
        limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    ) -> dict[str, Any]:
        found = find_inbound(engine=_gateway(request).engine, partner=partner, limit=limit)
        return {"files": [inbound_json(f) for f in found]}

    _reload_route(app)

    @app.get("/health", summary="Liveness and database reachability")
    def health(request: Request) -> dict[str, Any]:
        gateway = _gateway(request)
        find_messages(engine=gateway.engine, limit=1, with_events=False)
        return {"status": "ok", "partners": len(gateway.partners)}


def _reload_route(app: FastAPI) -> None:
    @app.post(
        "/partners/reload",
        summary="Load partners/, buyers/ and their files again now (validated: a bad one keeps "
        "the old set, 422 naming the file); each process also notices changes by itself",
        dependencies=[Depends(require(Role.OPERATOR))],
    )
    def partners_reload(request: Request) -> dict[str, Any]:
        gateway = _gateway(request)
        error = engine.try_reload_profiles(gateway)
        if error is not None:
            raise HTTPException(422, error)
        return {"partners": [p.id for p in gateway.partners]}


def _throttle(app: FastAPI, settings: Settings) -> None:
    """Request limits before any body is read, and their counts at `GET /metrics/throttle`."""
    client = partner = None
    if settings.rate_limit_per_client > 0:
        client = Throttle(
            rate=settings.rate_limit_per_client, burst=settings.rate_limit_client_burst
        )
    if settings.rate_limit_per_partner > 0:
        partner = Throttle(
            rate=settings.rate_limit_per_partner, burst=settings.rate_limit_partner_burst
        )
    if client is not None or partner is not None:  # off: no middleware at all
        app.add_middleware(
            ThrottleMiddleware,
            client=client,
            partner=partner,
            payload_id_host=settings.payload_id_host,
        )

    @app.get(
        "/metrics/throttle",
        summary="Requests allowed and refused, per client and partner",
        dependencies=[Depends(require(Role.VIEWER))],
    )
    def throttle_metrics() -> dict[str, Any]:
        return {
            "client": client.snapshot() if client is not None else None,
            "partner": partner.snapshot() if partner is not None else None,
        }
