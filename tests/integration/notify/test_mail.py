"""E-mail through a real SMTP server (aiosmtpd on a loopback port): what arrives for a change,
the same Message-ID when sent again, retries when the server is down, refusals, STARTTLS, TLS
and login, and the daily digest."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from accord.notify import service as notify
from accord.notify.delivery import DeliveryFailed
from accord.notify.domain import DeliveryState, Kind
from accord.notify.mail import message_id, send, trial_message
from accord.notify.orm import outbox_table
from accord.notify.sink import MailSink, Received
from accord.notify.worker import BATCH, Worker, start_in_thread
from accord.org import service as org
from accord.uow import UnitOfWork
from factories import Partners, data_and_care, make_commitment, make_person
from notify_smtp import (
    BASE,
    PASSWORD,
    USER,
    certificate,
    check_login,
    refusing_server,
    server_context,
    smtp_settings,
)
from statements import statements_during


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as server:
        yield server


def to(sink: MailSink, address: str, subject: str = "") -> list[Received]:
    """What arrived for `address` whose subject starts with `subject`, oldest first."""
    return [
        m
        for m in reversed(sink.messages())
        if m.recipients == (address,) and m.subject.startswith(subject)
    ]


def outbox_rows(uow: UnitOfWork, channel: str) -> list[tuple[int, str, str, int, str | None]]:
    """(id, key, state, attempts, last error) of the outbox rows of a channel."""
    o = outbox_table.c
    with uow:
        rows = uow.session.execute(
            select(o.id, o.key, o.state, o.attempts, o.last_error)
            .where(o.channel == channel)
            .order_by(o.id)
        )
        return [tuple(row) for row in rows]  # type: ignore[misc]


def test_a_request_arrives_by_email_with_both_parts_a_link_and_its_headers(
    uow: UnitOfWork, clock, sink: MailSink
) -> None:
    team = data_and_care(uow)
    asked = make_commitment(
        uow, team.partnership, team["bo"], "care", "data", title="Churn <list> & more"
    )
    assert Worker(uow.engine, smtp_settings(sink), clock=clock).drain() >= 1

    [mail] = to(sink, "ana@example.org", "Care asks Data for something: ")
    assert mail.to == "Ana <ana@example.org>"
    assert mail.sender == "accord@accord.example"
    assert "Care asks Data for Churn <list> & more" in mail.subject
    link = f"{BASE}/commitments/{asked.key}"
    assert link in mail.text
    assert "Care asks Data for Churn <list> & more, due " in mail.text
    assert f'href="{link}"' in mail.html
    assert "Churn &lt;list&gt; &amp; more" in mail.html
    assert "<list>" not in mail.html
    headers = message_from_bytes(mail.raw, policy=policy.default)
    assert headers["List-Unsubscribe"] == f"<{BASE}/profile#notifications>"
    assert headers["Auto-Submitted"] == "auto-generated"
    [(_row_id, key, state, attempts, _)] = [
        row
        for row in outbox_rows(uow, "email")
        if mail.message_id == message_id(row[1], smtp_settings())
    ]
    assert (state, attempts) == ("sent", 1)
    assert key.startswith("mail:")
    # bo asked: he hears nothing of his own request
    assert to(sink, "bo@example.org", "Care asks Data") == []


def test_an_email_sent_again_carries_the_same_message_id(
    uow: UnitOfWork, clock, sink: MailSink
) -> None:
    team = data_and_care(uow)
    make_commitment(uow, team.partnership, team["bo"], "care", "data")
    settings = smtp_settings(sink)
    Worker(uow.engine, settings, clock=clock).drain()
    [first] = to(sink, "ana@example.org", "Care asks Data")
    [row_id] = [row[0] for row in outbox_rows(uow, "email") if row[2] == "sent"][-1:]
    with uow:  # as after a lost answer: the row is delivered once more
        uow.notify.retry(row_id, clock())
        uow.commit()
    clock.advance(minutes=5)
    Worker(uow.engine, settings, clock=clock).drain()

    first_again, second = to(sink, "ana@example.org", "Care asks Data")
    assert first_again == first
    assert second.message_id == first.message_id
    assert re.fullmatch(r"<accord-[A-Za-z0-9=_-]+@accord\.example>", first.message_id)
    assert second.text == first.text


def test_a_server_that_is_down_is_retried_then_set_aside_and_nothing_is_lost(
    uow: UnitOfWork, clock
) -> None:
    team = data_and_care(uow)
    make_commitment(uow, team.partnership, team["bo"], "care", "data")
    settings = smtp_settings(delivery_max_attempts=2, delivery_retry_seconds=10.0)
    port = settings.smtp_port

    with pytest.raises(DeliveryFailed) as down:
        send(trial_message("ana@example.org", settings), settings)
    assert down.value.retry
    assert f"cannot reach the SMTP server 127.0.0.1:{port}" in down.value.message

    assert Worker(uow.engine, settings, clock=clock).run_once() == 0
    rows = outbox_rows(uow, "email")
    assert rows
    assert all(state == "pending" and attempts == 1 for _, _, state, attempts, _ in rows)
    assert all(f"127.0.0.1:{port}" in (error or "") for *_, error in rows)
    clock.advance(hours=1)
    Worker(uow.engine, settings, clock=clock).drain()
    assert {state for _, _, state, _, _ in outbox_rows(uow, "email")} == {"dead"}

    # the server is back and an admin retries: every e-mail arrives
    with MailSink(port=port) as sink:
        with uow:
            for row_id, *_ in outbox_rows(uow, "email"):
                uow.notify.retry(row_id, clock())
            uow.commit()
        Worker(uow.engine, settings, clock=clock).drain()
        assert {state for _, _, state, _, _ in outbox_rows(uow, "email")} == {"sent"}
        assert len(to(sink, "ana@example.org", "Care asks Data")) == 1


def test_a_recipient_refused_for_good_is_not_retried_one_refused_for_now_is() -> None:
    controller, port = refusing_server()
    try:
        settings = smtp_settings(smtp_port=port)
        with pytest.raises(DeliveryFailed) as for_good:
            send(trial_message("refused-for-good@example.org", settings), settings)
        assert not for_good.value.retry
        assert f"127.0.0.1:{port} refused the recipient" in for_good.value.message
        assert "550 5.1.1 No such user here" in for_good.value.message
        with pytest.raises(DeliveryFailed) as for_now:
            send(trial_message("refused-for-now@example.org", settings), settings)
        assert for_now.value.retry
        assert "451" in for_now.value.message
        send(trial_message("someone@example.org", settings), settings)
    finally:
        controller.stop()


def test_starttls_with_a_login(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))  # the client trusts the test certificate
    secure = server_context(cert, key)
    with MailSink(
        tls_context=secure,
        require_starttls=True,
        authenticator=check_login,
        auth_require_tls=True,
    ) as sink:
        settings = smtp_settings(
            sink, smtp_security="starttls", smtp_user=USER, smtp_password=PASSWORD
        )
        send(trial_message("ana@example.org", settings), settings)
        [mail] = to(sink, "ana@example.org")
        assert mail.subject.startswith("Accord can send e-mail")

        wrong = settings.model_copy(update={"smtp_password": "wrong"})
        with pytest.raises(DeliveryFailed) as refused:
            send(trial_message("ana@example.org", wrong), wrong)
        assert f"127.0.0.1:{sink.port} refused the login of {USER} (535" in refused.value.message

        clear = settings.model_copy(update={"smtp_security": "none"})
        with pytest.raises(DeliveryFailed) as plain:
            send(trial_message("ana@example.org", clear), clear)
        assert plain.value.retry  # the server wants STARTTLS first: a setting to fix, not the mail
        assert len(to(sink, "ana@example.org")) == 1


def test_tls_from_the_first_byte(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cert, key = certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(cert))
    with MailSink(ssl_context=server_context(cert, key)) as sink:
        settings = smtp_settings(sink, smtp_security="tls")
        send(trial_message("ana@example.org", settings), settings)
        assert len(to(sink, "ana@example.org")) == 1


def test_the_digest_gathers_the_days_notifications_and_comes_once_a_day(
    uow: UnitOfWork, clock, sink: MailSink
) -> None:
    clock.now = datetime(2026, 6, 1, 10, 0, tzinfo=UTC)  # 06:00 in New York
    team = data_and_care(uow)
    ana = team["ana"]
    notify.set_preferences(uow, ana, dict.fromkeys(Kind, "digest"))
    org.update_profile(uow, ana, time_zone="America/New_York")
    settings = smtp_settings(sink)  # the digest hour is 8
    first = make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Churn list")
    second = make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Risk map")

    Worker(uow.engine, settings, clock=clock).drain()
    assert to(sink, "ana@example.org", "Care asks") == []  # no e-mail of its own
    assert to(sink, "ana@example.org", "Your Accord digest") == []  # before 08:00 at hers

    clock.now = datetime(2026, 6, 1, 12, 30, tzinfo=UTC)  # 08:30 in New York
    Worker(uow.engine, settings, clock=clock).drain()
    [digest] = to(sink, "ana@example.org", "Your Accord digest")
    assert digest.subject == "Your Accord digest of Mon 1 Jun: 2 notifications"
    for asked, title in ((first, "Churn list"), (second, "Risk map")):
        assert f"Care asks Data for {title}, due " in digest.text
        assert f"{BASE}/commitments/{asked.key}" in digest.text
        assert f'href="{BASE}/commitments/{asked.key}"' in digest.html
    assert digest.text.index("Churn list") < digest.text.index("Risk map")

    # what comes after today's digest waits for tomorrow's, however often the worker looks
    make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Win-back offer")
    clock.now = datetime(2026, 6, 1, 20, 0, tzinfo=UTC)
    Worker(uow.engine, settings, clock=clock).drain()
    assert len(to(sink, "ana@example.org", "Your Accord digest")) == 1
    clock.now = datetime(2026, 6, 2, 12, 5, tzinfo=UTC)
    Worker(uow.engine, settings, clock=clock).drain()
    Worker(uow.engine, settings, clock=clock).drain()
    _, tomorrow = to(sink, "ana@example.org", "Your Accord digest")
    assert tomorrow.subject == "Your Accord digest of Tue 2 Jun: 1 notification"
    assert "Win-back offer" in tomorrow.text
    assert "Churn list" not in tomorrow.text
    keys = [key for _, key, state, _, _ in outbox_rows(uow, "digest") if state == "sent"]
    assert keys == [f"digest:{ana.id}:2026-06-01", f"digest:{ana.id}:2026-06-02"]


def four_readers(uow: UnitOfWork) -> tuple[Partners, list[str]]:
    """`data_and_care` with three more people in `data`: a request of `data` reaches four."""
    team = data_and_care(uow)
    for name in ("cy", "di", "ed"):
        make_person(uow, f"{name}@example.org", teams={"data": "member"})
    return team, ["ana@example.org", "cy@example.org", "di@example.org", "ed@example.org"]


def test_a_batch_is_read_in_the_same_few_statements_whatever_its_size(
    uow: UnitOfWork, clock, sink: MailSink
) -> None:
    """The worker reads what a batch of deliveries needs together (their people, their
    notifications) and writes down how they went together, not delivery by delivery: 4 and 28
    e-mails to several people cost the same statements, and each arrives once, to its reader,
    about its own request."""
    team, readers = four_readers(uow)
    worker = Worker(uow.engine, smtp_settings(sink), clock=clock)
    worker.drain()  # what setting up the teams sent, and the first reminders' schedule

    def statements_to_deliver(requests: int, title: str) -> int:
        for number in range(requests):
            make_commitment(
                uow, team.partnership, team["bo"], "care", "data", title=title + str(number)
            )
        delivered: list[int] = []
        statements = len(statements_during(uow.engine, lambda: delivered.append(worker.drain())))
        assert delivered == [requests * len(readers)]
        for reader in readers:
            subjects = [m.subject for m in to(sink, reader) if title in m.subject]
            assert len(subjects) == requests
            assert all(
                sum(
                    f"{title}{number}," in text or text.endswith(f"{title}{number}")
                    for text in subjects
                )
                == 1
                for number in range(requests)
            ), subjects
        return statements

    # one request reaches the 4 readers of `data`; seven, 28 (one batch of the worker's 32)
    assert statements_to_deliver(1, "Small batch ") == statements_to_deliver(7, "Large batch ")


def test_a_batch_that_fails_is_written_down_in_the_same_few_statements(
    uow: UnitOfWork, clock
) -> None:
    """Tries that fail are written down together too: 4 and 28 e-mails to a server that is
    down cost the same statements, and every one is left to be tried again, none lost."""
    team, readers = four_readers(uow)
    worker = Worker(uow.engine, smtp_settings(), clock=clock)  # a closed port
    worker.drain()

    def statements_to_fail(requests: int) -> int:
        before = {row[0] for row in outbox_rows(uow, "email")}
        for _ in range(requests):
            make_commitment(uow, team.partnership, team["bo"], "care", "data")
        statements = len(statements_during(uow.engine, worker.drain))
        tried = [row for row in outbox_rows(uow, "email") if row[0] not in before]
        assert len(tried) == requests * len(readers)
        assert {(state, attempts) for _, _, state, attempts, _ in tried} == {("pending", 1)}
        assert all(error and "SMTP server" in error for *_, error in tried), tried
        return statements

    assert statements_to_fail(1) == statements_to_fail(7)


def test_without_an_smtp_server_the_emails_are_skipped(uow: UnitOfWork, clock) -> None:
    team = data_and_care(uow)
    make_commitment(uow, team.partnership, team["bo"], "care", "data")
    Worker(uow.engine, smtp_settings(smtp_host=""), clock=clock).drain()
    rows = outbox_rows(uow, "email")
    assert rows
    assert {state for _, _, state, _, _ in rows} == {DeliveryState.SKIPPED.value}


def test_the_worker_goes_on_at_once_after_a_batch_it_skipped(uow: UnitOfWork, clock) -> None:
    """A batch whose e-mails were all skipped (no SMTP server) is followed by the next at once,
    not after the worker's idle wait (a minute here): the whole outbox is gone through."""
    team, _ = four_readers(uow)
    for _ in range(10):  # 40 e-mails and what setting up the teams sent: two batches at least
        make_commitment(uow, team.partnership, team["bo"], "care", "data")
    assert len(outbox_rows(uow, "email")) > BATCH
    settings = smtp_settings(smtp_host="", worker_poll_seconds=60.0)
    stop = start_in_thread(uow.engine, settings, clock=clock)
    try:
        deadline = time.monotonic() + 30  # half the idle wait: a second batch must not wait it
        while time.monotonic() < deadline and any(
            state == "pending" for _, _, state, _, _ in outbox_rows(uow, "email")
        ):
            time.sleep(0.05)
    finally:
        stop()
    assert {state for _, _, state, _, _ in outbox_rows(uow, "email")} == {"skipped"}


def test_message_ids_and_links_without_a_base_url() -> None:
    settings = smtp_settings(base_url="", host="0.0.0.0", port=8123)
    assert message_id("mail:e1:p2", settings) == "<accord-mail=3Ae1=3Ap2@accord.example>"
    assert message_id("mail:e1:p2", settings) != message_id("mail=3Ae1:p2", settings)
    text = trial_message("ana@example.org", settings).get_body(("plain",))
    assert text is not None
    assert "http://localhost:8123/profile#notifications" in text.get_content()
