"""Pages: the team directory and one team's mission, people, partnerships and earned trust."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import ExpensiveReadsDep, ReadUowDep, SettingsDep, UowDep
from accord.commitments import service as commitments
from accord.config import Settings
from accord.errors import Forbidden
from accord.notify import service as notify
from accord.org import service as org
from accord.org.domain import MemberRole, Person, Team, TeamKind
from accord.org.schemas import TeamUpdate
from accord.partnerships import service as partnerships
from accord.trust import pairs
from accord.trust import service as trust
from accord.trust.model import overall_span
from accord.trust.service import TrustReport
from accord.trust.views import weights_of
from accord.uow import UnitOfWork
from accord.web import charts
from accord.web.common import Form, PagePerson, is_htmx, page_router, render
from accord.web.forms import FormErrors, act, data_of, shown

router = page_router()

EDIT_FIELDS = ["name", "mission"]
PAIR_ROWS = 50  # commitments a page of the pair's record lists
DIMENSION_MEANINGS = [
    ("ability", "Delivers what was promised, on time."),
    ("integrity", "Keeps its word, or says early when it cannot."),
    ("value", "What it delivers is worth having."),
]
KINDS = [(kind.value, kind.value.replace("_", " ").capitalize()) for kind in TeamKind]


@dataclass(frozen=True)
class TeamRow:
    """One line of the team directory."""

    team: Team
    leads: list[Person]
    members: int
    partnerships: int


def _current(team: Team) -> list[Any]:
    return [m for m in team.memberships if m.left_at is None]


@router.get("/teams", response_class=HTMLResponse)
def teams_page(
    request: Request, person: PagePerson, uow: ReadUowDep, kind: str = "", q: str = ""
) -> Response:
    """Every team, with its kind, parent, leads, size and partnerships; filter by kind or text."""
    teams = org.list_teams(uow)
    counts = partnerships.count_by_team(uow)
    needle = q.strip().lower()
    rows = [
        TeamRow(
            team,
            sorted((m.person for m in _current(team) if m.role == MemberRole.LEAD), key=_name),
            len(_current(team)),
            counts.get(team.slug, 0),
        )
        for team in teams
        if (not kind or team.kind.value == kind)
        and (not needle or needle in team.name.lower() or needle in team.slug)
    ]
    rows.sort(key=lambda row: row.team.name.lower())
    return render(
        request,
        "teams.html",
        {
            "person": person,
            "rows": rows,
            "total": len(teams),
            "kinds": KINDS,
            "filters": {"kind": kind, "q": q},
        },
    )


def _name(person: Person) -> str:
    return person.name.lower()


def history_chart(history: list[TrustReport], settings: Settings, name: str) -> Any:
    """Overall and ability expected over time, each with the span its uncertainty leaves."""
    overall = [(r.as_of, r.trust.overall_expected) for r in history]
    ability = [(r.as_of, r.trust.ability.expected) for r in history]
    weights = weights_of(settings)
    bands = {"Overall": [(r.as_of, *overall_span(r.trust, weights)) for r in history]}
    return charts.line(
        [("Overall", overall), ("Ability", ability)],
        title=f"Trust in {name} over time",
        y_label="expected trust; shaded: the range the uncertainty of overall trust leaves",
        bands=bands,
        width=880,
        height=280,
    )


def _team_context(
    uow: UnitOfWork,
    settings: Settings,
    person: Person,
    slug: str,
    values: dict[str, str] | None = None,
    errors: FormErrors | None = None,
) -> dict[str, Any]:
    view = org.team_view(uow, person, slug)
    team = view.team
    names = org.team_names(uow)
    report: TrustReport | None
    try:
        report = trust.trust_of(uow, settings, person, slug)
    except Forbidden:
        report = None
    members = sorted(_current(team), key=lambda m: (m.role != MemberRole.LEAD, _name(m.person)))
    views = sorted(
        partnerships.list_partnerships(uow, team=slug), key=lambda v: v.partnership.name.lower()
    )
    return {
        "person": person,
        "team": team,
        "children": sorted(org.child_teams(uow, slug), key=_title),
        "members": members,
        "views": views,
        "report": report,
        "partners": trust.partners_of(uow, settings, person, slug),
        "names": names,
        "may_edit": view.may_edit,
        "values": values or {"name": team.name, "mission": team.mission},
        "errors": errors or FormErrors(),
        "kinds": dict(KINDS),
        "may_ask": bool(commitments.ask_choices(uow, person, performer=slug)),
        # its leads and admins manage the team's webhooks in a section of the page
        "webhooks": notify.list_webhooks(uow, person, slug) if view.may_edit else None,
    }


def _title(team: Team) -> str:
    return team.name.lower()


@router.get("/teams/{slug}", response_class=HTMLResponse)
def team_page(
    request: Request, slug: str, person: PagePerson, uow: ReadUowDep, settings: SettingsDep
) -> Response:
    """A team: mission, place in the tree, members, partnerships and the trust it has earned."""
    return render(request, "team.html", _team_context(uow, settings, person, slug))


@router.get("/teams/{slug}/trust-history", response_class=HTMLResponse)
def trust_history_page(
    request: Request,
    slug: str,
    person: PagePerson,
    uow: ReadUowDep,
    settings: SettingsDep,
    reads: ExpensiveReadsDep,
) -> Response:
    """A team's trust over time: a fragment of the team page, or a page of its own."""
    team = org.get_team(uow, slug)
    history = reads.trust_history(uow, settings, person, slug, points=12)
    context = {
        "person": person,
        "team": team,
        "history": history,
        "chart": history_chart(history, settings, team.name) if history else None,
    }
    return render(
        request, "_trust_history.html" if is_htmx(request) else "team_history.html", context
    )


