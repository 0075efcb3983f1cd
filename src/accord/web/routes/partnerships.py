"""Pages: the partnerships, one partnership's charter, checks, parties and commitment board, and
the forms on it (a health check's round is opened from it)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from accord.channel.deps import UowDep
from accord.commitments import service as commitments
from accord.commitments.domain import FINAL, Reliance, State
from accord.commitments.schemas import CommitmentCreate
from accord.config import Settings
from accord.db import MAX_ID
from accord.health import service as health
from accord.health.schemas import HealthCheckCreate
from accord.org import service as org
from accord.org.domain import Person, may_lead, may_write
from accord.partnerships import service as partnerships
from accord.partnerships.domain import (
    STATUS_MOVES,
    InvitationState,
    Label,
    PartnershipStatus,
    may_start_partnership,
)
from accord.partnerships.schemas import (
    Affirmation,
    ContributionSet,
    InvitationAcceptance,
    InvitationCreate,
    PartnershipCreate,
    PartnershipUpdate,
)
from accord.partnerships.service import PartnershipView
from accord.purposes import service as purposes
from accord.uow import UnitOfWork
from accord.web.common import Form, PagePerson, PageUow, is_htmx, page_router, render, text
from accord.web.forms import FormErrors, act, data_of, perform, require, shown, utc
from accord.web.routes.health import partnership_health
from accord.web.routes.stories import story_cards
from accord.web.timeline import partnership_timeline

router = page_router()
InvitationId = Annotated[int, Path(ge=1, le=MAX_ID)]

# The board's columns, in the order a commitment moves through them.
BOARD = [
    ("Asked", [State.REQUESTED, State.COUNTERED]),
    ("Promised", [State.PROMISED, State.RENEGOTIATING]),
    ("Delivered", [State.DELIVERED]),
]
RECENTLY_CLOSED = 8
PAGE = 50
NEW_FIELDS = ["name", "purpose", "team", "contribution", "partners", "working_agreements"]
NEW_FIELDS += ["review_every_days", "affirm"]
REQUEST_FIELDS = ["title", "performer", "requester", "due", "reliance", "measure"]
REQUEST_FIELDS += ["conditions_of_satisfaction"]
CHARTER_FIELDS = ["name", "working_agreements", "review_every_days"]
OPEN_FIELDS = ["closes_at"]
# What the page asks for to start a partnership, although the use case may do without a partner.
NEEDED = {
    "team": "Choose the team you lead that joins.",
    "partners": "Choose at least one partner team.",
    "purpose": "Choose the one purpose the partners pursue.",
}


@router.get("/partnerships", response_class=HTMLResponse)
def partnerships_page(
    request: Request,
    person: PagePerson,
    uow: PageUow,
    team: str = "",
    label: str = "",
    status: str = "",
    mine: str = "",
    after: str = "",
) -> Response:
    """The partnerships by key, a page at a time, or those of a team, a label or a status."""
    members = {m.team.slug for m in person.current_memberships}
    with uow:  # open while rendering: templates follow relations of what was loaded
        following = None
        if mine:  # a person's teams have few partnerships: all of them, on one page
            found = {
                v.partnership.key: v
                for slug in sorted(members)
                for v in partnerships.list_partnerships(
                    uow, team=slug, label=label or None, status=status or None
                )
            }
            views = sorted(found.values(), key=lambda v: v.partnership.key)
        else:
            views = partnerships.list_partnerships(
                uow,
                team=team or None,
                label=label or None,
                status=status or None,
                after=after or None,
                limit=PAGE + 1,
            )
            if len(views) > PAGE:
                views = views[:PAGE]
                following = views[-1].partnership.key
        query = {"team": team, "label": label, "status": status, "mine": mine}
        return render(
            request,
            "partnerships.html",
            {
                "person": person,
                "views": views,
                "filters": query,
                "next_query": urlencode({**query, "after": following}) if following else None,
                "labels": [x.value for x in Label],
                "statuses": [x.value for x in PartnershipStatus],
                "teams": [m.team for m in person.current_memberships],
                "may_start": may_start_partnership(person),
            },
        )


def _new_form(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    values: dict[str, Any],
    errors: FormErrors,
    status_code: int = 200,
) -> Response:
    # a partnership is started by a lead of one of its first parties
    leads = {m.team.slug for m in person.current_memberships if may_lead(person, m.team)}
    members = {m.team.slug for m in person.current_memberships}  # to say who leads them
    if "affirm" not in values:  # the starter signs for its team unless it unticks the box
        values = {**values, "affirm": "1"}
    with uow:  # open while rendering: templates follow relations of what was loaded
        teams = org.list_teams(uow)
        return render(
            request,
            "partnership_new.html",
            {
                "person": person,
                "values": values,
                "errors": errors,
                "purposes": [
                    p for p in purposes.list_purposes(uow) if p.status.value != "abandoned"
                ],
                "my_teams": [t for t in teams if t.slug in leads],
                "member_of": [t for t in teams if t.slug in members],
                "teams": teams,
            },
            status_code,
        )


@router.get("/partnerships/new", response_class=HTMLResponse)
def new_partnership_page(
    request: Request, person: PagePerson, uow: PageUow, purpose: str = ""
) -> Response:
    """The form that starts a partnership around one purpose."""
    return _new_form(request, uow, person, {"purpose": purpose}, FormErrors())


@router.post("/partnerships/new", response_class=HTMLResponse)
def create_partnership(request: Request, person: PagePerson, uow: UowDep, form: Form) -> Response:
    """Start a partnership: my team and its contribution, the partners, the purpose."""
    values = shown(form, NEW_FIELDS, lists=["partners"])

    def create(body: PartnershipCreate) -> str:
        require(values, NEEDED)
        created = partnerships.create_partnership(uow, person, **body.args())
        return f"/partnerships/{created.partnership.key}"

    def again(errors: FormErrors) -> Response:
        return _new_form(request, uow, person, values, errors, errors.status)

    data = data_of(
        form,
        ["name", "purpose", "working_agreements", "review_every_days"],
        lines=["working_agreements"],
        optional=["review_every_days"],
    )
    # my team and what it contributes first (affirmed at once when ticked), then the partners
    data["parties"] = [
        {**data_of(form, ["team", "contribution"]), "affirm": bool(values["affirm"])}
    ]
    data["parties"] += [{"team": slug} for slug in values["partners"]]
    beside = {"parties": "partners"}
    return act(request, PartnershipCreate, data, create, again, inputs=NEW_FIELDS, beside=beside)


def partnership_context(
    uow: UnitOfWork,
    person: Person,
    key: str,
    *,
    errors: dict[str, FormErrors] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
    all_closed: bool = False,
    settings: Settings | None = None,
) -> dict[str, Any]:
    """Everything the partnership page shows, for the page and for its HTMX fragments."""
    view: PartnershipView = partnerships.get_partnership(uow, key, person)
    board = commitments.browse(uow, person, partnership=key)
    party_slugs = [p.team.slug for p in view.partnership.parties]
    columns = [
        (title, [v for v in board if v.commitment.state in states]) for title, states in BOARD
    ]
    closed = sorted(
        (v for v in board if v.commitment.state in FINAL),
        key=lambda v: v.commitment.updated_at or v.commitment.due,
        reverse=True,
    )
    partnership = view.partnership
    invitations = partnerships.list_invitations(uow, partnership=key, state=InvitationState.PENDING)
    invited = {invitation.team.slug for invitation in invitations}
    return {
        "person": person,
        "view": view,
        "partnership": partnership,
        "columns": columns,
        "closed": closed[:RECENTLY_CLOSED] if not all_closed else closed,
        "closed_total": len(closed),
        "may_write": may_write(person),
        "status_moves": sorted(m.value for m in STATUS_MOVES[partnership.status]),
        "reliances": [r.value for r in Reliance],
        "teams": [
            (slug, name)
            for slug, name in org.team_names(uow).items()
            if slug not in party_slugs and slug not in invited
        ],
        "invitations": invitations,
        "now": uow.now(),
        "stories": story_cards(uow, person, partnership.key),
        "health": partnership_health(uow, settings, person, key) if settings else None,
        "timeline": partnership_timeline(uow, person, key) if settings else [],
        "to_affirm": partnerships.parties_to_affirm(uow, key),
        "errors": errors or {},
        "values": values or {},
    }


def _partnership(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    key: str,
    *,
    fragment: str | None = None,
    errors: dict[str, FormErrors] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
    status_code: int = 200,
    all_closed: bool = False,
) -> Response:
    name = fragment if fragment and request.headers.get("HX-Request") else "partnership.html"
    with uow:  # open while rendering: templates follow relations of what was loaded
        context = partnership_context(
            uow,
            person,
            key,
            errors=errors,
            values=values,
            all_closed=all_closed,
            settings=request.app.state.settings if name == "partnership.html" else None,
        )
        return render(request, name, context, status_code)


@router.get("/partnerships/{key}", response_class=HTMLResponse)
def partnership_page(
    request: Request, person: PagePerson, uow: PageUow, key: str, closed: str = ""
) -> Response:
    """A partnership: charter and checks, parties, the commitment board."""
    return _partnership(request, uow, person, key, all_closed=bool(closed))


def _again(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    key: str,
    form_name: str,
    values: dict[str, Any] | None = None,
    fragment: str | None = None,
) -> Callable[[FormErrors], Response]:
    """The partnership page (or its `fragment`) again, with the refusal of its form `form_name`
    and what was typed into it."""

    def again(errors: FormErrors) -> Response:
        return _partnership(
            request,
            uow,
            person,
            key,
            fragment=fragment,
            errors={form_name: errors},
            values={form_name: values or {}},
            status_code=errors.status,
        )

    return again


def _charter_changed(request: Request, uow: UnitOfWork, person: Person, key: str) -> str | Response:
    """After a change of the charter: its fragment for htmx, else back to the page."""
    if is_htmx(request):
        return _partnership(request, uow, person, key, fragment="_charter.html")
    return f"/partnerships/{key}"


@router.post("/partnerships/{key}/affirm", response_class=HTMLResponse)
def affirm(request: Request, person: PagePerson, uow: UowDep, form: Form, key: str) -> Response:
    """Sign the charter for a party: we join this purpose and move in the same direction."""

    def sign(body: Affirmation) -> str | Response:
        partnerships.affirm(uow, person, key, body.team)
        return _charter_changed(request, uow, person, key)

    party = f"party-{text(form, 'team')}"
    again = _again(request, uow, person, key, party, fragment="_charter.html")
    # a party without a contribution is refused beside the input that states it
    data = data_of(form, ["team"])
    return act(request, Affirmation, data, sign, again, inputs=["contribution"])


@router.post("/partnerships/{key}/contribution", response_class=HTMLResponse)
def contribution(
    request: Request, person: PagePerson, uow: UowDep, form: Form, key: str
) -> Response:
    """State what a party uniquely contributes."""
    team = text(form, "team")

    def state(body: ContributionSet) -> str | Response:
        partnerships.set_contribution(uow, person, key, team, body.contribution)
        return _charter_changed(request, uow, person, key)

    values = shown(form, ["contribution"])
    again = _again(request, uow, person, key, f"party-{team}", values, "_charter.html")
    data = data_of(form, ["contribution"])
    return act(request, ContributionSet, data, state, again, inputs=["contribution"])


@router.post("/partnerships/{key}/invitations", response_class=HTMLResponse)
def invite(request: Request, person: PagePerson, uow: UowDep, form: Form, key: str) -> Response:
    """Invite a team to join as a party; it joins when one of its leads accepts."""

    def invite_team(body: InvitationCreate) -> str:
        partnerships.invite(uow, person, key, body.team)
        return f"/partnerships/{key}#invitations"

    again = _again(request, uow, person, key, "invite", shown(form, ["team"]))
    data = data_of(form, ["team"])
    return act(request, InvitationCreate, data, invite_team, again, inputs=["team"])


def _invitation_again(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    key: str,
    invitation_id: int,
    values: dict[str, Any] | None = None,
) -> Callable[[FormErrors], Response]:
    """A refused answer: a field's message beside the invitation, any other above the list (the
    invitation may be answered already, and so gone from it)."""

    def again(errors: FormErrors) -> Response:
        shown_errors = {f"invitation-{invitation_id}": errors}
        if errors.general:
            shown_errors["invitations"] = errors
        return _partnership(
            request,
            uow,
            person,
            key,
            errors=shown_errors,
            values={f"invitation-{invitation_id}": values or {}},
            status_code=errors.status,
        )

    return again


@router.post("/partnerships/{key}/invitations/{invitation_id}/accept", response_class=HTMLResponse)
def accept_invitation(
    request: Request,
    person: PagePerson,
    uow: UowDep,
    form: Form,
    key: str,
    invitation_id: InvitationId,
) -> Response:
    """Join the partnership for the invited team, with what it uniquely contributes."""

    def accept(body: InvitationAcceptance) -> str:
        partnerships.accept_invitation(uow, person, invitation_id, body.contribution)
        return f"/partnerships/{key}#charter"

    values = shown(form, ["contribution"])
    again = _invitation_again(request, uow, person, key, invitation_id, values)
    data = data_of(form, ["contribution"])
    return act(request, InvitationAcceptance, data, accept, again, inputs=["contribution"])


@router.post("/partnerships/{key}/invitations/{invitation_id}/decline", response_class=HTMLResponse)
def decline_invitation(
    request: Request,
    person: PagePerson,
    uow: UowDep,
    form: Form,
    key: str,
    invitation_id: InvitationId,
) -> Response:
    """Turn an invitation down for the invited team."""

    def decline() -> str:
        partnerships.decline_invitation(uow, person, invitation_id)
        return "/" if text(form, "back") == "desk" else f"/partnerships/{key}"

    return perform(request, decline, _invitation_again(request, uow, person, key, invitation_id))


@router.post(
    "/partnerships/{key}/invitations/{invitation_id}/withdraw", response_class=HTMLResponse
)
def withdraw_invitation(
    request: Request,
    person: PagePerson,
    uow: UowDep,
    form: Form,
    key: str,
    invitation_id: InvitationId,
) -> Response:
    """Take back an invitation that waits for its answer."""

    def withdraw() -> str:
        partnerships.withdraw_invitation(uow, person, invitation_id)
        return f"/partnerships/{key}#invitations"

    return perform(request, withdraw, _invitation_again(request, uow, person, key, invitation_id))


@router.post("/partnerships/{key}/leave", response_class=HTMLResponse)
def leave(request: Request, person: PagePerson, uow: UowDep, form: Form, key: str) -> Response:
    """Leave the partnership for a party my team is."""
    team = text(form, "team")

    def leave_it() -> str:
        partnerships.leave(uow, person, key, team)
        return f"/partnerships/{key}"

    return perform(request, leave_it, _again(request, uow, person, key, f"party-{team}"))


@router.post("/partnerships/{key}/charter", response_class=HTMLResponse)
def edit_charter(
    request: Request, person: PagePerson, uow: UowDep, form: Form, key: str
) -> Response:
    """Edit the name, working agreements and review cadence."""

    def edit(body: PartnershipUpdate) -> str:
        partnerships.update_charter(uow, person, key, **body.model_dump(exclude_unset=True))
        return f"/partnerships/{key}"

    again = _again(request, uow, person, key, "charter", shown(form, CHARTER_FIELDS))
    data = data_of(
        form,
        CHARTER_FIELDS,
        optional=["name"],  # an empty name keeps the one it has
        lines=["working_agreements"],
        nulls=["review_every_days"],
    )
    return act(request, PartnershipUpdate, data, edit, again, inputs=CHARTER_FIELDS)


@router.post("/partnerships/{key}/status", response_class=HTMLResponse)
def change_status(
    request: Request, person: PagePerson, uow: UowDep, form: Form, key: str
) -> Response:
    """Pause, resume, conclude or dissolve the partnership, with a note saying why."""

    def move(body: PartnershipUpdate) -> str:
        partnerships.set_status(uow, person, key, body.status or "", note=body.note)
        return f"/partnerships/{key}"

    again = _again(request, uow, person, key, "status", shown(form, ["status", "note"]))
    data = data_of(form, ["status", "note"], optional=["note"])
    return act(request, PartnershipUpdate, data, move, again, inputs=["note"])


@router.post("/partnerships/{key}/commitments", response_class=HTMLResponse)
def request_commitment(
    request: Request, person: PagePerson, uow: UowDep, form: Form, key: str
) -> Response:
    """Ask a partner team for something: the request move."""

    def ask(body: CommitmentCreate) -> str:
        created = commitments.request(uow, person, **body.model_dump())
        return f"/partnerships/{key}#c-{created.key}"

    values = shown(form, REQUEST_FIELDS)
    again = _again(request, uow, person, key, "request", values, "_request_form.html")
    data = {"partnership": key, **request_terms(form)}
    return act(request, CommitmentCreate, data, ask, again, inputs=REQUEST_FIELDS)


def request_terms(form: FormData) -> dict[str, Any]:
    """What the request form (_request_form.html) asks, as the request's input model takes it;
    the ask page sends the same form."""
    return data_of(form, REQUEST_FIELDS, optional=["reliance", "measure"], instants=["due"])


@router.post("/partnerships/{key}/health-checks", response_class=HTMLResponse)
def open_round(request: Request, person: PagePerson, uow: UowDep, form: Form, key: str) -> Response:
    """Open a round of the health check on the partnership, closing at a date."""
    settings: Settings = request.app.state.settings

    def open_it(body: HealthCheckCreate) -> str:
        check = health.open_round(uow, settings, person, key, body.closes_at, key=body.key)
        return f"/health-checks/{check.key}"

    def again(errors: FormErrors) -> Response:
        with uow:  # open while rendering: templates follow relations of what was loaded
            context = partnership_context(uow, person, key, settings=settings)
            context["health"] = partnership_health(
                uow, settings, person, key, errors=errors, values=shown(form, OPEN_FIELDS)
            )
            return render(request, "partnership.html", context, errors.status)

    data = data_of(form, OPEN_FIELDS)
    if data["closes_at"]:  # a round "closing on" a day is open all that day
        data["closes_at"] = utc(data["closes_at"], day_ends=True)
    return act(request, HealthCheckCreate, data, open_it, again, inputs=OPEN_FIELDS)
