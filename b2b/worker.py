"""The outbound worker loop: in the `serve` process (embedded default) or as `b2b worker`.

>>> stop = threading.Event()
>>> run_worker(gateway, name="node1-w1", stop=stop)
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Callable

from b2b import as2inbound
from b2b.engine import Gateway
from b2b.errors import StoreUnavailable
from b2b.inbound import process_next_inbound
from b2b.logs import log_context
from b2b.metrics import Metrics, observing_sends
from b2b.outbound import TransportCache, process_next
from b2b.polling import Pollers
from b2b.store import LeaseLost

log = logging.getLogger(__name__)


def worker_name() -> str:
    """A name unique to this process, recorded as the lease owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


class Heartbeat:
    """When the worker last went round its loop (monotonic seconds), for `GET /ready`."""

    def __init__(self) -> None:
        self.at = time.monotonic()

    def beat(self) -> None:
        """The worker is going round."""
        self.at = time.monotonic()

    def age(self) -> float:
        """Seconds since the last round began."""
        return time.monotonic() - self.at


def run_worker(
    gateway: Gateway,
    *,
    name: str,
    stop: threading.Event,
    metrics: Metrics | None = None,
    heartbeat: Heartbeat | None = None,
) -> None:
    """Process due messages until `stop` is set; sleep when idle, wake on `gateway.wake`.

    `metrics`: where the send latency goes; `heartbeat`: beaten at each round of the loop.
    """
    transports = TransportCache(gateway.settings)
    pollers = Pollers(gateway)
    poll = gateway.settings.worker_poll_seconds
    beat = heartbeat or Heartbeat()
    log.info("worker %s started", name)
    try:
        with observing_sends(metrics):
            while not stop.is_set():
                beat.beat()
                if not _step(gateway, transports, pollers, name):
                    gateway.wake.wait(poll)
                    gateway.wake.clear()
    finally:
        transports.close()
        pollers.close()
        log.info("worker %s stopped", name)


def _step(gateway: Gateway, transports: TransportCache, pollers: Pollers, name: str) -> bool:
    """One round of every duty; True if any did something (then the next round comes at once).

    Each duty logs in a context of its own (the file read, the message sent: b2b.logs).
    """
    duties: tuple[Callable[[], bool], ...] = (
        lambda: process_next_inbound(gateway, worker=name),
        lambda: process_next(gateway, transports, worker=name),
        lambda: as2inbound.post_next_mdn(gateway.engine, transports.mdn_client),
        lambda: pollers.poll_due(time.monotonic()),
    )
    done = False
    for duty in duties:
        with log_context():
            try:
                done = duty() or done
            except LeaseLost as exc:
                log.warning("%s", exc)
                return True
            except StoreUnavailable as exc:
                log.error("store unavailable, worker waits: %s", exc)
                return False
            except Exception:
                # A defect, not a message's fault: keep the worker alive; the lease expires
                # and the message is retried later.
                log.exception("unexpected error in worker %s", name)
                return False
    return done


class WorkerThread(threading.Thread):
    """The embedded worker's thread, with its heartbeat and the event that stops it."""

    heartbeat: Heartbeat
    stop: threading.Event


def start_worker_thread(
    gateway: Gateway, stop: threading.Event, *, metrics: Metrics | None = None
) -> WorkerThread:
    """Run the worker in a daemon thread of this process."""
    heartbeat = Heartbeat()
    thread = WorkerThread(
        target=run_worker,
        kwargs={
            "gateway": gateway,
            "name": worker_name(),
            "stop": stop,
            "metrics": metrics,
            "heartbeat": heartbeat,
        },
        name="b2b-worker",
        daemon=True,
    )
    thread.heartbeat, thread.stop = heartbeat, stop
    thread.start()
    return thread
