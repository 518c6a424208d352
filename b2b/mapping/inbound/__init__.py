"""Partners' business documents in: an 855, 856 or 810 becomes a canonical document.

The documents keep business content only and name the purchase order they answer; the envelope
(ISA/GS/ST control numbers) stays with the received bytes in the store. Versions 004010 to
005050 are read alike: the elements read here sit at the same positions in all of them.

    >>> (interchange,) = read_interchanges(data)
    >>> group = interchange.groups[0]
    >>> doc = read_business_document(group.transactions[0], group.version)
    >>> document_summary(doc)["po_numbers"]
    ['HMG-PO-100482']
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from b2b.documents import Invoice, OrderConfirmation, ShipNotice
from b2b.errors import InvalidDocument
from b2b.mapping.inbound.confirmation import read_confirmation
from b2b.mapping.inbound.elements import Located, body
from b2b.mapping.inbound.invoice import read_invoice
from b2b.mapping.inbound.ship_notice import read_ship_notice
from b2b.mapping.inbound.summary import document_summary
from b2b.x12.model import ReadTransaction

BusinessDocument = OrderConfirmation | ShipNotice | Invoice
"""What a partner's 855, 856 or 810 becomes."""

_READERS: dict[str, Callable[[Sequence[Located]], BusinessDocument]] = {
    "855": read_confirmation,
    "856": read_ship_notice,
    "810": read_invoice,
}
_VERSION = re.compile(r"^00(4|50)\d{2}")  # 004010..004060, 005010..005050, with or without VICS


def read_business_document(transaction: ReadTransaction, version: str) -> BusinessDocument:
    """The canonical document of a received 855, 856 or 810; `version` is its group's GS08.

    Raises InvalidDocument naming the transaction set, the element, the segment and its position
    (ST = 1) when a required value is missing or impossible, and for a set or version this
    gateway does not read.

    >>> read_business_document(group.transactions[0], group.version).po_number
    'HMG-PO-100482'
    """
    where = f"{transaction.set_id} {transaction.control_number}"
    reader = _READERS.get(transaction.set_id)
    if reader is None:
        readable = ", ".join(sorted(_READERS))
        raise InvalidDocument(
            f"{where}: transaction set {transaction.set_id!r} is not one the gateway reads as a"
            f" business document ({readable})"
        )
    if not _VERSION.match(version):
        raise InvalidDocument(f"{where}: version {version!r} (GS08) is not read (004010-005050)")
    try:
        return reader(body(transaction))
    except InvalidDocument as exc:
        raise InvalidDocument(f"{where}: {exc}") from exc


__all__ = ["BusinessDocument", "document_summary", "read_business_document"]
