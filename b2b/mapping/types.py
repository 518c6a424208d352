"""Static types of map expressions: what a path names, checked once when a map is loaded.

A map refers to canonical documents (b2b.documents) by path: `order.lines[0].unit_price.amount`.
This module walks the dataclasses' type hints so that an unknown field, an index into something
that is not a list, or a filter that cannot take a value is refused at load time.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import types
import typing
from decimal import Decimal
from typing import Any

from b2b.mapping.scope import MapSpecError

TypeRef = Any  # a class, or a typing construct such as `tuple[OrderLine, ...]` or `str | None`


def unwrap(tp: TypeRef) -> TypeRef:
    """`X | None` → X; anything else unchanged."""
    origin: object = typing.get_origin(tp)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return tp


@functools.cache
def _hints(cls: type) -> dict[str, TypeRef]:
    return typing.get_type_hints(cls)


def is_record(tp: TypeRef) -> bool:
    """A dataclass (a canonical document, line, party...)."""
    tp = unwrap(tp)
    return isinstance(tp, type) and dataclasses.is_dataclass(tp)


def field_type(tp: TypeRef, name: str) -> TypeRef:
    """The type of field `name` of record `tp`; MapSpecError naming the known fields."""
    tp = unwrap(tp)
    if not is_record(tp):
        raise MapSpecError(f"{describe(tp)} has no field {name!r}")
    hints = _hints(tp)
    if name not in hints:
        known = ", ".join(f.name for f in dataclasses.fields(tp))
        raise MapSpecError(f"unknown field {name!r} of {tp.__name__} (fields: {known})")
    return hints[name]


def _list_item(tp: TypeRef) -> TypeRef | None:
    tp = unwrap(tp)
    args = typing.get_args(tp)
    origin: object = typing.get_origin(tp)
    if origin is tuple and len(args) == 2 and args[1] is Ellipsis:
        return args[0]
    return None


def item_type(tp: TypeRef) -> TypeRef:
    """The item type of `tuple[X, ...]`; MapSpecError if `tp` is not a list."""
    item = _list_item(tp)
    if item is None:
        raise MapSpecError(f"{describe(tp)} is not a list")
    return item


def is_list(tp: TypeRef) -> bool:
    """Whether `tp` is a list (`tuple[X, ...]`)."""
    return _list_item(tp) is not None


def role_enum(tp: TypeRef) -> type[enum.Enum]:
    """The enum of the `role` field of list items `tp` (parties), for `[BY]` and `roles`."""
    role = unwrap(field_type(item_type(tp), "role"))
    if not (isinstance(role, type) and issubclass(role, enum.Enum)):
        raise MapSpecError(f"{describe(tp)} items have no role code")
    return role


def is_scalar(tp: TypeRef, *kinds: type) -> bool:
    """Whether `tp` (without None) is a subclass of one of `kinds`."""
    tp = unwrap(tp)
    return isinstance(tp, type) and issubclass(tp, kinds)


TEXT_KINDS: tuple[type, ...] = (str, int, Decimal, dt.date)


def describe(tp: TypeRef) -> str:
    """A readable name for error messages."""
    tp = unwrap(tp)
    item = _list_item(tp)
    if item is not None:
        return f"a list of {describe(item)}"
    return getattr(tp, "__name__", str(tp))
