"""Compile a map's segment and loop specifications into one Python function per version.

A segment spec: `tag`, `elements` (templates, or inline tables: `{ value, when }`,
`{ components = [...], when }`, `{ product_ids = "line.product_ids", max_pairs = 10 }` last),
optional `when` (an expression, or a list of expressions that must all be present).
A loop spec: `each` (a list path), `as` (the item's name), optional `roles` (party role codes,
in output order), optional `when`, and child `segment` specs. Either may carry
`versions.<version>` overrides of its keys, or `versions.<version>.omit = true`.

An emitted segment drops trailing empty elements; a segment left with no value is not emitted.
The generated source is kept on the compiled map (`CompiledMap.source`) for reading.
"""

from __future__ import annotations

import ast
import dataclasses
import keyword
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from b2b.documents import ProductIdKind
from b2b.errors import MappingError
from b2b.mapping import types as t
from b2b.mapping.expressions import (
    HELPERS,
    Codes,
    Namespace,
    compile_condition,
    compile_path,
    compile_template,
    variable,
)
from b2b.mapping.scope import DELIMITERS, SETTINGS, MapSpecError, delimiters, text_of
from b2b.partners.profile import X12Settings
from b2b.x12.model import Element, Segment

Runner = Callable[[Any, X12Settings], tuple[Segment, ...]]

_TAG = re.compile(r"^[A-Z][A-Z0-9]{1,2}$")
_ENVELOPE = frozenset({"ISA", "IEA", "GS", "GE", "ST", "SE"})
_SEGMENT_KEYS = frozenset({"tag", "elements", "when", "versions", "note"})
_LOOP_KEYS = frozenset({"each", "as", "roles", "when", "segment", "versions", "note"})
_PRODUCT_IDS = tuple[ProductIdKind, str]
_MAX_PAIRS = 10  # PO106..PO125
_QUALIFIERS = {kind: str(kind.value) for kind in ProductIdKind}


if tuple(f.name for f in dataclasses.fields(Segment)) != ("tag", "elements"):
    raise ImportError("generated maps set Segment's slots tag and elements; update compile_map")


