"""Segment and element validation (maps/x12 + b2b.x12.validate) on our own documents.

Our 850s validate clean in 4010 and 5010; hand-broken copies give the AK3/AK4 a partner's
translator would send back for them.
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import pytest

from b2b.errors import ConfigurationError
from b2b.mapping import MapLibrary, map_purchase_order
from b2b.x12 import ReadTransaction, Segment, read_interchanges, write_interchange
from b2b.x12.model import Delimiters, Element
from b2b.x12.results import ElementError, SegmentError
from b2b.x12.validate import SetSchemas
from tests.mapping.orders import NOW, line, purchase_order, settings

ROOT = Path(__file__).resolve().parents[2]
SCHEMAS = ROOT / "maps" / "x12"
SAMPLES = sorted((ROOT / "samples" / "x12").glob("*.x12"))
VERSIONS = ["004010", "005010"]


@pytest.fixture(scope="module")
def schemas() -> SetSchemas:
    return SetSchemas.load(SCHEMAS)


@pytest.fixture(scope="module")
def maps() -> MapLibrary:
    return MapLibrary.load(ROOT / "maps")


def mapped_850(maps: MapLibrary, version: str, lines: int = 3) -> ReadTransaction:
    """Our 850 as a partner receives it: mapped, written and read back."""
    partner = settings(version)
    transaction = map_purchase_order(purchase_order(lines), partner, maps)
    data = write_interchange(
        [transaction], partner.envelope, control_number=11, version=version, now=NOW
    ).data
    return read_interchanges(data)[0].groups[0].transactions[0]


def with_segments(tx: ReadTransaction, segments: list[Segment]) -> ReadTransaction:
    return dataclasses.replace(tx, segments=tuple(segments))


def replaced(tx: ReadTransaction, tag: str, *elements: Element) -> ReadTransaction:
    """`tx` with the first `tag` segment's elements replaced."""
    segments = list(tx.segments)
    index = next(i for i, s in enumerate(segments) if s.tag == tag)
    segments[index] = Segment(tag, elements)
    return with_segments(tx, segments)


@pytest.mark.parametrize("sample", SAMPLES, ids=lambda p: p.name)
def test_our_golden_files_validate_clean(schemas: SetSchemas, sample: Path) -> None:
    for interchange in read_interchanges(sample.read_bytes()):
        for group in interchange.groups:
            for tx in group.transactions:
                assert schemas.supports(tx.set_id, group.version)
                found = schemas.validate(tx, group.version, delimiters=interchange.delimiters)
                assert found == ()


@pytest.mark.parametrize("version", VERSIONS)
@pytest.mark.parametrize("lines", [1, 5, 31])
def test_mapped_850_validates_clean(
    schemas: SetSchemas, maps: MapLibrary, version: str, lines: int
) -> None:
    assert schemas.validate(mapped_850(maps, version, lines), version) == ()


@pytest.mark.parametrize("version", VERSIONS)
def test_850_with_a_long_reference_is_valid_only_in_5010(
    schemas: SetSchemas, maps: MapLibrary, version: str
) -> None:
    tx = replaced(mapped_850(maps, version), "REF", "PP", "R" * 40)  # REF02: 1/30 → 1/50
    expected = (
        ()
        if version == "005010"
        else (SegmentError("REF", 4, "", "8", (ElementError(2, None, "127", "5", "R" * 40),)),)
    )
    assert schemas.validate(tx, version) == expected


def test_supports_the_sets_and_versions_we_exchange(schemas: SetSchemas) -> None:
    for set_id in ("810", "850", "855", "856", "860", "997"):
        for version in ("004010", "004010VICS", "005010", "005010X231A1"):
            assert schemas.supports(set_id, version)
    assert schemas.supports("999", "005010X231A1")
    assert not schemas.supports("999", "004010")
    assert not schemas.supports("850", "003010")
    assert not schemas.supports("856", "004060")
    assert not schemas.supports("837", "005010")


@pytest.mark.parametrize("version", VERSIONS)
def test_beg_removed_is_a_missing_mandatory_segment(
    schemas: SetSchemas, maps: MapLibrary, version: str
) -> None:
    tx = mapped_850(maps, version)
    broken = with_segments(tx, list(tx.segments[1:]))
    assert schemas.validate(broken, version) == (SegmentError("BEG", 2, "", "3"),)


