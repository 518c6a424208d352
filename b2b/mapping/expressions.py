"""The expression language of maps, checked against the document types and compiled to Python.

    path        order.number   line.unit_price.amount   party.address.street[1]
                order.parties[BY].contact.email     ([n] is the n-th item from 0, [CODE] the
                first item whose role is CODE)
    expression  path|filter|filter:argument     (see b2b.mapping.filters)
    template    text with {expression} placeholders: "{order.number}", "SA", "Net {x.days}";
                a template with placeholders is empty when every placeholder is empty;
                "{{" and "}}" are literal braces.

A value that is absent anywhere along a path (None, or an index past the end) is absent, not an
error: `{order.payment_terms.net_days}` is "" for an order without payment terms.

Each function here returns a Python expression (source text) over the variables `v_<name>` and
`scope`; objects it needs (filters, role codes) are bound into the generated module's namespace
by a `Namespace`. Only checked identifiers and `repr()` of literals go into the source.
"""

from __future__ import annotations

import datetime as dt
import re
import types
import typing
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from b2b.mapping import types as t
from b2b.mapping.filters import FilterContext, build_filter
from b2b.mapping.scope import MapSpecError, date8, x12_decimal

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_PATH = re.compile(rf"^({_NAME})((?:\.{_NAME}|\[[A-Za-z0-9_]+\])*)$")
_STEP = re.compile(rf"\.({_NAME})|\[([A-Za-z0-9_]+)\]")
_PLACEHOLDER = re.compile(r"\{\{|\}\}|\{([^{}]*)\}|[{}]")

Codes = Mapping[str, Mapping[str, str]]
Roots = Mapping[str, t.TypeRef]


class Namespace:
    """The globals of a generated module: bound objects and fresh temporary names."""

    def __init__(self, initial: Mapping[str, Any]) -> None:
        self.values: dict[str, Any] = dict(initial)
        self._count = 0

    def bind(self, value: Any, hint: str = "k") -> str:
        """A new global name for `value`."""
        self._count += 1
        name = f"_{hint}{self._count}"
        self.values[name] = value
        return name

    def temp(self) -> str:
        """A new local name for an assignment expression."""
        self._count += 1
        return f"_t{self._count}"


def variable(name: str) -> str:
    """The generated code's variable for map name `name` (`order` → `v_order`)."""
    return f"v_{name}"


def _optional(tp: t.TypeRef) -> bool:
    origin: object = typing.get_origin(tp)
    return origin in (typing.Union, types.UnionType) and type(None) in typing.get_args(tp)


def compile_path(text: str, roots: Roots, ns: Namespace) -> tuple[str, t.TypeRef]:
    """Code reading path `text` (None if absent) and the type it yields; MapSpecError if wrong."""
    match = _PATH.match(text.strip())
    if match is None:
        raise MapSpecError(f"{text!r} is not a path such as 'order.number' or 'line.quantity'")
    root, rest = match.groups()
    if root not in roots:
        raise MapSpecError(f"{text!r}: unknown name {root!r} (known here: {', '.join(roots)})")
    code, tp = variable(root), roots[root]
    maybe_none = False  # the root itself is never None
    for attr, index in _STEP.findall(rest):
        if maybe_none:  # guard the step: None along the way means absent
            tmp = ns.temp()
            guarded, tp = _step(tmp, attr, index, tp, ns)
            code = f"(None if ({tmp} := {code}) is None else {guarded})"
        else:
            code, tp = _step(code, attr, index, tp, ns)
        maybe_none = _optional(tp) or not attr  # an index or role may find nothing
    return code, tp


def _step(code: str, attr: str, index: str, tp: t.TypeRef, ns: Namespace) -> tuple[str, t.TypeRef]:
    if attr:
        return f"{code}.{attr}", t.field_type(tp, attr)
    item = t.item_type(tp)
    if index.isdigit():
        return f"_nth({code}, {int(index)})", item
    roles = t.role_enum(tp)
    try:
        role = roles(index)
    except ValueError:
        allowed = ", ".join(str(r.value) for r in roles)
        raise MapSpecError(f"[{index}]: not a role code (allowed: {allowed})") from None
    return f"_with_role({code}, {ns.bind(role, 'role')})", item


def _nth(items: tuple[Any, ...], n: int) -> Any:
    return items[n] if n < len(items) else None


def _with_role(items: tuple[Any, ...], role: object) -> Any:
    for item in items:
        if item.role is role:
            return item
    return None


