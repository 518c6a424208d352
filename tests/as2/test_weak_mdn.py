"""MDNs signed with SHA-1, or whose Received-Content-MIC uses SHA-1, are refused unless the
partner's profile allows weak algorithms (`allow_weak = ["sha1"]`), as inbound messages are."""

from __future__ import annotations

import pytest

from b2b.as2 import (
    BuiltMessage,
    Digest,
    KeyPair,
    LocalIdentity,
    MdnOptions,
    OutboundSecurity,
    PartnerSecurity,
    ReceivedMessage,
    build_mdn,
    build_message,
    open_message,
    parse_mdn,
)
from b2b.as2.mdn import MdnOutcome
from b2b.errors import MdnRejected
from tests.as2.conftest import NOW, X12, allowing_weak, lookup


def _sent(alice: KeyPair, bob: KeyPair, mic: Digest) -> BuiltMessage:
    """ALICE's message to BOB asking for a signed MDN whose MIC uses `mic`."""
    return build_message(
        X12,
        settings=OutboundSecurity(mdn=MdnOptions(mic_algorithm=mic)),
        ours=LocalIdentity("ALICE", (alice,)),
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        message_id="po-4711@alice.example",
        now=NOW,
    )


def _received(
    sent: BuiltMessage, alice: KeyPair, bob: KeyPair, *, signed: bool = True
) -> ReceivedMessage:
    """The message as BOB, whose product still answers with SHA-1, opened it."""
    partner = allowing_weak(PartnerSecurity("ALICE", (alice.certificate,), require_signed=signed))
    return open_message(
        sent.headers, sent.body, find_partner=lookup(LocalIdentity("BOB", (bob,)), partner), now=NOW
    )


def _check(
    sent: BuiltMessage, mdn_headers: tuple[tuple[str, str], ...], body: bytes, bob: PartnerSecurity
) -> MdnOutcome:
    return parse_mdn(
        mdn_headers,
        body,
        partner=bob,
        expected_message_id=sent.message_id,
        expected_mic=sent.mic,
        expected_mic_algorithm=sent.mic_algorithm,
        require_signed=False,
        now=NOW,
    )


def test_an_mdn_signed_with_sha1_is_refused_unless_the_profile_allows_it(
    alice: KeyPair, bob: KeyPair
) -> None:
    sent = _sent(alice, bob, Digest.SHA1)
    mdn = build_mdn(
        _received(sent, alice, bob), mdn_message_id="m@bob", ours=LocalIdentity("BOB", (bob,))
    )
    assert mdn.signed
    assert "micalg=sha-1" in dict(mdn.headers)["Content-Type"]
    strict = PartnerSecurity("BOB", (bob.certificate,))
    with pytest.raises(MdnRejected, match=r"sha-1, which the profile of partner 'BOB' does not"):
        _check(sent, mdn.headers, mdn.body, strict)
    outcome = _check(sent, mdn.headers, mdn.body, allowing_weak(strict))
    assert (outcome.status, outcome.signed, outcome.mic_algorithm) == (
        "delivered",
        True,
        Digest.SHA1,
    )


def test_an_unsigned_mdn_keeps_the_sha1_mic_rfc_4130_prescribes(
    alice: KeyPair, bob: KeyPair
) -> None:
    """Without a signed receipt there is no signed-receipt-micalg: the MIC is SHA-1 (RFC 4130
    7.3.1), and an unsigned MDN authenticates nothing whatever its MIC."""
    unsigned = OutboundSecurity(sign=False, mdn=MdnOptions(signed=False))
    sent = build_message(
        X12,
        settings=unsigned,
        ours=LocalIdentity("ALICE", (alice,)),
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        message_id="po-4711@alice.example",
        now=NOW,
    )
    assert sent.mic_algorithm is Digest.SHA1
    received = _received(sent, alice, bob, signed=False)
    mdn = build_mdn(received, mdn_message_id="m@bob", ours=None)
    outcome = _check(sent, mdn.headers, mdn.body, PartnerSecurity("BOB", (bob.certificate,)))
    assert (outcome.status, outcome.signed) == ("delivered", False)


def test_an_mdn_with_an_md5_mic_is_refused_even_when_weak_algorithms_are_allowed(
    alice: KeyPair, bob: KeyPair
) -> None:
    sent = _sent(alice, bob, Digest.SHA256)
    mdn = build_mdn(_received(sent, alice, bob), mdn_message_id="m@bob", ours=None)
    md5 = mdn.body.replace(b", sha-256\r\n", b", md5\r\n")
    assert md5 != mdn.body
    partner = allowing_weak(PartnerSecurity("BOB", (bob.certificate,)))
    with pytest.raises(MdnRejected, match="unknown algorithm"):
        _check(sent, mdn.headers, md5, partner)


def test_a_sha256_mdn_is_still_delivered(alice: KeyPair, bob: KeyPair) -> None:
    sent = _sent(alice, bob, Digest.SHA256)
    mdn = build_mdn(
        _received(sent, alice, bob), mdn_message_id="m@bob", ours=LocalIdentity("BOB", (bob,))
    )
    outcome = _check(sent, mdn.headers, mdn.body, PartnerSecurity("BOB", (bob.certificate,)))
    assert (outcome.status, outcome.signed) == ("delivered", True)
