"""Figures for monitoring, counted in the database so that every node reports the same.

Append-only tables (events, documents, rejections, what partners sent) are counted once and
then only their new rows: a `Tally` keeps the counts of the rows older than `SETTLE` (their
transactions long committed) and counts the rows after them at each call, over the primary
key. The queue's state is counted where an index leads (`ix_messages_due`, `ix_messages_ack_due`).

    >>> tally = Tally(OUTBOUND_EVENTS)
    >>> tally.counts(engine=engine, now=utcnow())
    {('sent', 'acme', '850', 'partner'): 12, ...}
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Connection, Engine, Select, func, select

from b2b.store.db import transaction
from b2b.store.schema import (
    as2_inbound,
    business_documents,
    documents,
    inbound_interchanges,
    message_events,
    messages,
    rejections,
)
from b2b.store.states import MessageState

#: A row older than this is taken as committed for good: no transaction stays open so long.
SETTLE = dt.timedelta(minutes=10)
#: Queue states counted by partner (a sent message is counted by its 'sent' events instead:
#: they are most rows, and ix_messages_due serves the others).
QUEUE_STATES = tuple(s.value for s in MessageState if s is not MessageState.SENT)

Labels = tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """What a Tally counts: rows of a table by label columns, its id and time columns."""

    name: str
    id: ColumnElement[int]
    at: ColumnElement[dt.datetime]
    labels: Callable[[], Select[tuple[object, ...]]]  # the label columns, FROM and WHERE


def _events() -> Select[tuple[object, ...]]:
    e, m = message_events.c, messages.c
    return select(e.state, m.partner_id, m.transaction_set, m.destination).where(
        e.message_id == m.id, e.state.in_((MessageState.SENT.value, "retry"))
    )


OUTBOUND_EVENTS = Source("message_events", message_events.c.id, message_events.c.at, _events)
DOCUMENTS = Source(
    "documents",
    documents.c.id,
    documents.c.received_at,
    lambda: select(documents.c.partner_id, documents.c.source_format),
)
BUSINESS_DOCUMENTS = Source(
    "business_documents",
    business_documents.c.id,
    business_documents.c.received_at,
    lambda: select(business_documents.c.partner_id, business_documents.c.transaction_set),
)
INTERCHANGES = Source(
    "inbound_interchanges",
    inbound_interchanges.c.id,
    inbound_interchanges.c.received_at,
    lambda: select(inbound_interchanges.c.partner_id, inbound_interchanges.c.status),
)
REJECTIONS = Source(
    "rejections",
    rejections.c.id,
    rejections.c.received_at,
    lambda: select(rejections.c.source_format),
)
AS2_INBOUND = Source(
    "as2_inbound",
    as2_inbound.c.id,
    as2_inbound.c.received_at,
    lambda: select(as2_inbound.c.partner_id, as2_inbound.c.status),
)


class Tally:
    """Counts of a Source's rows by their labels; thread safe, exact, cheap after the first.

    >>> Tally(REJECTIONS).counts(engine=engine, now=utcnow())
    {('cxml',): 3}
    """

    def __init__(self, source: Source) -> None:
        self.source = source
        self._settled_id = 0
        self._settled: Counter[Labels] = Counter()
        self._lock = threading.Lock()

    def counts(self, *, engine: Engine, now: dt.datetime) -> dict[Labels, int]:
        """Every row's count by labels, as of now (StoreUnavailable when the database is)."""
        with self._lock, transaction(engine) as conn:
            src = self.source
            upto = conn.execute(
                select(func.max(src.id)).where(src.id > self._settled_id, src.at < now - SETTLE)
            ).scalar()
            if upto is not None:
                self._settled.update(self._count(conn, self._settled_id, upto))
                self._settled_id = int(upto)
            recent = self._count(conn, self._settled_id, None)
            return dict(self._settled + recent)

    def _count(self, conn: Connection, after: int, upto: int | None) -> Counter[Labels]:
        query = self.source.labels()
        columns = list(query.selected_columns)
        query = query.add_columns(func.count()).where(self.source.id > after).group_by(*columns)
        if upto is not None:
            query = query.where(self.source.id <= upto)
        rows = conn.execute(query)
        found: Counter[Labels] = Counter()
        for row in rows:
            *labels, count = tuple(row)
            found[tuple(_text(v) for v in labels)] = int(str(count))
        return found


def _text(value: object) -> str:
    return "" if value is None else str(value)


def queue_states(*, engine: Engine) -> dict[tuple[str, str], int]:
    """Messages not sent, by (state, partner): received, queued, awaiting-mdn, failed, dead."""
    m = messages.c
    with transaction(engine) as conn:
        rows = conn.execute(
            select(m.state, m.partner_id, func.count())
            .where(m.state.in_(QUEUE_STATES))
            .group_by(m.state, m.partner_id)
        )
        return {(row[0], row[1]): int(row[2]) for row in rows}


def acks_overdue(*, engine: Engine, now: dt.datetime) -> dict[str, int]:
    """Messages sent whose 997/999/TA1 is overdue, by partner."""
    m = messages.c
    with transaction(engine) as conn:
        rows = conn.execute(
            select(m.partner_id, func.count())
            .where(m.ack_due_at < now, m.ack_state.is_(None))
            .group_by(m.partner_id)
        )
        return {row[0]: int(row[1]) for row in rows}
