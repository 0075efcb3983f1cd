"""Pages: the partnerships, one partnership's charter, checks, parties and commitment board."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from accord.api.deps import UowDep
from accord.api.pagination import MAX_ID
from accord.commitments import service as commitments
from accord.commitments.domain import FINAL, Reliance, State
from accord.config import Settings
from accord.errors import AccordError
from accord.org import service as org
from accord.org.domain import MemberRole, Person
from accord.partnerships import service as partnerships
from accord.partnerships.domain import STATUS_MOVES, InvitationState, Label, PartnershipStatus
from accord.partnerships.service import PartnershipView
from accord.purposes import service as purposes
from accord.uow import UnitOfWork
from accord.web.common import (
    Form,
    FormErrors,
    PagePerson,
    PageUow,
    after_change,
    errors_of,
    instant,
    lines,
    optional,
    render,
    text,
    texts,
)
from accord.web.routes.health import partnership_health
from accord.web.routes.stories import story_cards
from accord.web.timeline import partnership_timeline

router = APIRouter(include_in_schema=False)
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
NEW_FIELDS += ["review_every_days"]
REQUEST_FIELDS = ["title", "performer", "requester", "due", "reliance", "measure"]
REQUEST_FIELDS += ["conditions_of_satisfaction", "key"]


def my_teams(person: Person) -> tuple[set[str], set[str]]:
    """The slugs of the person's teams, and of those they lead."""
    members = {m.team.slug for m in person.current_memberships}
    leads = {m.team.slug for m in person.current_memberships if m.role == MemberRole.LEAD}
    return members, leads


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
    members, _ = my_teams(person)
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
    _, leads = my_teams(person)
    with uow:  # open while rendering: templates follow relations of what was loaded
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
                "my_teams": [t for t in org.list_teams(uow) if t.slug in leads],
                "teams": org.list_teams(uow),
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
    values: dict[str, Any] = {name: text(form, name) for name in NEW_FIELDS}
    partners = texts(form, "partners")
    values["partners"] = partners
    team = text(form, "team")
    errors = FormErrors()
    if not team:
        errors.fields["team"] = "Choose the team you lead that joins."
    if not partners:
        errors.fields["partners"] = "Choose at least one partner team."
    if not text(form, "purpose"):
        errors.fields["purpose"] = "Choose the one purpose the partners pursue."
    if errors:
        return _new_form(request, uow, person, values, errors, 422)
    try:
        created = partnerships.create_partnership(
            uow,
            person,
            name=text(form, "name"),
            purpose=text(form, "purpose"),
            parties=[(team, text(form, "contribution"))] + [(p, "") for p in partners],
            working_agreements=lines(form, "working_agreements"),
            review_every_days=_days(form),
        )
    except AccordError as error:
        found = errors_of(error, [*NEW_FIELDS, "parties"])
        if "parties" in found.fields:
            found.fields["partners"] = found.fields.pop("parties")
        return _new_form(request, uow, person, values, found, found.status)
    return after_change(request, f"/partnerships/{created.partnership.key}")


