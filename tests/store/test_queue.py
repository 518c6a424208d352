"""The outbound queue: leases, retries, control numbers, per-partner order, dead letters and
resends, on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from typing import Any

import pytest
from sqlalchemy import Engine, update

from b2b.errors import ResendRefused, UnknownMessage
from b2b.store import (
    Built,
    LeaseLost,
    accept_documents,
    claim_next,
    get_message,
    open_engine,
    record_failure,
    record_mapped,
    record_sent,
    request_resend,
    transaction,
)
from b2b.store.as2 import record_async_mdn, record_awaiting_mdn
from b2b.store.blobs import BlobStore
from b2b.store.schema import messages
from tests.factories import acceptance

NOW = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
LEASE = dt.timedelta(minutes=5)


def _built(n: int) -> Built:
    return Built(f"ISA*{n:09d}~".encode(), f"acme_{n:09d}.x12", n, n, ("0001",))


def _map(engine: Engine, blobs: BlobStore, message_id: int, worker: str) -> Built:
    return record_mapped(
        engine=engine,
        blobs=blobs,
        message_id=message_id,
        worker=worker,
        sender="ZZ:US",
        receiver="ZZ:THEM",
        build=_built,
        now=NOW,
    )


def test_a_claimed_message_is_not_claimed_again_until_its_lease_expires(
    engine: Engine, blobs: BlobStore
) -> None:
    accept_documents(engine=engine, items=[acceptance("1", at=NOW)])
    first = claim_next(engine=engine, blobs=blobs, worker="a", now=NOW, lease=LEASE)
    assert first is not None
    assert (
        claim_next(engine=engine, blobs=blobs, worker="b", now=NOW + LEASE / 2, lease=LEASE) is None
    )
    again = claim_next(engine=engine, blobs=blobs, worker="b", now=NOW + LEASE * 2, lease=LEASE)
    assert again is not None
    assert again.message_id == first.message_id
    with pytest.raises(LeaseLost):
        record_sent(engine=engine, message_id=first.message_id, worker="a", receipt="x", now=NOW)


def test_mapping_stores_bytes_and_numbers_once_and_sending_completes(
    engine: Engine, blobs: BlobStore
) -> None:
    accept_documents(engine=engine, items=[acceptance("1", at=NOW)])
    claim = claim_next(engine=engine, blobs=blobs, worker="a", now=NOW, lease=LEASE)
    assert claim is not None
    built = _map(engine, blobs, claim.message_id, "a")
    with pytest.raises(LeaseLost):  # bytes are assigned once; a second mapping is refused
        _map(engine, blobs, claim.message_id, "a")
    record_sent(
        engine=engine, message_id=claim.message_id, worker="a", receipt="directory:/out/x", now=NOW
    )
    view = get_message(engine=engine, message_id=claim.message_id)
    assert view is not None
    assert view.state == "sent"
    assert view.interchange_control_number == built.interchange_control_number == 1
    assert [e.state for e in view.events] == ["received", "mapped", "queued", "sent"]
    assert (
        claim_next(engine=engine, blobs=blobs, worker="a", now=NOW + LEASE * 9, lease=LEASE) is None
    )


def test_a_retry_waits_for_its_time_and_resends_the_stored_bytes(
    engine: Engine, blobs: BlobStore
) -> None:
    accept_documents(engine=engine, items=[acceptance("1", at=NOW)])
    claim = claim_next(engine=engine, blobs=blobs, worker="a", now=NOW, lease=LEASE)
    assert claim is not None
    built = _map(engine, blobs, claim.message_id, "a")
    retry_at = NOW + dt.timedelta(seconds=30)
    record_failure(
        engine=engine,
        message_id=claim.message_id,
        worker="a",
        reason="refused",
        now=NOW,
        retry_at=retry_at,
        attempted=True,
    )
    assert (
        claim_next(
            engine=engine, blobs=blobs, worker="a", now=NOW + dt.timedelta(seconds=29), lease=LEASE
        )
        is None
    )
    again = claim_next(engine=engine, blobs=blobs, worker="b", now=retry_at, lease=LEASE)
    assert again is not None
    assert again.payload == built.payload
    assert again.attempts == 1
    record_failure(
        engine=engine,
        message_id=claim.message_id,
        worker="b",
        reason="gave up",
        now=NOW,
        retry_at=None,
        attempted=True,
    )
    view = get_message(engine=engine, message_id=claim.message_id)
    assert view is not None
    assert (view.state, view.last_error, view.attempts) == ("failed", "gave up", 2)
    assert (
        claim_next(engine=engine, blobs=blobs, worker="a", now=NOW + LEASE * 99, lease=LEASE)
        is None
    )


def test_control_numbers_are_unique_and_gapless_under_concurrent_workers(
    database_url: str, blobs: BlobStore
) -> None:
    engines = [open_engine(database_url) for _ in range(2)]
    accept_documents(engine=engines[0], items=[acceptance(str(i), at=NOW) for i in range(40)])
    numbers: list[int] = []

    def work(name: str, engine: Engine) -> None:
        while (
            claim := claim_next(
                engine=engine, blobs=blobs, worker=name, now=NOW, lease=LEASE, parallel={"acme"}
            )
        ) is not None:
            numbers.append(_map(engine, blobs, claim.message_id, name).interchange_control_number)

    threads = [threading.Thread(target=work, args=(f"w{i}", engines[i % 2])) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(numbers) == list(range(1, 41))
    for e in engines:
        e.dispose()


def test_control_numbers_are_counted_per_sender_receiver_pair(
    engine: Engine, blobs: BlobStore
) -> None:
    accept_documents(engine=engine, items=[acceptance(str(i), at=NOW) for i in range(3)])
    got = []
    for receiver in ("ZZ:A", "ZZ:B", "ZZ:A"):
        claim = claim_next(
            engine=engine, blobs=blobs, worker="a", now=NOW, lease=LEASE, parallel={"acme"}
        )
        assert claim is not None
        got.append(
            record_mapped(
                engine=engine,
                blobs=blobs,
                message_id=claim.message_id,
                worker="a",
                sender="ZZ:US",
                receiver=receiver,
                build=_built,
                now=NOW,
            ).interchange_control_number
        )
    assert got == [1, 1, 2]


# ------------------------------------------------------------------ per-partner order


def _accept(engine: Engine, *partners: str) -> list[int]:
    """One order per partner named, accepted in that order; their message ids."""
    items = [
        dataclasses.replace(acceptance(f"{i}-{p}", at=NOW), partner_id=p)
        for i, p in enumerate(partners)
    ]
    ids = []
    for accepted in accept_documents(engine=engine, items=items):
        assert accepted.message_id is not None
        ids.append(accepted.message_id)
    return ids


def _claim(engine: Engine, blobs: BlobStore, at: dt.datetime = NOW, **kwargs: Any) -> int | None:
    claim = claim_next(engine=engine, blobs=blobs, worker="w", now=at, lease=LEASE, **kwargs)
    return None if claim is None else claim.message_id


def _sent(engine: Engine, message_id: int) -> None:
    record_sent(engine=engine, message_id=message_id, worker="w", receipt="ok", now=NOW)


def _stop(engine: Engine, message_id: int, *, dead: bool = False, retry_at: Any = None) -> None:
    record_failure(
        engine=engine,
        message_id=message_id,
        worker="w",
        reason="refused",
        now=NOW,
        retry_at=retry_at,
        attempted=True,
        dead=dead,
    )


def test_messages_to_one_partner_leave_in_order_and_others_pass_them(
    engine: Engine, blobs: BlobStore
) -> None:
    a1, a2, g1, a3 = _accept(engine, "acme", "acme", "globex", "acme")
    assert _claim(engine, blobs) == a1
    assert _claim(engine, blobs) == g1  # acme's second waits for its first
    assert _claim(engine, blobs) is None
    _sent(engine, a1)
    assert _claim(engine, blobs) == a2
    assert _claim(engine, blobs) is None
    _sent(engine, a2)
    assert _claim(engine, blobs) == a3


def test_a_retry_holds_the_messages_behind_it_and_a_dead_one_releases_them(
    engine: Engine, blobs: BlobStore
) -> None:
    a1, a2, g1 = _accept(engine, "acme", "acme", "globex")
    retry_at = NOW + dt.timedelta(minutes=10)
    assert _claim(engine, blobs) == a1
    _stop(engine, a1, retry_at=retry_at)
    assert _claim(engine, blobs) == g1  # another partner is not held up
    _sent(engine, g1)
    assert _claim(engine, blobs) is None  # a2 waits while a1 waits for its retry
    assert _claim(engine, blobs, at=retry_at) == a1
    _stop(engine, a1, dead=True)
    assert _claim(engine, blobs, at=retry_at) == a2
    view = get_message(engine=engine, message_id=a1)
    assert view is not None
    assert (view.state, view.attempts) == ("dead", 2)
    assert [e.state for e in view.events] == ["received", "retry", "dead"]


def test_a_failed_message_releases_the_queue_and_awaiting_an_mdn_holds_it(
    engine: Engine, blobs: BlobStore
) -> None:
    a1, a2, a3 = _accept(engine, "acme", "acme", "acme")
    assert _claim(engine, blobs) == a1
    _stop(engine, a1)  # permanent: failed at once
    assert _claim(engine, blobs) == a2
    record_awaiting_mdn(engine=engine, message_id=a2, worker="w", deadline=NOW + LEASE * 9, now=NOW)
    assert _claim(engine, blobs, at=NOW + LEASE * 2) is None  # a3 waits for a2's MDN
    assert record_async_mdn(engine=engine, message_id=a2, delivered=True, detail="ok", now=NOW)
    assert _claim(engine, blobs, at=NOW + LEASE * 2) == a3


def test_x12_to_the_partner_and_cxml_to_coupa_are_separate_queues(
    engine: Engine, blobs: BlobStore
) -> None:
    a1, a2, c1, c2 = _accept(engine, "acme", "acme", "acme", "acme")
    with transaction(engine) as conn:
        conn.execute(
            update(messages).where(messages.c.id.in_([c1, c2])).values(destination="coupa")
        )
    assert [_claim(engine, blobs), _claim(engine, blobs), _claim(engine, blobs)] == [a1, c1, None]
    _sent(engine, c1)
    assert _claim(engine, blobs) == c2
    assert a2 not in {_claim(engine, blobs, at=NOW + LEASE / 2)}


def test_a_partner_allowed_parallel_sends_has_all_its_messages_claimed_at_once(
    engine: Engine, blobs: BlobStore
) -> None:
    ids = _accept(engine, "acme", "acme", "globex", "globex")
    claimed = [_claim(engine, blobs, parallel={"acme"}) for _ in range(4)]
    assert claimed == [ids[0], ids[1], ids[2], None]


def test_concurrent_workers_keep_each_partner_s_order(database_url: str, blobs: BlobStore) -> None:
    engines = [open_engine(database_url) for _ in range(2)]
    ids = _accept(engines[0], *(["acme", "globex", "initech"] * 8))
    partner_of = dict(zip(ids, ["acme", "globex", "initech"] * 8, strict=True))
    lock = threading.Lock()
    finishing: set[int] = set()
    order: dict[str, list[int]] = {}
    broken: list[str] = []

    def work(name: str, engine: Engine) -> None:
        while (
            claim := claim_next(engine=engine, blobs=blobs, worker=name, now=NOW, lease=LEASE)
        ) is not None:
            with lock:
                earlier = [
                    i
                    for i in ids
                    if i < claim.message_id
                    and partner_of[i] == claim.partner_id
                    and i not in finishing
                ]
                if earlier:
                    broken.append(f"{claim.message_id} claimed before {earlier}")
                order.setdefault(claim.partner_id, []).append(claim.message_id)
                finishing.add(claim.message_id)
            record_sent(
                engine=engine, message_id=claim.message_id, worker=name, receipt="ok", now=NOW
            )

    threads = [threading.Thread(target=work, args=(f"w{i}", engines[i % 2])) for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for e in engines:
        e.dispose()
    assert broken == []
    assert sorted(order) == ["acme", "globex", "initech"]
    assert all(sent == sorted(sent) and len(sent) == 8 for sent in order.values())


# ----------------------------------------------------------------------------- resend


def _dead_with_bytes(engine: Engine, blobs: BlobStore) -> tuple[int, Built]:
    [message_id] = _accept(engine, "acme")
    assert _claim(engine, blobs) == message_id
    built = _map(engine, blobs, message_id, "w")
    _stop(engine, message_id, dead=True)
    return message_id, built


def test_a_resent_dead_message_goes_again_with_the_same_bytes_and_fresh_attempts(
    engine: Engine, blobs: BlobStore
) -> None:
    message_id, built = _dead_with_bytes(engine, blobs)
    later = NOW + dt.timedelta(hours=1)
    resent = request_resend(engine=engine, message_id=message_id, now=later)
    assert (resent.state, resent.detail) == ("queued", "resend requested by operator")
    claim = claim_next(engine=engine, blobs=blobs, worker="w", now=later, lease=LEASE)
    assert claim is not None
    assert (claim.message_id, claim.state, claim.attempts) == (message_id, "queued", 0)
    assert (claim.payload, claim.interchange_control_number) == (built.payload, 1)
    view = get_message(engine=engine, message_id=message_id)
    assert view is not None
    assert view.last_error is None
    assert [e.state for e in view.events][-2:] == ["dead", "resend"]


def test_a_reissue_drops_the_bytes_and_maps_again_with_new_control_numbers(
    engine: Engine, blobs: BlobStore
) -> None:
    message_id, _ = _dead_with_bytes(engine, blobs)
    resent = request_resend(engine=engine, message_id=message_id, now=NOW, reissue=True)
    assert resent.state == "received"
    assert "ISA13 000000001" in resent.detail
    claim = claim_next(engine=engine, blobs=blobs, worker="w", now=NOW, lease=LEASE)
    assert claim is not None
    assert (claim.payload, claim.filename, claim.interchange_control_number) == (None, None, None)
    assert _map(engine, blobs, message_id, "w").interchange_control_number == 2
    view = get_message(engine=engine, message_id=message_id)
    assert view is not None
    assert view.interchange_control_number == 2
    reissue = next(e for e in view.events if e.state == "reissue")
    assert reissue.detail.startswith("reissue requested by operator")


def test_a_message_in_flight_is_not_resent(engine: Engine, blobs: BlobStore) -> None:
    received, retrying = _accept(engine, "acme", "globex")
    with pytest.raises(ResendRefused, match="received, still in flight"):
        request_resend(engine=engine, message_id=received, now=NOW)
    assert _claim(engine, blobs) == received
    assert _claim(engine, blobs) == retrying
    _stop(engine, retrying, retry_at=NOW + LEASE)
    for reissue in (False, True):
        with pytest.raises(ResendRefused, match="still in flight"):
            request_resend(engine=engine, message_id=retrying, now=NOW, reissue=reissue)
    with pytest.raises(UnknownMessage):
        request_resend(engine=engine, message_id=999, now=NOW)
    view = get_message(engine=engine, message_id=retrying)
    assert view is not None
    assert view.events[-1].state == "retry"


def test_a_sent_message_may_be_resent_and_an_acknowledgment_not_reissued(
    engine: Engine, blobs: BlobStore
) -> None:
    [message_id] = _accept(engine, "acme")
    assert _claim(engine, blobs) == message_id
    _map(engine, blobs, message_id, "w")
    _sent(engine, message_id)
    with transaction(engine) as conn:  # as an acknowledgment we send: no order behind it
        conn.execute(update(messages).where(messages.c.id == message_id).values(document_id=None))
    with pytest.raises(ResendRefused, match="no order to map again"):
        request_resend(engine=engine, message_id=message_id, now=NOW, reissue=True)
    assert request_resend(engine=engine, message_id=message_id, now=NOW).state == "queued"
