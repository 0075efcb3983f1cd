"""Pages: health checks, the latest round of each partnership, a round to answer or read, and
the health section of a partnership's page."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from markupsafe import Markup

from accord.channel.deps import UowDep
from accord.config import Settings
from accord.errors import Forbidden
from accord.health import service as health
from accord.health.domain import SCALE, STATEMENTS, Statement
from accord.health.schemas import AnswerCreate
from accord.health.service import RoundReport
from accord.org.domain import Person
from accord.uow import UnitOfWork
from accord.web import charts
from accord.web.common import Form, PagePerson, PageUow, page_router, render
from accord.web.forms import FormErrors, act, data_of, shown

router = page_router()

# Partnerships' latest rounds listed on one page of /health.
ROUNDS_PAGE = 50

AXES = [(s.value, s.value.title()) for s in Statement]
ANSWER_FIELDS = [*(s.value for s in Statement), "comment", "team"]
CHOICES = {str(n): n for n in SCALE}  # the radio buttons' values
SCALE_WORDS = {1: "Strongly disagree", 2: "Disagree", 3: "Neither", 4: "Agree", 5: "Strongly agree"}


def settings_of(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def _means(statements: Any) -> dict[str, float | None]:
    return {r.statement.value: r.mean for r in statements}


def radar_of(report: RoundReport | None, name: str) -> Markup | None:
    """The radar of a published round: each party shown, and the parties shown combined."""
    if report is None or not report.published:
        return None
    series = [(p.team.name, _means(p.statements)) for p in report.parties if p.shown]
    if not series:
        return None
    if len(series) > 1:
        series.append(("Combined", _means(report.combined)))
    return charts.radar(series, AXES, title=f"Health of {name}: the six statements, 1 to 5")


def trend_of(reports: list[RoundReport], name: str) -> Markup | None:
    """Each statement's combined mean over the published rounds."""
    published = [r for r in reports if r.published and r.combined]
    if not published:
        return None
    series = [
        (label, [(r.check.closes_at, r.mean(Statement(key))) for r in published])
        for key, label in AXES
    ]
    return charts.line(
        series,
        y_min=1.0,
        y_max=5.0,
        percent=False,
        title=f"Health of {name} over rounds: combined mean of each statement",
        y_label="mean answer, 1 to 5",
    )


def partnership_health(
    uow: UnitOfWork,
    settings: Settings,
    person: Person,
    partnership: str,
    *,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
) -> dict[str, Any]:
    """What the partnership page shows of its health: the current round, and for the members
    of its parties the trend, the latest results and the radar."""
    current = health.current_round(uow, person, partnership)
    try:
        # the trend without the perception gap, which only the latest results show
        trend = health.rounds_of(uow, settings, person, partnership, perception=False)
        visible = True
    except Forbidden:  # not a member of a party: the round's status only
        trend, visible = [], False
    published = [r for r in trend if r.published]
    latest = (
        health.round_results(uow, settings, person, published[-1].check.key) if published else None
    )
    name = current.check.partnership.name if current else partnership
    return {
        "current": current,
        "visible": visible,
        "trend": trend,
        "latest": latest,
        "radar": radar_of(latest, name),
        "trend_chart": trend_of(trend, name),
        "min_responses": settings.min_responses,
        "errors": errors or FormErrors(),
        "values": values or {},
        "axes": AXES,
    }


@router.get("/health", response_class=HTMLResponse)
def health_page(request: Request, person: PagePerson, uow: PageUow, after: str = "") -> Response:
    """The latest round of each partnership I may see (admins: the whole organization), a
    page of them at a time by partnership key, with the results of each one's last closed
    round."""
    settings = settings_of(request)
    with uow:  # open while rendering: templates follow relations of what was loaded
        found = health.latest_rounds(
            uow, settings, person, after=after or None, limit=ROUNDS_PAGE + 1
        )
        rounds = found[:ROUNDS_PAGE]
        shown = {r.check.partnership.id for r in rounds if r.check.partnership.id is not None}
        return render(
            request,
            "health.html",
            {
                "person": person,
                "to_answer": health.to_answer(uow, person),
                "rounds": rounds,
                "after": after,
                "next": rounds[-1].check.partnership.key if len(found) > ROUNDS_PAGE else None,
                "results": {
                    r.check.partnership.key: r
                    for r in health.latest_rounds(
                        uow, settings, person, published=True, partnerships=shown
                    )
                },
                "now": uow.now(),
                "axes": AXES,
                "min_responses": settings.min_responses,
            },
        )


def _round_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    key: str,
    errors: FormErrors | None = None,
    values: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    settings = settings_of(request)
    with uow:  # open while rendering: templates follow relations of what was loaded
        state = health.get_round(uow, person, key)
        report = None
        if state.results_visible:
            report = health.round_results(uow, settings, person, key)
        name = state.check.partnership.name
        return render(
            request,
            "health_round.html",
            {
                "person": person,
                "state": state,
                "report": report,
                "radar": radar_of(report, name),
                "statements": [(s.value, STATEMENTS[s]) for s in Statement],
                "scale": [(n, SCALE_WORDS[n]) for n in SCALE],
                "axes": AXES,
                "min_responses": settings.min_responses,
                "errors": errors or FormErrors(),
                "values": values or {},
            },
            status_code,
        )


@router.get("/health-checks/{key}", response_class=HTMLResponse)
def round_page(request: Request, person: PagePerson, uow: PageUow, key: str) -> Response:
    """A round: the answer form while open, response counts, results once published."""
    return _round_page(request, uow, person, key)


@router.post("/health-checks/{key}/answers", response_class=HTMLResponse)
def answer(request: Request, person: PagePerson, uow: UowDep, form: Form, key: str) -> Response:
    """Answer the six statements once, with an optional comment."""

    def answer_it(body: AnswerCreate) -> str:
        health.answer(uow, person, key, body.scores(), body.comment, body.team)
        return f"/health-checks/{key}?answered=1"

    def again(errors: FormErrors) -> Response:
        values = shown(form, ANSWER_FIELDS)
        return _round_page(request, uow, person, key, errors, values, errors.status)

    data = data_of(form, ANSWER_FIELDS, optional=["team"])
    for statement in Statement:  # "1" to "5" as numbers; anything else as given, to be refused
        data[statement.value] = CHOICES.get(data[statement.value], data[statement.value])
    return act(request, AnswerCreate, data, answer_it, again, inputs=ANSWER_FIELDS)
