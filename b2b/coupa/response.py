"""The synchronous cXML Response Coupa expects for every request it posts.

>>> body = render_cxml_response(200, "OK", payload_id=new_payload_id("gw.example"), timestamp=now)
"""

from __future__ import annotations

import os
import re
import secrets
import time
from datetime import datetime
from xml.sax.saxutils import escape, quoteattr

__all__ = ["CXML_DTD_URL", "new_payload_id", "render_cxml_response"]

CXML_VERSION = "1.2.063"
CXML_DTD_URL = f"http://xml.cxml.org/schemas/cXML/{CXML_VERSION}/cXML.dtd"

# Characters XML 1.0 cannot carry at all, not even escaped (most C0 controls, surrogates...).
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
_TEMPLATE = (
    '<?xml version="1.0" encoding="UTF-8"?>\n'
    f'<!DOCTYPE cXML SYSTEM "{CXML_DTD_URL}">\n'
    '<cXML payloadID={payload_id} timestamp={timestamp} xml:lang="en-US">'
    '<Response><Status code={code} text={text} xml:lang="en-US">{message}</Status></Response>'
    "</cXML>\n"
)


def render_cxml_response(
    code: int, text: str, message: str = "", *, payload_id: str, timestamp: datetime
) -> bytes:
    """A cXML Response with `<Status code text>message</Status>`, UTF-8 encoded.

    `timestamp` must carry a time zone (cXML datetime.tz). Characters XML cannot carry are
    replaced by U+FFFD, so any error text can be passed as `message`.

        render_cxml_response(400, "Bad Request", exc.reason, payload_id=pid, timestamp=now)
    """
    if code < 0:
        raise ValueError(f"cXML status code must be a non-negative integer, not {code}")
    if timestamp.utcoffset() is None:
        raise ValueError("cXML timestamps need a time zone")
    document = _TEMPLATE.format(
        payload_id=quoteattr(_clean(payload_id)),
        timestamp=quoteattr(timestamp.isoformat(timespec="seconds")),
        code=quoteattr(str(int(code))),
        text=quoteattr(_clean(text)),
        message=escape(_clean(message)),
    )
    return document.encode("utf-8")


def new_payload_id(host: str) -> str:
    """A fresh payloadID in the usual cXML form `<epoch>.<process>.<random>@<host>`.

    new_payload_id("b2b.example.com")  # '1718036322.48213.5f1c0a9e3b7d2c41@b2b.example.com'
    """
    return f"{int(time.time())}.{os.getpid()}.{secrets.token_hex(8)}@{host}"


def _clean(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)
