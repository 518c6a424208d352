"""HTTP answers as the gateway's errors, in one place for every HTTP edge (AS2, Coupa).

2xx is success. 408 (Request Timeout), 429 (Too Many Requests) and 5xx may pass later:
TransportError, retried, after the server's Retry-After if it gave one. Any other answer
(3xx: we follow no redirects; 4xx) will not: PermanentTransportError, the message fails at once.

    >>> http_error("https://as2.acme.example/as2", 429, "slow down", retry_after="120").retry_after
    120.0
"""

from __future__ import annotations

import datetime as dt
import email.utils

from b2b.errors import PermanentTransportError, TransportError

#: the 4xx answers that a later retry can pass
RETRYABLE_4XX = frozenset({408, 429})


def retryable_status(status: int) -> bool:
    """True when a retry may get another answer than HTTP `status`."""
    return status in RETRYABLE_4XX or status >= 500


def http_error(
    url: str, status: int, detail: str, *, retry_after: str | None = None
) -> TransportError:
    """The error for a non-2xx answer: retryable (with the Retry-After seconds) or permanent."""
    reason = f"{url} answered HTTP {status}" + (f": {detail}" if detail else "")
    if retryable_status(status):
        return TransportError(reason, retry_after=parse_retry_after(retry_after))
    return PermanentTransportError(reason)


def parse_retry_after(value: str | None, *, now: dt.datetime | None = None) -> float | None:
    """Seconds from a Retry-After header (delta-seconds or an HTTP-date); None if absent or
    unreadable. A date in the past means now: 0."""
    text = (value or "").strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    seconds = (when - (now or dt.datetime.now(dt.UTC))).total_seconds()
    return max(0.0, seconds)
