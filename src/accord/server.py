"""Serving the app with uvicorn: one process, or several workers on one listening socket.

With `workers` above 1 every worker is a process of its own that builds the app from the
environment (`app_from_environment`), so the settings are the same in each; what must run once
per server (the notifications worker, the forecast refits) runs in the supervising process,
which serves no requests. Every accepted connection has TCP_NODELAY on: a small answer on a
keep-alive connection is sent at once instead of waiting for the client's delayed ACK.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.auto import AutoHTTPProtocol
from uvicorn.supervisors import Multiprocess

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
            listener = config.bind_socket()
            Multiprocess(config, sockets=[listener]).run()
        else:
            server = uvicorn.Server(config)
            server.run()
            if not server.started:
                raise SystemExit(3)  # uvicorn's own exit code for a server that never started
    finally:
        if stop is not None:
            stop()
