"""Several HTTP worker processes on one port, each new connection dealt to the next in turn.

uvicorn's own `--workers` share the listening socket through epoll: every idle worker wakes for
a new connection and the first to run accepts all that are queued. Clients that keep their
connections open (AS2 partners, a proxy in front of the gateway) then pile onto one process
while the others idle: of 8 connections opened together one of two workers took all 8, and of
16 all 16; under B3 one did two thirds of the work. (A blocking accept() in each worker does no
better, 6/2 or 7/1: a burst goes to whichever is running.)

Here the parent process accepts and deals the connections round robin, passing each socket to
a worker over a Unix socket pair (SCM_RIGHTS); a thread in the worker hands it to the event
loop, where uvicorn's protocol serves it as it would have.

    serve_dealt(uvicorn.Config("b2b.api.app:app_from_environment", factory=True), workers=2)
"""

from __future__ import annotations

import asyncio
import errno
import itertools
import logging
import signal
import socket
import threading
import time
from dataclasses import dataclass
from multiprocessing.process import BaseProcess
from types import FrameType

import uvicorn
from uvicorn._subprocess import get_subprocess

log = logging.getLogger(__name__)

#: how often the parent looks for workers that died, and starts them again (seconds)
WATCH_SECONDS = 1.0
#: accept() failures that pass (out of descriptors or memory, a connection reset while queued)
_PASSING = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM, errno.ECONNABORTED}


class DealtServer(uvicorn.Server):
    """uvicorn's server without a listener of its own: it serves the connections the parent
    passes over the socket pair it is given instead of a listening socket."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=[])  # the app's lifespan; uvicorn listens on nothing
        loop = asyncio.get_running_loop()
        self._pending: set[asyncio.Task[object]] = set()
        for pair in sockets or []:
            thread = threading.Thread(
                target=self._receive, args=(pair, loop), name="b2b-dealt", daemon=True
            )
            thread.start()

    def _receive(self, pair: socket.socket, loop: asyncio.AbstractEventLoop) -> None:
        pair.setblocking(True)
        while not self.should_exit:
            _, fds, _, _ = socket.recv_fds(pair, 1, 1)
            if not fds:  # the parent is gone
                return
            conn = socket.socket(fileno=fds[0])
            try:
                loop.call_soon_threadsafe(self._take, conn)
            except RuntimeError:  # the event loop has closed: this worker is stopping
                conn.close()
                return

    def _take(self, conn: socket.socket) -> None:
        if self.should_exit:
            conn.close()
            return
        config, loop = self.config, asyncio.get_running_loop()

        def protocol() -> asyncio.Protocol:
            made: asyncio.Protocol = config.http_protocol_class(  # type: ignore[call-arg]
                config=config, server_state=self.server_state, app_state=self.lifespan.state
            )
            return made

        task = loop.create_task(loop.connect_accepted_socket(protocol, conn, ssl=config.ssl))
        self._pending.add(task)
        task.add_done_callback(self._connected)

    def _connected(self, task: asyncio.Task[object]) -> None:
        self._pending.discard(task)
        if not task.cancelled() and task.exception() is not None:  # a failed TLS handshake
            log.debug("a connection closed before it was served: %s", task.exception())


class _Worker:
    """What a worker process runs (picklable, for the spawn start method)."""

    def __init__(self, config: uvicorn.Config) -> None:
        self.config = config

    def __call__(self, sockets: list[socket.socket]) -> None:
        DealtServer(self.config).run(sockets=sockets)


@dataclass
class _Started:
    process: BaseProcess
    pair: socket.socket  # the parent's end


def serve_dealt(config: uvicorn.Config, *, workers: int) -> None:
    """Run `workers` processes serving `config` until SIGINT or SIGTERM, dealing connections
    to them in turn; a worker that dies is started again."""
    listener = config.bind_socket()
    listener.listen(config.backlog)
    listener.settimeout(WATCH_SECONDS)
    stopping = threading.Event()

    def stop(_signum: int, _frame: FrameType | None) -> None:
        stopping.set()

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    started = [_start(config) for _ in range(workers)]
    turns = itertools.cycle(range(workers))
    watched = time.monotonic()
    try:
        while not stopping.is_set():
            conn = _accept(listener)
            if conn is not None:
                _deal(conn, started, turns)  # a dead worker's pair refuses it: the next takes it
            if time.monotonic() - watched >= WATCH_SECONDS:
                _restart_dead(config, started)
                watched = time.monotonic()
    finally:
        listener.close()
        for each in started:
            each.process.terminate()  # SIGTERM: uvicorn finishes what it has, then exits
        for each in started:
            each.process.join()
            each.pair.close()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _accept(listener: socket.socket) -> socket.socket | None:
    try:
        conn, _ = listener.accept()
    except TimeoutError:
        return None
    except OSError as exc:
        if exc.errno not in _PASSING:
            raise
        log.warning("accepting a connection failed: %s", exc)
        time.sleep(0.1)
        return None
    return conn


def _deal(conn: socket.socket, started: list[_Started], turns: itertools.cycle[int]) -> None:
    """Pass `conn` to the next worker that takes it (a worker being restarted is skipped)."""
    with conn:
        for _ in started:
            try:
                socket.send_fds(started[next(turns)].pair, [b"c"], [conn.fileno()])
                return
            except OSError:
                continue
        log.warning("no worker took a connection: closed")


def _restart_dead(config: uvicorn.Config, started: list[_Started]) -> None:
    for index, each in enumerate(started):
        if not each.process.is_alive():
            code = each.process.exitcode
            log.warning("worker %s exited (%s); starting another", each.process.pid, code)
            each.pair.close()
            started[index] = _start(config)


def _start(config: uvicorn.Config) -> _Started:
    ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
    process = get_subprocess(config, target=_Worker(config), sockets=[theirs])
    process.start()
    theirs.close()  # the worker has its own copy now
    return _Started(process, ours)
