"""The AS2 peer fixture works end to end, proven with the peer's own pyas2lib tools only.

pyas2lib client -> django-pyas2 (sync and async MDN), and django-pyas2 -> pyas2lib receiver
(sync and async MDN). These test the test infrastructure that b2b's AS2 tests stand on.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.fixtures.as2peer import As2Peer, PeerMessage

WAIT_SECONDS = 20.0


def x12_payload(tmp_path: Path, control: str) -> Path:
    """A one-line 850 (no line feed: pyas2lib turns a bare LF into CRLF for EDI content)."""
    path = tmp_path / f"po{control}.x12"
    path.write_bytes(
        b"ISA*00*          *00*          *ZZ*DJANGO_PEER    *ZZ*PYAS2LIB_CLIENT*261128*1200*U*00401"
        + f"*{control}*0*T*:~".encode()
        + b"GS*PO*PEER*CLIENT*20261128*1200*1*X*004010~ST*850*0001~BEG*00*SA*PO1**20261128~"
        + b"PO1*1*10*EA*9.95**BP*ITEM1~CTT*1~SE*5*0001~GE*1*1~IEA*1*"
        + f"{control}~".encode()
    )
    return path


def eventually(check: Callable[[], bool], what: str, peer: As2Peer) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what} did not happen within {WAIT_SECONDS} s:\n{peer.log()[-3000:]}")
        time.sleep(0.2)


def message(peer: As2Peer, message_id: str) -> PeerMessage:
    return next(m for m in peer.received_messages() if m.message_id == message_id)


def built_id(stdout: str) -> str:
    return stdout.split("message-id=", 1)[1].split(maxsplit=1)[0]


def test_pyas2lib_stays_out_of_our_environment(as2peer: As2Peer) -> None:
    assert importlib.util.find_spec("pyas2lib") is None
    assert importlib.util.find_spec("pyas2") is None
    assert Path(as2peer.python).is_file()


def test_pyas2lib_client_sends_and_django_pyas2_answers_a_signed_sync_mdn(
    as2peer: As2Peer, tmp_path: Path
) -> None:
    as2peer.reconfigure()
    payload = x12_payload(tmp_path, "000000101")

    sent = as2peer.run_script("send_to_peer.py", payload, "--url", as2peer.url)

    assert sent.returncode == 0, sent.stdout + sent.stderr
    assert "RESULT: OK" in sent.stdout
    row = message(as2peer, built_id(sent.stdout))
    assert (row.direction, row.status, row.mdn_status, row.mdn_signed) == ("IN", "S", "S", True)
    assert (row.signed, row.encrypted, row.compressed) == (True, True, True)
    inbox = as2peer.inbox_files(as2peer.client.as2_id)
    assert payload.read_bytes() in [p.read_bytes() for p in inbox]


def test_pyas2lib_client_gets_an_async_mdn_when_the_peer_runs_its_queue(
    as2peer: As2Peer, tmp_path: Path
) -> None:
    as2peer.reconfigure()
    with as2peer.pyas2lib_receiver() as receiver:
        sent = as2peer.run_script(
            "send_to_peer.py", x12_payload(tmp_path, "000000102"), "--async-mdn", receiver.url
        )
        assert sent.returncode == 0, sent.stdout + sent.stderr
        message_id = built_id(sent.stdout)
        assert message(as2peer, message_id).mdn_status == "P"

        assert as2peer.run_async_mdns().returncode == 0

        assert message(as2peer, message_id).mdn_status == "S"
        assert f"ASYNC MDN in: orig-id={message_id} status=processed" in receiver.log()
        assert "signed_with=sha256" in receiver.log()


@pytest.mark.parametrize("mdn_mode", ["SYNC", "ASYNC"])
def test_django_pyas2_sends_to_a_pyas2lib_receiver_and_accepts_its_signed_mdn(
    as2peer: As2Peer, tmp_path: Path, mdn_mode: str
) -> None:
    payload = x12_payload(tmp_path, "000000201" if mdn_mode == "SYNC" else "000000202")
    with as2peer.pyas2lib_receiver() as receiver:
        as2peer.reconfigure(target_url=receiver.url, mdn_mode=mdn_mode)

        sent = as2peer.send_file(payload)

        assert sent.returncode == 0, sent.stdout + sent.stderr
        row = [m for m in as2peer.received_messages() if m.direction == "OUT"][-1]
        eventually(
            lambda: message(as2peer, row.message_id).status == "S", "a processed MDN", as2peer
        )
        posted_async = f"ASYNC MDN out -> {as2peer.url}: HTTP 200" in receiver.log()
    done = message(as2peer, row.message_id)
    assert (done.mdn_status, done.mdn_signed) == ("R", True)
    assert posted_async == (mdn_mode == "ASYNC")
    assert (receiver.received / payload.name).read_bytes() == payload.read_bytes()
