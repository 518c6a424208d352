"""maps/x12 checked against an independent source: pyx12's element dictionary and maps.

pyx12 (BSD) ships pyx12/map/dataele.xml (type and min/max of the 005010 elements its maps use)
and maps of HIPAA 004010/005010 sets, the 997 and the 999, plus two industry maps (830, 841).
Those maps define many common segments (REF, PER, N1-N4, DTM, NTE, SAC, CUR...) element by
element, with a usage (R required, S situational, N not used), syntax notes and code lists.

A HIPAA guide may narrow the base standard: it can make an optional element required or "not
used", never the reverse. So each of our mandatory elements must be required in every pyx12 map,
and an optional one that every map requires is a narrowing, listed below with its reason. The
other sources checked by hand (EdiEngine, stupidedi) are named in the maps/x12 files' comments.
"""

from __future__ import annotations

import tomllib
import xml.etree.ElementTree as ET
from collections import defaultdict
from functools import cache
from pathlib import Path
from typing import Any

import pytest

pyx12 = pytest.importorskip("pyx12")

MAPS = Path(pyx12.__file__).parent / "map"
SCHEMAS = Path(__file__).resolve().parents[2] / "maps" / "x12"
VERSIONS = ["004010", "005010"]

# element → (our 004010 definition, source): where 004010 differs from the 005010 dictionary
DIFFERS_IN_4010 = {
    "127": ("AN 1 30", "kputnam/stupidedi 004010 element_defs.rb: E127 AN 1/30"),
    "358": ("R 1 10", "olmelabs/EdiEngine X12_004010 DataElements.cs: E_0358 R 1/10"),
    "364": ("AN 1 80", "olmelabs/EdiEngine X12_004010 DataElements.cs: E_0364 AN 1/80"),
}

# (version, segment, position) → why every pyx12 map requires an element the base leaves optional
NARROWED = {
    ("004010", "IT1", 1): "820 X061 requires IT101; the base IT1 has it optional",
    ("005010", "IT1", 1): "820 X218 requires IT101; the base IT1 has it optional",
    ("004010", "NTE", 1): "837 guides require the note code; the base NTE01 is optional",
    ("005010", "NTE", 1): "837 guides require the note code; the base NTE01 is optional",
    ("004010", "REF", 2): "every guide sends REF02; the base makes it conditional (R0203)",
    ("005010", "REF", 2): "every guide sends REF02; the base makes it conditional (R0203)",
    ("005010", "AK1", 3): "the 999 guide (X231) requires AK103; the base 005010 AK1 does not",
    ("005010", "N4", 1): "HIPAA guides require the city; the base N4 has N401 optional",
    ("005010", "SAC", 2): "820 X218 requires SAC02; the base makes it conditional (R0203)",
    ("005010", "SAC", 5): "820 X218 requires the amount; the base SAC05 is optional",
}

# (version, segment, position) → why our mandatory element is less than required in some map
LOOSER_THERE = {
    ("004010", "LIN", 3): (
        "830.4010.PS is one trading partner's map, not a HIPAA guide, and marks LIN03 'S'; the "
        "base standard makes LIN03 mandatory (stupidedi 004010 LIN.rb, pyx12's other maps)"
    ),
}


def _field(node: ET.Element, name: str) -> str:
    """An attribute (the v2 maps) or a child element's text (the older maps)."""
    value = node.get(name)
    if value is None:
        child = node.find(name)
        value = child.text.strip() if child is not None and child.text else ""
    return value


def _map_version(path: Path) -> str:
    return "005010" if ".5010" in path.name else "004010"


@cache
def _pyx12_maps() -> list[tuple[str, str, ET.Element]]:
    """(version, map name, root) of every transaction map pyx12 ships."""
    found = []
    for path in sorted(MAPS.glob("*.xml")):
        root = ET.parse(path).getroot()
        if root.tag == "transaction":
            found.append((_map_version(path), path.stem, root))
    return found


Usage = dict[str, set[str]]  # "data element / usage" → the maps that say so


@cache
def _pyx12_segments(version: str) -> dict[tuple[str, int], Usage]:
    """(segment, position) → what pyx12's maps of `version` say of that element."""
    found: dict[tuple[str, int], Usage] = defaultdict(lambda: defaultdict(set))
    for map_version, name, root in _pyx12_maps():
        if map_version != version:
            continue
        for segment in root.iter("segment"):
            for element in segment:
                if element.tag in ("element", "composite"):
                    place = (segment.get("xid", ""), int(_field(element, "seq")))
                    usage = f"{_field(element, 'data_ele')}/{_field(element, 'usage')}"
                    found[place][usage].add(name)
    return found


