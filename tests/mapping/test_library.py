"""Map files: refused at load with file, segment and problem; a partner's own map needs no code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from b2b.errors import ConfigurationError
from b2b.mapping import MapLibrary, map_purchase_order
from b2b.x12 import Segment
from tests.mapping.orders import purchase_order, settings

HEADER = """
transaction_set = "850"
functional_id = "PO"
document = "PurchaseOrder"
versions = ["004010", "005010"]
"""


def write_map(folder: Path, body: str, name: str = "850") -> Path:
    path = folder / f"{name}.toml"
    path.write_text(HEADER + body, encoding="utf-8")
    return path


def refused(folder: Path) -> str:
    with pytest.raises(ConfigurationError) as caught:
        MapLibrary.load(folder)
    return caught.value.reason


@pytest.mark.parametrize(
    ("body", "segment", "problem"),
    [
        (
            '[[segment]]\ntag = "BEG"\nelements = ["00", "SA", "{order.numbr}"]',
            "segment #1 BEG",
            "BEG03: unknown field 'numbr' of PurchaseOrder",
        ),
        (
            '[[segment]]\ntag = "BEG"\nelements = ["{order.order_date|date9}"]',
            "segment #1 BEG",
            "BEG01: unknown filter 'date9'",
        ),
        (
            '[[segment]]\ntag = "CUR"\nelements = ["{order.currency|decimal}"]',
            "segment #1 CUR",
            "filter 'decimal' takes Decimal or int, not str",
        ),
        (
            '[[segment]]\neach = "order.lines"\nas = "line"\n'
            '[[segment.segment]]\ntag = "PO1"\nelements = ["{line.qty}"]',
            "loop #1 over order.lines > segment #1 PO1",
            "PO101: unknown field 'qty' of OrderLine",
        ),
        (
            '[[segment]]\ntag = "BEG"\nelements = ["{order.lines}"]',
            "segment #1 BEG",
            "is a list of OrderLine, not a value",
        ),
        (
            '[[segment]]\ntag = "ST"\nelements = ["850"]',
            "segment #1 ST",
            "is not a segment ID",
        ),
        (
            '[[segment]]\ntag = "BEG"\nwhen = "order.nope"\nelements = ["00"]',
            "segment #1 BEG",
            "unknown field 'nope'",
        ),
        (
            '[[segment]]\ntag = "BEG"\nelement = ["00"]',
            "segment #1 BEG",
            "unknown key(s) ['element']",
        ),
        (
            '[[segment]]\ntag = "BEG"\nelements = ["{order.order_type|code:purpose}"]',
            "segment #1 BEG",
            "names no [codes.purpose] table",
        ),
        (
            '[[segment]]\neach = "order.parties"\nas = "party"\nroles = ["ST", "XX"]\n'
            '[[segment.segment]]\ntag = "N1"\nelements = ["{party.role}"]',
            "loop #1 over order.parties",
            "include an unknown code",
        ),
        (
            '[[segment]]\ntag = "PO1"\nelements = [{ product_ids = "order.lines" }]',
            "segment #1 PO1",
            "PO101: product_ids needs a line's product_ids, not a list of OrderLine",
        ),
        (
            '[[segment]]\neach = "order.lines"\nas = "line"\n[[segment.segment]]\ntag = "PO1"\n'
            'elements = [{ product_ids = "line.product_ids" }, "x"]',
            "loop #1 over order.lines > segment #1 PO1",
            "PO102: a product_ids group must be the last element",
        ),
        (
            '[[segment]]\ntag = "BEG"\nelements = ["{order.number"]',
            "segment #1 BEG",
            "unbalanced '{'",
        ),
    ],
)
def test_bad_map_is_refused_naming_file_and_segment(
    tmp_path: Path, body: str, segment: str, problem: str
) -> None:
    path = write_map(tmp_path, body)
    reason = refused(tmp_path)
    assert reason.startswith(f"{path}: {segment}: ")
    assert problem in reason


def test_override_for_a_version_the_map_does_not_declare(tmp_path: Path) -> None:
    write_map(
        tmp_path, '[[segment]]\ntag = "BEG"\nelements = ["00"]\nversions."003010".omit = true'
    )
    assert re.search(r"BEG: override for version 003010", refused(tmp_path))


def test_map_without_segments_or_with_bad_header(tmp_path: Path) -> None:
    path = tmp_path / "850.toml"
    path.write_text('transaction_set = "85"\n', encoding="utf-8")
    assert refused(tmp_path) == f"{path}: transaction_set: '85' is missing or not valid"


def test_partner_specific_map_needs_no_python(tmp_path: Path) -> None:
    """A partner wanting PO1 with PE pricing, the UPC only, and a 5010-only REF*CO."""
    write_map(
        tmp_path,
        """
