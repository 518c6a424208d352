"""The map engine: maps/*.toml definitions, compiled once, shape canonical documents into X12;
and the inbound readers that turn a partner's 855, 856 or 810 into a canonical document.

>>> maps = MapLibrary.load(Path("maps"))
>>> transaction = map_purchase_order(order, partner.x12, maps)
>>> confirmation = read_business_document(received_transaction, "004010")
"""

from b2b.mapping.inbound import BusinessDocument, document_summary, read_business_document
from b2b.mapping.library import CompiledMap, MapLibrary, map_purchase_order

__all__ = [
    "BusinessDocument",
    "CompiledMap",
    "MapLibrary",
    "document_summary",
    "map_purchase_order",
    "read_business_document",
]