def compile_expression(
    text: str, roots: Roots, codes: Codes, ns: Namespace
) -> tuple[str, t.TypeRef]:
    """`path|filter|filter:arg` → code for the filtered value, and its static type."""
    path_text, *filter_texts = text.split("|")
    code, tp = compile_path(path_text, roots, ns)
    ctx = FilterContext(codes, "{" + text + "}")
    for filter_text in filter_texts:
        name, sep, arg = filter_text.partition(":")
        run, out_type = build_filter(name.strip(), arg if sep else None, tp, ctx)
        function = ns.bind(run, "f")
        if t.is_scalar(tp, str):
            code = _inline(name.strip(), arg, code, function, ns)
        else:
            code = _inline_value(name.strip(), code, function, ns)
        tp = out_type
    return code, tp


def _inline(name: str, arg: str, code: str, function: str, ns: Namespace) -> str:
    """Text filters written out where they are cheap: the same result as calling `function`."""
    tmp = ns.temp()
    if name == "trunc":
        return f"(None if ({tmp} := {code}) is None else {tmp}[:{int(arg)}])"
    if name == "clean":  # _d0.._d3: the partner's delimiters, set at the top of run()
        found = " or ".join(f"_d{i} in {tmp}" for i in range(4))
        return (
            f"({function}({tmp}, scope) if ({tmp} := {code}) is not None and ({found}) else {tmp})"
        )
    if name == "max":  # a text within the limit is itself; anything else goes to the filter
        return (
            f"({tmp} if ({tmp} := {code}).__class__ is str and len({tmp}) <= {int(arg)}"
            f" else {function}({tmp}, scope))"
        )
    return f"{function}({code}, scope)"


def _inline_value(name: str, code: str, function: str, ns: Namespace) -> str:
    """Number and date filters written out: the same result as calling `function`."""
    formats = {"decimal": x12_decimal, "date8": date8}
    if name not in formats:
        return f"{function}({code}, scope)"
    tmp, format_ = ns.temp(), ns.bind(formats[name], name)
    return f"(None if ({tmp} := {code}) is None else {format_}({tmp}))"


def present(code: str, tp: t.TypeRef, ns: Namespace) -> str:
    """Code testing that the value of `code` is present (not None, "", or an empty list)."""
    if t.is_scalar(tp, Decimal, int):  # zero is present
        return f"({code} is not None)"
    if t.is_scalar(tp, str, dt.date) or t.is_list(tp) or t.is_record(tp):
        return f"bool({code})"  # falsy exactly when None, "" or ()
    tmp = ns.temp()
    return f"(({tmp} := {code}) is not None and {tmp} != '' and {tmp} != ())"


def compile_condition(text: str, roots: Roots, codes: Codes, ns: Namespace) -> str:
    """Code for: is the value of expression `text` present?"""
    code, tp = compile_expression(text, roots, codes, ns)
    return present(code, tp, ns)


def compile_text(text: str, roots: Roots, codes: Codes, ns: Namespace) -> str:
    """Code for the X12 text of expression `text` ("" when absent)."""
    code, tp = compile_expression(text, roots, codes, ns)
    if t.is_list(tp) or t.is_record(tp):
        raise MapSpecError(f"{{{text}}} is {t.describe(tp)}, not a value; pick a field or filter")
    if t.is_scalar(tp, str):
        return f"({code} or '')"
    return f"text_of({code})"


def compile_template(template: str, roots: Roots, codes: Codes, ns: Namespace) -> str:
    """Code for a template's text: a constant, one expression, or a concatenation."""
    parts: list[tuple[bool, str]] = []  # (is a placeholder, code)
    for literal, placeholder in _split_template(template):
        if literal:
            parts.append((False, repr(literal)))
        if placeholder is not None:
            parts.append((True, compile_text(placeholder, roots, codes, ns)))
    if len(parts) <= 1:  # one literal (literals between no placeholders merge), or one value
        return parts[0][1] if parts else "''"
    mask = ns.bind(tuple(p for p, _ in parts), "mask")
    return f"_concatenate({mask}, ({', '.join(c for _, c in parts)},))"


def _concatenate(mask: tuple[bool, ...], values: tuple[str, ...]) -> str:
    if not any(v for v, is_placeholder in zip(values, mask, strict=True) if is_placeholder):
        return ""
    return "".join(values)


HELPERS = {"_nth": _nth, "_with_role": _with_role, "_concatenate": _concatenate}
"""Functions the generated code calls by these names."""


def _split_template(template: str) -> list[tuple[str, str | None]]:
    """[(literal text, placeholder or None)] in order."""
    pieces: list[tuple[str, str | None]] = []
    literal, pos = "", 0
    for match in _PLACEHOLDER.finditer(template):
        literal += template[pos : match.start()]
        pos = match.end()
        token = match.group(0)
        if token in ("{{", "}}"):
            literal += token[0]
        elif match.group(1) is not None:
            pieces.append((literal, match.group(1)))
            literal = ""
        else:
            raise MapSpecError(f"{template!r}: unbalanced {token!r} (write {token * 2} for one)")
    pieces.append((literal + template[pos:], None))
    return pieces
