"""Read maps/x12 (elements.toml, segments.toml, one NNN.toml per set) into compiled sets.

Every fault raises ConfigurationError naming the file and the entry.

    >>> sets = load_sets(Path("maps/x12"))
    >>> sets[("850", "004010")].root.children[0].tag
    'BEG'
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from b2b.errors import ConfigurationError
from b2b.x12._schema import (
    UNBOUNDED,
    CompiledSet,
    CompositeDef,
    ElementDef,
    Loop,
    SegmentDef,
    SegmentUse,
    SimpleSlot,
    Slot,
    SyntaxNote,
)

_KINDS = re.compile(r"^(AN|ID|DT|TM|R|N[0-9])$")
_SYNTAX = re.compile(r"^[PRCEL]([0-9]{2}){2,}$")
_VERSION = re.compile(r"^00[2-9][0-9]{3}$")
_LINE = re.compile(
    r"^(?P<indent> *)(?P<tag>[A-Z][A-Z0-9]{1,2}) (?P<req>[MO]) (?P<max>>1|[0-9]+)"
    r"(?: loop (?P<loop>[A-Z0-9]{1,4}) (?P<repeat>>1|[0-9]+))?(?: @(?P<only>00[0-9]{4}))?$"
)
_SET_KEYS = frozenset({"transaction_set", "functional_id", "name", "versions", "structure"})


class SchemaError(Exception):
    """A fault in one entry; the loader adds the file name."""


@dataclass(frozen=True, slots=True)
class _Dictionary:
    """Elements, composites, codes and segments for one version, as read."""

    elements: dict[str, str]
    composites: dict[str, Any]
    codes: dict[str, list[str]]
    segments: dict[str, Any]


def load_sets(folder: Path) -> dict[tuple[str, str], CompiledSet]:
    """Every set of `folder` compiled for each of its versions, by (ST01, version)."""
    elements = _read(folder / "elements.toml")
    segments = _read(folder / "segments.toml")
    paths = sorted(p for p in folder.glob("*.toml") if p.stem.isdigit())
    if not paths:
        raise ConfigurationError(f"{folder}: no transaction set files (NNN.toml)")
    compiled: dict[tuple[str, str], CompiledSet] = {}
    cache: dict[str, dict[str, SegmentDef]] = {}
    for path in paths:
        data = _read(path)
        for version in _versions(path, data):
            if version not in cache:
                cache[version] = _segment_defs(folder, elements, segments, version)
            compiled[(data["transaction_set"], version)] = _guarded(
                path, data, version, cache[version]
            )
    return compiled


def _read(path: Path) -> dict[str, Any]:
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc


def _guarded(
    path: Path, data: dict[str, Any], version: str, defs: dict[str, SegmentDef]
) -> CompiledSet:
    try:
        return _compile_set(data, version, defs)
    except SchemaError as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc


def _versions(path: Path, data: dict[str, Any]) -> list[str]:
    unknown = sorted(set(data) - _SET_KEYS)
    set_id, versions = data.get("transaction_set"), data.get("versions")
    if unknown:
        raise ConfigurationError(f"{path}: unknown key(s) {unknown} (allowed: {sorted(_SET_KEYS)})")
    if not isinstance(set_id, str) or set_id != path.stem:
        raise ConfigurationError(f"{path}: transaction_set {set_id!r} must be the file name")
    if not isinstance(data.get("structure"), str):
        raise ConfigurationError(f"{path}: structure must be a multi-line string")
    if not isinstance(versions, list) or not all(
        isinstance(v, str) and _VERSION.match(v) for v in versions
    ):
        raise ConfigurationError(f"{path}: versions must be a list such as ['004010', '005010']")
    return versions


def _for_version(data: dict[str, Any], table: str, version: str) -> dict[str, Any]:
    merged = dict(data.get(table, {}))
    merged.update(data.get("version", {}).get(version, {}).get(table, {}))
    return merged


def _segment_defs(
    folder: Path, elements: dict[str, Any], segments: dict[str, Any], version: str
) -> dict[str, SegmentDef]:
    dictionary = _Dictionary(
        _for_version(elements, "element", version),
        _for_version(elements, "composite", version),
        _for_version(elements, "codes", version),
        _for_version(segments, "segment", version),
    )
    for ref, values in dictionary.codes.items():
        if ref not in dictionary.elements or not isinstance(values, list):
            where = f"{folder / 'elements.toml'}: codes.{ref}"
            raise ConfigurationError(f"{where}: not a list, or not a defined element")
    defs = {}
    for tag, spec in dictionary.segments.items():
        where = f"{folder / 'segments.toml'}: segment.{tag} ({version})"
        try:
            defs[tag] = _segment(tag, spec, dictionary)
        except SchemaError as exc:
            raise ConfigurationError(f"{where}: {exc}") from exc
    return defs


def _segment(tag: str, spec: Any, dictionary: _Dictionary) -> SegmentDef:
    if not isinstance(spec, dict) or not set(spec) <= {"elements", "syntax"}:
        raise SchemaError("a segment has `elements` and optional `syntax` only")
    entries = spec.get("elements")
    if not isinstance(entries, list) or not entries:
        raise SchemaError("elements must be a non-empty list of 'REQ REF' strings")
    slots = tuple(_slot(n, entry, dictionary) for n, entry in enumerate(entries, 1))
    return SegmentDef(tag, slots, _syntax(spec.get("syntax", []), len(slots)))


def _slot(position: int, entry: Any, dictionary: _Dictionary) -> Slot:
    parts = entry.split() if isinstance(entry, str) else []
    if len(parts) not in (2, 3) or parts[0] not in ("M", "O", "X"):
        raise SchemaError(f"element {position:02d} {entry!r}: write 'M 353', 'O C040 10'")
    mandatory, ref = parts[0] == "M", parts[1]
    repeat = _count(parts[2]) if len(parts) == 3 else 1
    if ref in dictionary.composites:
        return _composite(position, ref, mandatory, repeat, dictionary)
    return SimpleSlot(_element(position, ref, mandatory, dictionary), repeat)


def _element(position: int, ref: str, mandatory: bool, dictionary: _Dictionary) -> ElementDef:
    spec = dictionary.elements.get(ref)
    parts = spec.split() if isinstance(spec, str) else []
    if len(parts) != 3 or not _KINDS.match(parts[0]) or not all(p.isdigit() for p in parts[1:]):
        raise SchemaError(f"element {ref!r} is not defined as 'TYPE MIN MAX' in elements.toml")
    kind = "N" if parts[0].startswith("N") else parts[0]
    codes = dictionary.codes.get(ref)
    closed = frozenset(str(code) for code in codes) if codes is not None else None
    return ElementDef(position, ref, mandatory, kind, int(parts[1]), int(parts[2]), closed)


def _composite(
    position: int, ref: str, mandatory: bool, repeat: int, dictionary: _Dictionary
) -> CompositeDef:
    spec = dictionary.composites[ref]
    entries = spec.get("components") if isinstance(spec, dict) else None
    if not isinstance(entries, list) or not entries:
        raise SchemaError(f"composite {ref} needs components = ['M 128', ...]")
    components = []
    for number, entry in enumerate(entries, 1):
        parts = entry.split() if isinstance(entry, str) else []
        if len(parts) != 2 or parts[0] not in ("M", "O", "X"):
            raise SchemaError(f"composite {ref} component {number} {entry!r}: write 'M 128'")
        components.append(_element(number, parts[1], parts[0] == "M", dictionary))
    syntax = _syntax(spec.get("syntax", []), len(components))
    return CompositeDef(position, ref, mandatory, tuple(components), syntax, repeat)


def _syntax(notes: Any, count: int) -> tuple[SyntaxNote, ...]:
    found = []
    for note in notes if isinstance(notes, list) else [notes]:
        if not isinstance(note, str) or not _SYNTAX.match(note):
            raise SchemaError(f"syntax note {note!r}: write P0304, R0203, C0605, E0102, L010203")
        positions = tuple(int(note[i : i + 2]) for i in range(1, len(note), 2))
        if not all(1 <= p <= count for p in positions):
            raise SchemaError(f"syntax note {note!r} names a position past {count:02d}")
        found.append(SyntaxNote(note[0], positions))
    return tuple(found)


def _count(text: str) -> int:
    if text == ">1":
        return UNBOUNDED
    if not text.isdigit() or int(text) < 1:
        raise SchemaError(f"{text!r} is not a count (a number, or '>1')")
    return int(text)


def _compile_set(data: dict[str, Any], version: str, defs: dict[str, SegmentDef]) -> CompiledSet:
    root = Loop("", True, 1)
    stack: list[tuple[int, Loop]] = [(-1, root)]
    tags = set()
    for number, line in enumerate(data["structure"].splitlines(), 1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        match = _LINE.match(line.rstrip())
        if match is None:
            raise SchemaError(
                f"structure line {number} {line.strip()!r}: write 'N1 O 1 loop N1 200'"
            )
        if match["only"] and match["only"] != version:
            continue
        indent = len(match["indent"])
        while indent <= stack[-1][0]:
            stack.pop()
        use = SegmentUse(
            match["tag"], match["req"] == "M", _count(match["max"]), defs.get(match["tag"])
        )
        tags.add(use.tag)
        parent = stack[-1][1]
        if match["loop"]:
            loop = Loop(match["loop"], use.mandatory, _count(match["repeat"]), [use])
            parent.children.append(loop)
            stack.append((indent, loop))
        else:
            parent.children.append(use)
    root.index()
    return CompiledSet(data["transaction_set"], version, root, frozenset(tags))