def _days(form: FormData) -> int | None:
    value = text(form, "review_every_days")
    if not value:
        return None
    try:
        return int(value)
    except ValueError:
        return -1  # the service refuses it with its own message, beside the field


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
    view: PartnershipView = partnerships.get_partnership(uow, key)
    members, leads = my_teams(person)
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
    invitations = partnerships.list_invitations(
        uow, partnership=key, state=InvitationState.PENDING
    )
    invited = {invitation.team.slug for invitation in invitations}
    return {
        "person": person,
        "view": view,
        "partnership": partnership,
        "columns": columns,
        "closed": closed[:RECENTLY_CLOSED] if not all_closed else closed,
        "closed_total": len(closed),
        "members": members,
        "leads": leads,
        "my_parties": [s for s in party_slugs if s in members],
        "led_parties": [s for s in party_slugs if s in leads],
        "is_party_lead": any(s in leads for s in party_slugs),
        "status_moves": sorted(m.value for m in STATUS_MOVES[partnership.status]),
        "reliances": [r.value for r in Reliance],
        "teams": [
            t for t in org.list_teams(uow) if t.slug not in party_slugs and t.slug not in invited
        ],
        "invitations": invitations,
        "now": uow.now(),
        "stories": story_cards(uow, person, partnership.key),
        "health": partnership_health(uow, settings, person, key) if settings else None,
        "timeline": partnership_timeline(uow, person, key) if settings else [],
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


def _refused(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    key: str,
    form_name: str,
    error: AccordError,
    fields: Sequence[str],
    values: dict[str, Any],
    fragment: str | None = None,
) -> Response:
    found = errors_of(error, fields)
    return _partnership(
        request,
        uow,
        person,
        key,
        fragment=fragment,
        errors={form_name: found},
        values={form_name: values},
        status_code=found.status,
    )


@router.post("/partnerships/{key}/affirm", response_class=HTMLResponse)
def affirm(request: Request, person: PagePerson, uow: UowDep, form: Form, key: str) -> Response:
    """Sign the charter for a party: we join this purpose and move in the same direction."""
    team = text(form, "team")
    try:
        partnerships.affirm(uow, person, key, team)
    except AccordError as error:
        return _refused(request, uow, person, key, f"party-{team}", error, [], {}, "_charter.html")
    if request.headers.get("HX-Request"):
        return _partnership(request, uow, person, key, fragment="_charter.html")
    return after_change(request, f"/partnerships/{key}")


@router.post("/partnerships/{key}/contribution", response_class=HTMLResponse)
def contribution(
    request: Request, person: PagePerson, uow: UowDep, form: Form, key: str
) -> Response:
    """State what a party uniquely contributes."""
    team = text(form, "team")
    value = text(form, "contribution")
    try:
        partnerships.set_contribution(uow, person, key, team, value)
    except AccordError as error:
        return _refused(
            request,
            uow,
            person,
            key,
            f"party-{team}",
            error,
            ["contribution"],
            {"contribution": value},
            "_charter.html",
        )
    if request.headers.get("HX-Request"):
        return _partnership(request, uow, person, key, fragment="_charter.html")
    return after_change(request, f"/partnerships/{key}")


@router.post("/partnerships/{key}/invitations", response_class=HTMLResponse)
def invite(request: Request, person: PagePerson, uow: UowDep, form: Form, key: str) -> Response:
    """Invite a team to join as a party; it joins when one of its leads accepts."""
    values = {"team": text(form, "team")}
    try:
        partnerships.invite(uow, person, key, values["team"])
    except AccordError as error:
        return _refused(request, uow, person, key, "invite", error, ["team"], values)
    return after_change(request, f"/partnerships/{key}#invitations")


def _invitation_refused(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    key: str,
    invitation_id: int,
    error: AccordError,
    values: dict[str, Any],
) -> Response:
    """A refused answer: a field's error beside the invitation, any other above the list (the
    invitation may be answered already, and so gone from it)."""
    found = errors_of(error, ["contribution"])
    errors = {f"invitation-{invitation_id}": found}
    if found.general:
        errors["invitations"] = found
    return _partnership(
        request,
        uow,
        person,
        key,
        errors=errors,
        values={f"invitation-{invitation_id}": values},
        status_code=found.status,
    )


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
    values = {"contribution": text(form, "contribution")}
    try:
        partnerships.accept_invitation(uow, person, invitation_id, values["contribution"])
    except AccordError as error:
        return _invitation_refused(request, uow, person, key, invitation_id, error, values)
    return after_change(request, f"/partnerships/{key}#charter")


@router.post(
    "/partnerships/{key}/invitations/{invitation_id}/decline", response_class=HTMLResponse
)
def decline_invitation(
    request: Request,
    person: PagePerson,
    uow: UowDep,
    form: Form,
    key: str,
    invitation_id: InvitationId,
) -> Response:
    """Turn an invitation down for the invited team."""
    try:
        partnerships.decline_invitation(uow, person, invitation_id)
    except AccordError as error:
        return _invitation_refused(request, uow, person, key, invitation_id, error, {})
    return after_change(request, "/" if text(form, "back") == "desk" else f"/partnerships/{key}")


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
    try:
        partnerships.withdraw_invitation(uow, person, invitation_id)
    except AccordError as error:
        return _invitation_refused(request, uow, person, key, invitation_id, error, {})
    return after_change(request, f"/partnerships/{key}#invitations")


@router.post("/partnerships/{key}/leave", response_class=HTMLResponse)
def leave(request: Request, person: PagePerson, uow: UowDep, form: Form, key: str) -> Response:
    """Leave the partnership for a party my team is."""
    team = text(form, "team")
    try:
        partnerships.leave(uow, person, key, team)
    except AccordError as error:
        return _refused(request, uow, person, key, f"party-{team}", error, [], {})
    return after_change(request, f"/partnerships/{key}")


@router.post("/partnerships/{key}/charter", response_class=HTMLResponse)
def edit_charter(
    request: Request, person: PagePerson, uow: UowDep, form: Form, key: str
) -> Response:
    """Edit the name, working agreements and review cadence."""
    values = {
        "name": text(form, "name"),
        "working_agreements": text(form, "working_agreements"),
        "review_every_days": text(form, "review_every_days"),
    }
    try:
        partnerships.update_charter(
            uow,
            person,
            key,
            name=values["name"] or None,
            working_agreements=lines(form, "working_agreements"),
            review_every_days=_days(form),
        )
    except AccordError as error:
        return _refused(request, uow, person, key, "charter", error, list(values), values)
    return after_change(request, f"/partnerships/{key}")


@router.post("/partnerships/{key}/status", response_class=HTMLResponse)
def change_status(
    request: Request, person: PagePerson, uow: UowDep, form: Form, key: str
) -> Response:
    """Pause, resume, conclude or dissolve the partnership."""
    try:
        partnerships.set_status(uow, person, key, text(form, "status"))
    except AccordError as error:
        return _refused(request, uow, person, key, "status", error, [], {})
    return after_change(request, f"/partnerships/{key}")


@router.post("/partnerships/{key}/commitments", response_class=HTMLResponse)
def request_commitment(
    request: Request, person: PagePerson, uow: UowDep, form: Form, key: str
) -> Response:
    """Ask a partner team for something: the request move."""
    values = {name: text(form, name) for name in REQUEST_FIELDS}
    try:
        due = instant(values["due"], "due")
        created = commitments.request(
            uow,
            person,
            partnership=key,
            requester=values["requester"],
            performer=values["performer"],
            title=values["title"],
            due=due,
            conditions_of_satisfaction=values["conditions_of_satisfaction"],
            reliance=values["reliance"] or None,
            measure=optional(form, "measure"),
        )
    except AccordError as error:
        found = errors_of(error, REQUEST_FIELDS)
        return _partnership(
            request,
            uow,
            person,
            key,
            fragment="_request_form.html",
            errors={"request": found},
            values={"request": values},
            status_code=found.status,
        )
    return after_change(request, f"/partnerships/{key}#c-{created.key}")
