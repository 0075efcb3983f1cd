"""Forms: a posted form read into its use case's input model (the one the API validates too),
the use case run, and each refusal, of the model or of the use case, shown beside its input."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from fastapi import Request
from fastapi.responses import Response
from pydantic import BaseModel, ValidationError
from starlette.datastructures import FormData

from accord.channel.errors import sentence, status_of
from accord.errors import AccordError
from accord.inputs import field_of, in_words
from accord.web import zones
from accord.web.common import after_change, text

M = TypeVar("M", bound=BaseModel)

DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
# The time input beside a date input is named after it: `due` and `due_time`.
TIME_OF = "_time"


@dataclass
class FormErrors:
    """Messages to show beside the inputs of a form, and one for the form as a whole."""

    fields: dict[str, str] = field(default_factory=dict)
    general: str | None = None
    status: int = 422  # a service's refusal answers the API's status for it (channel/errors.py)

    def __bool__(self) -> bool:
        return bool(self.fields) or self.general is not None

    def get(self, name: str) -> str | None:
        return self.fields.get(name)

    @property
    def first(self) -> str:
        """The message to show when the form is not on the page: the general one, or any."""
        return self.general or next(iter(self.fields.values()), "")


class FormRefused(Exception):
    """Inputs the page asks for were left empty: each with what to say beside it."""

    def __init__(self, missing: Mapping[str, str]) -> None:
        super().__init__(", ".join(missing))
        self.missing = dict(missing)


def require(values: Mapping[str, Any], needed: Mapping[str, str]) -> None:
    """Refuse a form that leaves empty an input the page asks for (`needed`: the input, and
    what to say beside it), although the use case may do without."""
    missing = {name: words for name, words in needed.items() if not values.get(name)}
    if missing:
        raise FormRefused(missing)


def placed(
    error: AccordError | ValidationError | FormRefused,
    inputs: Iterable[str],
    beside: Mapping[str, str] | None = None,
) -> FormErrors:
    """Each message beside the input it is about, else above the form.

    A refusal names its field as the input schema does: the use case's error its `field`,
    pydantic the location of what it refused. `beside` names the form's input for a field
    where the two differ ({"parties": "partners", "metric.value": "metric_value"}); a field
    the form does not show has its message above it, whatever the words."""
    shown = set(inputs)
    where = beside or {}

    def input_of(name: str | None) -> str | None:
        for candidate in (name, (name or "").partition(".")[0]):
            target = where.get(candidate, candidate) if candidate else None
            if target in shown:
                return target
        return None

    if isinstance(error, FormRefused):
        missing = error.missing.items()
        return FormErrors({input_of(name) or name: sentence(words) for name, words in missing})
    if isinstance(error, ValidationError):
        found = FormErrors()
        for item in error.errors():
            message = sentence(in_words(item))
            target = input_of(field_of(item["loc"]))
            if target is None:
                found.general = found.general or message
            else:
                found.fields.setdefault(target, message)
        return found
    message = sentence(error.message)
    target = input_of(error.field)
    status = status_of(error)
    if target is None:
        return FormErrors(general=message, status=status)
    return FormErrors({target: message}, status=status)


def data_of(
    form: FormData,
    names: Iterable[str],
    *,
    optional: Iterable[str] = (),
    nulls: Iterable[str] = (),
    lists: Iterable[str] = (),
    lines: Iterable[str] = (),
    numbers: Iterable[str] = (),
    instants: Iterable[str] = (),
) -> dict[str, Any]:
    """The form's inputs `names` as the data of an input model, without surrounding white space.

    An input left empty is sent as "", for the model or the use case to say what is wrong with
    it in the words the API hears too; but one in `optional` is left out (the model's default
    holds; in a change, it stays as it was), and one in `nulls` is sent as null (in a change,
    it is cleared). `lists` send several values (a select of many), `lines` are textareas of
    one item a line, `numbers` are typed by people (a decimal comma too), `instants` are date
    inputs, each with an optional time input named after it (`due` and `due_time`), or
    datetime-local inputs, on the reader's clock: a day without a time is its end."""
    left_out, cleared, several = set(optional), set(nulls), set(lists)
    per_line, typed, times = set(lines), set(numbers), set(instants)
    data: dict[str, Any] = {}
    for name in names:
        if name in several:
            data[name] = values_of(form, name)
            continue
        value = text(form, name)
        if name in per_line:
            data[name] = [line.strip() for line in value.splitlines() if line.strip()]
        elif not value and name in left_out:
            continue
        elif not value and name in cleared:
            data[name] = None
        elif name in typed:
            data[name] = value.replace(",", ".")
        elif name in times:
            data[name] = zones.instant(value, text(form, name + TIME_OF)) if value else value
        else:
            data[name] = value
    return data


def shown(form: FormData, names: Iterable[str], *, lists: Iterable[str] = ()) -> dict[str, Any]:
    """What was typed into the form, to show it again beside the messages (with the time input
    of a date, `due_time` beside `due`)."""
    several = set(lists)
    typed = {name: values_of(form, name) if name in several else text(form, name) for name in names}
    for name in names:
        if name + TIME_OF in form:
            typed[name + TIME_OF] = text(form, name + TIME_OF)
    return typed


def values_of(form: FormData, name: str) -> list[str]:
    return [v.strip() for v in form.getlist(name) if isinstance(v, str) and v.strip()]


def utc(value: str, *, day_ends: bool = False) -> str:
    """A date or datetime-local input, on the reader's clock, as an instant in UTC; a date is
    its first moment, or its last with `day_ends`. Anything else is left for the model to
    refuse."""
    if DAY.fullmatch(value) and not day_ends:
        return zones.instant(value, "00:00")
    return zones.instant(value)


def perform(
    request: Request,
    use: Callable[[], str | Response],
    again: Callable[[FormErrors], Response],
    *,
    inputs: Iterable[str] = (),
    beside: Mapping[str, str] | None = None,
    raising: tuple[type[AccordError], ...] = (),
) -> Response:
    """A form's one flow: the use case run, then where it says to go (post/redirect/get, or
    htmx's redirect), or the answer it gave; on a refusal the page `again`, with each message
    beside the input it is about (`inputs`: those the form shows) and the status the API would
    answer. Refusals of a kind in `raising` go to the error page instead."""
    try:
        outcome = use()
    except raising:
        raise
    except (AccordError, ValidationError, FormRefused) as error:
        return again(placed(error, inputs, beside))
    return outcome if isinstance(outcome, Response) else after_change(request, outcome)


def act(
    request: Request,
    model: type[M],
    data: Mapping[str, Any],
    use: Callable[[M], str | Response],
    again: Callable[[FormErrors], Response],
    *,
    inputs: Iterable[str] = (),
    beside: Mapping[str, str] | None = None,
    raising: tuple[type[AccordError], ...] = (),
) -> Response:
    """`perform` for a form with inputs: its data validated by the use case's input model, the
    one the API validates the same use case with, before the use case runs."""
    return perform(
        request,
        lambda: use(model.model_validate(dict(data))),
        again,
        inputs=inputs,
        beside=beside,
        raising=raising,
    )
