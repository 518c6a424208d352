"""The AS2 envelope: the HTTP headers that name sender, receiver, message and MDN request.

>>> envelope = read_envelope([("AS2-From", '"ACME Corp"'), ("AS2-To", "B2B"),
...                           ("Message-ID", "<po-1@acme.example>")])
>>> envelope.as2_from, envelope.message_id, envelope.mdn_request
('ACME Corp', 'po-1@acme.example', None)
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable, Mapping
from datetime import datetime

from b2b.as2 import mime
from b2b.as2.algorithms import Digest, find_mic_algorithm
from b2b.as2.model import (
    AS2_VERSION,
    AS2Envelope,
    LocalIdentity,
    MdnRequest,
    OutboundSecurity,
    PartnerSecurity,
)
from b2b.errors import AS2MalformedMessage

Header = tuple[str, str]
_NEEDS_QUOTES = re.compile(r'[ "\\\t]')


def as2_headers(  # noqa: PLR0917
    settings: OutboundSecurity,
    ours: LocalIdentity,
    partner: PartnerSecurity,
    message_id: str,
    as2_from: str | None,
    as2_to: str | None,
    now: datetime | None,
) -> list[Header]:
    """The AS2 headers of an outbound message (the MIME headers of its outer layer follow)."""
    headers = [
        ("AS2-Version", AS2_VERSION),
        ("AS2-From", quote_as2_name(as2_from or ours.as2_id)),
        ("AS2-To", quote_as2_name(as2_to or partner.as2_id)),
        ("Message-ID", f"<{message_id.strip('<>')}>"),
        ("Subject", settings.subject),
        ("MIME-Version", "1.0"),
    ]
    if now is not None:
        headers.append(("Date", mime.rfc5322_date(now)))
    mdn = settings.mdn
    if mdn is not None:
        headers.append(("Disposition-Notification-To", mdn.notification_to or ours.as2_id))
        if mdn.signed:
            options = (
                "signed-receipt-protocol=optional, pkcs7-signature; "
                f"signed-receipt-micalg=optional, {settings.micalg(mdn.mic_algorithm)}"
            )
            headers.append(("Disposition-Notification-Options", options))
        if mdn.async_url:
            headers.append(("Receipt-Delivery-Option", mdn.async_url))
    return headers


def quote_as2_name(name: str) -> str:
    """An AS2 name as a header value: quoted when it holds spaces or quotes (RFC 4130 §6.2)."""
    if _NEEDS_QUOTES.search(name):
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return name


def unquote_as2_name(value: str) -> str:
    """The AS2 name in an AS2-From / AS2-To header value."""
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] == '"':
        return value[1:-1].replace('\\"', '"').replace("\\\\", "\\")
    return value


def read_envelope(headers: Iterable[Header] | Mapping[str, str]) -> AS2Envelope:
    """The AS2 headers of a received message or MDN, checked for presence only.

    Raises AS2MalformedMessage when AS2-From, AS2-To or Message-ID is missing.
    """
    fields = mime.Headers(headers)
    as2_from, as2_to = fields.get("as2-from"), fields.get("as2-to")
    message_id = fields.get("message-id")
    if not (as2_from and as2_to and message_id):
        present = (("AS2-From", as2_from), ("AS2-To", as2_to), ("Message-ID", message_id))
        missing = [name for name, value in present if not value]
        raise AS2MalformedMessage(f"missing AS2 header(s): {', '.join(missing)}")
    return AS2Envelope(
        message_id=message_id.strip().strip("<>"),
        as2_from=unquote_as2_name(as2_from),
        as2_to=unquote_as2_name(as2_to),
        subject=fields.get("subject"),
        mdn_request=_mdn_request(fields),
    )


def _mdn_request(fields: mime.Headers) -> MdnRequest | None:
    notification_to = fields.get("disposition-notification-to")
    if not notification_to:
        return None
    return _parse_mdn_request(
        notification_to,
        fields.get("disposition-notification-options") or "",
        fields.get("receipt-delivery-option") or None,
    )


@functools.lru_cache(maxsize=256)
def _parse_mdn_request(notification_to: str, options: str, async_url: str | None) -> MdnRequest:
    """The MdnRequest these header values make (cached: a partner sends the same ones)."""
    signed, required, micalg_required = False, False, False
    known: list[tuple[Digest, str]] = []
    for option in options.split(";"):
        key, _, value = option.partition("=")
        importance, *values = [v.strip() for v in value.split(",")]
        key = key.strip().lower()
        if key == "signed-receipt-protocol" and any(v.lower() == "pkcs7-signature" for v in values):
            signed, required = True, importance.lower() == "required"
        elif key == "signed-receipt-micalg":
            micalg_required = importance.lower() == "required"
            found = [(find_mic_algorithm(v), v) for v in values]
            known = [(digest, v) for digest, v in found if digest is not None]
    algorithm, name = known[0] if known else (None, None)
    return MdnRequest(
        notification_to=notification_to,
        signed=signed,
        mic_algorithm=algorithm,
        mic_algorithm_name=name,
        async_url=async_url,
        signature_required=required,
        mic_algorithms=tuple(known),
        mic_algorithm_required=micalg_required,
    )