def test_unknown_purpose_code_in_beg01(schemas: SetSchemas, maps: MapLibrary) -> None:
    tx = replaced(mapped_850(maps, "004010"), "BEG", "99", "SA", "PO-1001", "3", "20261127")
    assert schemas.validate(tx, "004010") == (
        SegmentError("BEG", 2, "", "8", (ElementError(1, None, "353", "7", "99"),)),
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_mutually_defined_purpose_code_is_valid(
    schemas: SetSchemas, maps: MapLibrary, version: str
) -> None:
    tx = replaced(mapped_850(maps, version), "BEG", "ZZ", "SA", "PO-1001", "3", "20261127")
    assert schemas.validate(tx, version) == ()


def test_purpose_code_list_is_open_in_5010(schemas: SetSchemas, maps: MapLibrary) -> None:
    """No source here holds the 005010 list of 353: a code outside the 004010 list passes."""
    tx = replaced(mapped_850(maps, "005010"), "BEG", "99", "SA", "PO-1001", "3", "20261127")
    assert schemas.validate(tx, "005010") == ()


@pytest.mark.parametrize(
    ("elements", "error"),
    [
        (("00", "SA", "P" * 23, "3", "20261127"), ElementError(3, None, "324", "5", "P" * 23)),
        (("00", "SA", "PO-1001", "3", "20261131"), ElementError(5, None, "373", "8", "20261131")),
        (("00", "SA", "PO-1001", "3", "2026112"), ElementError(5, None, "373", "8", "2026112")),
        (("00", "SA", "PO-1001", "3"), ElementError(5, None, "373", "1", "")),
        (("00", "S", "PO-1001", "3", "20261127"), ElementError(2, None, "92", "4", "S")),
        (
            ("00", "SA", "PO\x071001", "", "20261127"),
            ElementError(3, None, "324", "6", "PO\x071001"),
        ),
    ],
    ids=["too-long", "no-31-november", "short-date", "missing", "too-short", "control-char"],
)
def test_bad_beg_elements(
    schemas: SetSchemas, maps: MapLibrary, elements: tuple[str, ...], error: ElementError
) -> None:
    tx = replaced(mapped_850(maps, "004010"), "BEG", *elements)
    assert schemas.validate(tx, "004010") == (SegmentError("BEG", 2, "", "8", (error,)),)


def test_bad_time_and_numbers(schemas: SetSchemas, maps: MapLibrary) -> None:
    tx = mapped_850(maps, "004010")
    segments = list(tx.segments)
    dtm = next(i for i, s in enumerate(segments) if s.tag == "DTM")
    segments[dtm] = Segment("DTM", ("002", "20261201", "2460"))
    po1 = next(i for i, s in enumerate(segments) if s.tag == "PO1")
    segments[po1] = Segment("PO1", ("1", "2.5.0", "EA", "12.34"))
    found = schemas.validate(with_segments(tx, segments), "004010")
    assert found == (
        SegmentError("PO1", po1 + 2, "PO1", "8", (ElementError(2, None, "330", "6", "2.5.0"),)),
        SegmentError("DTM", dtm + 2, "PO1", "8", (ElementError(3, None, "337", "9", "2460"),)),
    )


@pytest.mark.parametrize("version", VERSIONS)
def test_unknown_segment_id(schemas: SetSchemas, maps: MapLibrary, version: str) -> None:
    tx = mapped_850(maps, version)
    segments = list(tx.segments)
    segments.insert(2, Segment("ZZZ", ("1",)))
    assert schemas.validate(with_segments(tx, segments), version) == (
        SegmentError("ZZZ", 4, "", "1"),
    )


def test_segment_of_another_set_is_unexpected(schemas: SetSchemas, maps: MapLibrary) -> None:
    tx = mapped_850(maps, "004010")
    segments = list(tx.segments)
    segments.insert(1, Segment("BIG", ("20261127", "INV-1")))
    assert schemas.validate(with_segments(tx, segments), "004010") == (
        SegmentError("BIG", 3, "", "2"),
    )


def test_header_segment_after_the_detail_is_out_of_sequence(
    schemas: SetSchemas, maps: MapLibrary
) -> None:
    tx = mapped_850(maps, "004010")
    segments = list(tx.segments)
    fob = next(i for i, s in enumerate(segments) if s.tag == "FOB")
    moved = segments.pop(fob)
    segments.insert(len(segments) - 2, moved)  # before CTT, AMT: in no loop that holds FOB here
    found = schemas.validate(with_segments(tx, segments), "004010")
    assert found == (SegmentError("FOB", len(segments) - 1, "PO1", "7"),)


def test_too_many_data_elements(schemas: SetSchemas, maps: MapLibrary) -> None:
    tx = mapped_850(maps, "004010")
    n3 = next(i for i, s in enumerate(tx.segments) if s.tag == "N3")
    broken = replaced(tx, "N3", "100 Industrial Way", "Building C", "Dock 4")
    assert schemas.validate(broken, "004010") == (
        SegmentError("N3", n3 + 2, "N1", "8", (ElementError(3, None, "", "3", "Dock 4"),)),
    )


def test_paired_elements_violated(schemas: SetSchemas, maps: MapLibrary) -> None:
    tx = mapped_850(maps, "004010")
    n1 = next(i for i, s in enumerate(tx.segments) if s.tag == "N1")
    broken = replaced(tx, "N1", "ST", "Acme Plant 2", "92")  # N104 missing: P0304
    assert schemas.validate(broken, "004010") == (
        SegmentError("N1", n1 + 2, "N1", "8", (ElementError(4, None, "67", "2", ""),)),
    )


def test_required_one_of_violated(schemas: SetSchemas, maps: MapLibrary) -> None:
    tx = replaced(mapped_850(maps, "004010"), "REF", "PP")  # R0203: REF02 or REF03
    assert schemas.validate(tx, "004010") == (
        SegmentError("REF", 4, "", "8", (ElementError(2, None, "127", "2", ""),)),
    )


def test_segment_over_its_maximum_use(schemas: SetSchemas, maps: MapLibrary) -> None:
    tx = mapped_850(maps, "004010")
    segments = list(tx.segments)
    per = next(i for i, s in enumerate(segments) if s.tag == "PER")  # header PER: max 3
    segments[per:per] = [segments[per]] * 3
    assert schemas.validate(with_segments(tx, segments), "004010") == (
        SegmentError("PER", per + 5, "", "5"),
    )


def test_loop_over_its_maximum_repeat(schemas: SetSchemas, maps: MapLibrary) -> None:
    tx = mapped_850(maps, "004010")
    ctt = next(i for i, s in enumerate(tx.segments) if s.tag == "CTT")  # CTT loop: 1
    segments = [*tx.segments, tx.segments[ctt]]
    assert schemas.validate(with_segments(tx, segments), "004010") == (
        SegmentError("CTT", len(segments) + 1, "CTT", "4"),
    )


def test_mandatory_loop_missing(schemas: SetSchemas, maps: MapLibrary) -> None:
    tx = mapped_850(maps, "004010")
    start = next(i for i, s in enumerate(tx.segments) if s.tag == "PO1")
    end = next(i for i, s in enumerate(tx.segments) if s.tag == "CTT")
    segments = [*tx.segments[:start], *tx.segments[end:]]
    assert schemas.validate(with_segments(tx, segments), "004010") == (
        SegmentError("PO1", start + 2, "PO1", "3"),
    )


def test_a_second_order_line_loop_starts_a_new_iteration(
    schemas: SetSchemas, maps: MapLibrary
) -> None:
    partner = settings("004010")
    lines = tuple(line(i, comments=("Deliver to dock 4",)) for i in (1, 2))
    order = dataclasses.replace(purchase_order(1), lines=lines)
    transaction = map_purchase_order(order, partner, maps)
    tags = [s.tag for s in transaction.segments]
    assert tags.count("PO1") == 2
    assert "MSG" in tags
    tx = ReadTransaction("850", "0001", transaction.segments, Segment("ST", ()), Segment("SE", ()))
    assert schemas.validate(tx, "004010") == ()


def test_bad_schema_file_names_file_and_entry(tmp_path: Path) -> None:
    folder = tmp_path / "x12"
    shutil.copytree(SCHEMAS, folder)
    segments = folder / "segments.toml"
    text = segments.read_text(encoding="utf-8")
    segments.write_text(text.replace('"M 353", "M 92"', '"M 353", "Q 92"', 1), encoding="utf-8")
    with pytest.raises(ConfigurationError) as caught:
        SetSchemas.load(folder)
    assert "segments.toml" in str(caught.value)
    assert "segment.BCH" in str(caught.value) or "segment.BEG" in str(caught.value)
    assert "'Q 92'" in str(caught.value)


def test_bad_structure_line_names_file_and_line(tmp_path: Path) -> None:
    folder = tmp_path / "x12"
    shutil.copytree(SCHEMAS, folder)
    path = folder / "855.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("CUR O 1\n", "CUR maybe 1\n", 1),
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError) as caught:
        SetSchemas.load(folder)
    assert "855.toml" in str(caught.value)
    assert "structure line 2 'CUR maybe 1'" in str(caught.value)


