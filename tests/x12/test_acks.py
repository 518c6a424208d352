"""997/999 and TA1: written from check results, read back, read from the corpus, and checked
by an independent reader (pyx12 with its stock acknowledgment maps)."""

from __future__ import annotations

import io
import re
import shutil
from pathlib import Path

import pytest

from b2b.errors import X12Error
from b2b.x12 import (
    AckStatus,
    ElementError,
    GroupResult,
    InterchangeResult,
    Segment,
    SegmentError,
    SetSchemas,
    Transaction,
    TransactionResult,
    check_interchanges,
    functional_acknowledgment,
    read_acknowledgments,
    read_interchanges,
    ta1_interchange,
    write_interchange,
)
from tests.mapping.orders import NOW, envelope

A, E, P, R = (
    AckStatus.ACCEPTED,
    AckStatus.ACCEPTED_WITH_ERRORS,
    AckStatus.PARTIALLY_ACCEPTED,
    AckStatus.REJECTED,
)
CORPUS = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpus"


def detailed_group(version: str, status: AckStatus) -> GroupResult:
    """Set 0001 accepted; 0002 rejected with segment and element notes (one composite)."""
    errors = (
        SegmentError(
            "N1",
            7,
            "N1",
            "8",
            (ElementError(2, None, "93", "4", "X"), ElementError(3, 2, "128", "7", "ZZ")),
        ),
        SegmentError("PO1", 9, "PO1", "3"),
    )
    transactions = (
        TransactionResult("850", "0001", A),
        TransactionResult("850", "0002", R, ("5",), errors),
    )
    accepted = 0 if status is R else 1
    codes = ("5",) if status is R else ()
    return GroupResult("PO", "1201", version, status, 2, 2, accepted, codes, transactions)


def written_ack(group: GroupResult) -> bytes:
    fa = functional_acknowledgment(group)
    return write_interchange([fa], envelope(), control_number=77, version=fa.version, now=NOW).data


def test_997_for_4010_groups_and_999_for_5010() -> None:
    fa = functional_acknowledgment(detailed_group("004010", P))
    assert (fa.set_id, fa.functional_id, fa.version) == ("997", "FA", "004010")
    assert [s.tag for s in fa.segments] == ["AK1", "AK2", "AK5", "AK2", "AK3", "AK4", "AK4",
                                           "AK3", "AK5", "AK9"]  # fmt: skip
    assert fa.segments[0] == Segment("AK1", ("PO", "1201"))
    assert fa.segments[6] == Segment("AK4", (("3", "2"), "128", "7", "ZZ"))
    assert fa.segments[-1] == Segment("AK9", ("P", "2", "2", "1"))
    fa = functional_acknowledgment(detailed_group("005010", P))
    assert (fa.set_id, fa.version) == ("999", "005010X231A1")
    assert fa.segments[0] == Segment("AK1", ("PO", "1201", "005010"))
    assert [s.tag for s in fa.segments if s.tag.startswith("I")] == ["IK5", "IK3", "IK4", "IK4",
                                                                     "IK3", "IK5"]  # fmt: skip


def test_999_envelope_carries_the_implementation_reference() -> None:
    data = written_ack(detailed_group("005010", P)).decode()
    assert "*00501*000000077*" in data  # ISA12
    assert "GS*FA*BUYERAPP*123456789*20261128*1405*77*X*005010X231A1~" in data
    assert "ST*999*0001*005010X231A1~" in data


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("status", [P, R])
def test_round_trip_write_read_same_results(version: str, status: AckStatus) -> None:
    group = detailed_group(version, status)
    (ic,) = read_interchanges(written_ack(group))
    read = read_acknowledgments(ic)
    expected = group if version >= "005010" else GroupResult(
        group.functional_id, group.control_number, "", group.status, group.included,
        group.received, group.accepted, group.codes, group.transactions,
    )  # fmt: skip
    assert read.groups == (expected,)
    assert read.ta1s == ()


def test_check_then_acknowledge_then_read_back() -> None:
    txs = [Transaction("850", "PO", "004010", (Segment("BEG", ("00", "SA", "1")),))] * 2
    data = write_interchange(txs, envelope(), control_number=9, version="004010", now=NOW).data
    data = data.replace(b"SE*3*0002", b"SE*4*0002")
    (checked,) = check_interchanges(data)
    (group,) = checked.result.groups
    (ic,) = read_interchanges(written_ack(group))
    (read,) = read_acknowledgments(ic).groups
    assert (read.status, read.accepted, read.transactions[1].codes) == (P, 1, ("4",))


def test_ta1_interchange_reads_back() -> None:
    result = InterchangeResult("000000055", "261128", "1405", R, "001")
    ic = ta1_interchange(result, envelope(), control_number=12, version="004010", now=NOW)
    text = ic.data.decode()
    assert text.splitlines()[1:] == ["TA1*000000055*261128*1405*R*001~", "IEA*0*000000012~"]
    assert len(text.splitlines()[0]) == 106
    (read,) = read_interchanges(ic.data)
    assert read.groups == ()
    assert read_acknowledgments(read).ta1s == (result,)