def _pyx12_syntax(version: str) -> dict[str, set[str]]:
    found: dict[str, set[str]] = defaultdict(set)
    for map_version, _, root in _pyx12_maps():
        if map_version == version:
            for segment in root.iter("segment"):
                notes = segment.findall("syntax")  # a composite's own notes are not the segment's
                found[segment.get("xid", "")] |= {n.text.strip() for n in notes if n.text}
    return found


def _ours(file: str, table: str, version: str) -> dict[str, Any]:
    data = tomllib.loads((SCHEMAS / file).read_text(encoding="utf-8"))
    merged = dict(data.get(table, {}))
    merged.update(data.get("version", {}).get(version, {}).get(table, {}))
    return merged


def _positions(note: str) -> set[int]:
    return {int(note[i : i + 2]) for i in range(1, len(note), 2)}


def test_elements_agree_with_the_pyx12_dictionary() -> None:
    dictionary = {
        e.get("ele_num", ""): f"{e.get('data_type')} {e.get('min_len')} {e.get('max_len')}"
        for e in ET.parse(MAPS / "dataele.xml").getroot()
    }
    ours_5010 = _ours("elements.toml", "element", "005010")
    shared = sorted(set(ours_5010) & set(dictionary), key=int)
    assert len(shared) >= 100  # a renamed or emptied dictionary must not pass unnoticed
    assert {e: ours_5010[e] for e in shared} == {e: dictionary[e] for e in shared}
    ours_4010 = _ours("elements.toml", "element", "004010")
    in_4010 = [e for e in shared if e in ours_4010]
    expected_4010 = {e: DIFFERS_IN_4010.get(e, (dictionary[e], ""))[0] for e in in_4010}
    assert {e: ours_4010[e] for e in expected_4010} == expected_4010


@pytest.mark.parametrize("version", VERSIONS)
def test_segments_agree_with_the_pyx12_maps(version: str) -> None:
    ours = _ours("segments.toml", "segment", version)
    found, narrowed, looser = [], set(), set()
    for (tag, position), usages in sorted(_pyx12_segments(version).items()):
        if tag not in ours:
            continue
        elements = ours[tag]["elements"]
        if position > len(elements):
            found.append(f"{tag}{position:02d}: pyx12 defines it, we do not")
            continue
        requirement, reference = elements[position - 1].split()[:2]
        refs = {usage.split("/")[0] for usage in usages}
        uses = {usage.split("/")[1] for usage in usages}
        if refs != {reference}:
            found.append(f"{tag}{position:02d}: ours is {reference}, pyx12's {sorted(refs)}")
        if requirement == "M" and uses != {"R"}:
            looser.add((version, tag, position))
        if requirement != "M" and uses == {"R"}:
            narrowed.add((version, tag, position))
    assert found == []
    assert narrowed == {key for key in NARROWED if key[0] == version}
    assert looser == {key for key in LOOSER_THERE if key[0] == version}


@pytest.mark.parametrize("version", VERSIONS)
def test_syntax_notes_agree_with_the_pyx12_maps(version: str) -> None:
    """Every pyx12 note is ours; where pyx12 gives a segment's notes, ours add none of its own.

    (A note of ours over a position pyx12's maps do not list is beyond what they can say.)
    """
    ours = _ours("segments.toml", "segment", version)
    listed: dict[str, set[int]] = defaultdict(set)
    for tag, position in _pyx12_segments(version):
        listed[tag].add(position)
    for tag, notes in _pyx12_syntax(version).items():
        if tag in ours and notes:
            mine = set(ours[tag].get("syntax", []))
            assert notes <= mine, (tag, notes - mine)
            extra = {note for note in mine - notes if _positions(note) <= listed[tag]}
            assert extra == set(), (tag, extra)


@pytest.mark.parametrize("version", VERSIONS)
def test_closed_code_lists_hold_every_code_pyx12_accepts(version: str) -> None:
    closed = _ours("elements.toml", "codes", version)
    missing = set()
    for map_version, name, root in _pyx12_maps():
        if map_version != version:
            continue
        for element in root.iter("element"):
            reference, codes = _field(element, "data_ele"), element.find("valid_codes")
            if reference in closed and codes is not None:
                for code in codes.iter("code"):
                    if code.text not in closed[reference]:
                        missing.add((name, element.get("xid"), code.text))
    assert missing == set()
