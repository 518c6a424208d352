"""Post cXML to Coupa and read its answer: the cXML `Response` Status decides what happened.

Coupa answers every cXML request with `<Response><Status code="..." text="..."/>`: 2xx is
accepted; 4xx other than 408 and 429 is refused for good (a resend cannot succeed: the reason
is kept); 408, 429, 5xx, a timeout or a connection failure may pass, so the worker retries
with backoff (or after Coupa's Retry-After). The HTTP status counts when the body is not a
cXML Response (a proxy's error page).

    >>> receipt = post_cxml(client, url, body, timeout=60)
    >>> receipt
    'coupa 200 OK'
"""

from __future__ import annotations

import httpx

from b2b.errors import B2BError, PermanentTransportError, TransportError
from b2b.transport.http import parse_retry_after, retryable_status
from b2b.xmlsafe import parse_xml

CXML = "text/xml; charset=utf-8"
_KEEP = 300  # characters of an answer kept in a reason


def post_cxml(client: httpx.Client, url: str, body: bytes, *, timeout: float) -> str:
    """POST `body` to `url`; the receipt when Coupa accepts it, else a TransportError.

    PermanentTransportError (not retried) for a 4xx but 408/429; TransportError (retried)
    otherwise.
    """
    try:
        response = client.post(url, content=body, headers={"Content-Type": CXML}, timeout=timeout)
    except httpx.HTTPError as exc:
        raise TransportError(f"{url}: {type(exc).__name__}: {exc}") from exc
    code, text = _status(response)
    if 200 <= code < 300:
        return f"coupa {code} {text}".rstrip()
    reason = f"{url}: Coupa answered {code} {text}".rstrip()
    if retryable_status(code):
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        raise TransportError(reason, retry_after=retry_after)
    raise PermanentTransportError(reason)


def _status(response: httpx.Response) -> tuple[int, str]:
    """The cXML Status code and text (with its message), else the HTTP status and body."""
    try:
        root = parse_xml(response.content)
    except B2BError:
        return response.status_code, response.text[:_KEEP].strip()
    status = root.find("Response/Status")
    code = status.get("code", "") if status is not None else ""
    if status is None or not code.isdigit():
        return response.status_code, response.text[:_KEEP].strip()
    message = " ".join((status.text or "").split())
    text = status.get("text", "")
    return int(code), f"{text}: {message}"[:_KEEP] if message else text
