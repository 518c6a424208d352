"""Request limits: a token bucket per client address, and per AS2 partner on the AS2 routes.

Refused requests are answered before their body is read, each in its sender's protocol:

- `/coupa/cxml`: HTTP 503 with a cXML Response whose Status is 503 (see `SENDERS_STATUS`);
- `/coupa/orders`: HTTP 503 with the Coupa XML receipt carrying the error;
- `/as2`, `/as2/mdn`: HTTP 503;
- any other route (operators' API): HTTP 429 with a JSON `detail`.

Every refusal carries `Retry-After` in whole seconds: when the bucket holds a token again.
The buckets live in the process: each gateway node (each uvicorn worker) counts on its own, so
N nodes allow N times the configured rate; a shared bucket would cost a database round trip
per request.

    >>> app.add_middleware(ThrottleMiddleware, client=Throttle(rate=50, burst=100), ...)
"""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from b2b.coupa.receipt import render_order_receipt
from b2b.coupa.response import new_payload_id, render_cxml_response

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: What a document sender gets when refused for its rate: a document must be sent again, never
#: lost. Coupa retries a 5xx five times an hour apart and never a 4xx, so a 429 would lose the
#: order. OpenAS2 (AS2SenderModule.sendMessage) and django-pyas2 (Message.send_message) treat
#: every non-2xx alike (their resend queue, Retry-After unread). 503 with Retry-After is RFC
#: 9110's "temporarily overloaded", and every sender we know of retries it.
SENDERS_STATUS = 503
UNAVAILABLE = "Service Unavailable"
AS2_PATHS = ("/as2", "/as2/mdn")
CXML_PATH = "/coupa/cxml"
COUPA_XML_PATH = "/coupa/orders"
#: A key unseen this long is dropped (its counts stay in the totals); a bucket idle that long
#: is full again anyway, so forgetting it changes no answer.
IDLE_SECONDS = 300.0
MAX_KEYS = 10_000
MAX_KEY_LENGTH = 128


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated: float
    allowed: int = 0
    refused: int = 0


class Throttle:
    """A token bucket per key: `rate` tokens a second, up to `burst`; thread safe, bounded.

    wait = throttle.take("10.0.0.7")  # 0.0: go ahead; else seconds until a token
    """

    def __init__(
        self,
        *,
        rate: float,
        burst: int,
        max_keys: int = MAX_KEYS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if rate <= 0 or burst < 1 or max_keys < 1:
            raise ValueError(f"rate {rate} and burst {burst} must be positive")
        self.rate, self.burst, self.max_keys = rate, burst, max_keys
        self._idle = max(burst / rate, IDLE_SECONDS)
        self._clock = clock
        self._lock = threading.Lock()
        self._buckets: OrderedDict[str, _Bucket] = OrderedDict()
        self._allowed = self._refused = 0

    def take(self, key: str) -> float:
        """Take a token for `key`: 0.0 if there was one, else the seconds until there is."""
        with self._lock:
            now = self._clock()
            bucket = self._bucket(key, now)
            bucket.tokens = min(self.burst, bucket.tokens + (now - bucket.updated) * self.rate)
            bucket.updated = now
            if bucket.tokens >= 1:
                bucket.tokens -= 1
                bucket.allowed += 1
                self._allowed += 1
                return 0.0
            bucket.refused += 1
            self._refused += 1
            return (1 - bucket.tokens) / self.rate

    def snapshot(self) -> dict[str, Any]:
        """Settings, totals since start, and the counts of each key seen recently; "scope" says
        the counts are this process's only (other nodes keep their own buckets)."""
        with self._lock:
            self._evict(self._clock())
            keys = {
                key: {"allowed": b.allowed, "refused": b.refused}
                for key, b in self._buckets.items()
            }
            return {
                "scope": "per process",
                "rate": self.rate,
                "burst": self.burst,
                "allowed": self._allowed,
                "refused": self._refused,
                "keys": keys,
            }

    def _bucket(self, key: str, now: float) -> _Bucket:
        bucket = self._buckets.pop(key, None)
        self._evict(now, room=1)
        if bucket is None:
            bucket = _Bucket(tokens=float(self.burst), updated=now)
        self._buckets[key] = bucket  # the most recently used key goes last
        return bucket

    def _evict(self, now: float, room: int = 0) -> None:
        """Drop the least recently used keys: idle ones, and any over `max_keys - room`."""
        buckets = self._buckets
        while buckets and (
            len(buckets) > self.max_keys - room
            or now - next(iter(buckets.values())).updated > self._idle
        ):
            buckets.popitem(last=False)


class ThrottleMiddleware:
    """ASGI middleware: the client bucket for every request, the partner bucket for AS2.

    The partner is the AS2-From header (quotes stripped). The client is `scope["client"]`: the
    TCP peer, or the address behind a trusted proxy (`b2b.api.proxies.ForwardedFor`, which
    runs first); X-Forwarded-For is never read here.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        client: Throttle | None,
        partner: Throttle | None,
        payload_id_host: str,
    ) -> None:
        self.app, self.client, self.partner = app, client, partner
        self.payload_id_host = payload_id_host

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        wait = self._wait(scope) if scope["type"] == "http" else 0.0
        if wait > 0:
            await self._refuse(scope, send, wait)
        else:
            await self.app(scope, receive, send)

    def _wait(self, scope: Scope) -> float:
        if self.client is not None:
            peer = scope.get("client")
            wait = self.client.take(str(peer[0]) if peer else "")
            if wait > 0:
                return wait
        if self.partner is not None and scope["path"] in AS2_PATHS:
            as2_from = _header(scope, b"as2-from")
            if as2_from:
                return self.partner.take(as2_from)
        return 0.0

    async def _refuse(self, scope: Scope, send: Send, wait: float) -> None:
        status, media_type, body = self._answer(scope["path"], wait)
        headers = [
            (b"content-type", media_type.encode()),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(max(1, math.ceil(wait))).encode()),
        ]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})

    def _answer(self, path: str, wait: float) -> tuple[int, str, bytes]:
        message = f"over the request limit; retry in {max(1, math.ceil(wait))} s"
        if path == CXML_PATH:
            pid = new_payload_id(self.payload_id_host)
            now = datetime.now(UTC)
            body = render_cxml_response(
                SENDERS_STATUS, UNAVAILABLE, message, payload_id=pid, timestamp=now
            )
            return SENDERS_STATUS, "text/xml; charset=utf-8", body
        if path == COUPA_XML_PATH:
            return SENDERS_STATUS, "application/xml", render_order_receipt([], error=message)
        if path in AS2_PATHS:
            return SENDERS_STATUS, "text/plain; charset=utf-8", f"{message}\n".encode()
        return 429, "application/json", b'{"detail":"%s"}' % message.encode()


def _header(scope: Scope, name: bytes) -> str:
    for key, value in scope.get("headers", ()):
        if key.lower() == name:
            text: str = value.decode("latin-1").strip().strip('"').strip()
            return text[:MAX_KEY_LENGTH]
    return ""
