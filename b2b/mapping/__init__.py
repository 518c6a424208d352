"""The map engine: maps/*.toml definitions, compiled once, shape canonical documents into X12.

>>> maps = MapLibrary.load(Path("maps"))
>>> transaction = map_purchase_order(order, partner.x12, maps)
"""

from b2b.mapping.library import CompiledMap, MapLibrary, map_purchase_order

__all__ = ["CompiledMap", "MapLibrary", "map_purchase_order"]
