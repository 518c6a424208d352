"""pyx12 (the X12 reader the project uses as validator) reads our interchanges without errors."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from b2b.mapping import MapLibrary, map_purchase_order
from b2b.x12 import write_interchange
from tests.mapping.orders import NOW, purchase_order, settings

x12file = pytest.importorskip("pyx12.x12file", reason="pyx12 is not installed (pip install pyx12)")
MAPS = Path(__file__).resolve().parents[2] / "maps"


@pytest.mark.parametrize("version", ["004010", "005010"])
def test_pyx12_reads_our_850_interchange(version: str) -> None:
    partner = settings(version)
    transactions = [
        map_purchase_order(purchase_order(number=f"PO-{n}"), partner, MapLibrary.load(MAPS))
        for n in (1, 2)
    ]
    data = write_interchange(
        transactions, partner.envelope, control_number=31, version=version, now=NOW
    ).data
    reader = x12file.X12Reader(io.StringIO(data.decode("ascii")))
    segments = [segment.get_seg_id() for segment in reader]
    assert reader.pop_errors() == []
    assert segments.count("ST") == 2
    assert segments[-1] == "IEA"
    assert len(segments) == data.count(b"~")


def test_pyx12_check_is_live() -> None:
    """The same reading reports a wrong SE01, so an empty error list above means something."""
    partner = settings()
    transaction = map_purchase_order(purchase_order(), partner, MapLibrary.load(MAPS))
    data = write_interchange(
        [transaction], partner.envelope, control_number=31, version="004010", now=NOW
    ).data
    reader = x12file.X12Reader(io.StringIO(data.replace(b"SE*", b"SE*9", 1).decode("ascii")))
    list(reader)
    assert [error[:2] for error in reader.pop_errors()] == [("st", "4")]
