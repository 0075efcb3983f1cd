"""Real SMTP servers for the e-mail tests (aiosmtpd on loopback ports): one that keeps what it
receives, one behind TLS with a login, one that refuses some recipients, and a port where
nothing listens."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from accord.config import Settings
from accord.notify.sink import MailSink, free_port

USER, PASSWORD = "accord", "s3cret"
BASE = "https://accord.example"


def smtp_settings(sink: MailSink | None = None, **more: Any) -> Settings:
    """Settings sending through `sink` in the clear (or to a closed port), links on BASE."""
    port = sink.port if sink is not None else free_port()
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_from": "Accord <accord@accord.example>",
        "smtp_timeout_seconds": 30.0,
        "base_url": BASE,
    }
    return Settings.defaults().model_copy(update=values | more)


def certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost, and its key (made by openssl)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
            "-keyout", str(key), "-out", str(cert), "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


def check_login(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
    """The test server's one account."""
    ok = isinstance(data, LoginPassword) and (data.login, data.password) == (
        USER.encode(),
        PASSWORD.encode(),
    )
    return AuthResult(success=ok, handled=False)


class Refusing:
    """An SMTP handler that refuses recipients at `refused…` addresses: `refused-for-good@` for
    good (550), `refused-for-now@` for now (451)."""

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if address.startswith("refused-for-good@"):
            return "550 5.1.1 No such user here"
        if address.startswith("refused-for-now@"):
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        return "250 Message accepted for delivery"


def refusing_server() -> tuple[Controller, int]:
    port = free_port()
    controller = Controller(Refusing(), hostname="127.0.0.1", port=port)
    controller.start()
    return controller, port
