"""Webhooks and deliveries through the REST API: a lead adds, lists and removes the team's
webhooks (the secret answered once), refusals name the field; admins list the dead deliveries
and retry them."""

from __future__ import annotations

from collections.abc import Callable

import httpx
from api_org import Org

from accord.config import Settings
from accord.notify.delivery import Delivery, DeliveryFailed
from accord.notify.domain import Outlet
from accord.notify.worker import Worker
from accord.org import service as org
from factories import make_commitment

Client = Callable[[str], httpx.Client]
HOOK = "https://93.184.216.34/accord"  # a public address: no name to look up
V1 = "/api/v1"


def test_a_lead_adds_lists_and_removes_a_webhook_and_sees_the_secret_once(
    as_role: Client,
) -> None:
    lead = as_role("lead")

    made = lead.post(f"{V1}/teams/data/webhooks", json={"url": HOOK, "format": "slack"})

    assert made.status_code == 201, made.text
    hook = made.json()
    assert hook["secret"].startswith("whsec_")
    assert (hook["team"], hook["url"], hook["format"], hook["active"]) == (
        "data",
        HOOK,
        "slack",
        True,
    )
    assert hook["last_status"] is None
    assert hook["created_at"] == "2026-06-01T00:00:00Z"
    listed = as_role("admin").get(f"{V1}/teams/data/webhooks")
    assert listed.status_code == 200
    assert listed.json() == {
        "items": [{k: v for k, v in hook.items() if k != "secret"}],
        "next": None,
    }
    assert hook["secret"] not in listed.text

    gone = lead.delete(f"{V1}/teams/data/webhooks/{hook['id']}")

    assert gone.status_code == 204
    assert lead.get(f"{V1}/teams/data/webhooks").json()["items"] == []
    again = lead.delete(f"{V1}/teams/data/webhooks/{hook['id']}")
    assert again.status_code == 404
    assert again.json()["rule"] == "webhook.not_found"
    events = lead.get(f"{V1}/events", params={"subject": "team:data"}).json()["items"]
    assert [e["type"] for e in events][-2:] == ["team.webhook_added", "team.webhook_removed"]
    assert all(HOOK not in str(e["payload"]) for e in events)  # a URL may hold a token


def test_a_refused_url_is_a_problem_about_the_url(as_role: Client) -> None:
    lead = as_role("lead")
    cases = {
        "ftp://93.184.216.34/x": ("webhook.url_scheme_refused", "https:// or http://"),
        "http://169.254.169.254/latest/meta-data": ("webhook.address_refused", "link-local"),
        "http://127.0.0.1:8000/": ("webhook.address_refused", "private or loopback"),
        "https://me:pw@93.184.216.34/": ("webhook.url_credentials", "password"),
    }

    for url, (rule, words) in cases.items():
        refused = lead.post(f"{V1}/teams/data/webhooks", json={"url": url})
        assert refused.status_code == 422, url
        assert refused.headers["content-type"] == "application/problem+json"
        problem = refused.json()
        assert (problem["rule"], problem["field"]) == (rule, "url"), url
        assert words in problem["detail"], url
    bad_format = lead.post(f"{V1}/teams/data/webhooks", json={"url": HOOK, "format": "xml"})
    assert bad_format.status_code == 422
    assert bad_format.json()["errors"][0]["path"] == "body.format"
    assert lead.get(f"{V1}/teams/data/webhooks").json()["items"] == []


def test_only_the_teams_leads_and_admins_manage_its_webhooks(as_role: Client) -> None:
    body = {"url": HOOK}

    for role in ("member", "requester_lead", "viewer", "outsider"):
        client = as_role(role)
        assert client.post(f"{V1}/teams/data/webhooks", json=body).status_code == 403, role
        assert client.get(f"{V1}/teams/data/webhooks").status_code == 403, role
    assert as_role("lead").post(f"{V1}/teams/nope/webhooks", json=body).status_code == 404
    assert as_role("admin").post(f"{V1}/teams/data/webhooks", json=body).status_code == 201
    assert as_role("lead").get(f"{V1}/deliveries").status_code == 403


def fail(delivery: Delivery, settings: Settings) -> None:
    raise DeliveryFailed("answered 410 Gone", retry=False)


def deliver(delivery: Delivery, settings: Settings) -> None:
    """Every delivery reaches its receiver."""


def test_an_admin_lists_dead_deliveries_and_retries_one(api: Org, as_role: Client) -> None:
    lead, admin = as_role("lead"), as_role("admin")
    assert lead.post(f"{V1}/teams/data/webhooks", json={"url": HOOK}).status_code == 201
    bo = org.get_person(api.uow(), "bo@example.org")
    make_commitment(api.uow(), "signals", bo, "care", "data", title="Churn list")
    settings = Settings(database_url="sqlite://", _env_prefix="NONE_")
    outlets = {Outlet.EMAIL: deliver, Outlet.DIGEST: deliver}
    Worker(
        api.engine, settings, clock=api.clock, senders={**outlets, Outlet.WEBHOOK: fail}
    ).run_once()

    dead = admin.get(f"{V1}/deliveries", params={"state": "dead"})

    assert dead.status_code == 200
    [row] = dead.json()["items"]
    assert (row["channel"], row["state"], row["attempts"]) == ("webhook", "dead", 1)
    assert row["to"] == "Webhook of Data at 93.184.216.34"
    assert row["title"] == "Care asks Data for something"
    assert row["last_error"] == "answered 410 Gone"
    assert row["key"].startswith("hook:")
    hooks = lead.get(f"{V1}/teams/data/webhooks").json()["items"]
    assert hooks[0]["last_status"] == "answered 410 Gone"
    assert lead.post(f"{V1}/deliveries/{row['id']}/retry").status_code == 403

    retried = admin.post(f"{V1}/deliveries/{row['id']}/retry")

    assert retried.status_code == 200
    assert (retried.json()["state"], retried.json()["attempts"]) == ("pending", 0)
    assert admin.get(f"{V1}/deliveries", params={"state": "dead"}).json()["items"] == []
    Worker(
        api.engine, settings, clock=api.clock, senders={**outlets, Outlet.WEBHOOK: deliver}
    ).run_once()
    sent = admin.post(f"{V1}/deliveries/{row['id']}/retry")
    assert sent.status_code == 409
    assert sent.json()["rule"] == "delivery.sent"
    assert admin.post(f"{V1}/deliveries/999999/retry").status_code == 404
    assert admin.get(f"{V1}/deliveries", params={"state": "lost"}).status_code == 422
