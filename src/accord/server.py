"""Serving the app with uvicorn: one process, or several workers on one port.

With `workers` above 1 every worker is a process of its own that builds the app from the
environment (`app_from_environment`), so the settings are the same in each; what must run once
per server (the notifications worker, the forecast refits) runs in the supervising process,
which serves no requests. Every accepted connection has TCP_NODELAY on: a small answer on a
keep-alive connection is sent at once instead of waiting for the client's delayed ACK.

Where the system can (Linux, the BSDs), each worker listens on a socket of its own, all bound
to the one port with SO_REUSEPORT, and the kernel spreads new connections evenly across them.
On one socket shared by all, the worker that wakes first accepts every connection waiting: the
keep-alive connections a load balancer or a client opens at once would all go to one worker,
which would then serve them alone on one core for as long as they last.
"""

from __future__ import annotations

import asyncio
import logging
import socket
import sys
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.config import STARTUP_FAILURE
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.supervisors import Multiprocess
from uvicorn.supervisors.multiprocess import Process

from accord.app import create_app
from accord.config import Settings


def no_delay(transport: asyncio.BaseTransport) -> None:
    """Turn Nagle's algorithm off on a TCP connection (a Unix socket has none)."""
    sock = transport.get_extra_info("socket")
    if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


class NoDelayHTTP(AutoHTTPProtocol):  # type: ignore[misc, valid-type]
    """uvicorn's HTTP/1.1 protocol, with TCP_NODELAY set on each connection it is given.

    asyncio sets it itself only on sockets made with proto IPPROTO_TCP, and a listener shared
    by worker processes may not carry that through to the sockets it accepts."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        no_delay(transport)
        super().connection_made(transport)


log = logging.getLogger("uvicorn.error")


def listeners(config: uvicorn.Config, count: int) -> list[socket.socket]:
    """The sockets `count` workers listen on: one each, bound to the same address with
    SO_REUSEPORT; one for all where the system has no SO_REUSEPORT.

    The address is first bound alone, without SO_REUSEPORT, so that a server already running
    there (another Accord's workers, say) is an error, as on one socket, rather than a share
    of its connections."""
    if count == 1 or not hasattr(socket, "SO_REUSEPORT") or config.uds or config.fd:
        return [config.bind_socket()]
    probe = config.bind_socket()  # exits with uvicorn's startup failure when the port is taken
    host, port = probe.getsockname()[:2]
    probe.close()
    made: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(probe.family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            made.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind((host, port))
            sock.set_inheritable(True)
    except OSError as error:
        for sock in made:
            sock.close()
        log.error(error)
        sys.exit(STARTUP_FAILURE)
    return made


class Workers(Multiprocess):
    """uvicorn's supervisor, each worker on a listening socket of its own (`listeners`): a
    worker started again in a dead one's place, or to replace one (SIGHUP), takes its socket."""

    def __init__(self, config: uvicorn.Config, sockets: list[socket.socket]) -> None:
        super().__init__(config, sockets)
        self.own = sockets if len(sockets) == config.workers else None

    def _sockets(self, slot: int) -> list[socket.socket]:
        return [self.own[slot]] if self.own is not None else self.sockets

    def init_processes(self) -> None:
        for slot in range(self.processes_num):
            process = Process(self.config, self._sockets(slot))
            process.start()
            self.processes.append(process)

    def restart_all(self) -> None:
        self._each(super().restart_all)

    def keep_subprocess_alive(self) -> None:
        self._each(super().keep_subprocess_alive)

    def _each(self, step: Callable[[], None]) -> None:
        """uvicorn's `step`, run for one worker at a time, as if it were the only one and its
        socket the only one."""
        sockets, every = self.sockets, self.processes
        try:
            for slot, process in enumerate(every):
                self.sockets, self.processes = self._sockets(slot), [process]
                step()
                every[slot] = self.processes[0]
        finally:
            self.sockets, self.processes = sockets, every


def app_from_environment() -> FastAPI:
    """The app each worker process builds: its settings from the environment (ACCORD_*)."""
    return create_app(Settings())


def run(
    app: FastAPI | None,
    settings: Settings,
    *,
    workers: int = 1,
    beside: Callable[[], Callable[[], None]] | None = None,
) -> None:
    """Serve on settings.host:settings.port until stopped. With one worker `app` is served in
    this process; with several, each worker process builds its own from the environment.
    `beside` starts what runs next to the server once (in this process) and returns what
    stops it."""
    options: dict[str, Any] = {
        "host": settings.host,
        "port": settings.port,
        "log_level": settings.log_level.lower(),
        "http": NoDelayHTTP,
    }
    if workers > 1:
        config = uvicorn.Config(
            "accord.server:app_from_environment",
            factory=True,
            workers=workers,
            # a worker that starts on a busy machine imports and checks trust for seconds:
            # uvicorn's 5 s would take it for hung and start it again, over and over
            timeout_worker_healthcheck=60,
            **options,
        )
    else:
        assert app is not None, "one worker serves the app it is given"
        config = uvicorn.Config(app, **options)
    stop = beside() if beside is not None else None
    try:
        if workers > 1:
            Workers(config, listeners(config, workers)).run()
        else:
            server = uvicorn.Server(config)
            server.run()
            if not server.started:
                raise SystemExit(3)  # uvicorn's own exit code for a server that never started
    finally:
        if stop is not None:
            stop()
