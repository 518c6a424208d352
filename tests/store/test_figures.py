"""The store's figures for monitoring: exact however often they are counted, old rows or new."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Engine

from b2b.store import Rejection, record_rejection, utcnow
from b2b.store.figures import REJECTIONS, SETTLE, Tally


def _refuse(engine: Engine, source: str, at: dt.datetime) -> None:
    rejection = Rejection(source, b"<x/>", "malformed", "InvalidDocument", 400, b"", at)
    record_rejection(engine=engine, rejection=rejection)


def test_a_tally_counts_settled_and_recent_rows_once_each_however_often_it_is_asked(
    engine: Engine,
) -> None:
    now = utcnow()
    old = now - SETTLE * 3
    for source, at in [("cxml", old), ("cxml", old), ("coupa-xml", old), ("cxml", now)]:
        _refuse(engine, source, at)
    tally = Tally(REJECTIONS)
    assert tally.counts(engine=engine, now=now) == {("cxml",): 3, ("coupa-xml",): 1}
    assert tally.counts(engine=engine, now=now) == {("cxml",): 3, ("coupa-xml",): 1}
    _refuse(engine, "coupa-xml", now)
    later = now + SETTLE * 2  # every row settled now: counted into the kept totals, once
    assert tally.counts(engine=engine, now=later) == {("cxml",): 3, ("coupa-xml",): 2}
    assert tally.counts(engine=engine, now=later) == {("cxml",): 3, ("coupa-xml",): 2}
    # another node (a new Tally) counts the same
    assert Tally(REJECTIONS).counts(engine=engine, now=later) == {("cxml",): 3, ("coupa-xml",): 2}
