"""Pages: administration of people, teams and imports (admins only)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import UploadFile

from accord.channel.deps import ReadUowDep, UowDep
from accord.errors import AccordError
from accord.interchange import importer
from accord.interchange.report import ImportRefused
from accord.org import service as org
from accord.org.domain import GlobalRole, MemberRole, Person, TeamKind, ensure_admin
from accord.org.schemas import MembershipSet, PersonCreate, PersonUpdate, TeamCreate, TeamUpdate
from accord.uow import UnitOfWork
from accord.web.common import Form, PagePerson, UploadForm, page_router, render, text
from accord.web.forms import FormErrors, act, data_of, perform, shown

router = page_router()

PAGE_SIZE = 100
MAX_IMPORT_BYTES = 64 * 1024 * 1024
ROLES = [(r.value, r.value.capitalize()) for r in GlobalRole]
MEMBER_ROLES = [(r.value, r.value.capitalize()) for r in MemberRole]
KINDS = [(k.value, k.value.replace("_", " ").capitalize()) for k in TeamKind]
PERSON_FIELDS = ("email", "name", "role", "password")
TEAM_FIELDS = ("slug", "name", "kind", "parent", "mission")
MEMBER_FIELDS = ("email", "role")


def admin_person(person: PagePerson) -> Person:
    """The signed-in person, if an admin; anyone else is refused (403)."""
    ensure_admin(person, "use the admin pages")
    return person


AdminPerson = Annotated[Person, Depends(admin_person)]


def _person_url(email: str) -> str:
    return "/admin/people/" + quote(email, safe="@")


@router.get("/admin", response_class=HTMLResponse)
def admin_home(request: Request, person: AdminPerson, uow: ReadUowDep) -> Response:
    """Administration: people, teams, import and export."""
    people = org.list_people(uow)
    return render(
        request,
        "admin.html",
        {
            "person": person,
            "people": len(people),
            "active": sum(1 for p in people if p.active),
            "admins": sum(1 for p in people if p.is_admin and p.active),
            "teams": org.count_teams(uow),
        },
    )


def _people_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    after: str | None,
    *,
    errors: FormErrors | None = None,
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = org.list_people(uow, after=after, limit=PAGE_SIZE + 1)
    shown = found[:PAGE_SIZE]
    return render(
        request,
        "admin_people.html",
        {
            "person": person,
            "people": shown,
            "after": after,
            "next": shown[-1].email if len(found) > PAGE_SIZE else None,
            "roles": ROLES,
            "errors": errors or FormErrors(),
            "values": values or {"role": "member"},
        },
        status_code,
    )


@router.get("/admin/people", response_class=HTMLResponse)
def people_page(
    request: Request, person: AdminPerson, uow: ReadUowDep, after: str | None = None
) -> Response:
    """Everyone who may sign in, with their role and teams, and a form for a new person."""
    return _people_page(request, uow, person, after)


@router.post("/admin/people", response_class=HTMLResponse)
def create_person(
    request: Request, person: AdminPerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Create a person, with a first password if one is given."""

    def create(body: PersonCreate) -> str:
        created = org.create_person(uow, person, **body.model_dump())
        return _person_url(created.email)

    def again(errors: FormErrors) -> Response:
        values = {**shown(form, PERSON_FIELDS), "password": ""}  # never echoed into the page
        return _people_page(
            request, read, person, None, errors=errors, values=values, status_code=errors.status
        )

    data = data_of(form, PERSON_FIELDS, optional=["role", "password"])
    return act(request, PersonCreate, data, create, again, inputs=PERSON_FIELDS)


def _person_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    email: str,
    *,
    errors: Mapping[str, FormErrors] | None = None,
    status_code: int = 200,
) -> Response:
    return render(
        request,
        "admin_person.html",
        {
            "person": person,
            "who": org.get_person(uow, email),
            "roles": ROLES,
            "errors": errors or {},
        },
        status_code,
    )


def _person_again(
    request: Request, uow: UnitOfWork, person: Person, email: str, form_name: str
) -> Callable[[FormErrors], Response]:
    """The person's page again, with the refusal of its form `form_name`."""

    def again(errors: FormErrors) -> Response:
        return _person_page(
            request, uow, person, email, errors={form_name: errors}, status_code=errors.status
        )

    return again