[codes.kind]
new = "NE"
update = "RE"
delete = "CA"

[[segment]]
tag = "BEG"
elements = ["00", "{order.order_type|code:kind}", "{order.number}", "", "{order.order_date|date8}"]

[[segment]]
tag = "REF"
elements = ["CO", "{order.number}"]
versions."004010".omit = true

[[segment]]
tag = "N9"
elements = ["L1", "NOTES"]
versions."004010".elements = ["L1", "NOTES 4010"]

[[segment]]
each = "order.lines"
as = "line"

  [[segment.segment]]
  tag = "PO1"
  elements = [
    "{line.line_number}", "{line.quantity|decimal}", "{line.unit_of_measure|uom}",
    "{line.unit_price.amount|decimal}", { value = "PE", when = "line.unit_price" },
    { product_ids = "line.product_ids", max_pairs = 1 },
  ]

[[segment]]
tag = "CTT"
elements = ["{order.lines|count}"]
""",
        name="acme-850",
    )
    maps = MapLibrary.load(tmp_path)
    partner = settings("005010", purchase_order_map="acme-850", product_id_qualifiers=("UP", "VP"))
    tx = map_purchase_order(purchase_order(lines=2), partner, maps)
    assert (tx.set_id, tx.functional_id, tx.version) == ("850", "PO", "005010")
    assert tx.segments == (
        Segment("BEG", ("00", "NE", "PO-1001", "", "20261127")),
        Segment("REF", ("CO", "PO-1001")),
        Segment("N9", ("L1", "NOTES")),
        Segment("PO1", ("1", "2.5", "EA", "12.34", "PE", "UP", "00012341")),
        Segment("PO1", ("2", "5", "EA", "12.34", "PE", "UP", "00012342")),
        Segment("CTT", ("2",)),
    )
    in_4010 = map_purchase_order(
        purchase_order(lines=1), settings(purchase_order_map="acme-850"), maps
    )
    assert [s.tag for s in in_4010.segments] == ["BEG", "N9", "PO1", "CTT"]
    assert in_4010.segments[1] == Segment("N9", ("L1", "NOTES 4010"))


def test_unknown_map_or_version(tmp_path: Path) -> None:
    write_map(tmp_path, '[[segment]]\ntag = "BEG"\nelements = ["00"]')
    maps = MapLibrary.load(tmp_path)
    assert maps.names == ("850",)
    with pytest.raises(ConfigurationError, match=r"no map 'acme' for version 004010"):
        map_purchase_order(purchase_order(), settings(purchase_order_map="acme"), maps)


def test_template_concatenation_and_role_index(tmp_path: Path) -> None:
    write_map(
        tmp_path,
        """
[[segment]]
tag = "NTE"
elements = ["GEN", "Terms: {order.payment_terms.description} ({{net}})"]

[[segment]]
tag = "NTE"
elements = ["BUY", "Buyer {order.parties[BY].name}; ship {order.parties[ST].address.street[1]}"]

[[segment]]
tag = "NTE"
elements = ["SU", "Supplier {order.parties[SU].name}"]
""",
    )
    tx = map_purchase_order(purchase_order(), settings(), MapLibrary.load(tmp_path))
    assert tx.segments == (
        Segment("NTE", ("GEN", "Terms: Net 45 ({net})")),
        Segment("NTE", ("BUY", "Buyer Acme Procurement; ship Building C")),
        Segment("NTE", ("SU",)),  # no supplier party: the template is empty
    )
