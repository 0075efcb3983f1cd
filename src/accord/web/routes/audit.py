"""Page: the audit log, newest first, and the check of its hash chain."""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import ReadUowDep
from accord.commitments import service as commitments
from accord.db import MAX_ID
from accord.events import service as events
from accord.events.domain import ChainReport, EventView
from accord.events.words import Names, Piece, Ref, details, sentence
from accord.org.domain import Person, ensure_admin
from accord.uow import UnitOfWork
from accord.web.common import Form, PagePerson, page_router, render, templates

router = page_router()

PAGE_SIZE = 50
# The page of each kind of subject; a person's page is on the admin pages, for admins.
SUBJECT_PAGES = {
    "commitment": "/commitments/",
    "partnership": "/partnerships/",
    "purpose": "/purposes/",
    "team": "/teams/",
    "story": "/stories/",
    "health_check": "/health-checks/",
}


def subject_url(subject: str, admin: bool = False) -> str | None:
    """The page of an event's subject, e.g. 'commitment:c-1' -> '/commitments/c-1'."""
    kind, _, key = subject.partition(":")
    base = "/admin/people/" if admin and kind == "person" else SUBJECT_PAGES.get(kind)
    return base + quote(key, safe="@") if base and key else None


def _linked(pieces: list[Piece], admin: bool) -> list[tuple[str, str | None]]:
    """A sentence as (text, link) pairs: each person or thing linked to its page, if any."""
    return [
        (p.text, subject_url(f"{p.kind}:{p.key}", admin)) if isinstance(p, Ref) else (p, None)
        for p in pieces
    ]


def _row(event: EventView, names: Names, admin: bool) -> dict[str, Any]:
    return {
        "event": event,
        "sentence": _linked(sentence(event, names), admin),
        "details": details(event, names, templates.env.filters["day"]),
        "json": json.dumps(event.payload, indent=2, sort_keys=True, ensure_ascii=False),
        # The page shows no hashes; what it leaves out of a payload, it says.
        "withheld": [w.rpartition(".")[2] for w in event.withheld if w.startswith("payload.")],
    }


def _page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    *,
    subject: str | None,
    type: str | None,
    before: int | None,
    report: ChainReport | None = None,
    status_code: int = 200,
) -> Response:
    found = commitments.newest_event_log(
        uow, person, subject=subject, type=type, before=before, limit=PAGE_SIZE + 1
    )
    shown = found[:PAGE_SIZE]
    names = events.names_for(uow, shown)
    filters = {k: v for k, v in (("subject", subject), ("type", type)) if v}
    older = None
    if len(found) > PAGE_SIZE:
        older = "/audit?" + urlencode({**filters, "before": shown[-1].id})
    return render(
        request,
        "audit.html",
        {
            "person": person,
            "rows": [_row(e, names, person.is_admin) for e in shown],
            "subject": subject or "",
            "type": type or "",
            "types": sorted({e.type for e in shown} | ({type} if type else set())),
            "older": older,
            "newest": ("/audit?" + urlencode(filters)) if before is not None else None,
            "report": report,
            "may_verify": person.is_admin,
        },
        status_code,
    )


@router.get("/audit", response_class=HTMLResponse)
def audit_log(
    request: Request,
    person: PagePerson,
    uow: ReadUowDep,
    subject: Annotated[str | None, Query(max_length=400)] = None,
    type: Annotated[str | None, Query(max_length=80)] = None,
    before: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> Response:
    """The event log, newest first, optionally of one subject and one type."""
    return _page(
        request,
        uow,
        person,
        subject=(subject or "").strip() or None,
        type=(type or "").strip() or None,
        before=before,
    )


@router.post("/audit/verify", response_class=HTMLResponse)
def verify_chain(request: Request, person: PagePerson, uow: ReadUowDep, form: Form) -> Response:
    """Check the event log's hash chain from the first event to the last (admins)."""
    ensure_admin(person, "verify the event log")
    return _page(
        request, uow, person, subject=None, type=None, before=None, report=events.verify(uow)
    )
