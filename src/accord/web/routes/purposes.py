"""Pages: purposes, their measures, the partnerships that serve them and their forecast."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from accord.api.deps import ReadUowDep, SettingsDep, UowDep
from accord.config import Settings
from accord.errors import AccordError
from accord.org.domain import GlobalRole, MemberRole, Person
from accord.partnerships import service as partnerships
from accord.purposes import service as purposes
from accord.purposes.domain import STATUS_MOVES, Measure, Purpose, PurposeStatus
from accord.trust import forecast as forecasts
from accord.uow import UnitOfWork
from accord.web.common import (
    Form,
    FormErrors,
    PagePerson,
    after_change,
    errors_of,
    render,
    text,
)

router = APIRouter(include_in_schema=False)

STATUSES = [s.value for s in PurposeStatus]
# What the button that moves a purpose to a status says, given where it is now.
MOVE_LABELS = {
    PurposeStatus.ACTIVE: "Activate",
    PurposeStatus.ACHIEVED: "Mark achieved",
    PurposeStatus.ABANDONED: "Abandon",
}
CREATE_FIELDS = ("title", "statement", "sponsor", "target_date", "parent", "key")
EDIT_FIELDS = ("title", "statement", "target_date")
MEASURE_FIELDS = ("name", "unit", "baseline", "target", "current")
UPDATE_FIELDS = ("value", "note")
# Messages (or rules) that are about a field without beginning with its name.
CREATE_PREFIXES = {
    "purpose title": "title",
    "purpose key": "key",
    "no person": "sponsor",
    "no purpose": "parent",
}
MEASURE_PREFIXES = {
    "measure name": "name",
    "baseline of": "baseline",
    "target of": "target",
    "current of": "current",
}
UPDATE_PREFIXES = {"value of": "value", "measure.time_backwards": "value", "note": "note"}


def may_write(person: Person) -> bool:
    """Members and admins shape purposes; viewers only read (DESIGN §7)."""
    return person.active and person.role != GlobalRole.VIEWER


def may_move(person: Person, purpose: Purpose) -> bool:
    """The sponsor or an admin activates, achieves and abandons."""
    if person.is_admin:
        return True
    sponsor = purpose.sponsor
    return may_write(person) and sponsor is not None and sponsor.email == person.email


def may_update_measures(person: Person, purpose: Purpose, serving: list[Any]) -> bool:
    """The sponsor, or a lead of a team in a partnership on the purpose (not admins as such)."""
    if not may_write(person):
        return False
    if purpose.sponsor is not None and purpose.sponsor.email == person.email:
        return True
    led = {m.team.slug for m in person.current_memberships if m.role == MemberRole.LEAD}
    return any(party.team.slug in led for v in serving for party in v.partnership.parties)


def _number(form_value: str, name: str, errors: FormErrors) -> float | None:
    if not form_value:
        return None
    try:
        return float(form_value.replace(",", "."))
    except ValueError:
        errors.fields[name] = f"{name.replace('_', ' ').capitalize()} must be a number."
        return None


def _date(form_value: str, name: str, errors: FormErrors) -> date | None:
    if not form_value:
        return None
    try:
        return date.fromisoformat(form_value)
    except ValueError:
        errors.fields[name] = "Give the date as YYYY-MM-DD."
        return None


def _list_page(
    request: Request,
    uow: UnitOfWork,
    person: Person,
    status: str | None,
    *,
    errors: FormErrors | None = None,
    values: Mapping[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    wanted = status if status in STATUSES else None
    may_create = may_write(person)
    found = purposes.list_purposes(uow, status=wanted)
    counts = partnerships.count_by_purpose(uow)
    every = found if wanted is None else purposes.list_purposes(uow)
    return render(
        request,
        "purposes.html",
        {
            "person": person,
            "purposes": found,
            "counts": counts,
            "status": wanted,
            "statuses": STATUSES,
            "may_create": may_create,
            "parents": [(p.key, p.title) for p in every],
            "errors": errors or FormErrors(),
            "values": values or {"sponsor": person.email},
        },
        status_code,
    )


@router.get("/purposes", response_class=HTMLResponse)
def purpose_list(
    request: Request, person: PagePerson, uow: ReadUowDep, status: str | None = None
) -> Response:
    """Purposes, optionally of one status, and a form for a new one."""
    return _list_page(request, uow, person, status)


@router.post("/purposes", response_class=HTMLResponse)
def create_purpose(
    request: Request, person: PagePerson, uow: UowDep, read: ReadUowDep, form: Form
) -> Response:
    """Create a purpose in draft."""
    values = {name: text(form, name) for name in CREATE_FIELDS}
    errors = FormErrors()
    target_date = _date(values["target_date"], "target_date", errors)
    if not errors:
        try:
            created = purposes.create_purpose(
                uow,
                person,
                title=values["title"],
                statement=values["statement"],
                sponsor=values["sponsor"] or None,
                target_date=target_date,
                parent=values["parent"] or None,
                key=values["key"] or None,
            )
            return after_change(request, f"/purposes/{quote(created.key)}")
        except AccordError as error:
            errors = errors_of(error, CREATE_FIELDS, CREATE_PREFIXES)
    return _list_page(
        request, read, person, None, errors=errors, values=values, status_code=errors.status
    )


def _history(measure: Measure) -> tuple[list[tuple[datetime, float]], float, float]:
    """A measure's updates as chart points, and a y range that holds them, baseline and target."""
    points = [(u.at, u.value) for u in measure.updates]
    numbers = [v for _, v in points]
    numbers += [n for n in (measure.baseline, measure.target) if n is not None]
    low, high = min(numbers), max(numbers)
    if low == high:
        return points, low - 1, high + 1
    room = (high - low) * 0.1
    return points, low - room, high + room


