"""MDNs: what we send back, and the strict check of what partners send us.

Every forged or incomplete MDN must be refused (MdnRejected), never counted as delivered.
"""

from __future__ import annotations

import dataclasses

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
    mime,
    open_message,
    parse_mdn,
    read_envelope,
)
from b2b.errors import AS2AuthenticationFailed, MdnRejected
from tests.as2.conftest import NOW, X12, lookup


@pytest.fixture
def sent(alice: KeyPair, bob: KeyPair) -> BuiltMessage:
    """ALICE's message to BOB, asking for a signed MDN with sha-256."""
    return build_message(
        X12,
        settings=OutboundSecurity(),
        ours=LocalIdentity("ALICE", (alice,)),
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        message_id="po-4711@alice.example",
        now=NOW,
    )


@pytest.fixture
def received(sent: BuiltMessage, alice: KeyPair, bob: KeyPair) -> ReceivedMessage:
    """The same message as BOB opened it."""
    partner = PartnerSecurity("ALICE", (alice.certificate,))
    find = lookup(LocalIdentity("BOB", (bob,)), partner)
    return open_message(sent.headers, sent.body, find_partner=find, now=NOW)


def _check(
    mdn_headers: tuple[tuple[str, str], ...],
    body: bytes,
    sent: BuiltMessage,
    bob: KeyPair,
    *,
    require_signed: bool = True,
    message_id: str | None = None,
) -> str:
    outcome = parse_mdn(
        mdn_headers,
        body,
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        expected_message_id=message_id or sent.message_id,
        expected_mic=sent.mic,
        expected_mic_algorithm=sent.mic_algorithm,
        require_signed=require_signed,
        now=NOW,
    )
    return outcome.status


def test_a_signed_processed_mdn_is_delivered(
    sent: BuiltMessage, received: ReceivedMessage, bob: KeyPair
) -> None:
    mdn = build_mdn(received, mdn_message_id="mdn-1@bob.example", ours=LocalIdentity("BOB", (bob,)))
    outcome = parse_mdn(
        mdn.headers,
        mdn.body,
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        expected_message_id=sent.message_id,
        expected_mic=sent.mic,
        expected_mic_algorithm=Digest.SHA256,
        now=NOW,
    )
    assert (outcome.status, outcome.disposition, outcome.signed) == ("delivered", "processed", True)
    assert outcome.signer == bob.certificate
    assert outcome.mdn_message_id == "mdn-1@bob.example"
    assert "received, verified" in outcome.text


def test_the_mdn_report_fields(received: ReceivedMessage, bob: KeyPair) -> None:
    mdn = build_mdn(received, mdn_message_id="mdn-1@bob.example", ours=None)
    report = mime.Entity(mime.Headers(mdn.headers), mdn.body)
    assert report.content_type.mime_type == "multipart/report"
    assert report.content_type.param("report-type") == "disposition-notification"
    notification = mime.parse_entity(
        mime.split_multipart(mdn.body, report.content_type.param("boundary") or "")[1]
    )
    fields = mime.parse_headers(notification.body)
    assert fields["Original-Message-ID"] == "<po-4711@alice.example>"
    assert fields["Final-Recipient"] == "rfc822; BOB"
    assert fields["Disposition"] == "automatic-action/MDN-sent-automatically; processed"
    assert fields["Received-Content-MIC"] == f"{received.mic}, sha-256"
    assert dict(mdn.headers)["AS2-To"] == "ALICE"


@pytest.mark.parametrize("require_signed", [True, False])
def test_an_unsigned_mdn_only_when_we_did_not_ask_for_a_signed_one(
    sent: BuiltMessage, received: ReceivedMessage, bob: KeyPair, require_signed: bool
) -> None:
    unsigned = build_mdn(received, mdn_message_id="mdn-1@bob.example", ours=None)
    assert not unsigned.signed
    if require_signed:
        with pytest.raises(MdnRejected, match="not signed"):
            _check(unsigned.headers, unsigned.body, sent, bob)
    else:
        assert _check(unsigned.headers, unsigned.body, sent, bob, require_signed=False) == (
            "delivered"
        )


def test_an_mdn_signed_by_someone_else_is_refused(
    sent: BuiltMessage, received: ReceivedMessage, bob: KeyPair, mallory: KeyPair
) -> None:
    forged = build_mdn(received, mdn_message_id="x@y", ours=LocalIdentity("BOB", (mallory,)))
    with pytest.raises(MdnRejected, match="signature does not verify"):
        _check(forged.headers, forged.body, sent, bob)


def test_an_mdn_changed_after_signing_is_refused(
    sent: BuiltMessage, received: ReceivedMessage, bob: KeyPair
) -> None:
    failed = build_mdn(
        received,
        mdn_message_id="x@y",
        ours=LocalIdentity("BOB", (bob,)),
        error=AS2AuthenticationFailed("bad signature"),
    )
    flipped = failed.body.replace(b"; processed/error: authentication-failed", b"; processed")
    assert flipped != failed.body
    with pytest.raises(MdnRejected, match="signature does not verify"):
        _check(failed.headers, flipped, sent, bob)


