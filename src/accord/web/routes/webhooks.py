"""Pages: a team's webhooks, in a section of the team page (its leads, admins), and the
deliveries admins watch over, with the dead ones to retry."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import ReadUowDep, SettingsDep, UowDep
from accord.db import MAX_ID
from accord.errors import Forbidden
from accord.notify import service as notify
from accord.notify.domain import DeliveryState
from accord.notify.schemas import WebhookCreate
from accord.notify.webhook import FORMAT_WORDS
from accord.org.domain import Person
from accord.uow import UnitOfWork
from accord.web.common import Form, PagePerson, PageUow, page_router, render, templates
from accord.web.forms import FormErrors, act, data_of, perform, shown
from accord.web.routes.admin import AdminPerson
from accord.web.routes.teams import _team_context

router = page_router()

WEBHOOK_FIELDS = ["url", "format"]
FORMATS = [(kind.value, words) for kind, words in FORMAT_WORDS.items()]
DELIVERIES_SHOWN = 100
# What the deliveries page says once its change is made (`?done=`).
DONE = {"retried": "The delivery is tried again from its first try; it goes out shortly."}
# The forms a webhook may take, for the team page's select and list.
templates.env.globals.update(webhook_formats=FORMATS)
STATE_WORDS = {
    DeliveryState.PENDING: "Waiting",
    DeliveryState.SENT: "Sent",
    DeliveryState.DEAD: "Dead",
    DeliveryState.SKIPPED: "Skipped",
}


def _team_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    slug: str,
    extra: Mapping[str, Any],
    status_code: int = 200,
) -> Response:
    """The team page with the webhooks section's form refused, a secret to show, or news."""
    settings = request.app.state.settings
    context = {**_team_context(uow, settings, person, slug), **extra}
    return render(request, "team.html", context, status_code)


@router.post("/teams/{slug}/webhooks", response_class=HTMLResponse)
def add_webhook(
    request: Request,
    slug: str,
    person: PagePerson,
    form: Form,
    uow: UowDep,
    read: PageUow,
    settings: SettingsDep,
) -> Response:
    """Add a webhook to a team; its signing secret is on the page this once, never again."""

    def add(body: WebhookCreate) -> Response:
        made = notify.add_webhook(uow, person, settings, slug, url=body.url, format=body.format)
        return _team_page(request, read, person, slug, {"new_webhook": made})

    def again(errors: FormErrors) -> Response:
        extra = {"webhook_errors": errors, "webhook_values": shown(form, WEBHOOK_FIELDS)}
        return _team_page(request, read, person, slug, extra, errors.status)

    data = data_of(form, WEBHOOK_FIELDS, optional=["format"])
    # the section shows only to those who may; anyone else gets the refusal page
    return act(
        request, WebhookCreate, data, add, again, inputs=WEBHOOK_FIELDS, raising=(Forbidden,)
    )


@router.post("/teams/{slug}/webhooks/{webhook_id}/remove", response_class=HTMLResponse)
def remove_webhook(
    request: Request,
    slug: str,
    webhook_id: int,
    person: PagePerson,
    form: Form,
    uow: UowDep,
    read: PageUow,
) -> Response:
    """Remove a team's webhook, and what it had still to deliver."""

    def remove() -> str:
        notify.remove_webhook(uow, person, slug, min(webhook_id, MAX_ID))
        return f"/teams/{slug}#webhooks"

    return perform(request, remove, _refused(request, read, slug, person), raising=(Forbidden,))


@router.post("/teams/{slug}/webhooks/{webhook_id}/test", response_class=HTMLResponse)
def send_test(
    request: Request,
    slug: str,
    webhook_id: int,
    person: PagePerson,
    form: Form,
    uow: UowDep,
    read: PageUow,
) -> Response:
    """Send a webhook a test message, as any delivery goes: through the outbox."""

    def ping() -> Response:
        notify.ping_webhook(uow, person, slug, min(webhook_id, MAX_ID))
        news = "A test message is on its way; how it went shows under “Last delivery”."
        return _team_page(request, read, person, slug, {"webhook_news": news})

    return perform(request, ping, _refused(request, read, slug, person), raising=(Forbidden,))


def _refused(
    request: Request, read: UnitOfWork, slug: str, person: Person
) -> Callable[[FormErrors], Response]:
    """The team page again with a refusal above the webhooks (a webhook removed meanwhile)."""

    def again(errors: FormErrors) -> Response:
        extra = {"webhook_errors": FormErrors(general=errors.first)}
        return _team_page(request, read, person, slug, extra, errors.status)

    return again


def _deliveries_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    *,
    everything: bool = False,
    error: str | None = None,
    status_code: int = 200,
) -> Response:
    rows = notify.list_deliveries(
        uow,
        person,
        state=None if everything else DeliveryState.DEAD,
        failing=not everything,
        limit=DELIVERIES_SHOWN,
    )
    return render(
        request,
        "admin_deliveries.html",
        {
            "person": person,
            "rows": rows,
            "counts": notify.delivery_counts(uow, person),
            "everything": everything,
            "states": STATE_WORDS,
            "shown_at_most": DELIVERIES_SHOWN,
            "done": DONE.get(request.query_params.get("done", "")),
            "error": error,
        },
        status_code,
    )


@router.get("/admin/deliveries", response_class=HTMLResponse)
def deliveries_page(
    request: Request, person: AdminPerson, uow: ReadUowDep, show: str = ""
) -> Response:
    """Deliveries of notifications: the dead ones and those failing still (or, with
    `show=all`, every recent one); each not yet sent may be retried."""
    return _deliveries_page(request, uow, person, everything=show == "all")


@router.post("/admin/deliveries/{delivery_id}/retry", response_class=HTMLResponse)
def retry_delivery(
    request: Request,
    delivery_id: int,
    person: AdminPerson,
    form: Form,
    uow: UowDep,
    read: ReadUowDep,
) -> Response:
    """Deliver one again from its first try."""

    def retry() -> str:
        notify.retry_delivery(uow, person, min(delivery_id, MAX_ID))
        return "/admin/deliveries?done=retried"

    def again(errors: FormErrors) -> Response:
        return _deliveries_page(
            request, read, person, error=errors.first, status_code=errors.status
        )

    return perform(request, retry, again)