def test_undefined_element_is_a_configuration_error(tmp_path: Path) -> None:
    folder = tmp_path / "x12"
    shutil.copytree(SCHEMAS, folder)
    path = folder / "elements.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace('"353" = "ID 2 2"', '"353" = "ID two"', 1),
        encoding="utf-8",
    )
    with pytest.raises(ConfigurationError, match=r"segments.toml: segment\.\w+ .*'353'"):
        SetSchemas.load(folder)


def ack_999(ctx01: str, ik401: str) -> bytes:
    """A 999 rejecting BEG01 of an 850, with the repetition separator "^" (ISA11)."""
    segments = [
        "ISA*00*          *00*          *ZZ*SUPPLIER       *ZZ*COUPABUYER     *261128*0930*^*00501"
        "*000000001*0*T*:",
        "GS*FA*SUPPLIER*COUPABUYER*20261128*0930*1*X*005010X231A1",
        "ST*999*0001*005010X231A1",
        "AK1*PO*11*005010",
        "AK2*850*0001",
        "IK3*BEG*2**8",
        f"CTX*{ctx01}*BEG*2",
        f"IK4*{ik401}*353*7*ZZ",
        "IK5*R*5",
        "AK9*R*1*1*0",
        "SE*9*0001",
        "GE*1*1",
        "IEA*1*000000001",
    ]
    return "~".join([*segments, ""]).encode()


