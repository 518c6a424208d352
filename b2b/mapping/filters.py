"""Filters: `{value|name}` or `{value|name:argument}`, applied left to right.

date8         date or datetime → CCYYMMDD         date6   → YYMMDD     time4  datetime → HHMM
decimal       number → X12 R text ("2.50" → "2.5")
uom           unit code → the partner's X12 unit (x12.uom, a valid 2-character code, uom_default)
code:TABLE    value → the map's [codes.TABLE] entry (a missing entry is a MappingError)
trunc:N       text cut to N characters            max:N   text longer than N is a MappingError
upper         upper case                          clean   the partner's delimiters → spaces
then:TEXT     TEXT if the value is present, else nothing
default:TEXT  the value, or TEXT if it is absent
count         number of items in a list           sum:FIELD  total of FIELD over a list
                                                  (a path such as sum:ordered.quantity too)
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from b2b.errors import MappingError
from b2b.mapping import types as t
from b2b.mapping.scope import (
    DELIMITERS,
    SETTINGS,
    MapSpecError,
    Scope,
    date8,
    line_context,
    present,
    text_of,
)
from b2b.mapping.scope import x12_decimal as _x12_decimal

Filter = Callable[[Any, Scope], Any]


@dataclass(frozen=True, slots=True)
class FilterContext:
    """What a filter may consult at load time: the map's code tables and the expression."""

    codes: Mapping[str, Mapping[str, str]]
    expression: str


Builder = Callable[[str | None, t.TypeRef, FilterContext], tuple[Filter, t.TypeRef]]


def build_filter(
    name: str, arg: str | None, in_type: t.TypeRef, ctx: FilterContext
) -> tuple[Filter, t.TypeRef]:
    """The runtime filter and its output type; MapSpecError for an unknown or misused filter."""
    builder = _BUILDERS.get(name)
    if builder is None:
        raise MapSpecError(f"unknown filter {name!r} (filters: {', '.join(sorted(_BUILDERS))})")
    return builder(arg, in_type, ctx)


def _needs(arg: str | None, name: str, *, number: bool = False) -> str:
    if arg is None or arg == "":
        raise MapSpecError(f"filter {name!r} needs an argument ({name}:...)")
    if number and not (arg.isascii() and arg.isdigit()):
        raise MapSpecError(f"filter {name!r} needs a whole number, got {arg!r}")
    return arg


def _no_arg(arg: str | None, name: str) -> None:
    if arg is not None:
        raise MapSpecError(f"filter {name!r} takes no argument, got {arg!r}")


def _accepts(in_type: t.TypeRef, name: str, *kinds: type) -> None:
    if not t.is_scalar(in_type, *kinds):
        allowed = " or ".join(k.__name__ for k in kinds)
        raise MapSpecError(f"filter {name!r} takes {allowed}, not {t.describe(in_type)}")


