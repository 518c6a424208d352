"""uvicorn's HTTP protocols, passing the TLS client certificate to the app (ASGI TLS extension).

uvicorn does not put the peer certificate into the scope. These subclasses of its h11 and
httptools protocols read it once per connection, after the handshake, and give every request
of the connection `scope["extensions"]["tls"]` as the ASGI TLS extension describes it
(`client_cert_chain`: PEM strings, the client's own certificate first). `b2b.tls` selects
them when the gateway asks clients for certificates:

    uvicorn.run(app, http="b2b.api.peercert:ClientCertificateProtocol", ssl_ca_certs=...)
"""

from __future__ import annotations

import asyncio
import ssl
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from uvicorn.protocols.http.h11_impl import H11Protocol

from b2b.api.throttle import ASGIApp, Receive, Scope, Send

#: TLS versions as the extension numbers them (the record-layer version).
_TLS_VERSIONS = {"TLSv1.2": 0x0303, "TLSv1.3": 0x0304}


def tls_extension(transport: asyncio.BaseTransport) -> dict[str, Any] | None:
    """The ASGI TLS extension for a connection; None over plain HTTP."""
    ssl_object: ssl.SSLObject | None = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    certificate = x509.load_der_x509_certificate(der) if der else None
    return {
        "server_cert": None,
        "client_cert_chain": [certificate.public_bytes(Encoding.PEM).decode("ascii")]
        if certificate is not None
        else [],
        "client_cert_name": certificate.subject.rfc4514_string() if certificate else None,
        "client_cert_error": None,
        "tls_version": _TLS_VERSIONS.get(ssl_object.version() or ""),
        "cipher_suite": None,
    }


class WithTls:
    """ASGI middleware for one connection: its TLS extension in every request's scope."""

    def __init__(self, app: ASGIApp, tls: dict[str, Any]) -> None:
        self.app, self.tls = app, tls

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in {"http", "websocket"}:
            extensions = {**scope.get("extensions", {}), "tls": self.tls}
            scope = {**scope, "extensions": extensions}
        await self.app(scope, receive, send)


class H11ClientCertificate(H11Protocol):
    """uvicorn's h11 protocol with the TLS extension in the scope."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        tls = tls_extension(transport)
        if tls is not None:
            self.app = WithTls(self.app, tls)


ClientCertificateProtocol: type[asyncio.Protocol]
try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - httptools is optional for uvicorn
    ClientCertificateProtocol = H11ClientCertificate
else:

    class HttpToolsClientCertificate(HttpToolsProtocol):
        """uvicorn's httptools protocol with the TLS extension in the scope."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(transport)
            tls = tls_extension(transport)
            if tls is not None:
                self.app = WithTls(self.app, tls)

    ClientCertificateProtocol = HttpToolsClientCertificate


def client_certificate(scope: Scope) -> bytes | None:
    """The DER of the client's TLS certificate from the scope's TLS extension, if it sent one.

    >>> client_certificate(request.scope)
    b'0\\x82\\x03...'
    """
    tls = scope.get("extensions", {}).get("tls") or {}
    chain = tls.get("client_cert_chain") or []
    if not chain:
        return None
    certificate = x509.load_pem_x509_certificate(str(chain[0]).encode("ascii"))
    return certificate.public_bytes(Encoding.DER)