def read_999(data: bytes) -> tuple[ReadTransaction, Delimiters]:
    (interchange,) = read_interchanges(data)
    return interchange.groups[0].transactions[0], interchange.delimiters


def test_999_with_repetitions_and_components_is_valid(schemas: SetSchemas) -> None:
    tx, delimiters = read_999(ack_999("SITUATIONAL TRIGGER^SECOND:2", "1:1"))
    assert schemas.validate(tx, "005010X231A1", delimiters=delimiters) == ()


def test_999_too_many_repetitions(schemas: SetSchemas) -> None:
    ctx01 = "^".join(f"TRIGGER {n}" for n in range(11))  # CTX01 C998 repeats up to 10
    tx, delimiters = read_999(ack_999(ctx01, "1"))
    assert schemas.validate(tx, "005010X231A1", delimiters=delimiters) == (
        SegmentError("CTX", 5, "IK3", "8", (ElementError(1, None, "", "12", ctx01),)),
    )


def test_999_too_many_components(schemas: SetSchemas) -> None:
    tx, delimiters = read_999(ack_999("TRIGGER", "1:1:1:9"))  # C030 has 3 components in 5010
    assert schemas.validate(tx, "005010X231A1", delimiters=delimiters) == (
        SegmentError("IK4", 6, "IK4", "8", (ElementError(1, 4, "", "13", "1:1:1:9"),)),
    )


def test_components_in_a_simple_element(schemas: SetSchemas) -> None:
    tx, delimiters = read_999(ack_999("TRIGGER", "1"))
    segments = list(tx.segments)
    segments[-1] = Segment("AK9", ("R", ("1", "2"), "1", "0"))
    found = schemas.validate(with_segments(tx, segments), "005010", delimiters=delimiters)
    assert found == (SegmentError("AK9", 8, "", "8", (ElementError(2, None, "97", "13", "1:2"),)),)
