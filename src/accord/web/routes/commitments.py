"""Pages: one commitment (terms, timeline, forecast) and the moves made with buttons."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.channel.deps import SettingsDep, UowDep
from accord.commitments import service as commitments
from accord.commitments import words
from accord.commitments.domain import Move
from accord.commitments.schemas import MoveCreate
from accord.config import Settings
from accord.errors import Forbidden, Invalid
from accord.org.domain import Person
from accord.trust import forecast as forecasts
from accord.trust import pairs
from accord.trust.words import method_words
from accord.uow import UnitOfWork
from accord.web.common import (
    Form,
    PagePerson,
    PageUow,
    error_page,
    is_htmx,
    page_router,
    redirect,
    render,
    text,
)
from accord.web.forms import FormErrors, act, data_of, require, shown
from accord.web.routes.partnerships import partnership_context

router = page_router()
MOVE_INPUTS = ["title", "conditions_of_satisfaction", "due", "reliance", "note", "reason", "value"]
# The inputs each move's form shows (_moves.html): a message about any other goes above the form.
TERMS = ["title", "conditions_of_satisfaction", "due", "note"]
MOVE_FORMS = {
    "counter": TERMS,
    "propose_change": TERMS,
    "revise": [*TERMS, "reliance"],
    "accept": ["value", "note"],
    "report_done": ["note"],
    "mark_missed": ["note"],
    **{move: ["reason"] for move in ("decline", "revoke", "reject", "withdraw", "reject_change")},
}
# The page asks for a rating although an imported accept may lack one: none is chosen for you.
RATING_NEEDED = {"value": "Choose the value it brought, from 1 (little) to 5 (great)"}


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
    history = words.steps(view.commitment, commitments.history(uow, key, person))
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
        "history": history,
        "proposal": words.proposal(history) if view.commitment.pending else None,
        "pending_changes": words.pending_changes(view.commitment),
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
    slot = f"{key}:{name}"
    partnership = commitments.get_commitment(uow, key).commitment.partnership.key

    def make(body: MoveCreate) -> Response:
        if body.version is None:
            raise Invalid(
                "a move needs the version of the commitment it was made on; reload the page",
                rule="commitment.version_required",
                field="version",
            )
        if body.move == Move.ACCEPT:
            require(body.args(), RATING_NEEDED)
        current = commitments.get_commitment(uow, key).commitment
        args = new_terms_only(body.args(), current.terms())
        commitments.move(uow, person, key, body.move, version=body.version, **args)
        if is_htmx(request):
            with uow:
                if on_board:
                    context = partnership_context(uow, person, partnership)
                    return render(request, "_board.html", context)
                context = commitment_context(uow, settings, person, key)
                return render(request, "_commitment_main.html", context)
        if on_board:
            return redirect(f"/partnerships/{partnership}#c-{key}")
        return redirect(f"/commitments/{key}")

    def again(errors: FormErrors) -> Response:
        offered = {m.value for m in commitments.get_commitment(uow, key, person).allowed_moves}
        if name not in offered:  # no form to show the message beside: a page (or #flash) says it
            return error_page(request, errors.status, errors.first)
        shown_errors = {slot: errors}
        values = {slot: shown(form, [*MOVE_INPUTS, "due_time"])}  # due_time: beside the due day
        htmx = is_htmx(request)
        with uow:  # open while rendering: templates follow relations of what was loaded
            if on_board:
                context = partnership_context(
                    uow, person, partnership, errors=shown_errors, values=values
                )
                template = "_board.html" if htmx else "partnership.html"
                return render(request, template, context, errors.status)
            context = commitment_context(
                uow, settings, person, key, errors=shown_errors, values=values
            )
            template = "_commitment_main.html" if htmx else "commitment.html"
            return render(request, template, context, errors.status)

    names = ["move", "version", *MOVE_INPUTS]
    data = data_of(form, names, optional=names[1:], instants=["due"])
    return act(request, MoveCreate, data, make, again, inputs=MOVE_FORMS.get(name, []))
