"""The reader against every third-party X12 file in ../shared/corpus.

Each file either reads with consistent counts, or is one of the six known broken files below,
which must fail with the code and reason found by reading their bytes.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from b2b.errors import X12EnvelopeError
from b2b.x12 import read_interchanges

CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"
FOLDERS = (
    "EDI.Net",
    "node-x12",
    "staedi",
    "EdiEngine",
    "X12Parser",
    "bots-plugins",
    "bootstrap-archived",
)

Groups = list[tuple[str, tuple[str, ...]]]

# file → per interchange, the groups as (GS01, ST01s); the first body segment's tag and 2nd element
READS: dict[str, tuple[list[Groups], tuple[str, str]]] = {
    "EDI.Net/x12.810a.edi": (
        [[("IN", ("810",))]],
        ("BIG", "DO091003TESTINV01"),
    ),  # ISA fields unpadded
    "EDI.Net/x12.810b.edi": ([[("IN", ("810",))]], ("BIG", "DO091003TESTINV01TAX")),
    "EDI.Net/x12.810c.edi": ([[("IN", ("810",))]], ("BIG", "DO091003TESTHDRINV01")),
    "node-x12/850.edi": ([[("PO", ("850",))]], ("BEG", "SA")),
    "node-x12/850_2.edi": ([[("PO", ("850",))]], ("BEG", "SA")),  # newline terminator
    "node-x12/850_3.edi": ([[("PO", ("850",))]], ("BEG", "NE")),
    "node-x12/850_fat.edi": ([[("PO", ("850",))], [("PO", ("850",))]], ("BEG", "SA")),
    "node-x12/855.edi": ([[("PR", ("855",))]], ("BAK", "AD")),
    "node-x12/856.edi": ([[("SH", ("856",))]], ("BSN", "829716")),  # 00406, ISA11 "-"
    "staedi/invoice810_po850_dual.edi": (
        [[("IN", ("810", "810")), ("PO", ("850",))]],
        ("BIG", "00001"),
    ),
    "staedi/multi-tx-transaction-type.edi": ([[("PR", ("855", "855"))]], ("BAK", "AC")),
    "staedi/simple810.edi": ([[("IN", ("810", "810"))]], ("BIG", "00001")),
    "staedi/simple997.edi": ([[("FA", ("997",))]], ("AK1", "000001")),
    "staedi/simple999.edi": ([[("FA", ("999",))]], ("AK1", "17456")),
    "EdiEngine/850.Composite.SLN.OK.edi": ([[("PO", ("850",))]], ("BEG", "SA")),
    "EdiEngine/850.OK.edi": ([[("PO", ("850",))]], ("BEG", "SA")),
    "EdiEngine/856.Crossdock.OK.edi": ([[("SH", ("856",))]], ("BSN", "000009")),
    "X12Parser/810_Example4_Adobe.txt": (
        [[("IN", ("810",))]],
        ("BIG", "0013833070"),
    ),  # CR + indent
    "X12Parser/850_Example1_PGWGlass.txt": ([[("PO", ("850",))]], ("BEG", "SA")),  # "|" terminator
    "X12Parser/850_Example2_Adobe_TLP.txt": ([[("PO", ("850",))]], ("BEG", "NE")),  # "~" elements
    "X12Parser/855_Example1_Adobe.txt": ([[("PR", ("855",))]], ("BAK", "AD")),
    "X12Parser/856_Example1.txt": ([[("SH", ("856",))]], ("BSN", "123456")),  # "*" terminator
    "X12Parser/999_DHS_Wisconsin_Sample.txt": ([[("FA", ("999",))]], ("AK1", "17456")),
    "bots-plugins/810_1.x12": ([[("IN", ("810",))]], ("BIG", "95018017")),
    "bots-plugins/850-004010-01.x12": ([[("PO", ("850",))]], ("BEG", "SA")),  # ISA16 "@"
    "bots-plugins/856_1.x12": ([[("SH", ("856",))]], ("BSN", "15918861602")),
    "bots-plugins/997_1.x12": ([[("FA", ("997",))]], ("AK1", "214")),
    "bootstrap-archived/850_5010_input.edi": ([[("OW", ("850",))]], ("BEG", "DS")),
    "bootstrap-archived/855_5010_inbound.edi": ([[("PR", ("855",))]], ("BAK", "AD")),
}

# file → (level, code, reason) — why, from the bytes:
BROKEN: dict[str, tuple[str, str, str]] = {
    # IEA02 000000001 against ISA13 000000055 (the ISA is also padded with U+00A0 no-break spaces)
    "EDI.Net/x12.850.edi": (
        "interchange",
        "001",
        "IEA02 '000000001' does not match ISA13 '000000055'",
    ),
    "EDI.Net/x12.850a.edi": (
        "interchange",
        "001",
        "IEA02 '000000001' does not match ISA13 '000000055'",
    ),
    # a 105-character ISA with no ISA16: "~" reads as the component separator and LF as the
    # terminator, so GS08 ends in "~" (the file also lacks the "~" after DTM*038*20190309)
    "EDI.Net/x12.850.issue135.edi": (
        "interchange",
        "027",
        "GS08 '004010~' contains the component separator '~' (ISA16); is ISA16 missing",
    ),
    # IK5*A and IK5*Q inserted into staedi's simple999 without updating SE01
    "staedi/invalid999.edi": (
        "transaction",
        "4",
        "ST 2870001: SE01 says '16' segments but the set has 18",
    ),
    # "N1*BY*RETAILER*92*1129" has no terminator, so N1 and N3 run together
    "X12Parser/860_Example1.txt": (
        "transaction",
        "4",
        "ST 56488: SE01 says '10' segments but the set has 9",
    ),
    # IEA02 is 8 digits and a different number: 00001660 against 000016680
    "X12Parser/865_FromTyco.txt": (
        "interchange",
        "001",
        "IEA02 '00001660' does not match ISA13 '000016680'",
    ),
}


def corpus_files() -> list[str]:
    if not CORPUS.is_dir():
        return []
    return sorted(
        str(path.relative_to(CORPUS)) for folder in FOLDERS for path in (CORPUS / folder).iterdir()
    )


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
def test_every_corpus_file_is_classified() -> None:
    assert set(corpus_files()) == set(READS) | set(BROKEN)


@pytest.mark.parametrize("name", corpus_files() or ["(corpus absent)"])
def test_corpus_file(name: str) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    data = (CORPUS / name).read_bytes()
    if name in BROKEN:
        level, code, reason = BROKEN[name]
        with pytest.raises(X12EnvelopeError) as caught:
            read_interchanges(data)
        assert (caught.value.level, caught.value.code) == (level, code)
        assert reason in caught.value.reason
        return
    expected_groups, (first_tag, first_value) = READS[name]
    interchanges = read_interchanges(data)
    assert [
        [(g.functional_id, tuple(t.set_id for t in g.transactions)) for g in ic.groups]
        for ic in interchanges
    ] == expected_groups
    for ic in interchanges:
        assert int(ic.iea.get(2)) == ic.control_number
        assert ic.iea.get(1) == str(len(ic.groups))
        for group in ic.groups:
            assert group.ge.get(1) == str(len(group.transactions))
            for tx in group.transactions:
                assert tx.se.get(1) == str(len(tx.segments) + 2)
                assert tx.se.get(2) == tx.control_number == tx.st.get(2)
    first = interchanges[0].groups[0].transactions[0].segments[0]
    assert (first.tag, first.get(2)) == (first_tag, first_value)
