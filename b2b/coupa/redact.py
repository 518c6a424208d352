"""cXML SharedSecrets kept out of storage: blanked in what is stored, put back when sent.

A received OrderRequest carries Coupa's secret and the cXML we build for Coupa carries the
supplier's; neither may rest in the database in clear. Both work on bytes, without parsing,
so that they also reach bodies that were refused as malformed.

    >>> redact_shared_secrets(b"<SharedSecret>s3cret</SharedSecret>")
    b'<SharedSecret>[redacted]</SharedSecret>'
    >>> restore_shared_secret(b"<SharedSecret>[redacted]</SharedSecret>", "s&t")
    b'<SharedSecret>s&amp;t</SharedSecret>'
"""

from __future__ import annotations

import re
from xml.sax.saxutils import escape

from b2b.coupa.supplier import clean

__all__ = ["REDACTED", "redact_shared_secrets", "restore_shared_secret"]

#: What a stored document carries in place of a SharedSecret.
REDACTED = "[redacted]"

_NAME = rb"(?:[A-Za-z_][-\w.]*:)?SharedSecret"  # with or without a namespace prefix
_SECRET = re.compile(
    rb"(<%(n)s(?:[ \t\r\n][^>]*)?(?<!/)>)"  # the start tag, not an empty-element one
    rb"(?:<!\[CDATA\[.*?\]\]>|<!--.*?-->|[^<]+|<)*?"  # the content: text, CDATA, elements
    rb"(</%(n)s[ \t\r\n]*>|\Z)" % {b"n": _NAME},  # the end tag; a truncated body to its end
    re.DOTALL | re.IGNORECASE,
)
_MARKER = re.compile(
    rb"(<%(n)s(?:[ \t\r\n][^>]*)?>)%(m)s(</%(n)s[ \t\r\n]*>)"
    % {b"n": _NAME, b"m": re.escape(REDACTED.encode())}
)


def redact_shared_secrets(body: bytes) -> bytes:
    """`body` with the content of every SharedSecret element replaced by REDACTED.

    Whatever the spelling (a namespace prefix, spaces in the tags, CDATA, comments, child
    elements, a body cut off inside the secret); the rest of the bytes are left as they were,
    so a redacted document still parses and maps.

        stored = redact_shared_secrets(request_body)
    """
    lowered = body.lower()
    mention = lowered.find(b"sharedsecret")
    if mention < 0:
        return body
    parts, done = [], 0
    while mention >= 0:
        # A SharedSecret element starts at the last "<" before its name: match only there,
        # rather than trying the pattern at each of the document's hundreds of tags.
        found = _SECRET.match(body, max(body.rfind(b"<", done, mention), done))
        if found is None:
            mention = lowered.find(b"sharedsecret", mention + 1)
            continue
        parts += [body[done : found.start()], found[1], REDACTED.encode(), found[2]]
        done = found.end()
        mention = lowered.find(b"sharedsecret", done)
    return b"".join([*parts, body[done:]])


def restore_shared_secret(body: bytes, secret: str) -> bytes:
    """`body`, UTF-8 cXML stored with REDACTED, with `secret` in its SharedSecret again.

    Escaped as the builder escapes it (b2b.coupa.supplier), so the bytes are those that
    building the document with the secret would have given.

        sent = restore_shared_secret(stored_payload, gateway.coupa_secrets[partner.id])
    """
    value = escape(clean(secret)).encode("utf-8")
    return _MARKER.sub(lambda match: match.group(1) + value + match.group(2), body)
