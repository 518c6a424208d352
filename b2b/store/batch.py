"""Group commit: one writer thread stores what many requests hand it, one transaction a batch.

Each request waits for one fsync that it shares with the requests that arrived alongside it.

    >>> writer = BatchWriter(engine, store_one, name="b2b-ingest"); writer.start()
    >>> result = writer.submit(item).result()
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

from sqlalchemy import Connection, Engine

from b2b.errors import B2BError, StoreUnavailable
from b2b.store.db import transaction

log = logging.getLogger(__name__)

T = TypeVar("T")
R = TypeVar("R")


class BatchWriter(Generic[T, R]):
    """One thread that runs `work(conn, item)` for queued items, many per transaction."""

    def __init__(
        self,
        engine: Engine,
        work: Callable[[Connection, T], R],
        *,
        name: str,
        max_batch: int = 256,
    ) -> None:
        self._engine = engine
        self._work = work
        self._max_batch = max_batch
        self._queue: queue.SimpleQueue[tuple[T, Future[R]] | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        """Start the writer thread."""
        self._thread.start()

    def stop(self) -> None:
        """Finish what was submitted, then stop."""
        self._queue.put(None)
        self._thread.join()

    def submit(self, item: T) -> Future[R]:
        """Queue `item`; the future resolves once it is committed (or fails)."""
        future: Future[R] = Future()
        self._queue.put((item, future))
        return future

    def _run(self) -> None:
        while True:
            batch, stopping = self._take_batch()
            if batch:
                self._commit(batch)
            if stopping:
                return

    def _take_batch(self) -> tuple[list[tuple[T, Future[R]]], bool]:
        first = self._queue.get()
        if first is None:
            return [], True
        batch = [first]
        while len(batch) < self._max_batch:
            try:
                nxt = self._queue.get_nowait()
            except queue.Empty:
                break
            if nxt is None:
                return batch, True
            batch.append(nxt)
        return batch, False

    def _store(self, items: list[T]) -> list[R]:
        with transaction(self._engine) as conn:
            return [self._work(conn, item) for item in items]

    def _commit(self, batch: list[tuple[T, Future[R]]]) -> None:
        try:
            results = self._store([item for item, _ in batch])
        except StoreUnavailable as exc:
            for _, future in batch:
                future.set_exception(exc)
            return
        except Exception:
            log.exception("batch of %d failed; committing one by one", len(batch))
            self._commit_singly(batch)
            return
        for (_, future), result in zip(batch, results, strict=True):
            future.set_result(result)

    def _commit_singly(self, batch: list[tuple[T, Future[R]]]) -> None:
        for item, future in batch:
            try:
                future.set_result(self._store([item])[0])
            except Exception as exc:
                error = exc if isinstance(exc, B2BError) else StoreUnavailable(str(exc))
                future.set_exception(error)