class SpecError(MapSpecError):
    """A MapSpecError that knows which segment or loop it is about."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(f"{where}: {problem}")
        self.where = where
        self.problem = problem


def compile_map(
    specs: Sequence[Mapping[str, Any]], root: str, root_type: type, codes: Codes, version: str
) -> tuple[Runner, str]:
    """The function `run(document, settings) -> segments` for `version`, and its source."""
    ns = Namespace(
        {
            "Segment": Segment,
            "MappingError": MappingError,
            "text_of": text_of,
            "SETTINGS": SETTINGS,
            "DELIMITERS": DELIMITERS,
            "delimiters": delimiters,
            "_new": object.__new__,
            "_set_tag": vars(Segment)["tag"].__set__,  # the slot descriptors
            "_set_elements": vars(Segment)["elements"].__set__,
            "_trimmed": _trimmed,
            "_by_roles": _by_roles,
            "_composite": _composite,
            "_product_ids": _product_ids,
            **HELPERS,
        }
    )
    body = _Source(ns, codes, version)
    body.specs(specs, {root: root_type}, "", depth=2)
    source = "\n".join(
        [
            f"def run({variable(root)}, settings):",
            f"    scope = {{{root!r}: {variable(root)}, SETTINGS: settings,"
            " DELIMITERS: delimiters(settings)}",
            "    out = []",
            "    append = out.append",
            "    tag, pos = '', 0",
            "    _d0, _d1, _d2, _d3 = scope[DELIMITERS]",
            "    try:",
            *(body.lines or ["        pass"]),
            "    except MappingError as exc:",
            "        raise MappingError(f'{tag}{pos:02d}: {exc}') from exc",
            "    return tuple(out)",
        ]
    )
    exec(compile(source, f"<map {version}>", "exec"), ns.values)  # noqa: S102 (source built from checked names and repr() literals)
    run: Runner = ns.values["run"]
    return run, source


class _Source:
    """Writes the statements of the generated function."""

    def __init__(self, ns: Namespace, codes: Codes, version: str) -> None:
        self.ns, self.codes, self.version = ns, codes, version
        self.lines: list[str] = []

    def emit(self, depth: int, text: str) -> None:
        self.lines.append("    " * depth + text)

    def specs(
        self,
        specs: Sequence[Mapping[str, Any]],
        roots: dict[str, t.TypeRef],
        where: str,
        depth: int,
    ) -> None:
        for number, raw in enumerate(specs, 1):
            if not isinstance(raw, dict):
                raise SpecError(where or "map", f"entry #{number} must be a table")
            label = _label(raw, number, where)
            try:
                spec = _for_version(raw, self.version)
                if spec is not None and "each" in spec:
                    self.loop(spec, roots, label, depth)
                elif spec is not None:
                    self.segment(spec, roots, depth)
            except SpecError:
                raise
            except MapSpecError as exc:
                raise SpecError(label, str(exc)) from None

    def loop(
        self, spec: Mapping[str, Any], roots: dict[str, t.TypeRef], label: str, depth: int
    ) -> None:
        each, list_type = compile_path(str(spec["each"]), roots, self.ns)
        item_type = t.item_type(list_type)
        name = spec.get("as")
        if not isinstance(name, str) or not _is_name(name) or name in roots:
            raise MapSpecError(f"'as' must be a new lower-case name for the items, got {name!r}")
        items = f"({each} or ())"
        if spec.get("roles") is not None:
            roles = self.ns.bind(_roles(spec["roles"], list_type), "roles")
            items = f"_by_roles({items}, {roles})"
        depth = self.condition(spec, roots, depth)
        self.emit(depth, f"for {variable(name)} in {items}:")
        self.emit(depth + 1, f"scope[{name!r}] = {variable(name)}")
        self.specs(spec.get("segment", []), {**roots, name: item_type}, label, depth + 1)
        self.emit(depth, f"scope.pop({name!r}, None)")

    def condition(self, spec: Mapping[str, Any], roots: dict[str, t.TypeRef], depth: int) -> int:
        """Open an `if` for the spec's `when`; the depth of the guarded statements."""
        if spec.get("when") is None:
            return depth
        self.emit(depth, f"if {self.when(spec['when'], roots)}:")
        return depth + 1

    def when(self, raw: object, roots: dict[str, t.TypeRef]) -> str:
        """Code for a `when`: one expression, or a list of them that must all be present."""
        tests: list[object] = raw if isinstance(raw, list) else [raw]
        if not tests or not all(isinstance(test, str) for test in tests):
            raise MapSpecError(f"when must be an expression or a list of them, got {raw!r}")
        return " and ".join(
            compile_condition(str(test), roots, self.codes, self.ns) for test in tests
        )

    def segment(self, spec: Mapping[str, Any], roots: dict[str, t.TypeRef], depth: int) -> None:
        tag = spec.get("tag")
        if not isinstance(tag, str) or not _TAG.match(tag) or tag in _ENVELOPE:
            raise MapSpecError(
                f"tag {tag!r} is not a segment ID (ST/SE/GS/GE/ISA/IEA are the writer's)"
            )
        codes, group = self.elements(tag, spec.get("elements"), roots)
        self.emit(depth, f"tag, pos = {tag!r}, 0")
        depth = self.condition(spec, roots, depth)
        names = []
        for pos, code in enumerate(codes, 1):
            if _literal(code) is not None:
                names.append(code)
                continue
            names.append(f"_e{pos}")
            self.emit(depth, f"pos = {pos}")
            self.emit(depth, f"_e{pos} = {code}")
        values = f"({', '.join(names)},)"
        if group is not None:
            self.emit(depth, f"pos = {len(codes) + 1}")
            values = f"{values} + {group}"
        self.emit(depth, f"values = {values}")
        if group is not None or not _literal(names[-1]):
            self.emit(depth, "if values and not values[-1]:")
            self.emit(depth + 1, "values = _trimmed(values)")
        if not any(_literal(n) for n in names):  # without a non-empty constant it may be empty
            self.emit(depth, "if values:")
            depth += 1
        # Segment(tag, values), setting its two slots directly: 40% cheaper than its __init__
        self.emit(depth, f"_segment = _new(Segment); _set_tag(_segment, {tag!r})")
        self.emit(depth, "_set_elements(_segment, values); append(_segment)")

    def elements(
        self, tag: str, raw: object, roots: dict[str, t.TypeRef]
    ) -> tuple[list[str], str | None]:
        """Code for each element, and for the trailing product ID group if there is one."""
        if not isinstance(raw, list) or not raw:
            raise MapSpecError("elements must be a non-empty list")
        codes: list[str] = []
        group: str | None = None
        for pos, element in enumerate(raw, 1):
            if group is not None:
                raise MapSpecError(f"{tag}{pos:02d}: a product_ids group must be the last element")
            try:
                if isinstance(element, dict) and "product_ids" in element:
                    group = self.product_ids(element, roots)
                else:
                    codes.append(self.element(element, roots))
            except MapSpecError as exc:
                raise MapSpecError(f"{tag}{pos:02d}: {exc}") from None
        return codes, group

    def element(self, raw: object, roots: dict[str, t.TypeRef]) -> str:
        if isinstance(raw, str):
            return compile_template(raw, roots, self.codes, self.ns)
        if not isinstance(raw, dict):
            raise MapSpecError(f"an element is a string or an inline table, got {raw!r}")
        if "components" in raw:
            _known_keys(raw, frozenset({"components", "when"}))
            if not isinstance(raw["components"], list) or not raw["components"]:
                raise MapSpecError("components must be a non-empty list")
            parts = ", ".join(self.element(c, roots) for c in raw["components"])
            code = f"_composite(({parts},))"
        else:
            _known_keys(raw, frozenset({"value", "when"}))
            if not isinstance(raw.get("value"), str):
                raise MapSpecError('an element table needs value = "..." (or components = [...])')
            code = compile_template(raw["value"], roots, self.codes, self.ns)
        if raw.get("when") is None:
            return code
        return f"({code} if {self.when(raw['when'], roots)} else '')"

    def product_ids(self, raw: dict[str, Any], roots: dict[str, t.TypeRef]) -> str:
        _known_keys(raw, frozenset({"product_ids", "max_pairs"}))
        code, tp = compile_path(str(raw["product_ids"]), roots, self.ns)
        if not t.is_list(tp) or t.item_type(tp) != _PRODUCT_IDS:
            raise MapSpecError(f"product_ids needs a line's product_ids, not {t.describe(tp)}")
        max_pairs = raw.get("max_pairs", _MAX_PAIRS)
        if not isinstance(max_pairs, int) or not 1 <= max_pairs <= _MAX_PAIRS:
            raise MapSpecError(f"max_pairs must be 1..{_MAX_PAIRS}, got {max_pairs!r}")
        return f"_product_ids({code}, settings, {max_pairs})"


