"""Page: My desk, what the person's teams must answer, deliver and accept."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from accord.commitments import service as commitments
from accord.health import service as health
from accord.partnerships import service as partnerships
from accord.web.common import PagePerson, PageUow, render

router = APIRouter(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def desk(request: Request, person: PagePerson, uow: PageUow) -> Response:
    """My desk: what my teams must answer, deliver and accept, and our partnerships."""
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
            },
        )
