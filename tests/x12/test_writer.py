"""write_interchange: the fixed-width ISA, envelopes, counts, delimiters and character set."""

from __future__ import annotations

import re

import pytest
from pydantic import ValidationError

from b2b.errors import MappingError
from b2b.x12 import Segment, Transaction, read_interchanges, write_interchange
from tests.mapping.orders import NOW, envelope


def po(*segments: Segment, version: str = "004010") -> Transaction:
    return Transaction("850", "PO", version, segments)


BEG = Segment("BEG", ("00", "SA", "4711", "", "20261128"))
PO1 = Segment("PO1", ("1", "2", "EA", "9.5", "", "VP", "W-1"))


def lines(data: bytes) -> list[str]:
    return data.decode("ascii").split("~\n")


def test_isa_is_fixed_width_for_4010() -> None:
    ic = write_interchange([po(BEG)], envelope(), control_number=42, version="004010", now=NOW)
    isa = lines(ic.data)[0] + "~"
    assert len(isa) == 106
    assert isa == (
        "ISA*00*          *00*          *ZZ*COUPABUYER     *01*123456789      "
        "*261128*1405*U*00401*000000042*1*T*>~"
    )
    assert ic.control_number == ic.group_control_number == 42


def test_isa_for_5010_carries_the_repetition_separator_and_no_ack_request() -> None:
    env = envelope(acknowledgment_requested=False, usage_indicator="P")
    ic = write_interchange(
        [po(BEG, version="005010")], env, control_number=7, version="005010", now=NOW
    )
    isa = lines(ic.data)[0]
    assert isa[82:105] == "^*00501*000000007*0*P*>"
    assert lines(ic.data)[2] == "ST*850*0001*005010"


def test_group_and_transaction_envelopes() -> None:
    ic = write_interchange(
        [po(BEG, PO1), po(BEG)], envelope(), control_number=123, version="004010", now=NOW
    )
    assert ic.transaction_control_numbers == ("0001", "0002")
    assert lines(ic.data)[1:] == [
        "GS*PO*BUYERAPP*123456789*20261128*1405*123*X*004010",
        "ST*850*0001",
        "BEG*00*SA*4711**20261128",
        "PO1*1*2*EA*9.5**VP*W-1",
        "SE*4*0001",
        "ST*850*0002",
        "BEG*00*SA*4711**20261128",
        "SE*3*0002",
        "GE*2*123",
        "IEA*1*000000123",
        "",
    ]


@pytest.mark.parametrize("suffix", ["", "\r\n"])
def test_segment_suffix(suffix: str) -> None:
    ic = write_interchange(
        [po(BEG)], envelope(segment_suffix=suffix), control_number=1, version="004010", now=NOW
    )
    assert ic.data.count(b"~") == 7
    assert ic.data.count(("~" + suffix).encode()) == 7
    assert ic.data.endswith(b"IEA*1*000000001~" + suffix.encode())


def test_other_delimiters() -> None:
    env = envelope(element_separator="|", segment_terminator="\n", component_separator=":")
    seg = Segment("SLN", ("1", "", "I", "1", ("EA", "2")))
    ic = write_interchange(
        [po(seg)],
        env.model_copy(update={"segment_suffix": ""}),
        control_number=5,
        version="004010",
        now=NOW,
    )
    assert b"\nSLN|1||I|1|EA:2\n" in ic.data
    (read,) = read_interchanges(ic.data)
    assert read.groups[0].transactions[0].segments == (seg,)


@pytest.mark.parametrize(
    ("value", "named"),
    [
        ("A*B", "element separator '*'"),
        ("A~B", "segment terminator '~'"),
        ("A>B", "component separator '>'"),
    ],
)
def test_value_with_a_delimiter_is_refused(value: str, named: str) -> None:
    bad = Segment("PID", ("F", "", "", "", value))
    with pytest.raises(
        MappingError, match=re.escape(f"PID05 value '{value}' contains the {named}")
    ):
        write_interchange([po(BEG, bad)], envelope(), control_number=1, version="004010", now=NOW)


def test_repetition_separator_is_a_delimiter_only_from_5010() -> None:
    caret = Segment("PID", ("F", "", "", "", "2^10 bolts"))
    ic = write_interchange([po(caret)], envelope(), control_number=1, version="004010", now=NOW)
    assert b"PID*F****2^10 bolts~" in ic.data
    with pytest.raises(MappingError, match=r"PID05 .* repetition separator '\^'"):
        write_interchange(
            [po(caret, version="005010")], envelope(), control_number=1, version="005010", now=NOW
        )


def test_fullwidth_delimiter_is_caught_after_transliteration() -> None:
    wide = Segment("MSG", ("ship ＊ fast",))  # NFKD turns the fullwidth asterisk into "*"
    with pytest.raises(MappingError, match=r"MSG01 value 'ship ＊ fast' contains the element"):
        write_interchange([po(wide)], envelope(), control_number=1, version="004010", now=NOW)


def test_envelope_identifier_with_a_delimiter_is_refused() -> None:
    with pytest.raises(MappingError, match=r"ISA06 value 'BUY\*ER +' contains the element"):
        write_interchange(
            [po(BEG)], envelope(sender_id="BUY*ER"), control_number=1, version="004010", now=NOW
        )


def test_trailing_empty_elements_and_components_are_trimmed() -> None:
    segments = (
        Segment("N1", ("ST", "Plant", "", "")),
        Segment("SLN", ("1", "", "I", "", ("EA", "", ""))),
        Segment("REF", ("ZZ", "x", ("", ""))),
    )
    ic = write_interchange([po(*segments)], envelope(), control_number=1, version="004010", now=NOW)
    assert lines(ic.data)[3:6] == ["N1*ST*Plant", "SLN*1**I**EA", "REF*ZZ*x"]
    assert lines(ic.data)[6] == "SE*5*0001"


def test_segment_without_values_is_refused() -> None:
    with pytest.raises(MappingError, match=r"segment N3 has no values"):
        write_interchange(
            [po(Segment("N3", ("", "")))], envelope(), control_number=1, version="004010", now=NOW
        )


def test_non_ascii_is_transliterated() -> None:
    seg = Segment("N1", ("ST", "Müller Straße Ærø 東京 café"))
    ic = write_interchange([po(seg)], envelope(), control_number=1, version="004010", now=NOW)
    assert b"N1*ST*Muller Strasse AEro  cafe~" in ic.data


@pytest.mark.parametrize(
    ("transactions", "control_number", "message"),
    [
        ([], 1, "at least one transaction set"),
        ([po(BEG)], 0, "not within 1..999999999"),
        ([po(BEG)], 1_000_000_000, "not within 1..999999999"),
        ([po(BEG), Transaction("810", "IN", "004010", (BEG,))], 1, "cannot share an interchange"),
        ([po(BEG, version="005010")], 1, "cannot share an interchange"),
    ],
)
def test_group_rules(transactions: list[Transaction], control_number: int, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        write_interchange(
            transactions, envelope(), control_number=control_number, version="004010", now=NOW
        )


def test_whitespace_element_separator_is_refused_by_the_profile() -> None:
    with pytest.raises(ValidationError, match="only the segment terminator may be a line break"):
        envelope(element_separator="\t")