def _moves(person: Person, purpose: Purpose) -> list[tuple[str, str]]:
    """The status moves this person may make now, as (status, button text)."""
    if not may_move(person, purpose):
        return []
    reopening = purpose.status in (PurposeStatus.ACHIEVED, PurposeStatus.ABANDONED)
    return [
        (s.value, "Reopen" if reopening and s == PurposeStatus.ACTIVE else MOVE_LABELS[s])
        for s in sorted(STATUS_MOVES[purpose.status], key=STATUSES.index)
    ]


def _detail_page(
    request: Request,
    uow: UnitOfWork,
    settings: Settings,
    person: Person,
    key: str,
    *,
    errors: Mapping[str, FormErrors] | None = None,
    values: Mapping[str, Mapping[str, str]] | None = None,
    status_code: int = 200,
) -> Response:
    purpose = purposes.get_purpose(uow, key)
    children = [
        p
        for p in purposes.list_purposes(uow)
        if p.parent is not None and p.parent.key == purpose.key
    ]
    serving = partnerships.list_partnerships(uow, purpose=purpose.key)
    forecast = forecasts.purpose_forecast(uow, settings, person, purpose.key)
    may_edit, may_update = may_write(person), may_update_measures(person, purpose, serving)
    shown = {"edit": may_edit, "measure": may_edit, "status": True}
    # A refusal of a form this person is not shown goes above the page.
    refusals = [
        e.general or next(iter(e.fields.values()), "")
        for name, e in (errors or {}).items()
        if not shown.get(name, may_update) and e
    ]
    return render(
        request,
        "purpose.html",
        {
            "person": person,
            "purpose": purpose,
            "children": children,
            "serving": serving,
            "forecast": forecast,
            "histories": {m.name: _history(m) for m in purpose.measures if m.updates},
            "may_edit": may_edit,
            "refusals": refusals,
            "moves": _moves(person, purpose),
            "may_update": may_update,
            "errors": errors or {},
            "values": values or {},
        },
        status_code,
    )


@router.get("/purposes/{key}", response_class=HTMLResponse)
def purpose_page(
    request: Request, key: str, person: PagePerson, uow: ReadUowDep, settings: SettingsDep
) -> Response:
    """A purpose: statement, measures, partnerships serving it, and its forecast."""
    return _detail_page(request, uow, settings, person, key)


@router.post("/purposes/{key}/edit", response_class=HTMLResponse)
def edit_purpose(
    request: Request,
    key: str,
    person: PagePerson,
    uow: UowDep,
    read: ReadUowDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """Change a purpose's title, statement and target date."""
    values = {name: text(form, name) for name in EDIT_FIELDS}
    errors = FormErrors()
    target_date = _date(values["target_date"], "target_date", errors)
    if not errors:
        try:
            purposes.update_purpose(
                uow,
                person,
                key,
                title=values["title"],
                statement=values["statement"],
                target_date=target_date,
            )
            return after_change(request, f"/purposes/{quote(key)}")
        except AccordError as error:
            errors = errors_of(error, EDIT_FIELDS, CREATE_PREFIXES)
    return _detail_page(
        request,
        read,
        settings,
        person,
        key,
        errors={"edit": errors},
        values={"edit": values},
        status_code=errors.status,
    )


@router.post("/purposes/{key}/status", response_class=HTMLResponse)
def move_purpose(
    request: Request,
    key: str,
    person: PagePerson,
    uow: UowDep,
    read: ReadUowDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """Activate, achieve, abandon or reopen a purpose."""
    try:
        purposes.set_status(uow, person, key, text(form, "status"))
        return after_change(request, f"/purposes/{quote(key)}")
    except AccordError as error:
        errors = errors_of(error, ("status",))
    return _detail_page(
        request, read, settings, person, key, errors={"status": errors}, status_code=errors.status
    )


@router.post("/purposes/{key}/measures", response_class=HTMLResponse)
def add_measure(
    request: Request,
    key: str,
    person: PagePerson,
    uow: UowDep,
    read: ReadUowDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """Add a measure (key result) to a purpose."""
    values = {name: text(form, name) for name in MEASURE_FIELDS}
    errors = FormErrors()
    numbers = {n: _number(values[n], n, errors) for n in ("baseline", "target", "current")}
    if not errors:
        try:
            purposes.add_measure(
                uow, person, key, name=values["name"], unit=values["unit"], **numbers
            )
            return after_change(request, f"/purposes/{quote(key)}#measures")
        except AccordError as error:
            errors = errors_of(error, MEASURE_FIELDS, MEASURE_PREFIXES)
    return _detail_page(
        request,
        read,
        settings,
        person,
        key,
        errors={"measure": errors},
        values={"measure": values},
        status_code=errors.status,
    )


@router.post("/purposes/{key}/measure-updates", response_class=HTMLResponse)
def update_measure(
    request: Request,
    key: str,
    person: PagePerson,
    uow: UowDep,
    read: ReadUowDep,
    settings: SettingsDep,
    form: Form,
) -> Response:
    """Record a measure's new value with a note."""
    name = text(form, "measure")
    values = {field: text(form, field) for field in UPDATE_FIELDS}
    errors = FormErrors()
    value = _number(values["value"], "value", errors)
    if value is None and not errors:
        errors.fields["value"] = "Value is needed."
    if value is not None and not errors:
        try:
            purposes.update_measure(uow, person, key, name, value=value, note=values["note"])
            return after_change(request, f"/purposes/{quote(key)}#measures")
        except AccordError as error:
            errors = errors_of(error, UPDATE_FIELDS, UPDATE_PREFIXES)
    return _detail_page(
        request,
        read,
        settings,
        person,
        key,
        errors={f"update:{name}": errors},
        values={f"update:{name}": values},
        status_code=errors.status,
    )
