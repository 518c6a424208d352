"""read_interchanges: delimiters from the ISA, tolerated layout, and every envelope check."""

from __future__ import annotations

import pytest

from b2b.errors import X12EnvelopeError, X12Error
from b2b.x12 import Delimiters, Segment, Transaction, read_interchanges, write_interchange
from tests.conftest import ROOT
from tests.mapping.orders import NOW, envelope

BEG = Segment("BEG", ("00", "SA", "4711", "", "20261128"))
PO1 = Segment("PO1", ("1", "2", "EA", "9.5", "", "VP", "W-1"))


def written(control_number: int = 55, transactions: int = 2, **env: object) -> bytes:
    txs = [Transaction("850", "PO", "004010", (BEG, PO1))] * transactions
    return write_interchange(
        txs, envelope(**env), control_number=control_number, version="004010", now=NOW
    ).data


def replaced(data: bytes, old: str, new: str) -> bytes:
    assert data.count(old.encode()) == 1, old
    return data.replace(old.encode(), new.encode())


def envelope_error(data: bytes) -> X12EnvelopeError:
    with pytest.raises(X12EnvelopeError) as caught:
        read_interchanges(data)
    return caught.value


def test_reads_what_the_writer_wrote() -> None:
    (ic,) = read_interchanges(written())
    assert ic.delimiters == Delimiters("*", "~", ">", "")
    assert (ic.control_number, ic.sender, ic.receiver) == (
        55,
        ("ZZ", "COUPABUYER"),
        ("01", "123456789"),
    )
    assert ic.isa.get(6) == "COUPABUYER     "  # ISA elements verbatim
    (group,) = ic.groups
    assert (group.functional_id, group.control_number, group.version) == ("PO", 55, "004010")
    assert [t.control_number for t in group.transactions] == ["0001", "0002"]
    assert group.transactions[1].segments == (BEG, PO1)
    assert group.transactions[1].se == Segment("SE", ("4", "0002"))


def test_bom_crlf_indentation_and_two_interchanges() -> None:
    one = written(1).replace(b"~\n", b"~\r\n    ")
    two = written(2, element_separator="|", segment_terminator="'", component_separator=":")
    interchanges = read_interchanges(b"\xef\xbb\xbf" + one + b"\r\n\r\n" + two)
    assert [ic.control_number for ic in interchanges] == [1, 2]
    assert interchanges[1].delimiters == Delimiters("|", "'", ":", "")
    assert interchanges[1].groups[0].transactions[0].segments == (BEG, PO1)


def test_5010_repetition_separator_and_composites() -> None:
    data = (
        b"ISA*00*          *00*          *ZZ*A              *ZZ*B              *261128*1405*^*00501"
        b"*000000009*0*P*:~GS*PO*A*B*20261128*1405*9*X*005010~ST*850*0001*005010~"
        b"SLN*1**I*1*EA:2:x~REF*ZZ*a^b~SE*4*0001~GE*1*9~IEA*1*000000009~"
    )
    (ic,) = read_interchanges(data)
    assert ic.delimiters == Delimiters("*", "~", ":", "^")
    (tx,) = ic.groups[0].transactions
    sln, ref = tx.segments
    assert sln.elements[4] == ("EA", "2", "x")
    assert (sln.get(5), sln.component(5, 2), sln.component(5, 9), sln.component(1, 1)) == (
        "EA",
        "2",
        "",
        "1",
    )
    assert ref.get(2) == "a^b"  # repetitions are kept as written
    assert tx.st.get(3) == "005010"


@pytest.mark.parametrize(
    ("old", "new", "level", "code", "message"),
    [
        (
            "IEA*1*000000055",
            "IEA*1*000000056",
            "interchange",
            "001",
            "IEA02 '000000056' does not match ISA13 '000000055'",
        ),
        (
            "IEA*1*",
            "IEA*2*",
            "interchange",
            "021",
            "IEA01 says '2' functional groups but the interchange has 1",
        ),
        ("GE*2*55", "GE*2*56", "group", "4", "GE02 '56' does not match GS06 '55'"),
        ("GE*2*55", "GE*3*55", "group", "5", "GE01 says '3' transaction sets but the group has 2"),
        (
            "SE*4*0002",
            "SE*5*0002",
            "transaction",
            "4",
            "ST 0002: SE01 says '5' segments but the set has 4",
        ),
        ("SE*4*0002", "SE*4*0003", "transaction", "3", "SE02 '0003' does not match ST02 '0002'"),
        ("SE*4*0002~\n", "", "transaction", "2", "ST 0002: GE arrived before the SE trailer"),
        ("GE*2*55~\n", "", "group", "3", "GS 55: IEA arrived before the GE trailer"),
        (
            "*000000055*1*T",
            "*00000005X*1*T",
            "interchange",
            "018",
            "ISA13 control number '00000005X' is not numeric",
        ),
        (
            "*X*004010~",
            "*X*004010>~",
            "interchange",
            "027",
            "GS08 '004010>' contains the component separator",
        ),
        (
            "GS*PO*BUYERAPP*123456789*20261128*1405*55",
            "GS*PO*BUYERAPP*123456789*20261128*1405*5A",
            "group",
            "6",
            "GS06 group control number '5A'",
        ),
    ],
)
def test_envelope_violations(old: str, new: str, level: str, code: str, message: str) -> None:
    error = envelope_error(replaced(written(), old, new))
    assert (error.level, error.code) == (level, code)
    assert message in error.reason


