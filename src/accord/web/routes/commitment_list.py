"""Pages: every commitment, filtered, sorted and paged, and the same list as a CSV download."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import Depends, Query, Request
from fastapi.responses import HTMLResponse, Response, StreamingResponse

from accord.commitments import service as commitments
from accord.commitments.domain import State
from accord.commitments.service import CommitmentView
from accord.errors import AccordError, Invalid
from accord.org.domain import Person
from accord.uow import UnitOfWork
from accord.web.common import PagePerson, PageUow, page_router, render
from accord.web.forms import FormErrors, placed

router = page_router()

SIZES = (25, 50, 100, 200)
PAGE = 50
LAST_PAGE = 1_000_000  # beyond any list; keeps the offset a number every database takes
CSV_BATCH = 500  # rows read in one unit of work while the download streams
INPUTS = ("team", "side", "partnership", "purpose", "state", "due_from", "due_to", "sort")
SORT_WORDS = {"due": "Due date", "state": "State", "updated": "Last change", "title": "Title"}
SIDES = (("", "Either side"), ("requester", "Asking"), ("performer", "Asked"))
# A spreadsheet runs a cell that starts so as a formula: such a cell starts with a quote.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Filters:
    """The list's query string as typed, and read into the search's arguments."""

    team: str = ""
    side: str = ""
    partnership: str = ""
    purpose: str = ""
    states: list[str] = field(default_factory=list)
    due_from: str = ""
    due_to: str = ""
    overdue: bool = False
    mine: bool = False
    sort: str = "due"
    descending: bool = False
    page: int = 1
    size: int = PAGE

    def query(self, **changes: Any) -> str:
        """The query string of this list, with `changes` (a page, an order) made."""
        values: dict[str, Any] = {
            "team": self.team,
            "side": self.side,
            "partnership": self.partnership,
            "purpose": self.purpose,
            "state": self.states,
            "due_from": self.due_from,
            "due_to": self.due_to,
            "overdue": "1" if self.overdue else "",
            "mine": "1" if self.mine else "",
            "sort": self.sort,
            "order": "desc" if self.descending else "",
            "page": self.page,
            "size": self.size,
        }
        values.update(changes)
        if values["page"] == 1:
            values["page"] = ""
        if values["size"] == PAGE:
            values["size"] = ""
        kept = {name: value for name, value in values.items() if value not in ("", [], None)}
        return urlencode(kept, doseq=True)

    def search_args(self, person: Person) -> tuple[dict[str, Any], FormErrors]:
        """The search's arguments, and the refusal of each date that is not one (the search
        then goes without it, so that it may say what else is wrong)."""
        zone = ZoneInfo(person.time_zone or "UTC")
        errors = FormErrors()
        days: dict[str, datetime | None] = {}
        for name in ("due_from", "due_to"):
            try:
                days[name] = _day(getattr(self, name), name, zone)
            except Invalid as refusal:
                errors.fields.update(_refused(refusal).fields)
                days[name] = None
        end = days["due_to"]
        args = {
            "team": self.team or None,
            "side": self.side or None,
            "partnership": self.partnership or None,
            "purpose": self.purpose or None,
            "states": self.states or None,
            "due_from": days["due_from"],
            "due_before": end + timedelta(days=1) if end else None,  # the whole last day
            "overdue": self.overdue,
            "mine": self.mine,
            "sort": self.sort,
            "descending": self.descending,
        }
        return args, errors


def _day(value: str, name: str, zone: ZoneInfo) -> datetime | None:
    """The start of the day typed (YYYY-MM-DD, as a date input sends it) in the reader's zone."""
    if not value:
        return None
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise Invalid(
            f"{value!r} is not a date; give one such as 2026-12-08",
            rule="commitment.due_range_invalid",
            field=name,
        ) from None
    return datetime.combine(day, time(), zone).astimezone(UTC)


Slug = Annotated[str, Query(max_length=100)]
Short = Annotated[str, Query(max_length=20)]


def query_filters(
    team: Slug = "",
    side: Short = "",
    partnership: Slug = "",
    purpose: Slug = "",
    state: Annotated[list[str] | None, Query()] = None,
    due_from: Short = "",
    due_to: Short = "",
    overdue: Short = "",
    mine: Short = "",
    sort: Short = "",
    order: Short = "",
    page: Short = "",
    size: Short = "",
) -> Filters:
    """The filters of the query string; a page that is no number is the first, a size not
    offered is 50."""
    return Filters(
        team=team.strip(),
        side=side.strip(),
        partnership=partnership.strip(),
        purpose=purpose.strip(),
        states=[s.strip() for s in state or [] if s.strip()],
        due_from=due_from.strip(),
        due_to=due_to.strip(),
        overdue=bool(overdue),
        mine=bool(mine),
        sort=sort.strip() or "due",
        descending=order == "desc",
        page=min(max(int(page), 1), LAST_PAGE) if page.isdigit() else 1,
        size=int(size) if size.isdigit() and int(size) in SIZES else PAGE,
    )


