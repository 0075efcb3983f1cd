"""Page: My desk, what the person's teams must do next, grouped by who must act."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import SettingsDep
from accord.commitments import service as commitments
from accord.config import Settings
from accord.health import service as health
from accord.org import service as org
from accord.org.domain import Person, may_lead
from accord.partnerships import service as partnerships
from accord.trust import service as trust
from accord.trust.service import TrustReport
from accord.uow import UnitOfWork
from accord.web.common import PagePerson, PageUow, page_router, render

router = page_router()


def relied_on(
    uow: UnitOfWork, settings: Settings, person: Person
) -> list[tuple[str, str, TrustReport]]:
    """(my team, its partner, the pair's trust) for each partner one of my teams relies on now
    or that is flagged; flagged pairs first."""
    found: list[tuple[str, str, TrustReport]] = []
    for team in sorted(person.teams(), key=lambda t: t.name.lower()):
        for report in trust.partners_of(uow, settings, person, team.slug):
            if report.given or report.flags:
                found.append((team.slug, team.name, report))
    found.sort(key=lambda item: (not item[2].flags, -(item[2].given or 0.0)))
    return found


@router.get("/", response_class=HTMLResponse)
def desk(request: Request, person: PagePerson, uow: PageUow, settings: SettingsDep) -> Response:
    """My desk: what my teams must answer, what they owe, what partners owe them, what they
    must accept and affirm, the health checks and invitations they answer, our partnerships,
    and the partners we rely on, in words."""
    with uow:  # open while rendering: templates follow relations of what was loaded
        my_desk = commitments.desk(uow, person)
        views = {
            view.partnership.key: view
            for team in person.teams()
            for view in partnerships.list_partnerships(uow, team=team.slug)
        }
        return render(
            request,
            "desk.html",
            {
                "person": person,
                "desk": my_desk,
                "partnerships": sorted(views.values(), key=lambda v: v.partnership.name.lower()),
                "now": uow.now(),
                "health_to_answer": health.to_answer(uow, person),
                "to_affirm": partnerships.to_affirm(uow, person),
                "may_ask": bool(commitments.ask_choices(uow, person)),
                "leads_a_team": any(may_lead(person, team) for team in person.teams()),
                "invitations": partnerships.invitations_to_answer(uow, person),
                "relied_on": relied_on(uow, settings, person),
                "team_names": org.team_names(uow),
            },
        )
