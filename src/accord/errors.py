"""The errors Accord raises; delivery channels map them to HTTP, CLI exits and pages."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)


class AccordError(Exception):
    """A refusal that a user can read: what is wrong, the rule that says so, and the input it is
    about (`field`, named as in the API's input schema), when it is about one."""

    rule: str = "accord.error"
    field: str | None = None

    def __init__(self, message: str, *, rule: str | None = None, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if rule is not None:
            self.rule = rule
        self.field = field

    def __str__(self) -> str:
        return self.message


class NotFound(AccordError):
    """The thing named does not exist."""

    rule = "not_found"


class Forbidden(AccordError):
    """The actor may not do this."""

    rule = "forbidden"


class Conflict(AccordError):
    """The thing changed since the actor last saw it (a stale version), or already exists."""

    rule = "conflict"


class RuleBroken(AccordError):
    """A rule of the domain refuses the change."""

    rule = "rule_broken"


class Invalid(AccordError):
    """The input is malformed."""

    rule = "invalid"


class NotSignedIn(AccordError):
    """No valid credentials came with the request."""

    rule = "auth.required"


class TooManyRequests(AccordError):
    """Too many attempts in a short time; `retry_after` says in how many seconds to try again."""

    rule = "rate_limited"

    def __init__(
        self, message: str, *, retry_after: int, rule: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message, rule=rule, field=field)
        self.retry_after = retry_after


class Busy(TooManyRequests):
    """The server is doing as much heavy work as it takes at once; try again in `retry_after`."""

    rule = "busy"


def choice(kind: type[E], value: E | str, what: str, *, field: str | None = None) -> E:
    """`value` as a member of `kind`, or an error that lists the allowed values."""
    try:
        return kind(value)
    except ValueError:
        allowed = ", ".join(member.value for member in kind)
        raise Invalid(
            f"{what} {value!r} is not one of {allowed}",
            rule=f"{what.replace(' ', '_')}.invalid",
            field=field,
        ) from None


@contextmanager
def about(field: str) -> Iterator[None]:
    """Refusals raised inside are about the input `field`, unless they name another: a key
    looked up for that input and not found, say."""
    try:
        yield
    except AccordError as error:
        if error.field is None:
            error.field = field
        raise