def test_non_ascii_digits_are_not_control_numbers() -> None:
    data = written().replace(b"IEA*1*000000055", "IEA*1*00000005³".encode())
    error = envelope_error(data)
    assert (error.code, error.reason) == (
        "001",
        "IEA02 '00000005³' does not match ISA13 '000000055' (segment 12)",
    )


def test_missing_iea_is_premature_end() -> None:
    data = written()
    error = envelope_error(data[: data.index(b"IEA")])
    assert (error.level, error.code) == ("interchange", "023")
    assert "the data ends before IEA" in error.reason


def test_segment_outside_a_transaction_set() -> None:
    error = envelope_error(replaced(written(), "ST*850*0001~\n", ""))
    assert (error.level, error.code) == ("interchange", "024")
    assert (
        "segment BEG is inside a functional group and outside any transaction set" in error.reason
    )


@pytest.mark.parametrize(
    ("data", "code", "message"),
    [
        (b"", "023", "the data is empty"),
        (b"  \r\n", "023", "the data is empty"),
        (b"<?xml version='1.0'?>", "022", "expected an ISA segment at offset 0"),
        (b"ISA100", "026", "ISA element separator '1'"),
        (b"ISA*00*  *00", "023", "the ISA ends before ISA16"),
        (b"ISA*" + b"x*" * 15 + b">", "023", "the data ends inside the ISA"),
        (b"ISA*" + b"x*" * 15 + b"A~", "027", "ISA16 component separator 'A'"),
        (b"ISA*" + b"x*" * 15 + b">Q", "004", "segment terminator 'Q'"),
    ],
)
def test_unreadable_isa(data: bytes, code: str, message: str) -> None:
    error = envelope_error(data)
    assert (error.level, error.code) == ("interchange", code)
    assert message in error.reason


def test_garbage_after_an_interchange() -> None:
    error = envelope_error(written() + b"\nHELLO")
    assert (error.code, error.reason) == (
        "022",
        f"expected an ISA segment at offset {len(written()) + 1}, found 'HELLO' (segment 1)",
    )


def test_latin1_text_is_read_rather_than_refused() -> None:
    data = written(transactions=1).replace(b"BEG*00*SA*4711", b"BEG*00*SA*M\xfcller")
    (ic,) = read_interchanges(data)
    assert ic.groups[0].transactions[0].segments[0].get(3) == "Müller"


def test_errors_are_x12_errors() -> None:
    assert issubclass(X12EnvelopeError, X12Error)
    assert Segment("BEG", ("00",)).get(0) == ""
    assert Segment("BEG", ()).get(1) == ""


@pytest.mark.parametrize(
    ("old", "new", "position"),
    [
        (b"SE*42*0001", b"SE*43*0001", 44),  # the SE: ISA, GS, ST and 40 body segments before it
        (b"GE*1*4711", b"GE*1*4712", 45),
        (b"PO1*1*", b"P$1*1*", 23),  # the first PO1, which no longer starts with a tag
    ],
)
def test_a_fault_names_the_segment_it_was_found_in(old: bytes, new: bytes, position: int) -> None:
    data = (ROOT / "samples" / "x12" / "order_request_new.acme.850.x12").read_bytes()
    with pytest.raises(X12EnvelopeError) as caught:
        read_interchanges(data.replace(old, new, 1))
    assert caught.value.position == position
    assert caught.value.reason.endswith(f"(segment {position})")
    segments = data.replace(b"\n", b"").split(b"~")
    assert segments[position - 1].startswith(old[:3])  # the position counts from the ISA