def test_an_mdn_without_a_mic_is_refused(
    sent: BuiltMessage, received: ReceivedMessage, bob: KeyPair
) -> None:
    no_mic = build_mdn(received.envelope, mdn_message_id="x@y", ours=LocalIdentity("BOB", (bob,)))
    with pytest.raises(MdnRejected, match="no Received-Content-MIC"):
        _check(no_mic.headers, no_mic.body, sent, bob)


def test_an_mdn_with_another_mic_is_refused(
    sent: BuiltMessage, received: ReceivedMessage, bob: KeyPair
) -> None:
    other = dataclasses.replace(received, mic="O4bvrm5t2YunRfwvZicNdEUmPaPZ9vUslX8loVLDck0=")
    wrong = build_mdn(other, mdn_message_id="x@y", ours=LocalIdentity("BOB", (bob,)))
    with pytest.raises(MdnRejected, match="differs from ours"):
        _check(wrong.headers, wrong.body, sent, bob)


def test_an_mdn_with_another_mic_algorithm_is_refused(
    sent: BuiltMessage, received: ReceivedMessage, bob: KeyPair
) -> None:
    sha1 = dataclasses.replace(
        received, mic_algorithm=Digest.SHA1, mic="2jmj7l5rSw0yVb/vlWAYkK/YBwk="
    )
    wrong = build_mdn(sha1, mdn_message_id="x@y", ours=LocalIdentity("BOB", (bob,)))
    with pytest.raises(MdnRejected, match="uses sha-1, we asked for sha-256"):
        _check(wrong.headers, wrong.body, sent, bob)


def test_an_mdn_for_another_message_is_refused(
    sent: BuiltMessage, received: ReceivedMessage, bob: KeyPair
) -> None:
    mdn = build_mdn(received, mdn_message_id="x@y", ours=LocalIdentity("BOB", (bob,)))
    with pytest.raises(MdnRejected, match=r"answers 'po-4711@alice\.example'"):
        _check(mdn.headers, mdn.body, sent, bob, message_id="po-4712@alice.example")


def test_something_that_is_not_an_mdn_is_refused(sent: BuiltMessage, bob: KeyPair) -> None:
    with pytest.raises(MdnRejected, match="not an MDN"):
        _check((("Content-Type", "text/html"),), b"<html>502 Bad Gateway</html>", sent, bob)


def test_an_authentic_error_mdn_is_a_failure_not_a_refusal(
    sent: BuiltMessage, bob: KeyPair
) -> None:
    envelope = read_envelope(sent.headers)
    mdn = build_mdn(
        envelope,
        mdn_message_id="x@y",
        ours=LocalIdentity("BOB", (bob,)),
        error=AS2AuthenticationFailed("the signature does not verify"),
    )
    assert mdn.disposition == "processed/error: authentication-failed"
    outcome = parse_mdn(
        mdn.headers,
        mdn.body,
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        expected_message_id=sent.message_id,
        expected_mic=sent.mic,
        expected_mic_algorithm=sent.mic_algorithm,
        now=NOW,
    )
    assert (outcome.status, outcome.modifier) == ("failed", "error: authentication-failed")
    assert "the signature does not verify" in outcome.text


def test_a_warning_mdn_with_the_right_mic_is_delivered(
    sent: BuiltMessage, received: ReceivedMessage, bob: KeyPair
) -> None:
    mdn = build_mdn(
        received,
        mdn_message_id="x@y",
        ours=LocalIdentity("BOB", (bob,)),
        warning="duplicate-document",
    )
    assert _check(mdn.headers, mdn.body, sent, bob) == "delivered"


def test_the_mdn_answers_in_the_algorithm_spelling_that_was_asked(
    alice: KeyPair, bob: KeyPair
) -> None:
    sent = build_message(
        X12,
        settings=OutboundSecurity(
            micalg_style="rfc3851", mdn=MdnOptions(mic_algorithm=Digest.SHA384)
        ),
        ours=LocalIdentity("ALICE", (alice,)),
        partner=PartnerSecurity("BOB", (bob.certificate,)),
        message_id="m@x",
        now=NOW,
    )
    assert (
        "signed-receipt-micalg=optional, sha384"
        in dict(sent.headers)["Disposition-Notification-Options"]
    )
    find = lookup(LocalIdentity("BOB", (bob,)), PartnerSecurity("ALICE", (alice.certificate,)))
    received = open_message(sent.headers, sent.body, find_partner=find, now=NOW)
    mdn = build_mdn(received, mdn_message_id="x@y", ours=LocalIdentity("BOB", (bob,)))
    assert b"Received-Content-MIC: " + received.mic.encode() + b", sha384\r\n" in mdn.body
    assert "micalg=sha384" in dict(mdn.headers)["Content-Type"]
    assert _check(mdn.headers, mdn.body, sent, bob) == "delivered"
