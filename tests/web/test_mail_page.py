"""The admin page Mail through HTTP: what the demo's local mail server received, for admins only."""

from __future__ import annotations

import smtplib
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import Engine
from web_session import PASSWORD, sign_in

from accord.config import Settings
from accord.notify.mail import send, trial_message
from accord.notify.sink import MailSink
from accord.org import service as org
from accord.org.domain import Operator
from accord.uow import UnitOfWork
from factories import make_person
from live_server import serve
from notify_smtp import smtp_settings


@pytest.fixture
def people(sqlite_engine: Engine) -> None:
    uow = UnitOfWork(sqlite_engine)
    make_person(uow, "root@example.org", role="admin", name="Root")
    make_person(uow, "ben@example.org", name="Ben")
    for email in ("root@example.org", "ben@example.org"):
        org.set_password(uow, Operator(), email, PASSWORD)


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as server:
        yield server


def settings_of(engine: Engine) -> Settings:
    url = engine.url.render_as_string(hide_password=False)
    return Settings(database_url=url, secret_key="test-secret", serve_worker=False)


def test_an_admin_reads_the_mail_the_local_server_received(
    sqlite_engine: Engine, people: None, sink: MailSink
) -> None:
    mail = smtp_settings(sink)
    send(trial_message("ben@example.org", mail, datetime(2026, 6, 1, 9, tzinfo=UTC)), mail)
    with smtplib.SMTP(sink.host, sink.port, timeout=60) as smtp:  # another program's plain mail
        smtp.sendmail("x@example.org", ["ben@example.org"], b"Subject: <b>Hi</b>\r\n\r\nplain")

    def with_sink(app: FastAPI) -> None:
        app.state.mail_sink = sink

    for base_url in serve(settings_of(sqlite_engine), prepare=with_sink):
        with httpx.Client(base_url=base_url, timeout=60) as client:
            sign_in(client, "ben@example.org")
            assert client.get("/admin/mail").status_code == 403
            sign_in(client, "root@example.org")
            page = client.get("/admin/mail")
            assert page.status_code == 200
            assert 'href="/admin/mail" aria-current="page"' in page.text
            assert "Accord can send e-mail" in page.text
            assert "This test message shows that Accord&#39;s SMTP settings work." in page.text
            assert "2026-06-01 09:00 UTC" in page.text
            assert "&lt;b&gt;Hi&lt;/b&gt;" in page.text
            assert "<b>Hi</b>" not in page.text
            # newest first
            assert page.text.index("&lt;b&gt;Hi") < page.text.index("Accord can send e-mail")


def test_without_a_local_mail_server_the_page_says_so(sqlite_engine: Engine, people: None) -> None:
    for base_url in serve(settings_of(sqlite_engine)):
        with httpx.Client(base_url=base_url, timeout=60) as client:
            sign_in(client, "root@example.org")
            page = client.get("/admin/mail")
            assert page.status_code == 200
            assert "No local mail server runs" in page.text
