"""Each sample order becomes the expected 850 (golden file), and reads back with its values.

Regenerate the golden files after an intended change with `B2B_UPDATE_GOLDEN=1 pytest
tests/test_samples.py`, then review the diff.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest

from b2b.coupa import parse_order_headers, parse_order_request
from b2b.documents import ReceivedOrder
from b2b.mapping import MapLibrary, map_purchase_order
from b2b.partners import PartnerProfile, load_partners
from b2b.x12 import read_interchanges, write_interchange
from b2b.x12.model import ReadTransaction
from tests.conftest import ROOT

SAMPLES = ROOT / "samples"
WHEN = dt.datetime(2026, 11, 28, 9, 30, tzinfo=dt.UTC)
PARTNERS = load_partners(ROOT / "partners")
MAPS = MapLibrary.load(ROOT / "maps")

CASES = [
    ("cxml/order_request_new.xml", None),
    ("cxml/order_request_minimal.xml", None),
    ("coupa/order_header.xml", None),
    ("cxml/order_request_new.xml", "globex"),  # the same order for a 5010 partner
]


def _received(sample: str) -> ReceivedOrder:
    body = (SAMPLES / sample).read_bytes()
    if sample.startswith("cxml/"):
        return parse_order_request(body)
    [order] = parse_order_headers(body)
    return order


def _golden(sample: str, partner: PartnerProfile) -> Path:
    return SAMPLES / "x12" / f"{Path(sample).stem}.{partner.id}.850.x12"


@pytest.mark.parametrize(("sample", "partner_id"), CASES)
def test_sample_maps_to_its_golden_850(sample: str, partner_id: str | None) -> None:
    received = _received(sample)
    partner = PARTNERS.get(partner_id) if partner_id else PARTNERS.route(received.recipients)
    transaction = map_purchase_order(received.order, partner.x12, MAPS)
    data = write_interchange(
        [transaction],
        partner.x12.envelope,
        control_number=4711,
        version=partner.x12.version,
        now=WHEN,
    ).data
    golden = _golden(sample, partner)
    if os.environ.get("B2B_UPDATE_GOLDEN") == "1":
        golden.write_bytes(data)
    assert data.decode() == golden.read_text(), f"{golden} differs; see the module docstring"
    _assert_reads_back(data, received, partner)


def _assert_reads_back(data: bytes, received: ReceivedOrder, partner: PartnerProfile) -> None:
    [interchange] = read_interchanges(data)
    assert interchange.control_number == 4711
    assert interchange.delimiters.element == partner.x12.envelope.element_separator
    [group] = interchange.groups
    assert (group.control_number, group.version) == (4711, partner.x12.version)
    [transaction] = group.transactions
    assert (transaction.set_id, transaction.control_number) == ("850", "0001")
    _assert_order_values(transaction, received)


def _assert_order_values(transaction: ReadTransaction, received: ReceivedOrder) -> None:
    order = received.order
    by_tag: dict[str, list[object]] = {}
    for segment in transaction.segments:
        by_tag.setdefault(segment.tag, []).append(segment)
    beg = transaction.segments[0]
    assert beg.tag == "BEG"
    assert beg.get(3) == order.number
    po1s = [s for s in transaction.segments if s.tag == "PO1"]
    assert [s.get(1) for s in po1s] == [line.line_number for line in order.lines]
    assert [s.get(2) for s in po1s] == [_r(line.quantity) for line in order.lines]
    assert [s.get(4) for s in po1s] == [
        _r(line.unit_price.amount) if line.unit_price else "" for line in order.lines
    ]
    [ctt] = [s for s in transaction.segments if s.tag == "CTT"]
    assert ctt.get(1) == str(len(order.lines))


def _r(value: object) -> str:
    """X12 R: the decimal without trailing zeros or exponent."""
    text = format(value, "f")
    return text.rstrip("0").rstrip(".") if "." in text else text
