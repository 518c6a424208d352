"""Whatever arrives, open_message and parse_mdn answer with an AS2Error (which becomes an MDN
disposition) or a result: never a stray ValueError, IndexError or KeyError from a parser."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from b2b.as2 import (
    BuiltMessage,
    Compression,
    KeyPair,
    LocalIdentity,
    OutboundSecurity,
    PartnerSecurity,
    SignatureScheme,
    TransferEncoding,
    build_mdn,
    build_message,
    open_message,
    parse_mdn,
)
from b2b.errors import AS2Error
from tests.as2.conftest import NOW, X12, lookup

_LAYOUTS = {
    "signed-compressed": OutboundSecurity(encrypt=False, compression=Compression.BEFORE_SIGNING),
    "encrypted-signed": OutboundSecurity(),
    "signed-pss-base64": OutboundSecurity(
        encrypt=False,
        signature_scheme=SignatureScheme.PSS,
        transfer_encoding=TransferEncoding.BASE64,
    ),
    "compressed-only": OutboundSecurity(
        encrypt=False, sign=False, compression=Compression.AFTER_SIGNING
    ),
}
_MUTATION = st.tuples(
    st.sampled_from(["flip", "cut", "insert"]),
    st.floats(min_value=0, max_value=1, exclude_max=True),
    st.integers(min_value=1, max_value=255),
)


def _mutate(body: bytes, mutation: tuple[str, float, int]) -> bytes:
    kind, where, value = mutation
    at = int(where * len(body))
    if kind == "flip":
        return body[:at] + bytes([body[at] ^ value]) + body[at + 1 :]
    if kind == "cut":
        return body[:at]
    return body[:at] + bytes([value]) * (value % 7 + 1) + body[at:]


@pytest.fixture(scope="module")
def messages(alice: KeyPair, bob: KeyPair) -> dict[str, BuiltMessage]:
    return {
        name: build_message(
            X12,
            settings=layout,
            ours=LocalIdentity("ALICE", (alice,)),
            partner=PartnerSecurity("BOB", (bob.certificate,)),
            message_id="m@x",
            now=NOW,
        )
        for name, layout in _LAYOUTS.items()
    }


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    layout=st.sampled_from(sorted(_LAYOUTS)), mutations=st.lists(_MUTATION, min_size=1, max_size=3)
)
def test_damaged_messages_raise_only_as2_errors(
    messages: dict[str, BuiltMessage],
    alice: KeyPair,
    bob: KeyPair,
    layout: str,
    mutations: list[tuple[str, float, int]],
) -> None:
    built = messages[layout]
    body = built.body
    for mutation in mutations:
        body = _mutate(body, mutation) if body else body
    partner = PartnerSecurity(
        "ALICE", (alice.certificate,), require_signed=False, require_encrypted=False
    )
    find = lookup(LocalIdentity("BOB", (bob,)), partner)
    try:
        received = open_message(built.headers, body, find_partner=find, now=NOW)
    except AS2Error:
        return
    if received.signed:  # a signature that still verifies: only harmless bytes changed
        assert received.payload == X12


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(mutations=st.lists(_MUTATION, min_size=1, max_size=3))
def test_damaged_mdns_raise_only_as2_errors(
    messages: dict[str, BuiltMessage],
    alice: KeyPair,
    bob: KeyPair,
    mutations: list[tuple[str, float, int]],
) -> None:
    built = messages["encrypted-signed"]
    find = lookup(LocalIdentity("BOB", (bob,)), PartnerSecurity("ALICE", (alice.certificate,)))
    received = open_message(built.headers, built.body, find_partner=find, now=NOW)
    mdn = build_mdn(received, mdn_message_id="mdn@x", ours=LocalIdentity("BOB", (bob,)))
    body = mdn.body
    for mutation in mutations:
        body = _mutate(body, mutation) if body else body
    try:
        outcome = parse_mdn(
            mdn.headers,
            body,
            partner=PartnerSecurity("BOB", (bob.certificate,)),
            expected_message_id=built.message_id,
            expected_mic=built.mic,
            expected_mic_algorithm=built.mic_algorithm,
            now=NOW,
        )
    except AS2Error:
        return
    assert outcome.received_mic == built.mic
