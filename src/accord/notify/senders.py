"""The outlets the worker delivers through, by what each outbox row goes by."""

from __future__ import annotations

from accord.notify.delivery import Sender
from accord.notify.domain import Outlet
from accord.notify.mail import send_digest, send_email
from accord.notify.webhook import send_webhook


def default_senders() -> dict[Outlet, Sender]:
    return {Outlet.EMAIL: send_email, Outlet.DIGEST: send_digest, Outlet.WEBHOOK: send_webhook}
