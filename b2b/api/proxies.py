"""The client address behind trusted proxies: X-Forwarded-For only from a proxy we trust.

The TCP peer is the client unless it is one of `B2B_TRUSTED_PROXIES`; then X-Forwarded-For
is read from the right, skipping our own proxies, and the first other hop is the client. A
client that writes X-Forwarded-For itself, straight to the gateway or through a proxy that
appends to it, cannot choose its address: only the hops our proxies added are believed.
`ForwardedFor` puts that address into the ASGI scope's `client`, before the throttle and the
routes (the buyers' IP allow-list) read it. uvicorn's own `--proxy-headers` stays off: it
trusts 127.0.0.1 by default, so any local process could name any address.

    >>> client_address("10.0.0.2", ["198.51.100.7, 10.0.0.3"], parse_networks(["10.0.0.0/24"]))
    '198.51.100.7'
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Sequence
from typing import Any

from b2b.api.throttle import ASGIApp, Receive, Scope, Send

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


def parse_networks(cidrs: Iterable[str]) -> tuple[IpNetwork, ...]:
    """The networks `cidrs` name ("10.0.0.0/8", "::1", "192.0.2.7"); ValueError for others."""
    return tuple(ipaddress.ip_network(cidr.strip(), strict=True) for cidr in cidrs)


def client_address(
    peer: str | None, forwarded_for: Sequence[str], trusted: Sequence[IpNetwork]
) -> str | None:
    """The client: `peer`, or the rightmost X-Forwarded-For hop that is not a trusted proxy
    when `peer` is one (the leftmost hop when every hop is trusted)."""
    if not _trusted(peer, trusted):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, trusted):
            return _plain(hop)
    return _plain(hops[0]) if hops else peer


def _trusted(host: str | None, trusted: Sequence[IpNetwork]) -> bool:
    address = _address(host)
    return address is not None and any(address in network for network in trusted)


def _address(host: str | None) -> IpAddress | None:
    try:
        address = ipaddress.ip_address(_plain(host or ""))
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def _plain(hop: str) -> str:
    """A hop without brackets or port ("[2001:db8::1]:443", "192.0.2.1:80" as proxies write)."""
    if hop.startswith("[") and "]" in hop:
        return hop[1 : hop.index("]")]
    if hop.count(":") == 1:
        return hop.partition(":")[0]
    return hop


class ForwardedFor:
    """ASGI middleware: `scope["client"]` becomes the address `client_address` finds.

    The TCP peer stays in `scope["b2b.peer"]` (the proxy, for logs).
    """

    def __init__(self, app: ASGIApp, *, trusted: Sequence[IpNetwork]) -> None:
        self.app, self.trusted = app, tuple(trusted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            scope = self._rewritten(scope)
        await self.app(scope, receive, send)

    def _rewritten(self, scope: Scope) -> Scope:
        peer: Any = scope.get("client")
        host = str(peer[0]) if peer else None
        forwarded = [
            value.decode("latin-1")
            for name, value in scope.get("headers", ())
            if name.lower() == b"x-forwarded-for"
        ]
        client = client_address(host, forwarded, self.trusted)
        if client == host:
            return scope
        return {**scope, "client": (client, 0), "b2b.peer": peer}