@router.get("/teams/{slug}/trust/{of}", response_class=HTMLResponse)
def pair_page(
    request: Request,
    slug: str,
    of: str,
    person: PagePerson,
    uow: ReadUowDep,
    settings: SettingsDep,
    page: str = "1",
) -> Response:
    """A pair: the trust `of` has earned from this team, and the commitments behind it."""
    record = pairs.pair_record(uow, settings, person, slug, of)
    pages = max(1, -(-len(record.rows) // PAIR_ROWS))
    # a page number out of range, or none at all, shows the nearest page
    asked = int(page) if page.isascii() and page.isdigit() and len(page) < 10 else 1
    page_number = min(max(asked, 1), pages)
    start = (page_number - 1) * PAIR_ROWS
    names = org.team_names(uow)
    return render(
        request,
        "pair.html",
        {
            "person": person,
            "record": record,
            "report": record.report,
            "performer": slug,
            "requester": of,
            "names": names,
            "rows": record.rows[start : start + PAIR_ROWS],
            "first": start + 1,
            "page": page_number,
            "pages": pages,
            "sums": record.sums(),
            "dimensions": DIMENSION_MEANINGS,
        },
    )


@router.post("/teams/{slug}", response_class=HTMLResponse)
def edit_team(
    request: Request,
    slug: str,
    person: PagePerson,
    form: Form,
    uow: UowDep,
    settings: SettingsDep,
) -> Response:
    """Change a team's name and mission (its leads, admins)."""

    def edit(body: TeamUpdate) -> str:
        org.update_team(uow, person, slug, **body.model_dump(exclude_unset=True))
        return f"/teams/{slug}"

    def again(errors: FormErrors) -> Response:
        context = _team_context(uow, settings, person, slug, shown(form, EDIT_FIELDS), errors)
        name = "_team_edit.html" if is_htmx(request) else "team.html"
        return render(request, name, context, errors.status)

    # the form shows only to those who may; anyone else gets the refusal page
    data = data_of(form, EDIT_FIELDS)
    return act(request, TeamUpdate, data, edit, again, inputs=EDIT_FIELDS, raising=(Forbidden,))
