"""Validation against every third-party transaction set in ../shared/corpus that we define.

Each set validates clean, or its errors are listed below and explained from the bytes. Files
the reader rejects are covered by test_reader_corpus.py; sets in versions we do not define
(003010, 004060) are listed as unsupported.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from b2b.x12 import read_interchanges
from b2b.x12.results import ElementError, SegmentError
from b2b.x12.validate import SetSchemas
from tests.x12.test_reader_corpus import BROKEN, CORPUS, corpus_files

SCHEMAS = Path(__file__).resolve().parents[2] / "maps" / "x12"

# (file, ST02) → the errors, explained from the bytes
KNOWN: dict[tuple[str, str], tuple[SegmentError, ...]] = {
    ("X12Parser/999_DHS_Wisconsin_Sample.txt", "2870001"): (
        # "AK2*837*002": ST02/AK202 (329) is AN 4/9; the sample's control number has 3 characters
        SegmentError("AK2", 5, "AK2", "8", (ElementError(2, None, "329", "4", "002"),)),
        # "CTX*CLM01:...*CLM*43**5:3*C023:1325": CTX06-1 is data element 725, N0 1/4; the
        # sample puts the composite ID "C023" there
        SegmentError("CTX", 12, "IK3", "8", (ElementError(6, 1, "725", "6", "C023"),)),
    ),
}

# (file, ST01, GS08) of sets in versions we do not define
UNSUPPORTED = {
    ("node-x12/856.edi", "856", "004060"),
    ("staedi/invoice810_po850_dual.edi", "850", "003010"),
}


@pytest.fixture(scope="module")
def schemas() -> SetSchemas:
    return SetSchemas.load(SCHEMAS)


@pytest.mark.parametrize("name", [n for n in corpus_files() if n not in BROKEN] or ["(absent)"])
def test_corpus_sets_validate(schemas: SetSchemas, name: str) -> None:
    if not CORPUS.is_dir():
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    for interchange in read_interchanges((CORPUS / name).read_bytes()):
        for group in interchange.groups:
            for tx in group.transactions:
                if (name, tx.set_id, group.version) in UNSUPPORTED:
                    assert not schemas.supports(tx.set_id, group.version)
                    continue
                found = schemas.validate(tx, group.version, delimiters=interchange.delimiters)
                assert found == KNOWN.get((name, tx.control_number), ())


def test_known_errors_are_all_found() -> None:
    names = set(corpus_files())
    if not names:
        pytest.skip(f"the shared corpus is not at {CORPUS}")
    assert {name for name, _ in KNOWN} <= names
    assert {name for name, _, _ in UNSUPPORTED} <= names
