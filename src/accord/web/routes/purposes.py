"""Pages: purposes, their measures, the partnerships that serve them and their forecast."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import ReadUowDep, SettingsDep, UowDep
from accord.config import Settings
from accord.events import service as events
from accord.org.domain import Person, may_write
from accord.partnerships import service as partnerships
from accord.purposes import service as purposes
from accord.purposes.domain import Measure, PurposeStatus
from accord.purposes.schemas import MeasureCreate, MeasureUpdateCreate, PurposeCreate, PurposeUpdate
from accord.purposes.service import PurposeView
from accord.trust import forecast as forecasts
from accord.uow import UnitOfWork
from accord.web.common import Form, PagePerson, page_router, render, text
from accord.web.forms import FormErrors, act, data_of, shown

router = page_router()

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
NUMBERS = ("baseline", "target", "current")


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
    values = shown(form, CREATE_FIELDS)
    optional = ("sponsor", "target_date", "parent", "key")

    def create(body: PurposeCreate) -> str:
        created = purposes.create_purpose(uow, person, **body.model_dump())
        return f"/purposes/{quote(created.key)}"

    def again(errors: FormErrors) -> Response:
        return _list_page(
            request, read, person, None, errors=errors, values=values, status_code=errors.status
        )

    data = data_of(form, CREATE_FIELDS, optional=optional)
    return act(request, PurposeCreate, data, create, again, inputs=CREATE_FIELDS)


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


def _moves(view: PurposeView) -> list[tuple[str, str]]:
    """The status moves the reader may make now, as (status, button text)."""
    reopening = view.purpose.status in (PurposeStatus.ACHIEVED, PurposeStatus.ABANDONED)
    return [
        (s.value, "Reopen" if reopening and s == PurposeStatus.ACTIVE else MOVE_LABELS[s])
        for s in view.status_moves
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
    view = purposes.purpose_view(uow, person, key)
    purpose = view.purpose
    children = [
        p
        for p in purposes.list_purposes(uow)
        if p.parent is not None and p.parent.key == purpose.key
    ]
    serving = partnerships.list_partnerships(uow, purpose=purpose.key)
    forecast = forecasts.purpose_forecast(uow, settings, person, purpose.key)
    rows = forecast.commitments
    names = events.names_of(
        uow,
        {
            "commitments": {c.key for c in rows},
            "teams": {c.requester for c in rows} | {c.performer for c in rows},
        },
    )
    may_edit, may_update = view.may_edit, view.may_update_measures
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
            "names": names,
            "histories": {m.name: _history(m) for m in purpose.measures if m.updates},
            "may_edit": may_edit,
            "refusals": refusals,
            "moves": _moves(view),
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

    def edit(body: PurposeUpdate) -> str:
        purposes.update_purpose(uow, person, key, **body.model_dump(exclude_unset=True))
        return f"/purposes/{quote(key)}"

    def again(errors: FormErrors) -> Response:
        return _detail_page(
            request,
            read,
            settings,
            person,
            key,
            errors={"edit": errors},
            values={"edit": shown(form, EDIT_FIELDS)},
            status_code=errors.status,
        )

    data = data_of(form, EDIT_FIELDS, nulls=["target_date"])
    return act(request, PurposeUpdate, data, edit, again, inputs=EDIT_FIELDS)


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

    def move(body: PurposeUpdate) -> str:
        purposes.set_status(uow, person, key, body.status or "")
        return f"/purposes/{quote(key)}"

    def again(errors: FormErrors) -> Response:
        status = errors.status
        return _detail_page(
            request, read, settings, person, key, errors={"status": errors}, status_code=status
        )

    return act(request, PurposeUpdate, data_of(form, ["status"]), move, again)


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

    def add(body: MeasureCreate) -> str:
        purposes.add_measure(uow, person, key, **body.model_dump())
        return f"/purposes/{quote(key)}#measures"

    def again(errors: FormErrors) -> Response:
        return _detail_page(
            request,
            read,
            settings,
            person,
            key,
            errors={"measure": errors},
            values={"measure": shown(form, MEASURE_FIELDS)},
            status_code=errors.status,
        )

    data = data_of(form, MEASURE_FIELDS, optional=NUMBERS, numbers=NUMBERS)
    return act(request, MeasureCreate, data, add, again, inputs=MEASURE_FIELDS)


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

    def update(body: MeasureUpdateCreate) -> str:
        purposes.update_measure(uow, person, key, name, value=body.value, note=body.note)
        return f"/purposes/{quote(key)}#measures"

    def again(errors: FormErrors) -> Response:
        return _detail_page(
            request,
            read,
            settings,
            person,
            key,
            errors={f"update:{name}": errors},
            values={f"update:{name}": shown(form, UPDATE_FIELDS)},
            status_code=errors.status,
        )

    data = data_of(form, UPDATE_FIELDS, numbers=["value"])
    return act(request, MeasureUpdateCreate, data, update, again, inputs=UPDATE_FIELDS)
