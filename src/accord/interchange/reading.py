"""Reading a JSON value as an `accord/1` document: dates given alone read as times, then the
shape checked, and the teams it names looked up, every problem with its JSON path."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from typing import Any

from pydantic import ValidationError

from accord.events.domain import iso
from accord.interchange.report import Adjustment, ImportRefused, Problem, json_path
from accord.interchange.schemas import Document

# Every field of accord/1 that holds an instant; all of them, and only them, bear these names.
INSTANT_FIELDS = frozenset(
    {"at", "due", "affirmed_at", "left_at", "opened_at", "closes_at", "created_at", "updated_at"}
)
DATE_ONLY = re.compile(r"\d{4}-\d{2}-\d{2}")


def read_dates(
    data: Any, adjustments: list[Adjustment], location: str = "", *, after: datetime | None = None
) -> Any:
    """The document with every instant given as a date alone read as a time, each noted.

    A date means the start of that day in UTC, as a date does in a query's `as_of`; a due date
    means the end of that day (23:59:59Z), as in "due on 1 March". A move of a history dated
    the day of the move before it, made `after` that at a time, is read as made at that time:
    the history keeps its order. A time without a zone is left as it is, for `parse` to refuse.
    The input is not changed.
    """
    if isinstance(data, list):
        return [read_dates(item, adjustments, f"{location}[{i}]") for i, item in enumerate(data)]
    if not isinstance(data, dict):
        return data
    out: dict[Any, Any] = {}
    for name, value in data.items():
        if not isinstance(value, dict | list) and not (
            name in INSTANT_FIELDS and isinstance(value, str) and DATE_ONLY.fullmatch(value)
        ):
            out[name] = value  # most values: nothing to read, no path to make
            continue
        path = f"{location}.{name}" if location else str(name)
        if name in INSTANT_FIELDS and isinstance(value, str):
            try:
                day = date.fromisoformat(value)
            except ValueError:
                out[name] = value  # not a day of the calendar: parse says so, with its path
                continue
            if name == "due":
                out[name] = f"{day.isoformat()}T23:59:59Z"
                message = f"{value!r} has no time: read as the end of that day, {out[name]}"
            elif name == "at" and after is not None and after.date() == day and after.time():
                out[name] = iso(after)
                message = (
                    f"{value!r} has no time: read as {out[name]}, the time of the move before "
                    "it that day"
                )
            else:
                out[name] = f"{day.isoformat()}T00:00:00Z"
                message = f"{value!r} has no time: read as the start of that day, {out[name]}"
            adjustments.append(Adjustment(path, message))
        elif name == "history" and isinstance(value, list):
            moves: list[Any] = []
            for index, item in enumerate(value):
                before = None  # the time of the move before, read only for a date alone
                if moves and isinstance(moves[-1], dict) and _date_alone(item):
                    before = _instant(moves[-1].get("at"))
                moves.append(read_dates(item, adjustments, f"{path}[{index}]", after=before))
            out[name] = moves
        else:
            out[name] = read_dates(value, adjustments, path)
    return out


def has_date_alone(data: Any) -> bool:
    """Whether `read_dates` would read anything in `data`: an instant given as a date alone
    somewhere in it (most items have none, and are then used as they are, not copied)."""
    if isinstance(data, list):
        return any(has_date_alone(item) for item in data)
    if not isinstance(data, dict):
        return False
    for name, value in data.items():
        if isinstance(value, str):
            if name in INSTANT_FIELDS and len(value) == 10 and DATE_ONLY.fullmatch(value):
                return True
        elif isinstance(value, dict | list) and has_date_alone(value):
            return True
    return False


def _date_alone(move: Any) -> bool:
    """Whether a move gives its time as a date alone."""
    at = move.get("at") if isinstance(move, dict) else None
    return isinstance(at, str) and DATE_ONLY.fullmatch(at) is not None


def _instant(value: Any) -> datetime | None:
    """A time with a zone, in UTC, from its ISO text; None for anything else."""
    if not isinstance(value, str):
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment.astimezone(UTC) if moment.tzinfo is not None else None


def parse(data: Any) -> Document:
    """Check a document's shape; every malformed field is listed with its path."""
    if not isinstance(data, dict):
        raise ImportRefused([Problem("", "the document must be a JSON object")])
    try:
        return Document.model_validate(data)
    except ValidationError as error:
        raise ImportRefused(shape_problems(error)) from None


