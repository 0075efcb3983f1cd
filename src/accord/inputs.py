"""What the edges take, defined once for the API and the pages: the base of every input model,
texts and keys with their limits, instants with a zone; and each refusal of them in words."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    PlainSerializer,
    StringConstraints,
)
from pydantic_core import ErrorDetails, PydanticCustomError

from accord.events.domain import iso, out_of_range


class Input(BaseModel):
    """What a use case takes: a field it does not know is refused, never ignored."""

    model_config = ConfigDict(extra="forbid")


# Our own refusals carry this prefix in their type, and say the rest after the field's name.
OWN = "accord."


def refuse(kind: str, words: str, **context: Any) -> PydanticCustomError:
    """A refusal for a validator to raise: `words` follow the field's name ('must lie …')."""
    return PydanticCustomError(OWN + kind, words, context or None)


def _in_range(moment: datetime) -> datetime:
    why = out_of_range(moment)
    if why is not None:
        raise refuse("instant_out_of_range", why)
    return moment


# The key or slug of a thing, given to name a new one (the use case checks its letters).
Key = Annotated[str, StringConstraints(max_length=63)]
# A title or a name.
Title = Annotated[str, StringConstraints(max_length=200)]
# A statement, conditions of satisfaction, a note or a reason.
LongText = Annotated[str, StringConstraints(max_length=4000)]
Email = Annotated[str, StringConstraints(max_length=320)]
# An aware instant Accord takes (events.domain.EARLIEST to LATEST); read back as ISO 8601 'Z'.
Moment = Annotated[AwareDatetime, AfterValidator(_in_range)]
Instant = Annotated[Moment, PlainSerializer(iso, return_type=str)]


# How each kind of refusal is said; {field} is the input's name, {given} what it was given.
WORDS = {
    "missing": "{field} must not be empty",
    "string_type": "{field} must be text",
    "string_too_short": "{field} must not be empty",
    "string_too_long": "{field} is longer than {max_length} characters",
    "int_type": "{field} must be a whole number",
    "int_parsing": "{field} must be a whole number, not {given}",
    "int_from_float": "{field} must be a whole number, not {given}",
    "float_type": "{field} must be a number",
    "float_parsing": "{field} must be a number, not {given}",
    "finite_number": "{field} must be a finite number",
    "bool_type": "{field} must be true or false",
    "bool_parsing": "{field} must be true or false, not {given}",
    "greater_than": "{field} must be more than {gt}",
    "greater_than_equal": "{field} must be at least {ge}",
    "less_than": "{field} must be less than {lt}",
    "less_than_equal": "{field} must be at most {le}",
    "enum": "{field} {given} is not one of {expected}",
    "literal_error": "{field} {given} is not one of {expected}",
    "date_type": "{field} must be a date, as YYYY-MM-DD",
    "date_parsing": "{field} {given} is not a date; give it as YYYY-MM-DD",
    "date_from_datetime_parsing": "{field} {given} is not a date; give it as YYYY-MM-DD",
    "date_from_datetime_inexact": "{field} {given} is not a date; give it as YYYY-MM-DD",
    "datetime_type": "{field} must be an ISO 8601 date-time (e.g. 2026-06-01T00:00:00Z)",
    "datetime_parsing": "{field} {given} is not an ISO 8601 date-time (e.g. 2026-06-01T00:00:00Z)",
    "datetime_from_date_parsing": (
        "{field} {given} is not an ISO 8601 date-time (e.g. 2026-06-01T00:00:00Z)"
    ),
    "timezone_aware": "{field} {given} needs a time zone, e.g. 2026-06-01T00:00:00Z",
    "list_type": "{field} must be a list",
    "too_short": "{field} needs at least {min_length} items",
    "too_long": "{field} holds at most {max_length} items",
    "extra_forbidden": "{field} is not a field of this request",
    "dict_type": "{field} must be an object",
    "model_type": "{field} must be an object",
    "model_attributes_type": "{field} must be an object",
}
# Fields said otherwise than their name with spaces: as the pages label them.
FIELD_WORDS = {
    "review_every_days": "review every (days)",
    "due": "the due date",
    "closes_at": "the closing time",
    "target_date": "the target date",
    "opened_at": "the opening time",
}
# The parts of a location FastAPI puts before the field itself.
WHERE = frozenset({"body", "query", "path", "header", "cookie"})


def field_of(location: Sequence[int | str]) -> str:
    """The input a location is about, as the input schema names it: ('body', 'metric',
    'value') -> 'metric.value'; list positions are left out ('parties', 1, 'team' ->
    'parties.team')."""
    parts = [p for p in location if isinstance(p, str) and "[" not in p]
    if len(parts) > 1 and parts[0] in WHERE:
        parts = parts[1:]
    return ".".join(parts)


def shown(value: Any) -> str:
    """A value given, as a message quotes it: never more than a few words of it."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "…"


def field_words(name: str) -> str:
    """A field as a message names it, in the words the pages label it with: 'review_every_days'
    -> 'review every (days)', 'metric.value' -> 'metric value'."""
    return " ".join(FIELD_WORDS.get(part, part.replace("_", " ")) for part in name.split("."))


def in_words(item: ErrorDetails) -> str:
    """One refusal of pydantic as Accord says it, naming the field: 'title must not be empty',
    never 'String should have at least 1 character'."""
    field = field_words(field_of(item["loc"])) or "the request"
    kind = item["type"]
    context = dict(item.get("ctx") or {})
    if kind.startswith(OWN):
        return f"{field} {item['msg']}"
    if item.get("input") == "" and kind not in ("string_too_long", "extra_forbidden"):
        return f"{field} must not be empty"
    words = WORDS.get(kind)
    if words is None:
        error = context.get("error")
        return f"{field}: {error}" if error else f"{field} is not valid here"
    try:
        return words.format(field=field, given=shown(item.get("input")), **context)
    except (KeyError, IndexError):  # a context without the key the words name
        return f"{field} is not valid here"
