"""Load map files (maps/*.toml), validate and compile them once, and run them.

A map file names its transaction set, functional group, the canonical document it reads (a name
in DOCUMENT_TYPES, which also gives the map's root name: `order`, `change`) and versions, optional
code tables, and the segments to emit (see b2b.mapping.compiler for segments and loops,
b2b.mapping.expressions for values):

    transaction_set = "850"
    functional_id = "PO"
    document = "PurchaseOrder"
    versions = ["004010", "005010"]

    [codes.purpose]
    new = "00"

    [[segment]]
    tag = "BEG"
    elements = ["{order.order_type|code:purpose}", "SA", "{order.number|max:22}"]

    >>> maps = MapLibrary.load(Path("maps"))
    >>> map_purchase_order(order, partner.x12, maps).segments[0].tag
    'BEG'
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from b2b.documents import OrderChange, PurchaseOrder
from b2b.errors import ConfigurationError
from b2b.mapping.compiler import Runner, SpecError, compile_map
from b2b.mapping.scope import MapSpecError
from b2b.partners.profile import X12Settings
from b2b.x12.model import Segment, Transaction


@dataclass(frozen=True, slots=True)
class DocumentType:
    """A canonical document a map can read, and the name its paths start with."""

    type: type
    root: str


DOCUMENT_TYPES: Mapping[str, DocumentType] = {
    "PurchaseOrder": DocumentType(PurchaseOrder, "order"),
    "OrderChange": DocumentType(OrderChange, "change"),
}
"""The map file's `document = "..."` → the type its runner takes; a new one is one entry."""
_MAP_KEYS = frozenset(
    {"transaction_set", "functional_id", "document", "versions", "codes", "segment", "note"}
)
_VERSION = re.compile(r"^00[2-9][0-9]{3}$")


@dataclass(frozen=True, slots=True)
class CompiledMap:
    """One map compiled for one version; `source` is the generated Python, for reading."""

    name: str
    transaction_set: str
    functional_id: str
    version: str
    runner: Runner
    source: str
    document: type = PurchaseOrder

    def run(self, document: object, settings: X12Settings) -> tuple[Segment, ...]:
        """The transaction set body (without ST/SE) for `document`."""
        return self.runner(document, settings)

    def transaction(self, document: object, settings: X12Settings) -> Transaction:
        """The transaction set for `document`; ConfigurationError if the map reads another type.

        >>> maps.get("860", "004010").transaction(change, partner.x12).set_id
        '860'
        """
        if not isinstance(document, self.document):
            raise ConfigurationError(
                f"map {self.name!r} reads {self.document.__name__}, not"
                f" {type(document).__name__}: check the partner's x12 map names"
            )
        segments = self.runner(document, settings)
        return Transaction(self.transaction_set, self.functional_id, self.version, segments)


class MapLibrary:
    """The compiled maps, by name (the file name without .toml) and version."""

    def __init__(self, maps: Mapping[tuple[str, str], CompiledMap]) -> None:
        self._maps = dict(maps)

    @classmethod
    def load(cls, folder: Path) -> MapLibrary:
        """Load, validate and compile every `*.toml` map in `folder`.

        A wrong map raises ConfigurationError naming the file, the segment and the problem.

            >>> MapLibrary.load(Path("maps")).names
            ('850', '860')
        """
        compiled: dict[tuple[str, str], CompiledMap] = {}
        paths = sorted(folder.glob("*.toml"))
        if not paths:
            raise ConfigurationError(f"{folder}: no map files (*.toml)")
        for path in paths:
            for version_map in _load_file(path):
                compiled[(version_map.name, version_map.version)] = version_map
        return cls(compiled)

    @property
    def names(self) -> tuple[str, ...]:
        """The map names, sorted."""
        return tuple(sorted({name for name, _ in self._maps}))

    def get(self, name: str, version: str) -> CompiledMap:
        """The map `name` for `version`; ConfigurationError if there is none."""
        found = self._maps.get((name, version))
        if found is None:
            have = sorted(f"{n}/{v}" for n, v in self._maps)
            raise ConfigurationError(f"no map {name!r} for version {version} (maps: {have})")
        return found


def map_purchase_order(
    order: PurchaseOrder, settings: X12Settings, maps: MapLibrary
) -> Transaction:
    """The partner's purchase order transaction set (settings.purchase_order_map, .version).

    >>> map_purchase_order(order, partner.x12, maps).set_id
    '850'
    """
    return maps.get(settings.purchase_order_map, settings.version).transaction(order, settings)


def _load_file(path: Path) -> list[CompiledMap]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc
    try:
        return _compile_file(path.stem, data)
    except SpecError as exc:
        raise ConfigurationError(f"{path}: {exc.where}: {exc.problem}") from exc
    except MapSpecError as exc:
        raise ConfigurationError(f"{path}: {exc}") from exc


def _compile_file(name: str, data: dict[str, Any]) -> list[CompiledMap]:
    unknown = sorted(set(data) - _MAP_KEYS)
    if unknown:
        raise MapSpecError(f"unknown key(s) {unknown} (allowed: {sorted(_MAP_KEYS)})")
    set_id = _required(
        data, "transaction_set", lambda v: v.isascii() and v.isdigit() and len(v) == 3
    )
    functional_id = _required(
        data, "functional_id", lambda v: v.isascii() and v.isalpha() and len(v) == 2
    )
    document = data.get("document")
    if not isinstance(document, str) or document not in DOCUMENT_TYPES:
        raise MapSpecError(f"document: {document!r} is not one of {sorted(DOCUMENT_TYPES)}")
    versions = data.get("versions")
    if (
        not isinstance(versions, list)
        or not versions
        or not all(isinstance(v, str) and _VERSION.match(v) for v in versions)
    ):
        raise MapSpecError(
            f"versions must be a list such as ['004010', '005010'], got {versions!r}"
        )
    codes = _codes(data.get("codes", {}))
    specs = data.get("segment")
    if not isinstance(specs, list) or not specs:
        raise MapSpecError("a map needs [[segment]] entries")
    _check_override_versions(specs, versions)
    reads = DOCUMENT_TYPES[document]
    compiled = []
    for version in versions:
        runner, source = compile_map(specs, reads.root, reads.type, codes, version)
        compiled.append(
            CompiledMap(name, set_id, functional_id, version, runner, source, reads.type)
        )
    return compiled


def _required(data: dict[str, Any], key: str, valid: Callable[[str], bool]) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not valid(value):
        raise MapSpecError(f"{key}: {value!r} is missing or not valid")
    return value


def _codes(raw: object) -> dict[str, dict[str, str]]:
    if not isinstance(raw, dict) or not all(
        isinstance(table, dict) and all(isinstance(v, str) for v in table.values())
        for table in raw.values()
    ):
        raise MapSpecError("[codes.NAME] tables map source values to X12 code strings")
    return {name: dict(table) for name, table in raw.items()}


def _check_override_versions(specs: list[Any], versions: list[str]) -> None:
    for spec in specs:
        if not isinstance(spec, dict):
            raise MapSpecError("each [[segment]] entry must be a table")
        for version in spec.get("versions", {}):
            if version not in versions:
                raise MapSpecError(
                    f"{spec.get('tag') or spec.get('each')}: override for version {version}, which"
                    f" is not in versions {versions}"
                )
        _check_override_versions(spec.get("segment", []), versions)