def shape_problems(error: ValidationError, at: tuple[str | int, ...] = ()) -> list[Problem]:
    """Each malformed field of a document (or of its item at `at`) as a problem at its path."""
    problems = []
    for item in error.errors():
        location = [
            *at,
            *(p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))),
        ]
        message = item["msg"]
        if item["type"] == "extra_forbidden":
            message = "is not a field of accord/1"
        elif item["type"] == "literal_error" and location == ["format"]:
            message = "must be 'accord/1'"
        elif item["type"] == "timezone_aware":
            message = (
                f"{item['input']!r} has no time zone: give one, as in "
                "2024-03-01T10:00:00Z or 2024-03-01T10:00:00+01:00, or a date alone"
            )
        problems.append(Problem(json_path(location), message))
    return problems


def team_problems(value: Any, path: str, known: set[str]) -> list[Problem]:
    """A team named at `path` that neither the document nor the organization holds."""
    if isinstance(value, str) and value and value not in known:
        return [Problem(path, f"no team {value!r}")]
    return []


def unknown_teams(data: Any, stored: set[str]) -> list[Problem]:
    """Every place the document names a team that neither it nor the organization holds, read
    from the document as given: so that each is listed even when the document's shape is
    refused, or when the item holding it is refused for another reason first."""
    if not isinstance(data, dict):
        return []
    sections = {name: _items(data, name) for name in SECTIONS_NAMING_TEAMS}
    known = known_teams(data, stored)
    problems: list[Problem] = []

    def check(value: Any, path: str) -> None:
        problems.extend(team_problems(value, path, known))

    for i, team in enumerate(sections["teams"]):
        check(team.get("parent"), f"teams[{i}].parent")
    for i, person in enumerate(sections["people"]):
        for j, membership in enumerate(_listed(person.get("memberships"))):
            check(membership.get("team"), f"people[{i}].memberships[{j}].team")
    for i, partnership in enumerate(sections["partnerships"]):
        for j, party in enumerate(_listed(partnership.get("parties"))):
            check(party.get("team"), f"partnerships[{i}].parties[{j}].team")
    for i, commitment in enumerate(sections["commitments"]):
        for side in ("requester", "performer"):
            check(commitment.get(side), f"commitments[{i}].{side}")
    for i, round_ in enumerate(sections["health_checks"]):
        for j, party in enumerate(_listed(round_.get("parties"))):
            check(party.get("team"), f"health_checks[{i}].parties[{j}].team")
    for i, story in enumerate(sections["stories"]):
        teams = story.get("teams")
        for j, slug in enumerate(teams if isinstance(teams, list) else []):
            check(slug, f"stories[{i}].teams[{j}]")
    return problems


def known_teams(data: Any, stored: set[str]) -> set[str]:
    """The teams of the organization and of the document."""
    teams = _items(data, "teams") if isinstance(data, dict) else []
    return set(stored) | {str(team["slug"]) for team in teams if isinstance(team.get("slug"), str)}


# The sections whose items may name a team.
SECTIONS_NAMING_TEAMS = (
    "teams",
    "people",
    "partnerships",
    "commitments",
    "health_checks",
    "stories",
)


def _items(data: dict[str, Any], section: str) -> list[dict[str, Any]]:
    return _listed(data.get(section))


def _listed(value: Any) -> list[dict[str, Any]]:
    """The objects of a list, each at its index (anything else in their place as an empty one,
    for the shape check to refuse)."""
    if not isinstance(value, list):
        return []
    return [item if isinstance(item, dict) else {} for item in value]