@router.get("/admin/people/{email}", response_class=HTMLResponse)
def person_page(request: Request, email: str, person: AdminPerson, uow: ReadUowDep) -> Response:
    """One person: role, whether they may sign in, password, teams."""
    return _person_page(request, uow, person, email)


@router.post("/admin/people/{email}/role", response_class=HTMLResponse)
def change_role(
    request: Request, email: str, person: AdminPerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Change a person's global role."""

    def change(body: PersonUpdate) -> str:
        org.update_person(uow, person, email, **body.model_dump(exclude_unset=True))
        return _person_url(email)

    again = _person_again(request, read, person, email, "role")
    return act(request, PersonUpdate, data_of(form, ["role"]), change, again, inputs=["role"])


@router.post("/admin/people/{email}/active", response_class=HTMLResponse)
def change_active(
    request: Request, email: str, person: AdminPerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Deactivate a person (they can no longer sign in) or reactivate them."""

    def change(body: PersonUpdate) -> str:
        org.update_person(uow, person, email, **body.model_dump(exclude_unset=True))
        return _person_url(email)

    again = _person_again(request, read, person, email, "active")
    return act(request, PersonUpdate, {"active": text(form, "active") == "yes"}, change, again)


@router.post("/admin/people/{email}/password", response_class=HTMLResponse)
def change_password(
    request: Request, email: str, person: AdminPerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Set a person's password; their open sessions end."""

    def set_it() -> str:
        org.set_password(uow, person, email, text(form, "password"))
        return _person_url(email) + "?password=set"

    again = _person_again(request, read, person, email, "password")
    return perform(request, set_it, again, inputs=["password"])


def _teams_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    after: str | None,
    *,
    errors: FormErrors | None = None,
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    found = org.list_teams(uow, after=after, limit=PAGE_SIZE + 1)
    shown = found[:PAGE_SIZE]
    return render(
        request,
        "admin_teams.html",
        {
            "person": person,
            "teams": shown,
            "after": after,
            "next": shown[-1].slug if len(found) > PAGE_SIZE else None,
            "kinds": KINDS,
            "parents": list(org.team_names(uow).items()),
            "errors": errors or FormErrors(),
            "values": values or {"kind": "team"},
        },
        status_code,
    )


@router.get("/admin/teams", response_class=HTMLResponse)
def teams_page(
    request: Request, person: AdminPerson, uow: ReadUowDep, after: str | None = None
) -> Response:
    """Every team with its kind, parent and members, and a form for a new team."""
    return _teams_page(request, uow, person, after)


@router.post("/admin/teams", response_class=HTMLResponse)
def create_team(
    request: Request, person: AdminPerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Create a team."""

    def create(body: TeamCreate) -> str:
        created = org.create_team(uow, person, **body.model_dump())
        return f"/admin/teams/{quote(created.slug)}"

    def again(errors: FormErrors) -> Response:
        values = shown(form, TEAM_FIELDS)
        return _teams_page(
            request, read, person, None, errors=errors, values=values, status_code=errors.status
        )

    data = data_of(form, TEAM_FIELDS, optional=["kind", "parent"])
    return act(request, TeamCreate, data, create, again, inputs=TEAM_FIELDS)


def _team_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    slug: str,
    *,
    errors: Mapping[str, FormErrors] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    team = org.get_team(uow, slug)
    members = sorted(
        (m for m in team.memberships if m.left_at is None),
        key=lambda m: (m.role != MemberRole.LEAD, m.person.name.lower()),
    )
    return render(
        request,
        "admin_team.html",
        {
            "person": person,
            "team": team,
            "members": members,
            "kinds": KINDS,
            "member_roles": MEMBER_ROLES,
            "parents": [(s, n) for s, n in org.team_names(uow).items() if s != team.slug],
            "errors": errors or {},
            "values": values or {},
        },
        status_code,
    )


def _team_again(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    slug: str,
    form_name: str,
    values: Mapping[str, str] | None = None,
) -> Callable[[FormErrors], Response]:
    """The team's page again, with the refusal of its form `form_name` and what was typed."""

    def again(errors: FormErrors) -> Response:
        return _team_page(
            request,
            uow,
            person,
            slug,
            errors={form_name: errors},
            values={form_name: values or {}},
            status_code=errors.status,
        )

    return again


@router.get("/admin/teams/{slug}", response_class=HTMLResponse)
def team_page(request: Request, slug: str, person: AdminPerson, uow: ReadUowDep) -> Response:
    """One team: edit it, and add or remove its members."""
    return _team_page(request, uow, person, slug)


@router.post("/admin/teams/{slug}", response_class=HTMLResponse)
def edit_team(
    request: Request, slug: str, person: AdminPerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Change a team's name, kind, parent and mission."""

    def edit(body: TeamUpdate) -> str:
        org.update_team(uow, person, slug, **body.model_dump(exclude_unset=True))
        return f"/admin/teams/{quote(slug)}"

    again = _team_again(request, read, person, slug, "edit", shown(form, TEAM_FIELDS))
    # an empty kind keeps the one it has; an empty parent takes the team out of the tree
    data = data_of(form, ("name", "mission", "kind", "parent"), optional=["kind"], nulls=["parent"])
    return act(request, TeamUpdate, data, edit, again, inputs=TEAM_FIELDS)


@router.post("/admin/teams/{slug}/members", response_class=HTMLResponse)
def add_member(
    request: Request, slug: str, person: AdminPerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Add a person to the team, or change their role in it."""

    def add(body: MembershipSet) -> str:
        org.set_membership(uow, person, slug, body.email, body.role)
        return f"/admin/teams/{quote(slug)}"

    again = _team_again(request, read, person, slug, "member", shown(form, MEMBER_FIELDS))
    data = data_of(form, MEMBER_FIELDS, optional=["role"])
    return act(request, MembershipSet, data, add, again, inputs=MEMBER_FIELDS)


@router.post("/admin/teams/{slug}/members/remove", response_class=HTMLResponse)
def remove_member(
    request: Request, slug: str, person: AdminPerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Take a person out of the team (the membership is kept, ended, for the record)."""

    def remove() -> str:
        org.remove_membership(uow, person, slug, text(form, "email"))
        return f"/admin/teams/{quote(slug)}"

    again = _team_again(request, read, person, slug, "remove")
    return perform(request, remove, again, inputs=["email"])


@router.get("/admin/import", response_class=HTMLResponse)
def import_page(request: Request, person: AdminPerson) -> Response:
    """Upload an accord/1 document; download the whole organization as one."""
    return render(request, "admin_import.html", {"person": person})


def _read_document(upload: object) -> tuple[Any, str | None]:
    """The uploaded file as JSON, or why it is not."""
    if not isinstance(upload, UploadFile) or not upload.filename:
        return None, "choose an accord/1 JSON file to import"
    raw = upload.file.read(MAX_IMPORT_BYTES + 1)
    if len(raw) > MAX_IMPORT_BYTES:
        return None, f"the file is larger than {MAX_IMPORT_BYTES // (1024 * 1024)} MB"
    try:
        return json.loads(raw.decode("utf-8-sig")), None
    except UnicodeDecodeError:
        return None, "the file is not text in UTF-8"
    except json.JSONDecodeError as error:
        return (
            None,
            f"the file is not JSON: {error.msg} at line {error.lineno}, column {error.colno}",
        )


@router.post("/admin/import", response_class=HTMLResponse)
def import_document(
    request: Request,
    person: AdminPerson,
    uow: UowDep,
    form: UploadForm,
) -> Response:
    """Import an accord/1 document whole or not at all; every problem is shown with its path."""
    upload = form.get("document")
    try:
        return _import(request, person, uow, upload)
    finally:
        if isinstance(upload, UploadFile):
            upload.file.close()


def _import(request: Request, person: Person, uow: UnitOfWork, upload: object) -> Response:
    name = upload.filename if isinstance(upload, UploadFile) else None
    data, unreadable = _read_document(upload)
    context: dict[str, Any] = {"person": person, "filename": name}
    if unreadable is not None:
        context["problems"] = [{"path": "", "message": unreadable}]
        return render(request, "admin_import.html", context, 422)
    try:
        report = importer.import_document(uow, person, data, settings=request.app.state.settings)
    except ImportRefused as refused:
        context["problems"] = [{"path": p.path, "message": p.message} for p in refused.problems]
        return render(request, "admin_import.html", context, 422)
    except AccordError as error:
        context["problems"] = [{"path": "", "message": error.message}]
        return render(request, "admin_import.html", context, 422)
    context["report"] = report
    return render(request, "admin_import.html", context)