def _literal(code: str) -> str | None:
    """The value of `code` if it is a string constant, else None."""
    try:
        value = ast.literal_eval(code)
    except (ValueError, SyntaxError):
        return None
    return value if isinstance(value, str) else None


def _label(spec: Mapping[str, Any], number: int, where: str) -> str:
    if "each" in spec:
        own = f"loop #{number} over {spec['each']}"
    else:
        own = f"segment #{number} {spec.get('tag', '(no tag)')}"
    return f"{where} > {own}" if where else own


def _for_version(spec: Mapping[str, Any], version: str) -> dict[str, Any] | None:
    allowed = _LOOP_KEYS if "each" in spec else _SEGMENT_KEYS
    _known_keys(spec, allowed)
    versions = spec.get("versions", {})
    if not isinstance(versions, dict):
        raise MapSpecError("versions must be a table of version overrides")
    override = versions.get(version, {})
    _known_keys(override, (allowed - {"versions", "tag", "each"}) | {"omit"})
    if override.get("omit"):
        return None
    merged = {k: v for k, v in spec.items() if k != "versions"}
    merged.update({k: v for k, v in override.items() if k != "omit"})
    return merged


def _known_keys(spec: Mapping[str, Any], allowed: frozenset[str]) -> None:
    unknown = sorted(set(spec) - allowed)
    if unknown:
        raise MapSpecError(f"unknown key(s) {unknown} (allowed: {sorted(allowed)})")


def _is_name(name: str) -> bool:
    return re.fullmatch(r"[a-z][a-z0-9_]*", name) is not None and not keyword.iskeyword(name)


def _roles(raw: object, list_type: t.TypeRef) -> tuple[Any, ...]:
    enum_type = t.role_enum(list_type)
    if not isinstance(raw, list):
        raise MapSpecError("roles must be a list of role codes")
    try:
        return tuple(enum_type(code) for code in raw)
    except ValueError:
        allowed = [r.value for r in enum_type]
        raise MapSpecError(f"roles {raw} include an unknown code (allowed: {allowed})") from None


def _by_roles(items: tuple[Any, ...], roles: tuple[Any, ...]) -> list[Any]:
    return [item for role in roles for item in items if item.role is role]


def _trimmed(values: tuple[Element, ...]) -> tuple[Element, ...]:
    """`values` without its trailing empty elements."""
    end = len(values)
    while end and not values[end - 1]:
        end -= 1
    return values[:end]


def _composite(values: tuple[str, ...]) -> Element:
    end = len(values)
    while end and not values[end - 1]:
        end -= 1
    return values[:end] if end else ""


def _product_ids(
    pairs: tuple[tuple[ProductIdKind, str], ...] | None, settings: X12Settings, max_pairs: int
) -> tuple[str, ...]:
    """PO106/PO107, PO108/PO109...: the line's IDs in the partner's qualifier order."""
    out: list[str] = []
    for kind in settings.product_id_qualifiers:
        for have, value in pairs or ():
            if have is kind and value:
                out += (_QUALIFIERS[kind], value)
                break
        if len(out) == 2 * max_pairs:
            break
    return tuple(out)