QueryFilters = Annotated[Filters, Depends(query_filters)]


def _refused(error: AccordError) -> FormErrors:
    return placed(error, INPUTS, beside={"due_before": "due_to", "states": "state"})


def searched(
    uow: UnitOfWork, person: Person, filters: Filters, **page: Any
) -> tuple[commitments.Found | None, FormErrors]:
    """A page of the search (`page`: its offset, limit, count), or the refusal of each filter
    found wrong, to show beside it."""
    args, errors = filters.search_args(person)
    try:
        found = commitments.search_commitments(uow, person, **args, **page)
    except AccordError as refusal:
        refused = _refused(refusal)
        if not errors:  # else a date was wrong too: 422, as for any malformed input
            errors.status = refused.status
        errors.fields = {**refused.fields, **errors.fields}
        errors.general = refused.general
        return None, errors
    return (None if errors else found), errors


def list_context(
    uow: UnitOfWork, person: Person, filters: Filters
) -> tuple[dict[str, Any], FormErrors]:
    """What the list page shows: a page of the search, or the refusals of its filters."""
    found, errors = searched(
        uow, person, filters, offset=(filters.page - 1) * filters.size, limit=filters.size
    )
    choices = commitments.search_choices(uow, person)
    context: dict[str, Any] = {
        "person": person,
        "found": found,
        "filters": filters,
        "errors": errors,
        "choices": choices,
        "states": [s.value for s in State],
        "sorts": SORT_WORDS,
        "sides": SIDES,
        "sizes": SIZES,
        "now": uow.now(),
    }
    if found is not None and found.total is not None:
        last_page = max((found.total + filters.size - 1) // filters.size, 1)
        further = filters.page < last_page or (found.more and len(found.views) == filters.size)
        context.update(
            first=found.offset + 1 if found.views else 0,
            last=found.offset + len(found.views),
            previous_query=filters.query(page=filters.page - 1) if filters.page > 1 else None,
            next_query=filters.query(page=filters.page + 1) if further else None,
            last_page=last_page,
        )
    return context, errors


@router.get("/commitments", response_class=HTMLResponse)
def commitment_list(
    request: Request,
    person: PagePerson,
    uow: PageUow,
    filters: QueryFilters,
) -> Response:
    """Every commitment, by team, partnership, purpose, state, due range, overdue or mine,
    sorted and a page at a time."""
    with uow:  # open while rendering: templates follow relations of what was loaded
        context, errors = list_context(uow, person, filters)
        return render(
            request, "commitments.html", context, status_code=errors.status if errors else 200
        )


def csv_cell(value: object) -> str:
    """A value as a CSV cell that a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


CSV_HEADER = (
    "Key",
    "Title",
    "Requester",
    "Performer",
    "State",
    "Due (UTC)",
    "Partnership",
    "Rating",
)


def csv_row(view: CommitmentView) -> list[str]:
    c = view.commitment
    due = c.due.astimezone(UTC).strftime("%Y-%m-%d %H:%M")
    cells = (c.key, c.title, c.requester.name, c.performer.name, c.state.value.capitalize(), due,
             c.partnership.name, view.value)  # fmt: skip
    return [csv_cell(cell) for cell in cells]


def csv_lines(uow: UnitOfWork, person: Person, args: dict[str, Any]) -> Iterator[str]:
    """The whole search as CSV text, a batch of rows at a time, each batch read in a unit of
    work of its own (a download may outlast many requests; it holds no connection between
    batches), each starting after the last row of the one before."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    yield out.getvalue()
    after = None
    while True:
        out.seek(0)
        out.truncate()
        with uow:
            found = commitments.search_commitments(
                uow, person, **args, after=after, limit=CSV_BATCH, count=False
            )
            for view in found.views:
                writer.writerow(csv_row(view))
        if out.getvalue():
            yield out.getvalue()
        if len(found.views) < CSV_BATCH:
            return
        after = commitments.position(found.views[-1].commitment, args["sort"])


@router.get("/commitments.csv")
def commitment_csv(
    request: Request,
    person: PagePerson,
    uow: PageUow,
    filters: QueryFilters,
) -> Response:
    """The list with its filters and order as CSV: every page of it, one row a commitment."""
    _, errors = searched(uow, person, filters, limit=0, count=False)
    if errors:  # the page says what is wrong with the filters, beside them
        with uow:
            context, errors = list_context(uow, person, filters)
            return render(request, "commitments.html", context, status_code=errors.status)
    return StreamingResponse(
        csv_lines(uow, person, filters.search_args(person)[0]),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="commitments.csv"'},
    )
