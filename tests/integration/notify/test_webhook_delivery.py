"""Webhooks delivered for real: a receiver on a loopback port checks each signature and fails on
purpose (a 500, an answer too slow, a refused connection, garbage); the worker retries with a
growing wait, sets a delivery aside as dead after the last try, and an admin's retry delivers
it. A URL refused when saved is a clear error about the URL; refused at delivery, a recorded
failure, and the worker goes on."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import pytest

from accord.config import Settings
from accord.errors import Forbidden, Invalid, NotFound
from accord.notify import service as notify
from accord.notify.delivery import Delivery
from accord.notify.domain import DeliveryState, Outlet
from accord.notify.repository import OutboxRow
from accord.notify.webhook import send_webhook
from accord.notify.worker import Worker
from accord.uow import UnitOfWork
from factories import OPERATOR, Partners, data_and_care, make_commitment, make_person
from notify_receiver import Receiver, receiving

if TYPE_CHECKING:
    from conftest import Clock

SETTINGS = Settings(
    database_url="sqlite://",
    secret_key="test-secret",
    base_url="https://accord.example.org",
    webhook_allow_private=True,
    webhook_timeout_seconds=3,
    delivery_max_attempts=3,
    delivery_retry_seconds=30,
    _env_prefix="NONE_",
)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with receiving() as box:
        yield box


def nothing(delivery: Delivery, settings: Settings) -> None:
    """The e-mail outlet of these tests: every e-mail is sent at once, elsewhere."""


def worker(uow: UnitOfWork, clock: Clock, settings: Settings = SETTINGS) -> Worker:
    senders = {Outlet.EMAIL: nothing, Outlet.DIGEST: nothing, Outlet.WEBHOOK: send_webhook}
    return Worker(uow.engine, settings, clock=clock, name="w1", senders=senders, rand=lambda: 0.5)


def hooked(uow: UnitOfWork, box: Receiver, format: str = "json", url: str = "") -> Partners:
    """`data` and `care`, and a webhook of `data` (its lead ana adds it) calling the receiver."""
    team = data_and_care(uow)
    made = notify.add_webhook(uow, team["ana"], SETTINGS, "data", url=url or box.url, format=format)
    box.secrets.append(made.secret)
    return team


def hook_rows(uow: UnitOfWork) -> list[OutboxRow]:
    with uow:
        rows = uow.notify.deliveries(None, limit=1000)
        return sorted((r for r in rows if r.channel == Outlet.WEBHOOK), key=lambda r: r.id)


def one_row(uow: UnitOfWork) -> OutboxRow:
    [row] = hook_rows(uow)
    return row


def status_of_hook(uow: UnitOfWork) -> tuple[str | None, datetime | None]:
    [hook] = notify.list_webhooks(uow, OPERATOR, "data")
    return hook.last_status, hook.last_delivered_at


def test_a_request_reaches_the_performers_webhook_signed_with_its_event(
    uow: UnitOfWork, clock: Clock, receiver: Receiver
) -> None:
    team = hooked(uow, receiver)
    asked = make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Churn list")

    worker(uow, clock).run_once()

    [got] = receiver.received
    assert got.signed
    row = one_row(uow)
    assert row.state == DeliveryState.SENT
    assert got.headers["webhook-id"] == row.key
    assert got.headers["content-type"] == "application/json"
    event = got.json
    assert event["id"] == row.key
    assert event["type"] == "commitment.requested"
    assert event["team"] == "data"
    assert event["subject"] == f"commitment:{asked.key}"
    assert event["title"] == "Care asks Data for something"
    assert event["text"].startswith("Care asks Data for Churn list, due ")
    assert event["link"] == f"https://accord.example.org/commitments/{asked.key}"
    assert event["data"]["performer"] == "data"
    assert status_of_hook(uow) == ("delivered", clock.now)


def test_a_slack_webhook_gets_text_and_blocks(
    uow: UnitOfWork, clock: Clock, receiver: Receiver
) -> None:
    team = hooked(uow, receiver, format="slack")
    asked = make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Churn list")

    worker(uow, clock).run_once()

    [got] = receiver.received
    assert got.signed
    assert set(got.json) == {"text", "blocks"}
    section = got.json["blocks"][0]["text"]["text"]
    assert "Churn list" in section
    assert f"<https://accord.example.org/commitments/{asked.key}|Open in Accord>" in section


def test_failures_are_retried_ever_later_then_dead_until_an_admin_retries(
    uow: UnitOfWork, clock: Clock, receiver: Receiver
) -> None:
    team = hooked(uow, receiver)
    make_commitment(uow, team.partnership, team["bo"], "care", "data")
    admin = make_person(uow, "root@example.org", role="admin")
    receiver.answer = 500
    run = worker(uow, clock)

    waits = []
    for attempt in (1, 2):
        run.run_once()
        row = one_row(uow)
        assert (row.state, row.attempts) == (DeliveryState.PENDING, attempt)
        assert row.last_error == "answered 500 Internal Server Error"
        waits.append((row.next_at - clock.now).total_seconds())
        assert run.run_once() == 0  # not due yet: nothing is tried before its time
        clock.now = row.next_at
    assert waits == [22.5, 45.0]  # 30 s, then doubled, with the same jitter
    assert status_of_hook(uow) == ("answered 500 Internal Server Error", None)

    run.run_once()
    dead = one_row(uow)
    assert (dead.state, dead.attempts) == (DeliveryState.DEAD, 3)
    assert len(receiver.received) == 3
    assert [d.row.id for d in notify.list_deliveries(uow, admin, state="dead")] == [dead.id]
    clock.advance(days=1)
    assert run.run_once() == 0  # dead stays dead

    receiver.answer = 200
    retried = notify.retry_delivery(uow, admin, dead.id)
    assert (retried.row.state, retried.row.attempts) == (DeliveryState.PENDING, 0)
    assert "Webhook of Data" in retried.to
    assert run.run_once() == 1

    assert one_row(uow).state == DeliveryState.SENT
    assert notify.list_deliveries(uow, admin, state="dead") == []
    # every try carried the same idempotency key, each signed
    assert len({got.headers["webhook-id"] for got in receiver.received}) == 1
    assert all(got.signed for got in receiver.received)
    assert status_of_hook(uow) == ("delivered", clock.now)


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        ("slow", "timed out after 3 s"),
        ("garbage", "the receiver's answer was not HTTP"),
        ("refused", "could not connect to 127.0.0.1:"),
        (503, "answered 503 Service Unavailable"),
        (429, "answered 429 Too Many Requests"),
    ],
)
def test_a_slow_broken_or_absent_receiver_is_a_failure_to_retry(
    uow: UnitOfWork, clock: Clock, receiver: Receiver, answer: int | str, error: str
) -> None:
    url = receiver.url
    if answer == "refused":
        with socket.socket() as probe:  # a port nobody listens on
            probe.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    receiver.answer = answer
    team = hooked(uow, receiver, url=url)
    make_commitment(uow, team.partnership, team["bo"], "care", "data")

    worker(uow, clock).run_once()  # the e-mails go; the webhook's try fails

    row = one_row(uow)
    assert (row.state, row.attempts) == (DeliveryState.PENDING, 1)
    assert row.last_error is not None
    assert row.last_error.startswith(error)
    assert row.next_at > clock.now
    assert status_of_hook(uow)[0] == row.last_error


@pytest.mark.parametrize(
    ("answer", "error"),
    [
        (410, "answered 410 Gone"),
        (302, "answered 302 Found: redirects are not followed"),
    ],
)
def test_a_refusal_of_the_receiver_is_dead_at_once(
    uow: UnitOfWork, clock: Clock, receiver: Receiver, answer: int, error: str
) -> None:
    receiver.answer = answer
    team = hooked(uow, receiver)
    make_commitment(uow, team.partnership, team["bo"], "care", "data")

    worker(uow, clock).run_once()

    row = one_row(uow)
    assert (row.state, row.attempts) == (DeliveryState.DEAD, 1)
    assert row.last_error is not None
    assert row.last_error.startswith(error)


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"webhook_allow_private": False}, "the URL leads to a private or loopback address"),
        ({"webhook_allowed_hosts": "hooks.example.org"}, "webhooks may only call hooks."),
    ],
)
def test_a_url_refused_at_delivery_is_a_recorded_failure_and_the_worker_goes_on(
    uow: UnitOfWork, clock: Clock, receiver: Receiver, change: dict[str, Any], error: str
) -> None:
    team = hooked(uow, receiver)  # allowed when saved; the settings changed since
    make_commitment(uow, team.partnership, team["bo"], "care", "data")
    make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Second")

    worker(uow, clock, SETTINGS.model_copy(update=change)).run_once()

    rows = hook_rows(uow)
    assert [(r.state, r.attempts) for r in rows] == [(DeliveryState.DEAD, 1)] * 2
    assert all(r.last_error is not None and r.last_error.startswith(error) for r in rows)
    assert receiver.received == []
    assert (status_of_hook(uow)[0] or "").startswith(error)


REFUSED_AT_SAVE = [
    ("ftp://127.0.0.1/hook", "the URL must start with https:// or http://"),
    ("http://169.254.169.254/latest/meta-data", "the URL leads to a link-local address"),
    ("http://[fd00:ec2::254]/", "the URL leads to a link-local address"),
    ("http://2852039166/", "the URL leads to a link-local address"),
    ("http://224.0.0.1/", "the URL leads to a multicast address"),
    ("https://bot:secret@127.0.0.1/", "the URL must not hold a user name or password"),
    ("https://hooks.example.org/x", "webhooks may only call 127.0.0.1"),
]


def test_a_url_refused_when_saved_says_why_about_the_url(uow: UnitOfWork) -> None:
    team = data_and_care(uow)
    listed = SETTINGS.model_copy(update={"webhook_allowed_hosts": "127.0.0.1, 2852039166"})

    for url, message in REFUSED_AT_SAVE:
        settings = listed if "example.org" in url else SETTINGS
        with pytest.raises(Invalid) as refused:
            notify.add_webhook(uow, team["ana"], settings, "data", url=url)
        assert refused.value.field == "url", url
        assert refused.value.message.startswith(message), url
    assert notify.list_webhooks(uow, team["ana"], "data") == []


def test_private_addresses_are_refused_unless_the_settings_allow_them(uow: UnitOfWork) -> None:
    team = data_and_care(uow)
    strict = SETTINGS.model_copy(update={"webhook_allow_private": False})

    with pytest.raises(Invalid) as refused:
        notify.add_webhook(uow, team["ana"], strict, "data", url="http://127.0.0.1:9/")

    assert refused.value.rule == "webhook.address_refused"
    assert "private or loopback" in refused.value.message
    assert notify.add_webhook(uow, team["ana"], SETTINGS, "data", url="http://127.0.0.1:9/")


def test_only_the_teams_leads_and_admins_manage_its_webhooks(uow: UnitOfWork) -> None:
    team = data_and_care(uow)
    member = make_person(uow, "dee@example.org", teams={"data": "member"})
    admin = make_person(uow, "root@example.org", role="admin")
    url = "http://127.0.0.1:9/hook"

    for outsider in (member, team["bo"]):  # a member, and the lead of another team
        with pytest.raises(Forbidden):
            notify.add_webhook(uow, outsider, SETTINGS, "data", url=url)
        with pytest.raises(Forbidden):
            notify.list_webhooks(uow, outsider, "data")
    made = notify.add_webhook(uow, admin, SETTINGS, "data", url=url, format="slack")
    mine = notify.add_webhook(uow, team["ana"], SETTINGS, "data", url=url)

    listed = notify.list_webhooks(uow, team["ana"], "data")
    assert [(h.id, h.format.value, h.url) for h in listed] == [
        (made.webhook.id, "slack", url),
        (mine.webhook.id, "json", url),
    ]
    assert made.secret != mine.secret
    assert not any(made.secret in repr(h) for h in listed)  # the secret shows once
    for outsider in (member, team["bo"]):
        with pytest.raises(Forbidden):
            notify.remove_webhook(uow, outsider, "data", made.webhook.id)
    with pytest.raises(NotFound):  # another team's webhook is not found under this one
        notify.remove_webhook(uow, team["bo"], "care", made.webhook.id)
    notify.remove_webhook(uow, team["ana"], "data", made.webhook.id)
    assert [h.id for h in notify.list_webhooks(uow, admin, "data")] == [mine.webhook.id]
    with pytest.raises(Forbidden):
        notify.list_deliveries(uow, team["ana"])
    with pytest.raises(Forbidden):
        notify.retry_delivery(uow, team["ana"], 1)


def test_a_test_message_goes_through_the_outbox_to_the_receiver(
    uow: UnitOfWork, clock: Clock, receiver: Receiver
) -> None:
    team = hooked(uow, receiver)
    [hook] = notify.list_webhooks(uow, team["ana"], "data")

    key = notify.ping_webhook(uow, team["ana"], "data", hook.id)
    worker(uow, clock).run_once()

    [got] = receiver.received
    assert got.signed
    assert got.headers["webhook-id"] == key
    assert got.json["type"] == "webhook.test"
    assert got.json["link"] == "https://accord.example.org/teams/data"
    assert status_of_hook(uow)[0] == "delivered"


def test_removing_a_webhook_drops_what_it_had_still_to_deliver(
    uow: UnitOfWork, clock: Clock, receiver: Receiver
) -> None:
    team = hooked(uow, receiver)
    make_commitment(uow, team.partnership, team["bo"], "care", "data")
    [hook] = notify.list_webhooks(uow, team["ana"], "data")

    notify.remove_webhook(uow, team["ana"], "data", hook.id)
    clock.advance(seconds=timedelta(minutes=1).total_seconds())
    worker(uow, clock).run_once()

    assert hook_rows(uow) == []
    assert receiver.received == []
