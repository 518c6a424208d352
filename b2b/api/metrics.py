"""`GET /metrics` (Prometheus) and what only the HTTP side knows: requests by client and route,
and the request limits' refusals.

    b2b_http_requests_total{client,route,status}   client: the admin principal's name, the
        Coupa buyer's id, the AS2-From of a configured partner, else "anonymous"; route: the
        route's template (/messages/{message_id}), "other" for a path no route serves
    b2b_throttled_total{scope,key}                 scope client (key "all": addresses are not
        labels) or partner (key: a configured AS2-From, else "other")

A viewer's API key is needed unless B2B_METRICS_PUBLIC=true (Prometheus sends one with
`authorization: {credentials: ...}` in its scrape config).

    >>> metrics = install(app, settings)
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from typing import Any

from fastapi import Depends, FastAPI, Request, Response
from prometheus_client import Counter
from prometheus_client.core import CounterMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.routing import BaseRoute

from b2b.api.auth import Role, require
from b2b.api.throttle import AS2_PATHS, ASGIApp, Receive, Scope, Send, Throttle, ThrottleMiddleware
from b2b.config import Settings
from b2b.logs import log_context
from b2b.metrics import Metrics

ANONYMOUS = "anonymous"
OTHER = "other"


def install(app: FastAPI, settings: Settings) -> Metrics:
    """The app's registry, its request counting middleware and `GET /metrics`."""
    metrics = Metrics(lambda: getattr(app.state, "gateway", None), tls_certificate=_tls(settings))
    requests = Counter(
        "b2b_http_requests",
        "HTTP requests answered, by client, route template and status",
        ["client", "route", "status"],
        registry=metrics.registry,
    )
    metrics.registry.register(ThrottleCollector(app))
    app.state.metrics = metrics
    app.add_middleware(RequestMetrics, requests=requests)
    guard = [] if settings.metrics_public else [Depends(require(Role.VIEWER))]

    @app.get("/metrics", summary="Prometheus metrics (text format)", dependencies=guard)
    def prometheus(request: Request) -> Response:
        body, content_type = metrics.render(request.headers.get("accept"))
        return Response(body, headers={"Content-Type": content_type})

    return metrics


def _tls(settings: Settings) -> Any:
    tls = settings.server_tls()
    return tls.certificate if tls is not None else None


class RequestMetrics:
    """ASGI middleware: counts each answered request, and opens its log context (b2b.logs),
    which the request path fills in (the buyer, the PO...)."""

    def __init__(self, app: ASGIApp, *, requests: Counter) -> None:
        self.app, self.requests = app, requests

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = [500]  # an exception that escapes is answered 500 by the server

        async def sending(message: MutableMapping[str, Any]) -> None:
            if message["type"] == "http.response.start":
                status[0] = int(message["status"])
            await send(message)

        with log_context() as context:
            try:
                await self.app(scope, receive, sending)
            finally:
                client = _client(scope, context)
                self.requests.labels(client, _route(scope), str(status[0])).inc()


def _client(scope: Scope, context: dict[str, str | int]) -> str:
    """Who called, from a bounded set: never an address or a header's free text."""
    principal = scope.get("state", {}).get("principal")
    if principal is not None:
        return str(principal.name)
    if "buyer" in context:
        return str(context["buyer"])
    if scope["path"] in AS2_PATHS:
        as2_from = _header(scope, b"as2-from")
        gateway = getattr(scope["app"].state, "gateway", None) if "app" in scope else None
        if gateway is not None and as2_from in gateway.as2.partners:
            return as2_from
    return ANONYMOUS


def _route(scope: Scope) -> str:
    route = scope.get("route")
    if isinstance(route, BaseRoute) and hasattr(route, "path"):
        return str(route.path)
    app = scope.get("app")
    paths = {getattr(r, "path", None) for r in getattr(app, "routes", ())}
    return str(scope["path"]) if scope["path"] in paths else OTHER  # e.g. refused by a limit


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            return str(value.decode("latin-1").strip().strip('"').strip())
    return ""


class ThrottleCollector(Collector):
    """The request limits' refusals (`GET /metrics/throttle` has the per-address detail)."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def collect(self) -> Iterator[Metric]:
        family = CounterMetricFamily(
            "b2b_throttled", "Requests refused by a request limit", labels=["scope", "key"]
        )
        client, partner = _throttles(self._app)
        if client is not None:
            family.add_metric(["client", "all"], client.snapshot()["refused"])
        if partner is not None:
            gateway = getattr(self._app.state, "gateway", None)
            known = set(gateway.as2.partners) if gateway is not None else set()
            counts: dict[str, int] = {}
            for key, seen in partner.snapshot()["keys"].items():
                label = key if key in known else OTHER
                counts[label] = counts.get(label, 0) + int(seen["refused"])
            for label, refused in sorted(counts.items()):
                family.add_metric(["partner", label], refused)
        yield family


def _throttles(app: FastAPI) -> tuple[Throttle | None, Throttle | None]:
    """The limits `_throttle` installed (none when they are off)."""
    for middleware in app.user_middleware:
        if getattr(middleware.cls, "__name__", "") == ThrottleMiddleware.__name__:
            client, partner = middleware.kwargs.get("client"), middleware.kwargs.get("partner")
            return _throttle(client), _throttle(partner)
    return None, None


def _throttle(found: object) -> Throttle | None:
    return found if isinstance(found, Throttle) else None