def corpus_acks(name: str) -> tuple[GroupResult, ...]:
    (ic,) = read_interchanges((CORPUS / name).read_bytes())
    return read_acknowledgments(ic).groups


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
def test_corpus_997s() -> None:
    (staedi,) = corpus_acks("staedi/simple997.edi")
    assert staedi == GroupResult(
        "HC", "000001", "", R, 1, 1, 0, (),
        (TransactionResult("837", "0021", R, ("5",), (
            SegmentError("NM1", 8, "", "8", (ElementError(8, None, "66", "7", "MI"),)),
        )),),
    )  # fmt: skip
    (bots,) = corpus_acks("bots-plugins/997_1.x12")
    assert bots == GroupResult(
        "PO", "214", "", A, 1, 1, 1, (), (TransactionResult("850", "000000390", A),)
    )


@pytest.mark.skipif(not CORPUS.is_dir(), reason=f"the shared corpus is not at {CORPUS}")
@pytest.mark.parametrize(
    ("name", "version", "second"),
    [
        ("staedi/simple999.edi", "005010X222", "0002"),
        ("X12Parser/999_DHS_Wisconsin_Sample.txt", "004010X098A1", "002"),
    ],
)
def test_corpus_999s(name: str, version: str, second: str) -> None:
    (group,) = corpus_acks(name)
    assert (group.functional_id, group.control_number, group.version) == ("HC", "17456", version)
    assert (group.status, group.included, group.received, group.accepted) == (P, 3, 3, 1)
    assert [(t.control_number, t.status, t.codes) for t in group.transactions] == [
        ("0001", A, ()),
        (second, R, ("5",)),
        ("0003", R, ("5",)),
    ]
    assert group.transactions[1].segments == (
        SegmentError("CLM", 22, "", "8", (ElementError(2, None, "782", "1"),)),
    )  # the CTX segments are skipped
    assert group.transactions[2].segments == (SegmentError("REF", 57, "", "3"),)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([Segment("AK2", ("850", "1"))], "997 0001 segment 2: the set must start with AK1"),
        ([Segment("AK1", ("PO", "1")), Segment("AK5", ("A",))], "segment 3: AK5 is not expected"),
        (
            [Segment("AK1", ("PO", "1")), Segment("AK9", ("Q", "1", "1", "1"))],
            "segment 3: AK901 'Q' is not an acknowledgment code",
        ),
        (
            [Segment("AK1", ("PO", "1")), Segment("AK9", ("A", "one", "1", "1"))],
            "segment 3: AK902 'one' is not a number",
        ),
        (
            [
                Segment("AK1", ("PO", "1")),
                Segment("AK2", ("850", "1")),
                Segment("AK3", ("N1", "x")),
            ],
            "segment 4: AK302 'x' is not a number",
        ),
        (
            [Segment("AK1", ("PO", "1")), Segment("AK2", ("850", "1"))],
            "segment 3: the set must end with AK9",
        ),
    ],
)
def test_malformed_acknowledgments_name_the_segment(body: list[Segment], message: str) -> None:
    data = write_interchange(
        [Transaction("997", "FA", "004010", tuple(body))],
        envelope(),
        control_number=3,
        version="004010",
        now=NOW,
    ).data
    (ic,) = read_interchanges(data)
    with pytest.raises(X12Error, match=re.escape(message)):
        read_acknowledgments(ic)


# pyx12 as the independent reader. Its 997 and 999 maps accept only HIPAA codes in AK101
# (functional identifier: BE, HC, HS...) and AK201 (transaction set: 270, 837...), so the test
# copies pyx12's own map folder and widens those two code lists with the codes of the groups
# and sets we exchange; every other rule stays pyx12's.
WIDENED = {
    "AK101": ("FA", "IN", "PO", "PR", "SH"),
    "AK201": ("810", "850", "855", "856", "860", "865", "997", "999"),
}


@pytest.fixture(scope="module")
def pyx12_map_path(tmp_path_factory: pytest.TempPathFactory) -> str:
    pyx12 = pytest.importorskip("pyx12", reason="pyx12 is not installed (pip install pyx12)")
    stock = Path(pyx12.__file__).parent / "map"
    target = tmp_path_factory.mktemp("pyx12-map")
    for path in stock.glob("*.xml"):
        text = path.read_text(encoding="utf-8")
        if path.name in ("997.4010.xml", "999.5010X231.A1.xml"):
            for xid, codes in WIDENED.items():
                added = "".join(f"<code>{c}</code>" for c in codes)
                pattern = rf'(<element xid="{xid}">.*?<valid_codes>)'
                text, count = re.subn(pattern, rf"\g<1>{added}", text, flags=re.DOTALL)
                assert count == 1, (path.name, xid)
        (target / path.name).write_text(text, encoding="utf-8")
    shutil.copy(stock / "maps.xml", target / "maps.xml")
    return str(target)


