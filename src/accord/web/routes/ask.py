"""Page: ask a partner, the request move from anywhere: the person picks their team, the
partner and the partnership they share, and sends the same request form the partnership page
shows (_request_form.html), through the same use case and input model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import UowDep
from accord.commitments import service as commitments
from accord.commitments.schemas import CommitmentCreate
from accord.commitments.service import AskChoice
from accord.org.domain import Person, Team
from accord.uow import UnitOfWork
from accord.web.common import Form, PagePerson, PageUow, page_router, render, text
from accord.web.forms import TIME_OF, FormErrors, act, shown
from accord.web.routes.partnerships import REQUEST_FIELDS, request_terms

router = page_router()
ASK_FIELDS = ["partnership", *REQUEST_FIELDS]


def _unique(teams: list[Team]) -> list[Team]:
    found: dict[str, Team] = {}
    for team in teams:
        found.setdefault(team.slug, team)
    return sorted(found.values(), key=lambda t: t.name.lower())


def _ask_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    values: Mapping[str, Any],
    errors: FormErrors | None = None,
    status_code: int = 200,
) -> Response:
    """The page with the form: the partnerships the person may ask in (those shared with the
    partner asked for, when one is and no other partnership is chosen), and in the one chosen
    (or the only one), their teams and its other parties; else those of them all."""
    with uow:  # open while rendering: templates follow relations of what was loaded
        asked, wanted = values.get("performer") or "", values.get("partnership") or ""
        choices = commitments.ask_choices(uow, person)
        shared = [c for c in choices if asked in {t.slug for t in c.partners}]
        unshared = None
        if asked and not shared:  # a team they share no partnership that takes requests with
            unshared = uow.org.find_team(asked, members=False)
        elif shared and (not wanted or wanted in {c.partnership.key for c in shared}):
            choices = shared
        chosen = next((c for c in choices if c.partnership.key == wanted), None)
        if chosen is None and len(choices) == 1:
            chosen = choices[0]
        shown_values = dict(values)
        if chosen is not None:
            shown_values["partnership"] = chosen.partnership.key
        in_reach = [chosen] if chosen is not None else choices
        partners = _unique([t for c in in_reach for t in c.partners])
        if asked not in {t.slug for t in partners}:  # not a party of the partnership chosen
            shown_values["performer"] = partners[0].slug if len(partners) == 1 else ""
        return render(
            request,
            "ask.html",
            {
                "person": person,
                "choices": choices,
                "unshared": unshared,
                "ask": {
                    "partnerships": [(c.partnership.key, _label(c)) for c in choices],
                    "mine": _unique([t for c in in_reach for t in c.mine]),
                    "partners": partners,
                },
                "partnership": chosen.partnership if chosen else None,
                "errors": {"request": errors or FormErrors()},
                "values": {"request": shown_values},
            },
            status_code,
        )


def _label(choice: AskChoice) -> str:
    """A partnership as the select shows it: its name and its parties."""
    parties = ", ".join(t.name for t in _unique([*choice.mine, *choice.partners]))
    return f"{choice.partnership.name} ({parties})"


@router.get("/commitments/new", response_class=HTMLResponse)
def ask_page(
    request: Request,
    person: PagePerson,
    uow: PageUow,
    performer: str = "",
    partnership: str = "",
) -> Response:
    """Ask a partner: `performer` (a team's slug) and `partnership` (a key) choose ahead; the
    form's own inputs come back too when a change of partnership narrows the teams."""
    asked = [*ASK_FIELDS, "due" + TIME_OF]
    values = {name: request.query_params.get(name, "") for name in asked}
    values.update(performer=performer, partnership=partnership)
    return _ask_page(request, uow, person, {k: v for k, v in values.items() if v})


@router.post("/commitments/new", response_class=HTMLResponse)
def ask(request: Request, person: PagePerson, uow: UowDep, form: Form) -> Response:
    """Send the request: the request move, as on the partnership page."""

    def send(body: CommitmentCreate) -> str:
        created = commitments.request(uow, person, **body.model_dump())
        return f"/commitments/{created.key}"

    def again(errors: FormErrors) -> Response:
        return _ask_page(request, uow, person, shown(form, ASK_FIELDS), errors, errors.status)

    data = {"partnership": text(form, "partnership"), **request_terms(form)}
    return act(request, CommitmentCreate, data, send, again, inputs=ASK_FIELDS)
