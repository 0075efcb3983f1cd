"""A real Accord server on a loopback port, in a thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime

import uvicorn
from fastapi import FastAPI

from accord.app import create_app
from accord.config import Settings


def serve(
    settings: Settings,
    clock: Callable[[], datetime] | None = None,
    prepare: Callable[[FastAPI], None] | None = None,
) -> Iterator[str]:
    """Run the app with uvicorn in a thread; yields its base URL and stops it afterwards.

    `prepare` may set up the app first, as a command that serves it would."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    app = create_app(settings, clock) if clock else create_app(settings)
    if prepare is not None:
        prepare(app)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the test server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
