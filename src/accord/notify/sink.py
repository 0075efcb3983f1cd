"""A local SMTP server that keeps what it receives: the demo's mail box.

`accord demo` starts one on a free loopback port and points the SMTP settings at it, so the
demo's e-mail is really sent over SMTP and an admin reads it on the page "Mail". Nothing leaves
the machine; the last `KEPT` messages are kept in memory and lost when the server stops.
"""

from __future__ import annotations

import socket
import threading
from collections import deque
from dataclasses import dataclass
from datetime import UTC, datetime
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from typing import Any

from aiosmtpd.controller import Controller

KEPT = 200


@dataclass(frozen=True)
class Received:
    """One message the sink received: its envelope and what a reader sees of it."""

    sender: str
    recipients: tuple[str, ...]
    to: str  # the To header, with the name
    subject: str
    date: datetime
    text: str
    html: str
    message_id: str
    raw: bytes


def read_message(sender: str, recipients: tuple[str, ...], raw: bytes) -> Received:
    """A received message's headers and its plain text and HTML parts (empty when absent)."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    try:
        date = parsedate_to_datetime(str(message["Date"]))
    except (TypeError, ValueError):
        date = datetime.now(UTC)
    return Received(
        sender=sender,
        recipients=recipients,
        to=str(message.get("To", "")),
        subject=str(message.get("Subject", "")),
        date=date if date.tzinfo else date.replace(tzinfo=UTC),
        text=text.get_content() if text is not None else "",
        html=html.get_content() if html is not None else "",
        message_id=str(message.get("Message-ID", "")),
        raw=raw,
    )


class _Keeper:
    """The aiosmtpd handler: accepts every message and keeps it."""

    def __init__(self, sink: MailSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        raw = envelope.original_content or envelope.content
        if isinstance(raw, str):
            raw = raw.encode()
        self.sink.keep(
            read_message(str(envelope.mail_from), tuple(map(str, envelope.rcpt_tos)), raw)
        )
        return "250 Message accepted for delivery"


class MailSink:
    """An SMTP server on 127.0.0.1 that keeps the last `limit` messages, newest first.

    `options` go to aiosmtpd's server (TLS, STARTTLS, login: the tests' servers use them)."""

    def __init__(
        self, *, host: str = "127.0.0.1", port: int = 0, limit: int = KEPT, **options: Any
    ) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._messages: deque[Received] = deque(maxlen=limit)
        self._lock = threading.Lock()
        self._controller = Controller(_Keeper(self), hostname=host, port=self.port, **options)

    def start(self) -> MailSink:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    def __enter__(self) -> MailSink:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def keep(self, message: Received) -> None:
        with self._lock:
            self._messages.appendleft(message)

    def messages(self) -> list[Received]:
        """What was received, newest first."""
        with self._lock:
            return list(self._messages)

    def clear(self) -> None:
        with self._lock:
            self._messages.clear()


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on now (aiosmtpd's controller needs to know its port up front)."""
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port
