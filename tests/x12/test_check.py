"""check_interchanges: every envelope fault becomes the code our TA1 and 997/999 will send."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from b2b.errors import X12EnvelopeError
from b2b.x12 import (
    AckStatus,
    Delimiters,
    ReadTransaction,
    Segment,
    SegmentError,
    Transaction,
    check_interchanges,
    read_interchanges,
    write_interchange,
)
from b2b.x12.reader import WARNING_NOTE_CODES
from tests.mapping.orders import NOW, envelope

A, E, P, R = (
    AckStatus.ACCEPTED,
    AckStatus.ACCEPTED_WITH_ERRORS,
    AckStatus.PARTIALLY_ACCEPTED,
    AckStatus.REJECTED,
)
BEG = Segment("BEG", ("00", "SA", "4711", "", "20261128"))
PO1 = Segment("PO1", ("1", "2", "EA", "9.5", "", "VP", "W-1"))
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def written(control_number: int = 55, transactions: int = 2, version: str = "004010") -> bytes:
    txs = [Transaction("850", "PO", version, (BEG, PO1))] * transactions
    return write_interchange(
        txs, envelope(), control_number=control_number, version=version, now=NOW
    ).data


def replaced(data: bytes, old: str, new: str) -> bytes:
    assert data.count(old.encode()) == 1, old
    return data.replace(old.encode(), new.encode())


class FakeValidator:
    """Supports 850 only; a set whose BEG03 is "BAD" has BEG03 in error."""

    def supports(self, set_id: str, version: str) -> bool:
        return set_id == "850"

    def validate(
        self, transaction: ReadTransaction, version: str, *, delimiters: Delimiters | None = None
    ) -> tuple[SegmentError, ...]:
        if transaction.segments[0].get(3) == "BAD":
            return (SegmentError("BEG", 2, "", "8"),)
        return ()


def test_a_sound_interchange_is_accepted_with_its_envelope_facts() -> None:
    data = written()
    (checked,) = check_interchanges(data)
    assert checked.interchange == read_interchanges(data)[0]
    result = checked.result
    assert (result.control_number, result.date, result.time) == ("000000055", "261128", "1405")
    assert (result.status, result.note_code) == (A, "000")
    (group,) = result.groups
    assert (group.functional_id, group.control_number, group.version) == ("PO", "55", "004010")
    assert (group.status, group.included, group.received, group.accepted) == (A, 2, 2, 2)
    assert [(t.set_id, t.control_number, t.status) for t in group.transactions] == [
        ("850", "0001", A),
        ("850", "0002", A),
    ]
    assert (checked.sender, checked.receiver) == (("ZZ", "COUPABUYER"), ("01", "123456789"))
    assert (checked.acknowledgment_requested, checked.usage_indicator) == (True, "T")
    assert checked.data == data.rstrip(b"\n")
    assert checked.faults == ()


def test_each_interchange_keeps_its_own_bytes_even_utf8() -> None:
    one = written(1).replace(b"BEG*00*SA*4711", "BEG*00*SA*Müller".encode())
    two = written(2)
    data = b"\xef\xbb\xbf" + one + b"\r\n" + two
    first, second = check_interchanges(data)
    assert first.data == one.rstrip(b"\n")
    assert second.data == two.rstrip(b"\n")
    assert first.interchange is not None
    assert first.interchange.groups[0].transactions[0].segments[0].get(3) == "Müller"


def test_every_fault_is_collected_at_its_level() -> None:
    data = written(transactions=3)
    data = replaced(data, "SE*4*0001", "SE*5*0001")  # SE01 count
    data = replaced(data, "SE*4*0002", "SE*4*0009")  # SE02 != ST02
    data = replaced(data, "GE*3*55", "GE*4*56")  # GE02 and GE01
    data = replaced(data, "IEA*1*000000055", "IEA*1*000000057")  # IEA02
    (checked,) = check_interchanges(data)
    result = checked.result
    assert (result.status, result.note_code) == (R, "001")
    (group,) = result.groups
    assert (group.status, group.codes, group.included, group.received, group.accepted) == (
        R,
        ("4", "5"),
        4,
        3,
        0,
    )
    assert [(t.status, t.codes) for t in group.transactions] == [(R, ("4",)), (R, ("3",)), (A, ())]
    assert [(e.level, e.code) for e in checked.faults] == [
        ("transaction", "4"),
        ("transaction", "3"),
        ("group", "4"),
        ("group", "5"),
        ("interchange", "001"),
    ]
    assert checked.interchange is not None  # readable, though rejected


def test_group_status_from_its_sets_with_a_validator() -> None:
    bad = Segment("BEG", ("00", "SA", "BAD"))
    txs = [
        Transaction("850", "PO", "004010", (BEG,)),
        Transaction("850", "PO", "004010", (bad,)),
    ]
    data = write_interchange(txs, envelope(), control_number=5, version="004010", now=NOW).data
    (checked,) = check_interchanges(data, validator=FakeValidator())
    (group,) = checked.result.groups
    assert (group.status, group.accepted) == (P, 1)
    assert group.transactions[1].codes == ("5",)
    assert group.transactions[1].segments == (SegmentError("BEG", 2, "", "8"),)
    (all_bad,) = check_interchanges(data.replace(b"4711", b"BAD"), validator=FakeValidator())
    assert (all_bad.result.groups[0].status, all_bad.result.groups[0].accepted) == (R, 0)
    unsupported = data.replace(b"ST*850", b"ST*855")
    (checked,) = check_interchanges(unsupported, validator=FakeValidator())
    (group,) = checked.result.groups
    assert (group.status, [t.codes for t in group.transactions]) == (R, [("1",), ("1",)])


def test_missing_trailers_are_reported_and_reading_goes_on() -> None:
    data = replaced(written(), "SE*4*0001~\n", "")
    data = replaced(data, "GE*2*55~\n", "")
    (checked,) = check_interchanges(data + written(56))[:1]
    (group,) = checked.result.groups
    assert group.codes == ("3",)
    # the ST of set 2 closes set 1 (SE missing); set 2 then reads to its SE
    assert [(t.control_number, t.codes) for t in group.transactions] == [
        ("0001", ("2",)),
        ("0002", ()),
    ]
    assert checked.interchange is not None
    assert checked.interchange.groups[0].ge == Segment("GE", ())


def test_missing_iea_then_another_interchange() -> None:
    first = written(1)
    cut = first[: first.index(b"IEA")]
    checked = check_interchanges(cut + written(2))
    assert [(c.result.status, c.result.note_code) for c in checked] == [(R, "023"), (A, "000")]
    assert checked[0].interchange is None
    assert checked[0].data == cut.rstrip(b"\n")
    assert checked[1].interchange is not None
    assert checked[1].interchange.control_number == 2


def test_duplicate_st02_is_718_code_23() -> None:
    data = replaced(written(), "ST*850*0002", "ST*850*0001")
    data = replaced(data, "SE*4*0002", "SE*4*0001")
    (checked,) = check_interchanges(data)
    assert [t.codes for t in checked.result.groups[0].transactions] == [(), ("23",)]
    assert checked.result.groups[0].status is P


def test_isa_value_faults_are_accepted_with_errors() -> None:
    data = replaced(written(), "*261128*1405*", "*261328*1405*")
    (checked,) = check_interchanges(data)
    assert (checked.result.status, checked.result.note_code) == (E, "014")
    assert checked.result.groups[0].status is A
    assert read_interchanges(data)[0].control_number == 55  # not a rejection


def test_unreadable_data_and_garbage_between_interchanges() -> None:
    checked = check_interchanges(b"HELLO\n" + written(3) + b"ISA100")
    assert [(c.result.status, c.result.note_code, c.interchange is None) for c in checked] == [
        (R, "022", True),
        (A, "000", False),
        (R, "026", True),
    ]
    assert (checked[0].data, checked[0].sender) == (b"HELLO", ("", ""))
    (empty,) = check_interchanges(b"")
    assert (empty.result.status, empty.result.note_code) == (R, "023")


def test_ta1_segments_are_read_not_refused() -> None:
    data = replaced(written(), "GS*", "TA1*000000123*261127*1200*A*000~\nGS*")
    (ic,) = read_interchanges(data)
    assert ic.ta1 == (Segment("TA1", ("000000123", "261127", "1200", "A", "000")),)


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize(
    ("name", "status", "note", "groups"),
    [
        ("node-x12/850_fat.edi", A, "000", [A]),
        ("staedi/invoice810_po850_dual.edi", A, "000", [A, A]),
        ("X12Parser/865_FromTyco.txt", R, "001", [A]),
        ("staedi/invalid999.edi", A, "000", [R]),
        ("X12Parser/860_Example1.txt", A, "000", [R]),
    ],
)
def test_corpus_verdicts(name: str, status: AckStatus, note: str, groups: list[AckStatus]) -> None:
    for checked in check_interchanges((CORPUS / name).read_bytes()):
        assert (checked.result.status, checked.result.note_code) == (status, note)
        assert [g.status for g in checked.result.groups] == groups


VALID = written(3, transactions=2)


@settings(max_examples=300, database=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 2), st.binary(max_size=3)),
        min_size=1,
        max_size=4,
    )
)
def test_damaged_interchanges_never_raise_and_agree_with_the_strict_reader(
    edits: list[tuple[int, int, bytes]],
) -> None:
    data = VALID
    for at, cut, insert in edits:
        data = data[:at] + insert + data[at + cut :]
    checked = check_interchanges(data)
    rejecting = [
        fault
        for c in checked
        for fault in c.faults
        if fault.level != "interchange" or fault.code not in WARNING_NOTE_CODES
    ]
    if rejecting:  # the strict reader raises the first rejecting fault
        with pytest.raises(X12EnvelopeError) as caught:
            read_interchanges(data)
        assert (caught.value.level, caught.value.code) == (rejecting[0].level, rejecting[0].code)
        return
    assert tuple(c.interchange for c in checked) == read_interchanges(data)
    for c in checked:
        assert c.result.status is not R
        assert all(g.status is A for g in c.result.groups)


@settings(max_examples=300, database=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_raise(data: bytes) -> None:
    for checked in check_interchanges(data):
        assert checked.result.status is not A or checked.interchange is not None


def test_each_fault_is_reported_on_its_own_group_and_set_only() -> None:
    data = written(transactions=2).decode()
    group = data[data.index("GS*") : data.index("IEA*")]
    second = group.replace("*55*X*", "*56*X*").replace("GE*2*55", "GE*2*56")
    data = data.replace(group, group + second).replace("IEA*1*", "IEA*2*")
    data = data.replace("SE*4*0002~\nGE*2*56", "SE*5*0009~\nGE*2*56")  # group 2, set 2: 3 and 4
    data = data.replace("GE*2*55", "GE*3*55")  # group 1 itself: 5 (GE01 is not its count)
    (checked,) = check_interchanges(data.encode())
    first, other = checked.result.groups
    assert (first.control_number, first.codes) == ("55", ("5",))
    assert [t.codes for t in first.transactions] == [(), ()]
    assert (other.control_number, other.codes) == ("56", ())
    assert [t.codes for t in other.transactions] == [(), ("3", "4")]
