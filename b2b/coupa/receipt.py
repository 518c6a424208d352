"""The answer to a Coupa XML (`order-header`) post: which orders were accepted, or why not.

>>> render_order_receipt([received])
b'<?xml version="1.0" encoding="UTF-8"?>\\n<order-header-receipts>...'
"""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape, quoteattr

from b2b.documents import ReceivedOrder


def render_order_receipt(orders: Sequence[ReceivedOrder], *, error: str | None = None) -> bytes:
    """`<order-header-receipts>` listing each accepted order, or carrying the error."""
    parts = ['<?xml version="1.0" encoding="UTF-8"?>\n<order-header-receipts>']
    if error is not None:
        parts.append(f"<error>{escape(error)}</error>")
    for received in orders:
        order = received.order
        version = "" if order.version is None else f" version={quoteattr(str(order.version))}"
        parts.append(
            f'<order-header-receipt id={quoteattr(order.number)}{version} status="accepted"/>'
        )
    parts.append("</order-header-receipts>\n")
    return "".join(parts).encode("utf-8")
