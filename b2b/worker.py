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

from b2b import as2inbound
from b2b.engine import Gateway
from b2b.errors import StoreUnavailable
from b2b.inbound import process_next_inbound
from b2b.outbound import TransportCache, process_next
from b2b.polling import Pollers
from b2b.store import LeaseLost

log = logging.getLogger(__name__)


def worker_name() -> str:
    """A name unique to this process, recorded as the lease owner."""
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}"


def run_worker(gateway: Gateway, *, name: str, stop: threading.Event) -> None:
    """Process due messages until `stop` is set; sleep when idle, wake on `gateway.wake`."""
    transports = TransportCache(gateway.settings)
    pollers = Pollers(gateway)
    poll = gateway.settings.worker_poll_seconds
    log.info("worker %s started", name)
    try:
        while not stop.is_set():
            if not _step(gateway, transports, pollers, name):
                gateway.wake.wait(poll)
                gateway.wake.clear()
    finally:
        transports.close()
        pollers.close()
        log.info("worker %s stopped", name)


def _step(gateway: Gateway, transports: TransportCache, pollers: Pollers, name: str) -> bool:
    """One round of every duty; True if any did something (then the next round comes at once)."""
    try:
        read = process_next_inbound(gateway, worker=name)
        sent = process_next(gateway, transports, worker=name)
        posted = as2inbound.post_next_mdn(gateway.engine, transports.mdn_client)
        polled = pollers.poll_due(time.monotonic())
        return read or sent or posted or polled
    except LeaseLost as exc:
        log.warning("%s", exc)
        return True
    except StoreUnavailable as exc:
        log.error("store unavailable, worker waits: %s", exc)
        return False
    except Exception:
        # A defect, not a message's fault: keep the worker alive; the lease expires and the
        # message is retried later.
        log.exception("unexpected error in worker %s", name)
        return False


def start_worker_thread(gateway: Gateway, stop: threading.Event) -> threading.Thread:
    """Run the worker in a daemon thread of this process."""
    thread = threading.Thread(
        target=run_worker,
        kwargs={"gateway": gateway, "name": worker_name(), "stop": stop},
        name="b2b-worker",
        daemon=True,
    )
    thread.start()
    return thread
