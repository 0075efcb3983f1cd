"""Pages: one commitment (terms, timeline, forecast) and the moves made with buttons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.datastructures import FormData

from accord.api.deps import SettingsDep, UowDep
from accord.api.errors import status_of
from accord.commitments import service as commitments
from accord.commitments.domain import MOVE_FIELDS, Move
from accord.config import Settings
from accord.errors import AccordError, Forbidden, Invalid, choice
from accord.org.domain import Person
from accord.trust import forecast as forecasts
from accord.trust import pairs
from accord.trust.words import method_words
from accord.uow import UnitOfWork
from accord.web.common import (
    Form,
    FormErrors,
    PagePerson,
    PageUow,
    error_page,
    errors_of,
    instant,
    redirect,
    render,
    sentence,
    text,
)
from accord.web.routes.partnerships import partnership_context

router = APIRouter(include_in_schema=False)
MOVE_INPUTS = ["title", "conditions_of_satisfaction", "due", "reliance", "note", "reason", "value"]


def commitment_context(
    uow: UnitOfWork,
    settings: Settings,
    person: Person,
    key: str,
    *,
    errors: dict[str, FormErrors] | None = None,
    values: dict[str, dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Everything the commitment page shows, for the page and for its HTMX fragment."""
    view = commitments.get_commitment(uow, key, person)
    forecast = None
    hidden = None
    pair = None
    evidence = None
    try:
        forecast = forecasts.commitment_forecast(uow, settings, person, key)
        c = view.commitment
        pair = pairs.pair_record(uow, settings, person, c.performer.slug, c.requester.slug)
        evidence = next((row for row in pair.rows if row.key == key), None)
    except Forbidden as refusal:
        hidden = str(refusal)
    return {
        "person": person,
        "view": view,
        "c": view.commitment,
        "history": commitments.history(uow, key, person),
        "forecast": forecast,
        "forecast_hidden": hidden,
        "forecast_method": method_words(forecast.method) if forecast else None,
        "pair": pair,
        "evidence": evidence,
        "half_life_days": settings.half_life_days,
        "now": uow.now(),
        "errors": errors or {},
        "values": values or {},
    }


@router.get("/commitments/{key}", response_class=HTMLResponse)
def commitment_page(
    request: Request, person: PagePerson, uow: PageUow, settings: SettingsDep, key: str
) -> Response:
    """A commitment: its terms, what may be done next, its history and its forecast."""
    with uow:  # open while rendering: templates follow relations of what was loaded
        return render(request, "commitment.html", commitment_context(uow, settings, person, key))


def move_args(move: Move, form: FormData) -> dict[str, Any]:
    """The fields this move takes, read from the form; empty ones are left out."""
    allowed, _ = MOVE_FIELDS[move]
    args: dict[str, Any] = {}
    for name in sorted(allowed):
        value = text(form, name)
        if not value:
            continue
        if name == "due":
            args[name] = instant(value, "due")
        elif name == "value":
            if not value.isdigit():
                raise Invalid(
                    f"value must be a whole number from 1 to 5, is {value!r}",
                    rule="commitment.value_invalid",
                )
            args[name] = int(value)
        else:
            args[name] = value
    return args


def _move_errors(error: AccordError) -> FormErrors:
    """A refused move's message, beside the field it is about when there is one."""
    errors = errors_of(error, MOVE_INPUTS)
    if error.rule == "commitment.missing_field" and errors.general:
        # the message names the move first ("'decline' needs reason"), then the missing fields
        missing = error.message.rpartition(" needs ")[2].split(", ")[0]
        if missing in MOVE_INPUTS:
            errors.fields[missing], errors.general = errors.general, None
    return errors


def new_terms_only(args: dict[str, Any], terms: dict[str, Any]) -> dict[str, Any]:
    """The form shows the terms in force to edit; a term left as it was is not a new term.

    A due date shown to the minute and sent back unchanged keeps its seconds this way."""
    kept = {}
    for name, value in args.items():
        old = terms.get(name)
        if name == "due" and old is not None and value == old.replace(second=0, microsecond=0):
            continue
        if name != "due" and name in terms and value == (old or "").strip():
            continue
        kept[name] = value
    return kept


@router.post("/commitments/{key}/moves", response_class=HTMLResponse)
def make_move(
    request: Request,
    person: PagePerson,
    uow: UowDep,
    settings: SettingsDep,
    form: Form,
    key: str,
) -> Response:
    """Make one move of the conversation for action; only the moves offered are accepted."""
    on_board = text(form, "view") == "board"
    name = text(form, "move")
    version_text = text(form, "version")
    values = {field: text(form, field) for field in MOVE_INPUTS}
    partnership = ""
    try:
        partnership = commitments.get_commitment(uow, key).commitment.partnership.key
        the_move = choice(Move, name, "move")
        if not version_text.isdigit():
            raise Invalid(
                "a move needs the version of the commitment it was made on; reload the page",
                rule="commitment.version_required",
            )
        current = commitments.get_commitment(uow, key).commitment
        args = new_terms_only(move_args(the_move, form), current.terms())
        commitments.move(uow, person, key, the_move, version=int(version_text), **args)
    except AccordError as error:
        errors = {f"{key}:{name}": _move_errors(error)}
        keyed = {f"{key}:{name}": values}
        status = status_of(error)
        htmx = request.headers.get("HX-Request")
        offered = {m.value for m in commitments.get_commitment(uow, key, person).allowed_moves}
        if name not in offered:  # no form to show the message beside: a page (or #flash) says it
            return error_page(request, status, sentence(error.message))
        with uow:  # open while rendering: templates follow relations of what was loaded
            if on_board and partnership:
                context = partnership_context(uow, person, partnership, errors=errors, values=keyed)
                return render(
                    request, "_board.html" if htmx else "partnership.html", context, status
                )
            context = commitment_context(uow, settings, person, key, errors=errors, values=keyed)
            template = "_commitment_main.html" if htmx else "commitment.html"
            return render(request, template, context, status)
    if request.headers.get("HX-Request"):
        with uow:
            if on_board:
                return render(request, "_board.html", partnership_context(uow, person, partnership))
            return render(
                request, "_commitment_main.html", commitment_context(uow, settings, person, key)
            )
    if on_board:
        return redirect(f"/partnerships/{partnership}#c-{key}")
    return redirect(f"/commitments/{key}")
