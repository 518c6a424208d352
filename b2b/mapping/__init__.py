"""The map engine: maps/*.toml definitions, compiled once, shape canonical documents into X12;
and the inbound readers that turn a partner's 855, 856 or 810 into a canonical document.

>>> maps = MapLibrary.load(Path("maps"))
>>> transaction = map_purchase_order(order, partner.x12, maps)
>>> change = map_order_change(sent, current, partner.x12, maps, request_date=today)  # 860 or 850
>>> confirmation = read_business_document(received_transaction, "004010")
"""

from b2b.mapping.changes import map_order_change, order_change
from b2b.mapping.inbound import BusinessDocument, document_summary, read_business_document
from b2b.mapping.library import (
    DOCUMENT_TYPES,
    CompiledMap,
    DocumentType,
    MapLibrary,
    map_purchase_order,
)

__all__ = [
    "DOCUMENT_TYPES",
    "BusinessDocument",
    "CompiledMap",
    "DocumentType",
    "MapLibrary",
    "document_summary",
    "map_order_change",
    "map_purchase_order",
    "order_change",
    "read_business_document",
]
