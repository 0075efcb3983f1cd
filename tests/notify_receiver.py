"""A real webhook receiver for the tests: an HTTP server on a loopback port that keeps what it
receives, checks each signature, and answers as the test says — a status, too slow (after the
webhook's timeout), garbage (no HTTP at all), or not before the test lets it (`hold`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from accord.notify.webhook import verify


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes
    signed: bool
    at: float  # time.monotonic() on arrival

    @property
    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def id(self) -> str:
        return self.headers.get("webhook-id", "")


@dataclass
class Receiver:
    url: str
    answer: int | str = 204  # a status, "slow" or "garbage"
    secrets: list[str] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    partial: int = 0  # requests cut short by a sender that died
    # while set, answers wait until it is cleared (a delivery in flight)
    hold: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def ids(self) -> list[str]:
        return [r.id for r in list(self.received)]


@contextmanager
def receiving() -> Iterator[Receiver]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    server.daemon_threads = True
    box = Receiver(f"http://127.0.0.1:{server.server_address[1]}/hook")

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            declared = int(self.headers.get("Content-Length", "0"))
            body = self.rfile.read(declared)
            if len(body) < declared:  # the sender went away half-way: nothing was delivered
                box.partial += 1
                return
            headers = {name.lower(): value for name, value in self.headers.items()}
            signed = any(verify(secret, headers, body) for secret in box.secrets)
            box.received.append(Received(headers, body, signed, time.monotonic()))
            if box.hold.is_set():
                box.released.wait(60)
            if box.answer == "slow":
                time.sleep(5)
                self.send_response(204)
                self.end_headers()
            elif box.answer == "garbage":
                self.wfile.write(b"\x00\x01 not http at all\r\n\r\n")
            else:
                assert isinstance(box.answer, int)
                self.send_response(box.answer)
                self.send_header("Content-Length", "0")
                self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server.RequestHandlerClass = Handler
    # shutdown() waits for the serving loop's next look at its flag: every 0.5 s by default
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    try:
        yield box
    finally:
        box.released.set()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
