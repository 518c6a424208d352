"""Properties: what the writer writes the reader reads back exactly; no input crashes the reader."""

from __future__ import annotations

import contextlib
import string

from hypothesis import given, settings
from hypothesis import strategies as st

from b2b.errors import X12Error
from b2b.partners.profile import Envelope
from b2b.x12 import Element, Segment, Transaction, read_interchanges, write_interchange
from tests.mapping.orders import NOW, envelope

DELIMITER_CHOICES = "*~>^|:!'`@#+"
TAGS = st.sampled_from(["BEG", "PO1", "N1", "REF", "DTM", "CTT", "N9", "MSG", "SLN", "G62", "P4"])


@st.composite
def envelopes(draw: st.DrawFn) -> Envelope:
    es, term, cs, rep = draw(
        st.lists(st.sampled_from(DELIMITER_CHOICES), min_size=4, max_size=4, unique=True)
    )
    term = draw(st.sampled_from([term, "\n"]))  # the terminator may be a line break
    suffix = "" if term == "\n" else draw(st.sampled_from(["", "\n", "\r\n"]))
    return envelope(
        element_separator=es,
        segment_terminator=term,
        component_separator=cs,
        repetition_separator=rep,
        segment_suffix=suffix,
    )


def values(env: Envelope, *, nonempty: bool = False) -> st.SearchStrategy[str]:
    delimiters = {
        env.element_separator,
        env.segment_terminator,
        env.component_separator,
        env.repetition_separator,
    }
    alphabet = "".join(c for c in string.printable[:95] if c not in delimiters)
    return st.text(alphabet, min_size=1 if nonempty else 0, max_size=12)


def elements(env: Envelope) -> st.SearchStrategy[Element]:
    composite = st.builds(
        lambda head, last: (*head, last),
        st.lists(values(env), min_size=1, max_size=3),
        values(env, nonempty=True),
    )
    return st.one_of(values(env), composite)


@st.composite
def segments(draw: st.DrawFn, env: Envelope) -> Segment:
    head = draw(st.lists(elements(env), max_size=8))
    last = draw(st.one_of(values(env, nonempty=True), elements(env).filter(bool)))
    return Segment(draw(TAGS), (*head, last))


@st.composite
def interchanges(draw: st.DrawFn) -> tuple[Envelope, str, list[Transaction], int]:
    env = draw(envelopes())
    version = draw(st.sampled_from(["004010", "005010"]))
    body = st.lists(segments(env), min_size=1, max_size=6)
    transactions = [
        Transaction("850", "PO", version, tuple(draw(body))) for _ in range(draw(st.integers(1, 3)))
    ]
    return env, version, transactions, draw(st.integers(1, 999_999_999))


@settings(max_examples=100, database=None)
@given(interchanges())
def test_written_interchanges_read_back_exactly(
    case: tuple[Envelope, str, list[Transaction], int],
) -> None:
    env, version, transactions, control_number = case
    written = write_interchange(
        transactions, env, control_number=control_number, version=version, now=NOW
    )
    (read,) = read_interchanges(written.data)
    assert read.control_number == control_number
    (group,) = read.groups
    assert group.control_number == written.group_control_number == control_number
    assert [t.control_number for t in group.transactions] == list(
        written.transaction_control_numbers
    )
    assert [t.segments for t in group.transactions] == [t.segments for t in transactions]


@settings(max_examples=300, database=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_raise_only_x12_errors(data: bytes) -> None:
    with contextlib.suppress(X12Error):
        read_interchanges(data)


VALID = write_interchange(
    [Transaction("850", "PO", "004010", (Segment("BEG", ("00", "SA", "1", "", "20261128")),))],
    envelope(),
    control_number=3,
    version="004010",
    now=NOW,
).data


@settings(max_examples=300, database=None)
@given(
    st.lists(
        st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 2), st.binary(max_size=3)),
        min_size=1,
        max_size=4,
    )
)
def test_damaged_interchanges_raise_only_x12_errors(edits: list[tuple[int, int, bytes]]) -> None:
    data = VALID
    for at, cut, insert in edits:
        data = data[:at] + insert + data[at + cut :]
    try:
        interchanges = read_interchanges(data)
    except X12Error:
        return
    for ic in interchanges:  # whatever reads, reads consistently
        assert ic.iea.get(1) == str(len(ic.groups))