def pyx12_errors(data: bytes, map_path: str) -> list[str]:
    import pyx12.error_handler  # type: ignore[import-untyped]
    import pyx12.params  # type: ignore[import-untyped]
    import pyx12.x12n_document  # type: ignore[import-untyped]

    out = io.StringIO()
    ok = pyx12.x12n_document.x12n_document(
        pyx12.params.params(), io.StringIO(data.decode("ascii")), None, None,
        fd_json=out, map_path=map_path,
    )  # fmt: skip
    return [] if ok else [out.getvalue() or "pyx12 reports the document invalid"]


@pytest.mark.parametrize("version", ["004010", "005010"])
@pytest.mark.parametrize("status", [P, R])
def test_pyx12_accepts_our_acknowledgments(pyx12_map_path: str, version: str,
                                           status: AckStatus) -> None:  # fmt: skip
    assert pyx12_errors(written_ack(detailed_group(version, status)), pyx12_map_path) == []


def test_pyx12_check_is_live(pyx12_map_path: str) -> None:
    """The same check refuses a 997 whose AK5 has a code outside the 718 list."""
    data = written_ack(detailed_group("004010", P)).replace(b"AK5*R*5", b"AK5*R*Q")
    assert pyx12_errors(data, pyx12_map_path) != []


# ---------------------------------------------------------------- our 850s, broken by hand

GOLDEN = Path(__file__).resolve().parents[2] / "samples" / "x12"
RULES = SetSchemas.load(Path(__file__).resolve().parents[2] / "maps" / "x12")


def _answer(data: bytes) -> tuple[str, list[str]]:
    """(TA1 status and note code, the segments of the 997/999 we would send back)."""
    (checked,) = check_interchanges(data, validator=RULES)
    result = checked.result
    lines: list[str] = []
    for group in result.groups:
        transaction = functional_acknowledgment(group)
        lines.append(f"ST*{transaction.set_id}")
        lines += ["*".join([s.tag, *(e if isinstance(e, str) else ":".join(e) for e in s.elements)])
                  for s in transaction.segments]  # fmt: skip
    return f"{result.status} {result.note_code}", lines


@pytest.mark.parametrize("name", ["order_request_new.acme.850.x12", "order_header.acme.850.x12"])
def test_our_4010_850s_are_acknowledged_clean(name: str) -> None:
    ta1, lines = _answer((GOLDEN / name).read_bytes())
    assert ta1 == "A 000"
    assert lines[0] == "ST*997"
    assert lines[-1].startswith("AK9*A*1*1*1")
    assert not [line for line in lines if line.startswith(("AK3", "AK4"))]


def test_our_5010_850_is_acknowledged_clean_with_a_999() -> None:
    ta1, lines = _answer((GOLDEN / "order_request_new.globex.850.x12").read_bytes())
    assert ta1 == "A 000"
    assert lines[:2] == ["ST*999", lines[1]]
    assert lines[1].startswith("AK1*PO*")
    assert lines[1].endswith("*005010")
    assert "IK5*A" in lines
    assert lines[-1].startswith("AK9*A*1*1*1")


ACME_850 = (GOLDEN / "order_request_new.acme.850.x12").read_bytes()


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        # a bad code value: BEG01 is element 353, "99" is not a 004010 purpose code ("ZZ" is:
        # Mutually Defined, per EdiEngine's 004010 DataElements.cs)
        ([(b"BEG*00*SA*", b"BEG*99*SA*")], ["AK3*BEG*2**8", "AK4*1*353*7*99", "AK5*R*5"]),
        # a missing mandatory segment (SE01 counted right)
        (
            [(b"BEG*00*SA*HMG-PO-100482*1*20240610~\n", b""), (b"SE*42*", b"SE*41*")],
            ["AK3*BEG*2**3", "AK5*R*5"],
        ),
        # SE01 wrong
        ([(b"SE*42*", b"SE*43*")], ["AK5*R*4"]),
        # SE02 differs from ST02
        ([(b"SE*42*0001", b"SE*42*0002")], ["AK5*R*3"]),
        # GE02 differs from GS06
        ([(b"GE*1*4711", b"GE*1*4712")], ["AK9*R*1*1*0*4"]),
        # GE01 says two sets
        ([(b"GE*1*4711", b"GE*2*4711")], ["AK9*R*2*1*0*5"]),
    ],
)
def test_hand_broken_850s_get_the_right_codes(
    changes: list[tuple[bytes, bytes]], expected: list[str]
) -> None:
    data = ACME_850
    for old, new in changes:
        assert old in data
        data = data.replace(old, new, 1)
    found_ta1, lines = _answer(data)
    assert found_ta1 == "A 000"
    for line in expected:
        assert line in lines, lines
    assert lines[-1].startswith("AK9*R")


@pytest.mark.parametrize(
    ("old", "new", "note_code"),
    [
        (b"IEA*1*000004711", b"IEA*1*000004712", "001"),  # IEA02 differs from ISA13
        (b"IEA*1*", b"IEA*2*", "021"),  # wrong number of groups
        (b"IEA*1*000004711~", b"", "023"),  # the IEA is missing
    ],
)
def test_hand_broken_envelopes_get_a_ta1_rejection(old: bytes, new: bytes, note_code: str) -> None:
    assert old in ACME_850
    found_ta1, _ = _answer(ACME_850.replace(old, new, 1))
    assert found_ta1 == f"R {note_code}"