def _dates(pattern: str, kind: type) -> Builder:
    def build(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
        _no_arg(arg, pattern)
        _accepts(in_type, pattern, kind)
        fmt = {"date8": date8, "date6": _date6, "time4": _time4}[pattern]
        return (lambda v, s: None if v is None else fmt(v)), str

    return build


def _date6(value: dt.date) -> str:
    return date8(value)[2:]


def _time4(value: dt.datetime) -> str:
    return f"{value.hour:02d}{value.minute:02d}"


def _decimal(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    _no_arg(arg, "decimal")
    _accepts(in_type, "decimal", Decimal, int)
    return (lambda v, s: None if v is None else _x12_decimal(v)), str


def _uom(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    _no_arg(arg, "uom")
    _accepts(in_type, "uom", str)
    return _translate_uom, str


def _translate_uom(value: str | None, scope: Scope) -> str | None:
    if value is None:
        return None
    settings = scope[SETTINGS]
    code: str | None = settings.uom.get(value)
    if code:
        return code
    if len(value) == 2 and value.isascii() and value.isalnum() and value.isupper():
        return value
    if settings.uom_default:
        return str(settings.uom_default)
    raise MappingError(
        f"{line_context(scope)}unit of measure {value!r} has no X12 code: add it to the partner's"
        " x12.uom table or set x12.uom_default"
    )


def _code(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    table_name = _needs(arg, "code")
    table = ctx.codes.get(table_name)
    if table is None:
        raise MapSpecError(f"filter 'code:{table_name}' names no [codes.{table_name}] table")
    _accepts(in_type, "code", str, int)

    def code(value: object, scope: Scope) -> str | None:
        if value is None:
            return None
        found = table.get(str(value))
        if found is None:
            raise MappingError(f"{value!r} has no entry in the map's [codes.{table_name}] table")
        return found

    return code, str


def _trunc(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    limit = int(_needs(arg, "trunc", number=True))
    _accepts(in_type, "trunc", *t.TEXT_KINDS)
    return (lambda v, s: None if v is None else _text(v)[:limit]), str


def _max(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    limit = int(_needs(arg, "max", number=True))
    _accepts(in_type, "max", *t.TEXT_KINDS)
    expression = ctx.expression

    def at_most(value: object, scope: Scope) -> str | None:
        text = _text(value)
        if len(text) > limit:
            raise MappingError(
                f"{line_context(scope)}{expression} {text!r} is longer than {limit} characters"
            )
        return text

    return at_most, str


def _upper(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    _no_arg(arg, "upper")
    _accepts(in_type, "upper", *t.TEXT_KINDS)
    return (lambda v, s: None if v is None else _text(v).upper()), str


def _clean(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    _no_arg(arg, "clean")
    _accepts(in_type, "clean", *t.TEXT_KINDS)
    return _replace_delimiters, str


def _replace_delimiters(value: object, scope: Scope) -> str | None:
    if value is None:
        return None
    text = _text(value)
    for delimiter in scope[DELIMITERS]:
        if delimiter in text:
            text = text.replace(delimiter, " ")
    return text


def _text(value: object) -> str:
    return value if value.__class__ is str else text_of(value)


def _then(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    literal = _needs(arg, "then")
    return (lambda v, s: literal if present(v) else None), str


def _default(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    literal = _needs(arg, "default")
    _accepts(in_type, "default", *t.TEXT_KINDS)
    return (lambda v, s: _text(v) if present(v) else literal), str


def _count(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    _no_arg(arg, "count")
    if not t.is_list(in_type):
        raise MapSpecError(f"filter 'count' takes a list, not {t.describe(in_type)}")
    return (lambda v, s: len(v or ())), int


def _sum(arg: str | None, in_type: t.TypeRef, ctx: FilterContext) -> tuple[Filter, Any]:
    name = _needs(arg, "sum")
    names = tuple(name.split("."))
    field = t.item_type(in_type)
    for step in names:
        field = t.field_type(field, step)
    if not t.is_scalar(field, Decimal, int):
        raise MapSpecError(f"filter 'sum:{name}' needs a number field, not {t.describe(field)}")

    def total(value: tuple[Any, ...] | None, scope: Scope) -> Decimal:
        return Decimal(sum((_number_at(item, names) for item in value or ()), Decimal(0)))

    return total, Decimal


def _number_at(item: object, names: tuple[str, ...]) -> Any:
    """The number at field path `names` of `item`; 0 where something along it is absent."""
    for name in names:
        item = getattr(item, name)
        if item is None:
            return 0
    return item


_BUILDERS: dict[str, Builder] = {
    "date8": _dates("date8", dt.date),
    "date6": _dates("date6", dt.date),
    "time4": _dates("time4", dt.datetime),
    "decimal": _decimal,
    "uom": _uom,
    "code": _code,
    "trunc": _trunc,
    "max": _max,
    "upper": _upper,
    "clean": _clean,
    "then": _then,
    "default": _default,
    "count": _count,
    "sum": _sum,
}
