"""AS2's HTTP leg: POST a built message to the partner (or an MDN to an async URL).

Errors are translated here, once: a connection problem, a time-out, HTTP 408, 429 or 5xx may
pass with a retry (TransportError, carrying the answer's Retry-After); any other 4xx, or a 3xx
(redirects are not followed), will not (PermanentTransportError). See `b2b.transport.http`.

    >>> with As2Poster(profile.transport, certs_dir=Path("certs")) as poster:
    ...     reply = poster.post(built.headers, built.body)
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from b2b.errors import ConfigurationError, PermanentTransportError, TransportError
from b2b.partners import As2Transport
from b2b.secrets import read_named_secret
from b2b.transport.http import http_error

Headers = tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class HttpReply:
    """The partner's HTTP answer: a sync MDN travels in it."""

    status: int
    headers: Headers
    body: bytes


class As2Poster:
    """Posts AS2 messages to one partner URL over a kept-alive connection."""

    def __init__(
        self, settings: As2Transport, *, certs_dir: Path, kek: bytes | None = None
    ) -> None:
        self.url = settings.url
        self._client = httpx.Client(
            timeout=settings.timeout_seconds,
            auth=_basic_auth(settings, certs_dir, kek),
            verify=_tls(settings, certs_dir),
        )

    def post(self, headers: Headers, body: bytes) -> HttpReply:
        """POST; a non-2xx answer or a network failure raises (see the module docstring)."""
        return post(self._client, self.url, headers, body)

    def close(self) -> None:
        """Close the connection."""
        self._client.close()

    def __enter__(self) -> As2Poster:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def post(client: httpx.Client, url: str, headers: Headers, body: bytes) -> HttpReply:
    """POST `body` with `headers` to `url`; see the module docstring for errors."""
    fields, content = _content(headers, body)
    with _translate(url):
        response = client.post(url, content=content, headers=fields)
    reply = HttpReply(response.status_code, tuple(response.headers.multi_items()), response.content)
    if not 200 <= reply.status < 300:
        detail = reply.body[:200].decode("utf-8", "replace").strip()
        raise http_error(url, reply.status, detail, retry_after=response.headers.get("retry-after"))
    return reply


CHUNK = 1 << 20


def _content(
    headers: Headers, body: bytes
) -> tuple[list[tuple[str, str]], bytes | Iterator[bytes]]:
    """A large body goes out in chunks: httpx joins a bytes body into one buffer (a copy)."""
    fields = list(headers)
    if len(body) <= CHUNK:
        return fields, body
    if not any(name.lower() == "content-length" for name, _ in fields):
        fields.append(("Content-Length", str(len(body))))  # else httpx would send it chunked
    return fields, _chunks(memoryview(body))


def _chunks(view: memoryview) -> Iterator[bytes]:
    for start in range(0, len(view), CHUNK):
        yield bytes(view[start : start + CHUNK])


@contextmanager
def _translate(url: str) -> Iterator[None]:
    try:
        yield
    except (httpx.TimeoutException, httpx.NetworkError, httpx.RemoteProtocolError) as exc:
        raise TransportError(
            f"{url}: {_tls_failure(exc) or f'{type(exc).__name__}: {exc}'}"
        ) from exc
    except httpx.HTTPError as exc:
        raise PermanentTransportError(f"{url}: {type(exc).__name__}: {exc}") from exc


def _tls_failure(exc: BaseException) -> str | None:
    """What went wrong in the TLS handshake behind `exc`, if that is what failed.

    Retryable like any connection failure: the partner may renew an expired certificate."""
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLCertVerificationError):
            return f"TLS: the partner's certificate is refused: {cause.verify_message}"
        if isinstance(cause, ssl.SSLError):
            return f"TLS handshake failed: {cause.reason or cause}"
        cause = cause.__cause__ or cause.__context__
    return None


def _tls(settings: As2Transport, certs_dir: Path) -> ssl.SSLContext:
    """The TLS context: the partner's chain and host name verified against its CA file (else
    the system's CAs), our client certificate presented if given."""
    ca = certs_dir / settings.tls_ca_file if settings.tls_ca_file else None
    try:
        context = ssl.create_default_context(cafile=ca)  # CERT_REQUIRED, host names checked
        if settings.tls_client_certificate:
            context.load_cert_chain(certs_dir / settings.tls_client_certificate)
    except (OSError, ssl.SSLError) as exc:
        raise ConfigurationError(f"transport TLS files under {certs_dir}: {exc}") from exc
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    return context


def _basic_auth(
    settings: As2Transport, certs_dir: Path, kek: bytes | None
) -> httpx.BasicAuth | None:
    """HTTP Basic from the profile's password file, sealed or clear (`b2b.secrets`)."""
    if settings.basic_auth_user is None or settings.basic_auth_password_file is None:
        return None
    password = read_named_secret(
        certs_dir, settings.basic_auth_password_file, kek, "transport.basic_auth_password_file"
    )
    return httpx.BasicAuth(settings.basic_auth_user, password)
