"""Import and export of `accord/1` documents.

Import replays the document through the same services a live user calls, in one transaction:
every problem is collected with its JSON path and, if there is any, nothing is kept. History
happened elsewhere, so the rules that only guard live moves let it pass, and the report lists
every such adjustment with its path.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from accord.commitments import service as commitments
from accord.commitments.domain import Commitment, Move, Replay, normalize_args
from accord.config import Settings
from accord.errors import AccordError, RuleBroken
from accord.events.domain import iso
from accord.health import service as health
from accord.health.domain import HealthCheck, countable
from accord.interchange.schemas import (
    CommitmentDoc,
    Document,
    HealthCheckDoc,
    HealthPartyDoc,
    HiddenDoc,
    MeasureDoc,
    MeasureUpdateDoc,
    MembershipDoc,
    MetricDoc,
    MoveDoc,
    PartnershipDoc,
    PartyDoc,
    PersonDoc,
    PurposeDoc,
    ReplyDoc,
    StoryDoc,
    TeamDoc,
    dump,
)
from accord.org import service as org
from accord.org.domain import Actor, GlobalRole, Person, Team, ensure_admin
from accord.partnerships import service as partnerships
from accord.partnerships.domain import Partnership
from accord.purposes import service as purposes
from accord.purposes.domain import Purpose, PurposeStatus
from accord.stories import service as stories
from accord.stories.domain import Story, normalize_tags
from accord.uow import UnitOfWork

SECTIONS = (
    "teams",
    "people",
    "purposes",
    "partnerships",
    "commitments",
    "health_checks",
    "stories",
)
PURPOSE_PATHS: dict[PurposeStatus, list[PurposeStatus]] = {
    PurposeStatus.DRAFT: [],
    PurposeStatus.ACTIVE: [PurposeStatus.ACTIVE],
    PurposeStatus.ACHIEVED: [PurposeStatus.ACTIVE, PurposeStatus.ACHIEVED],
    PurposeStatus.ABANDONED: [PurposeStatus.ABANDONED],
}
MANUAL_STATUSES = ("paused", "concluded", "dissolved")
# Every setting at its default, whatever the environment says: for callers without a server's.
DEFAULTS = Settings(_env_prefix="ACCORD_DEFAULTS_NONE_")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a document, at its JSON path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ImportRefused(AccordError):
    """The document was refused whole; `problems` lists every reason."""

    rule = "import.refused"

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        count = len(self.problems)
        super().__init__(
            f"the document was refused ({count} problem{'s' if count != 1 else ''}); "
            "nothing was imported:\n" + "\n".join(f"  {p}" for p in self.problems)
        )


@dataclass(frozen=True)
class Adjustment:
    """What the import read or let pass differently from a live move, at its JSON path."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}"


@dataclass
class ImportReport:
    """How many items of each section were created, and how many were already there; and
    what was adjusted in the items created (those already there were not read again)."""

    created: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    unchanged: dict[str, int] = field(default_factory=lambda: dict.fromkeys(SECTIONS, 0))
    adjustments: list[Adjustment] = field(default_factory=list)


def json_path(location: Sequence[int | str]) -> str:
    """('commitments', 3, 'history', 2) -> 'commitments[3].history[2]'."""
    path = ""
    for part in location:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path


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
        path = f"{location}.{name}" if location else str(name)
        if name in INSTANT_FIELDS and isinstance(value, str) and DATE_ONLY.fullmatch(value):
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
                before = moves[-1].get("at") if moves and isinstance(moves[-1], dict) else None
                moves.append(
                    read_dates(item, adjustments, f"{path}[{index}]", after=_instant(before))
                )
            out[name] = moves
        elif isinstance(value, dict | list):
            out[name] = read_dates(value, adjustments, path)
        else:
            out[name] = value
    return out


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
        problems = []
        for item in error.errors():
            location = [
                p for p in item["loc"] if not (isinstance(p, str) and p.startswith("function-"))
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
        raise ImportRefused(problems) from None


class _Replay:
    def __init__(self, uow: UnitOfWork, actor: Actor, settings: Settings) -> None:
        self.uow = uow
        self.actor = actor
        self.settings = settings
        self.min_responses = settings.min_responses
        self.problems: list[Problem] = []
        self.report = ImportReport()
        # what the replay let pass, and the items already there (nothing of them is read)
        self.adjustments: list[Adjustment] = []
        self.already_there: set[str] = set()
        self.later_updates: list[tuple[str, str, MeasureDoc]] = []
        self.later_departures: list[tuple[datetime, str, str, str]] = []
        # (left_at, partnership, team, path): parties that left, once their history is in
        self.parties_left: list[tuple[datetime, str, str, str]] = []
        self.later_accounts: list[tuple[str, PersonDoc]] = []
        # (person, team) -> when that membership ended (None: it goes on), from the document
        self.tenure: dict[tuple[str, str], datetime | None] = {}

    @contextmanager
    def at(self, path: str) -> Iterator[None]:
        try:
            yield
        except AccordError as error:
            self.problems.append(Problem(path, error.message))

    def person(self, email: str) -> Person:
        return self.uow.org.person(email)

    def unique(
        self, section: str, items: Sequence[BaseModel], key: Callable[[Any], str]
    ) -> set[str]:
        """Keys given more than once are problems; returns the keys to skip."""
        first: dict[str, int] = {}
        bad: set[str] = set()
        for index, item in enumerate(items):
            value = key(item)
            if value in first:
                self.problems.append(
                    Problem(
                        f"{section}[{index}]",
                        f"{value!r} appears twice in the document "
                        f"(first at {section}[{first[value]}])",
                    )
                )
                bad.add(value)
            else:
                first[value] = index
        return bad

    def existing(
        self, section: str, index: int, given: BaseModel, current: BaseModel | None
    ) -> bool:
        """True when the item is already there; a different one with that key is a problem."""
        if current is None:
            return False
        self.already_there.add(f"{section}[{index}]")
        if current != given:
            differing = [
                name
                for name in type(given).model_fields
                if getattr(given, name) != getattr(current, name)
            ]
            self.problems.append(
                Problem(
                    f"{section}[{index}]",
                    "the same key exists with other content (differs in "
                    + ", ".join(differing)
                    + ")",
                )
            )
        else:
            self.report.unchanged[section] += 1
        return True

    def teams(self, docs: Sequence[TeamDoc]) -> None:
        duplicates = self.unique("teams", docs, lambda d: d.slug)
        for index, doc in _parents_first(docs, lambda d: d.slug, lambda d: d.parent):
            path = f"teams[{index}]"
            if doc.slug in duplicates:
                continue
            team = self.uow.org.find_team(doc.slug)
            if self.existing("teams", index, doc, team_doc(team) if team else None):
                continue
            if doc.parent is not None and self.uow.org.find_team(doc.parent) is None:
                self.problems.append(Problem(f"{path}.parent", f"no team {doc.parent!r}"))
                continue
            with self.at(path):
                org.create_team(
                    self.uow,
                    self.actor,
                    slug=doc.slug,
                    name=doc.name,
                    kind=doc.kind,
                    mission=doc.mission,
                    parent=doc.parent,
                )
                self.report.created["teams"] += 1

    def people(self, docs: Sequence[PersonDoc]) -> None:
        duplicates = self.unique("people", docs, lambda d: d.email)
        for index, doc in enumerate(docs):
            path = f"people[{index}]"
            if doc.email in duplicates:
                continue
            person = self.uow.org.find_person(doc.email)
            normalized = doc.model_copy(
                update={"memberships": sorted(doc.memberships, key=lambda m: m.team)}
            )
            if self.existing("people", index, normalized, person_doc(person) if person else None):
                continue
            with self.at(path):
                # a viewer or a deactivated person acted before; they become so after the replay
                first_role = GlobalRole.MEMBER if doc.role == GlobalRole.VIEWER else doc.role
                org.create_person(
                    self.uow, self.actor, email=doc.email, name=doc.name, role=first_role
                )
                if first_role != doc.role or not doc.active:
                    self.later_accounts.append((path, doc))
                self.report.created["people"] += 1
                for m_index, membership in enumerate(doc.memberships):
                    if self.uow.org.find_team(membership.team) is None:
                        self.problems.append(
                            Problem(
                                f"{path}.memberships[{m_index}].team",
                                f"no team {membership.team!r}",
                            )
                        )
                        continue
                    with self.at(f"{path}.memberships[{m_index}]"):
                        org.set_membership(
                            self.uow, self.actor, membership.team, doc.email, membership.role
                        )
                    self.tenure[(doc.email, membership.team)] = membership.left_at
                    if membership.left_at is not None:
                        self.later_departures.append(
                            (
                                membership.left_at,
                                membership.team,
                                doc.email,
                                f"{path}.memberships[{m_index}].left_at",
                            )
                        )

    def purposes(self, docs: Sequence[PurposeDoc]) -> None:
        duplicates = self.unique("purposes", docs, lambda d: d.key)
        for index, doc in _parents_first(docs, lambda d: d.key, lambda d: d.parent):
            path = f"purposes[{index}]"
            if doc.key in duplicates:
                continue
            purpose = self.uow.purposes.find(doc.key)
            if self.existing("purposes", index, doc, purpose_doc(purpose) if purpose else None):
                continue
            if doc.sponsor is not None and self.uow.org.find_person(doc.sponsor) is None:
                self.problems.append(Problem(f"{path}.sponsor", f"no person {doc.sponsor!r}"))
                continue
            if doc.parent is not None and self.uow.purposes.find(doc.parent) is None:
                self.problems.append(Problem(f"{path}.parent", f"no purpose {doc.parent!r}"))
                continue
            with self.at(path):
                purposes.create_purpose(
                    self.uow,
                    self.actor,
                    key=doc.key,
                    title=doc.title,
                    statement=doc.statement,
                    sponsor=doc.sponsor,
                    target_date=doc.target_date,
                    parent=doc.parent,
                )
                self.report.created["purposes"] += 1
                for m_index, measure in enumerate(doc.measures):
                    self.measure(doc.key, f"{path}.measures[{m_index}]", measure)
                for status in PURPOSE_PATHS[doc.status]:
                    purposes.set_status(self.uow, self.actor, doc.key, status)

    def measure(self, key: str, path: str, doc: MeasureDoc) -> None:
        with self.at(path):
            purposes.add_measure(
                self.uow,
                self.actor,
                key,
                name=doc.name,
                unit=doc.unit,
                baseline=doc.baseline,
                target=doc.target,
                current=None if doc.updates else doc.current,
            )
            if doc.updates:
                self.later_updates.append((key, path, doc))

    def measure_updates(self) -> None:
        """Measure histories, replayed once partnerships exist (partner leads may update)."""
        for key, path, doc in self.later_updates:
            for u_index, update in enumerate(doc.updates):
                with self.at(f"{path}.updates[{u_index}]"):
                    purposes.update_measure(
                        self.uow,
                        self.actor,
                        key,
                        doc.name,
                        value=update.value,
                        note=update.note,
                        at=update.at,
                        by=update.by,
                        imported=True,
                    )
            if doc.current is not None and doc.current != doc.updates[-1].value:
                self.problems.append(
                    Problem(f"{path}.current", "differs from the value of the last update")
                )

    def accounts(self) -> None:
        """Viewer roles and deactivations, applied once the history is replayed."""
        for path, doc in self.later_accounts:
            with self.at(path):
                org.update_person(self.uow, self.actor, doc.email, role=doc.role, active=doc.active)

    def left_before(self, email: str, teams: Sequence[str], at: datetime) -> str | None:
        """Why `email` could not act for `teams` at `at`: every membership had ended by then."""
        ended = [
            (team, left)
            for team in teams
            if (email, team) in self.tenure
            for left in [self.tenure[(email, team)]]
        ]
        if ended and all(left is not None and left < at for _, left in ended):
            return "; ".join(
                f"{email} had left {team!r} on {iso(left)}" for team, left in ended if left
            )
        return None

    def parties_leaving(self) -> None:
        """Parties that left, in the order they left, once every commitment and round is in:
        theirs were made while they were parties."""
        for at, key, team, path in sorted(self.parties_left, key=lambda d: d[0]):
            with self.at(path):
                partnerships.leave(self.uow, self.actor, key, team, at=at, imported=True)

    def departures(self) -> None:
        """Memberships that ended, ended last: their moves were made while they were members."""
        for at, team, email, path in sorted(self.later_departures, key=lambda d: d[0]):
            with self.at(path):
                org.remove_membership(self.uow, self.actor, team, email, at=at)

    def partnerships(self, docs: Sequence[PartnershipDoc]) -> None:
        duplicates = self.unique("partnerships", docs, lambda d: d.key)
        for index, doc in enumerate(docs):
            path = f"partnerships[{index}]"
            if doc.key in duplicates:
                continue
            partnership = self.uow.partnerships.find(doc.key)
            current = partnership_doc(self.uow, partnership) if partnership else None
            given = (
                doc
                if doc.status or current is None
                else doc.model_copy(
                    update={"status": current.status}  # an omitted status is the derived one
                )
            )
            if self.existing("partnerships", index, given, current):
                continue
            if self.uow.purposes.find(doc.purpose) is None:
                self.problems.append(Problem(f"{path}.purpose", f"no purpose {doc.purpose!r}"))
                continue
            missing = [
                i for i, p in enumerate(doc.parties) if self.uow.org.find_team(p.team) is None
            ]
            for p_index in missing:
                self.problems.append(
                    Problem(
                        f"{path}.parties[{p_index}].team", f"no team {doc.parties[p_index].team!r}"
                    )
                )
            if missing:
                continue
            signed_after_leaving = [
                i
                for i, p in enumerate(doc.parties)
                if p.left_at is not None and (p.affirmed_by or p.affirmed_at)
            ]
            for p_index in signed_after_leaving:
                self.problems.append(
                    Problem(
                        f"{path}.parties[{p_index}].affirmed_by",
                        "a party that left affirms no charter",
                    )
                )
            if signed_after_leaving:
                continue
            with self.at(path):
                partnerships.create_partnership(
                    self.uow,
                    self.actor,
                    key=doc.key,
                    name=doc.name,
                    purpose=doc.purpose,
                    parties=[(p.team, p.contribution) for p in doc.parties],
                    working_agreements=doc.working_agreements,
                    review_every_days=doc.review_every_days,
                    imported=True,
                )
                self.report.created["partnerships"] += 1
                affirmed = sorted(
                    (p for p in enumerate(doc.parties) if p[1].affirmed_by is not None),
                    key=lambda item: (item[1].affirmed_at is None, item[1].affirmed_at, item[0]),
                )
                self.parties_left += [
                    (party.left_at, doc.key, party.team, f"{path}.parties[{p_index}].left_at")
                    for p_index, party in enumerate(doc.parties)
                    if party.left_at is not None
                ]
                for p_index, party in affirmed:
                    party_path = f"{path}.parties[{p_index}]"
                    assert party.affirmed_by is not None  # only affirmed parties are listed
                    if party.affirmed_at is None:
                        self.problems.append(
                            Problem(f"{party_path}.affirmed_at", "is needed with affirmed_by")
                        )
                        continue
                    gone = self.left_before(party.affirmed_by, (party.team,), party.affirmed_at)
                    if gone is not None:
                        self.problems.append(Problem(f"{party_path}.affirmed_by", gone))
                        continue
                    with self.at(party_path):
                        partnerships.affirm(
                            self.uow,
                            self.actor,
                            doc.key,
                            party.team,
                            at=party.affirmed_at,
                            by=party.affirmed_by,
                        )

    def commitments(self, docs: Sequence[CommitmentDoc]) -> None:
        duplicates = self.unique("commitments", docs, lambda d: d.key)
        # every key there is, in one query rather than one look-up per commitment
        known = self.uow.commitments.keys_like("") if docs else set()
        for index, doc in enumerate(docs):
            path = f"commitments[{index}]"
            if doc.key in duplicates:
                continue
            commitment = self.uow.commitments.find(doc.key) if doc.key in known else None
            if commitment is not None:
                with self.at(path):
                    self.existing(
                        "commitments",
                        index,
                        _canonical_commitment(doc),
                        commitment_doc(self.uow, commitment),
                    )
                continue
            self.commitment(path, doc)

    def commitment(self, path: str, doc: CommitmentDoc) -> None:
        first = doc.history[0]
        if first.move != Move.REQUEST:
            self.problems.append(
                Problem(
                    f"{path}.history[0]",
                    f"a history starts with 'request', not {first.move.value!r}",
                )
            )
            return
        for m_index, step in enumerate(doc.history):
            step_path = f"{path}.history[{m_index}]"
            if self.uow.org.find_person(step.by) is None:
                self.problems.append(Problem(f"{step_path}.by", f"no person {step.by!r}"))
                return
            if m_index and step.at < doc.history[m_index - 1].at:
                self.problems.append(
                    Problem(f"{step_path}.at", "goes back in time from the move before")
                )
                return
            gone = self.left_before(step.by, (doc.requester, doc.performer), step.at)
            if gone is not None:
                self.problems.append(Problem(f"{step_path}.by", gone))
                return
            before = len(self.problems)
            replay = Replay(self.actor)
            with self.at(step_path):
                actor = self.person(step.by)
                if m_index == 0:
                    if step.title is None or step.due is None:
                        _missing(step)
                    commitments.request(
                        self.uow,
                        actor,
                        key=doc.key,
                        partnership=doc.partnership,
                        requester=doc.requester,
                        performer=doc.performer,
                        at=step.at,
                        title=step.title or "",
                        due=step.due or step.at,
                        conditions_of_satisfaction=step.conditions_of_satisfaction or "",
                        reliance=step.reliance,
                        measure=step.measure,
                        replay=replay,
                    )
                    self.report.created["commitments"] += 1
                else:
                    commitments.move(
                        self.uow,
                        actor,
                        doc.key,
                        step.move,
                        version=None,
                        at=step.at,
                        replay=replay,
                        **step.args(),
                    )
            if len(self.problems) > before:
                return
            self.adjustments.extend(Adjustment(step_path, note) for note in replay.notes)

    def health_checks(self, docs: Sequence[HealthCheckDoc]) -> None:
        duplicates = self.unique("health_checks", docs, lambda d: d.key)
        for index, doc in enumerate(docs):
            path = f"health_checks[{index}]"
            if doc.key in duplicates:
                continue
            check = self.uow.health.find(doc.key)
            now = self.uow.now()
            current = health_doc(check, self.min_responses, now) if check else None
            given = _canonical_health(doc, self.min_responses, now)
            if self.existing("health_checks", index, given, current):
                continue
            if self.uow.partnerships.find(doc.partnership) is None:
                self.problems.append(
                    Problem(f"{path}.partnership", f"no partnership {doc.partnership!r}")
                )
                continue
            emails = [("opened_by", doc.opened_by)] if doc.opened_by else []
            emails += [(f"answered_by[{i}]", email) for i, email in enumerate(doc.answered_by)]
            unknown = [
                Problem(f"{path}.{where}", f"no person {email!r}")
                for where, email in emails
                if self.uow.org.find_person(email) is None
            ]
            if unknown:
                self.problems.extend(unknown)
                continue
            before = len(self.problems)
            with self.at(path):
                health.open_round(
                    self.uow,
                    self.settings,
                    self.actor,
                    doc.partnership,
                    doc.closes_at,
                    key=doc.key,
                    opened_at=doc.opened_at,
                    opened_by=doc.opened_by,
                    imported=True,
                    parties=[party.team for party in doc.parties],
                )
            if len(self.problems) > before:
                continue
            with self.at(f"{path}.parties"):
                health.set_tallies(
                    self.uow,
                    self.actor,
                    doc.key,
                    {
                        party.team: (
                            party.responses,
                            None
                            if party.distribution is None
                            else {s.value: row for s, row in party.distribution.items()},
                        )
                        for party in doc.parties
                    },
                    answered_by=doc.answered_by,
                )
                self.report.created["health_checks"] += 1

    def stories(self, docs: Sequence[StoryDoc]) -> None:
        duplicates = self.unique("stories", docs, lambda d: d.key)
        for index, doc in enumerate(docs):
            path = f"stories[{index}]"
            if doc.key in duplicates:
                continue
            story = self.uow.stories.find(doc.key)
            current = story_doc(story) if story else None
            with self.at(path):
                if self.existing("stories", index, _canonical_story(doc), current):
                    continue
                self.story(path, doc)

    def story(self, path: str, doc: StoryDoc) -> None:
        emails = [("author", doc.author)]
        emails += [("hidden.by", doc.hidden.by)] if doc.hidden and doc.hidden.by else []
        emails += [(f"replies[{i}].author", r.author) for i, r in enumerate(doc.replies)]
        unknown = [
            Problem(f"{path}.{where}", f"no person {email!r}")
            for where, email in emails
            if self.uow.org.find_person(email) is None
        ]
        if unknown:
            self.problems.extend(unknown)
            return
        before = len(self.problems)
        with self.at(path):
            story = stories.create_story(
                self.uow,
                self.actor,
                key=doc.key,
                title=doc.title,
                body=doc.body,
                tags=doc.tags,
                partnerships=doc.partnerships,
                teams=doc.teams,
                purposes=doc.purposes,
                results=doc.results,
                metric_name=doc.metric.name if doc.metric else None,
                metric_value=doc.metric.value if doc.metric else None,
                metric_unit=doc.metric.unit if doc.metric else None,
                at=doc.created_at,
                author=doc.author,
                imported=True,
            )
            self.report.created["stories"] += 1
        if len(self.problems) > before:
            return
        for r_index, reply in enumerate(doc.replies):
            with self.at(f"{path}.replies[{r_index}]"):
                stories.reply(
                    self.uow,
                    self.actor,
                    doc.key,
                    reply.body,
                    author=reply.author,
                    at=reply.at,
                    imported=True,
                )
        with self.at(path):
            stories.set_imported_state(
                self.uow,
                self.actor,
                story.key,
                updated_at=doc.updated_at or doc.created_at,
                hidden_at=doc.hidden.at if doc.hidden else None,
                hidden_by=doc.hidden.by if doc.hidden else None,
                hidden_reason=doc.hidden.reason if doc.hidden else None,
            )


def _item(path: str) -> str:
    """'commitments[3].history[1].due' -> 'commitments[3]': the item a path is in."""
    return path.split(".", 1)[0]


def _path_order(path: str) -> tuple[tuple[int, int | str], ...]:
    """Paths in the order of the document: sections as written, indexes as numbers."""
    parts = re.findall(r"\[(\d+)\]|([^.\[\]]+)", path)
    order: list[tuple[int, int | str]] = []
    for index, name in parts:
        if index:
            order.append((0, int(index)))
        elif not order and name in SECTIONS:
            order.append((0, SECTIONS.index(name)))
        else:
            order.append((1, name))
    return tuple(order)


def _missing(step: MoveDoc) -> NoReturn:
    needed = [name for name in ("title", "due") if getattr(step, name) is None]
    raise RuleBroken(f"'request' needs {', '.join(needed)}", rule="commitment.missing_field")


T = TypeVar("T")


def _parents_first(
    docs: Sequence[T], key: Callable[[T], str], parent: Callable[[T], str | None]
) -> list[tuple[int, T]]:
    """Items with their index, each parent given in the document before its children."""
    by_key = {key(d): (i, d) for i, d in enumerate(docs)}
    ordered: list[tuple[int, T]] = []
    placed: set[str] = set()

    def place(index: int, doc: T, seen: frozenset[str]) -> None:
        name = key(doc)
        if name in placed or name in seen:
            return
        above = parent(doc)
        if above is not None and above in by_key:
            place(*by_key[above], seen | {name})
        placed.add(name)
        ordered.append((index, doc))

    for index, doc in enumerate(docs):
        place(index, doc, frozenset())
    return ordered


def import_document(
    uow: UnitOfWork, actor: Actor, data: Any, *, settings: Settings = DEFAULTS
) -> ImportReport:
    """Import a document whole or not at all (admins only); importing it again changes nothing.

    `settings` give the anonymity threshold of health checks (a round's answers are compared
    with what an export would write of them) and how trust is read when a round opened.
    """
    # Rounds read the trust of their opening from the log once the import's moves are in it,
    # in the import's own transaction: the rounds never stand without it. Inside another
    # transaction they wait for whoever commits it (fill_earned).
    outermost = not uow.active
    with uow:
        actor = uow.bind(actor)
        ensure_admin(actor, "import")
        dated: list[Adjustment] = []
        document = parse(read_dates(data, dated) if isinstance(data, dict) else data)
        replay = _Replay(uow, actor, settings)
        replay.teams(document.teams)
        replay.people(document.people)
        replay.purposes(document.purposes)
        replay.partnerships(document.partnerships)
        replay.measure_updates()
        replay.commitments(document.commitments)
        replay.health_checks(document.health_checks)
        replay.stories(document.stories)
        replay.parties_leaving()
        replay.departures()
        replay.accounts()
        for index, doc in enumerate(document.partnerships):
            if doc.status is None:
                continue
            with replay.at(f"partnerships[{index}].status"):
                partnership = uow.partnerships.find(doc.key)
                if partnership is None or partnership.status.value == doc.status:
                    continue
                if doc.status not in MANUAL_STATUSES:
                    raise RuleBroken(
                        f"is {doc.status!r} but the partnership is {partnership.status.value} "
                        "(forming and active follow from the affirmations)",
                        rule="import.status_derived",
                    )
                partnerships.set_status(uow, actor, doc.key, doc.status, imported=True)
        if replay.problems:
            uow.rollback()
            raise ImportRefused(replay.problems)
        if outermost and replay.report.created["health_checks"]:
            uow.log_pending()
            health.fill_earned(uow, settings)
        uow.commit()
    replay.report.adjustments = sorted(
        [a for a in dated if _item(a.path) not in replay.already_there] + replay.adjustments,
        key=lambda a: _path_order(a.path),
    )
    return replay.report


def team_doc(team: Team) -> TeamDoc:
    return TeamDoc(
        slug=team.slug,
        name=team.name,
        kind=team.kind,
        parent=team.parent.slug if team.parent else None,
        mission=team.mission,
    )


def person_doc(person: Person) -> PersonDoc:
    return PersonDoc(
        email=person.email,
        name=person.name,
        role=person.role,
        active=person.active,
        memberships=sorted(
            (
                MembershipDoc(team=m.team.slug, role=m.role, left_at=m.left_at)
                for m in person.memberships
            ),
            key=lambda m: m.team,
        ),
    )


def purpose_doc(purpose: Purpose) -> PurposeDoc:
    return PurposeDoc(
        key=purpose.key,
        title=purpose.title,
        statement=purpose.statement,
        status=purpose.status,
        sponsor=purpose.sponsor.email if purpose.sponsor else None,
        target_date=purpose.target_date,
        parent=purpose.parent.key if purpose.parent else None,
        measures=[
            MeasureDoc(
                name=m.name,
                unit=m.unit,
                baseline=m.baseline,
                target=m.target,
                current=m.current,
                updates=[
                    MeasureUpdateDoc(
                        value=u.value, at=u.at, note=u.note, by=u.by.email if u.by else None
                    )
                    for u in m.updates
                ],
            )
            for m in purpose.measures
        ],
    )


def partnership_doc(uow: UnitOfWork, partnership: Partnership) -> PartnershipDoc:
    """The partnership: its parties, then those that left (from its events, in the order they
    left), so that their commitments there can be replayed."""
    parties = []
    for party in partnership.parties:
        affirmed = partnership.is_affirmed(party) and party.affirmed_by is not None
        parties.append(
            PartyDoc(
                team=party.team.slug,
                contribution=party.contribution,
                affirmed_by=party.affirmed_by.email if affirmed and party.affirmed_by else None,
                affirmed_at=party.affirmed_at if affirmed else None,
            )
        )
    return PartnershipDoc(
        key=partnership.key,
        name=partnership.name,
        purpose=partnership.purpose.key,
        parties=parties + _parties_left(uow, partnership),
        working_agreements=list(partnership.working_agreements),
        review_every_days=partnership.review_every_days,
        status=partnership.status.value,
    )


def _parties_left(uow: UnitOfWork, partnership: Partnership) -> list[PartyDoc]:
    """The teams that left the partnership and are no party of it now, as their last leaving
    left them."""
    current = {party.team.slug for party in partnership.parties}
    left: dict[str, PartyDoc] = {}
    for event in uow.events.for_subject(f"partnership:{partnership.key}"):
        team = str(event.payload.get("team", ""))
        if event.type == "partnership.party_left":
            left[team] = PartyDoc(
                team=team, contribution=event.payload.get("contribution", ""), left_at=event.at
            )
        elif event.type in ("partnership.invitation_accepted", "partnership.party_added"):
            left.pop(team, None)
    return sorted(
        (doc for slug, doc in left.items() if slug not in current),
        key=lambda doc: (doc.left_at, doc.team),
    )


def commitment_doc(uow: UnitOfWork, commitment: Commitment) -> CommitmentDoc:
    history = []
    for event in uow.events.for_subject(f"commitment:{commitment.key}"):
        payload = event.payload
        if "move" not in payload:
            continue
        history.append(
            MoveDoc.model_validate(
                {"move": payload["move"], "by": event.actor, "at": event.at, **payload["args"]}
            )
        )
    return CommitmentDoc(
        key=commitment.key,
        partnership=commitment.partnership.key,
        requester=commitment.requester.slug,
        performer=commitment.performer.slug,
        history=history,
    )


def _canonical_commitment(doc: CommitmentDoc) -> CommitmentDoc:
    """The history as the services would record it (defaults filled, texts trimmed)."""
    history = []
    for step in doc.history:
        args = normalize_args(step.move, step.args(), imported=True)
        history.append(
            MoveDoc.model_validate(
                {
                    "move": step.move,
                    "by": step.by,
                    "at": step.at,
                    **{k: iso(v) if isinstance(v, datetime) else v for k, v in args.items()},
                }
            )
        )
    return doc.model_copy(update={"history": history})


def health_doc(check: HealthCheck, min_responses: int, now: datetime) -> HealthCheckDoc:
    """A round as the anonymity rule lets it out: per party the number of answers, and their
    counts only once the round has closed with at least `min_responses` of them."""
    published = not check.is_open(now)
    return HealthCheckDoc(
        key=check.key,
        partnership=check.partnership.key,
        opened_at=check.opened_at,
        closes_at=check.closes_at,
        opened_by=check.opened_by.email if check.opened_by else None,
        answered_by=sorted(r.person.email for r in check.respondents),
        parties=sorted(
            (
                HealthPartyDoc(
                    team=tally.team.slug,
                    responses=tally.responses,
                    distribution=dict(tally.counts)
                    if published and countable(tally.responses, tally.counts, min_responses)
                    else None,
                )
                for tally in check.tallies
            ),
            key=lambda party: party.team,
        ),
    )


def _canonical_health(doc: HealthCheckDoc, min_responses: int, now: datetime) -> HealthCheckDoc:
    """The round as an export of it would read: what the rule withholds left out."""
    published = now >= doc.closes_at
    return doc.model_copy(
        update={
            "answered_by": sorted(set(doc.answered_by)),
            "parties": sorted(
                (
                    party
                    if published
                    and party.distribution is not None
                    and countable(
                        party.responses,
                        {s.value: row for s, row in party.distribution.items()},
                        min_responses,
                    )
                    else party.model_copy(update={"distribution": None})
                    for party in doc.parties
                ),
                key=lambda party: party.team,
            ),
        }
    )


def story_doc(story: Story) -> StoryDoc:
    return StoryDoc(
        key=story.key,
        title=story.title,
        author=story.author.email,
        created_at=story.created_at,
        updated_at=story.updated_at,
        body=story.body,
        tags=story.tags,
        partnerships=sorted(p.key for p in story.partnerships),
        teams=sorted(t.slug for t in story.teams),
        purposes=sorted(p.key for p in story.purposes),
        results=story.results,
        metric=MetricDoc(
            name=story.metric_name, value=story.metric_value, unit=story.metric_unit or ""
        )
        if story.metric_name is not None and story.metric_value is not None
        else None,
        hidden=HiddenDoc(
            at=story.hidden_at,
            by=story.hidden_by.email if story.hidden_by else None,
            reason=story.hidden_reason or "",
        )
        if story.hidden_at is not None
        else None,
        replies=[
            ReplyDoc(author=r.author.email, at=r.created_at, body=r.body) for r in story.replies
        ],
    )


def _canonical_story(doc: StoryDoc) -> StoryDoc:
    """The story as the services would keep it (tags normalized, links in order, times set)."""
    return doc.model_copy(
        update={
            "tags": normalize_tags(doc.tags),
            "partnerships": sorted(set(doc.partnerships)),
            "teams": sorted(set(doc.teams)),
            "purposes": sorted(set(doc.purposes)),
            "updated_at": doc.updated_at or doc.created_at,
        }
    )


def export_for(
    uow: UnitOfWork, actor: Actor, *, settings: Settings = DEFAULTS
) -> dict[str, Any]:
    """The whole organization as one document, for an admin (a backup, a move elsewhere)."""
    with uow:
        ensure_admin(uow.bind(actor), "export the whole organization")
    return export_document(uow, settings=settings)


def export_document(uow: UnitOfWork, *, settings: Settings = DEFAULTS) -> dict[str, Any]:
    """Everything as one `accord/1` document; importing it into an empty database gives it back.

    Health checks carry only what their anonymity rule (`settings.min_responses`) lets out.
    """
    with uow:
        now = uow.now()
        teams = [
            team_doc(t)
            for _, t in _parents_first(
                list(uow.org.teams()),
                lambda t: t.slug,
                lambda t: t.parent.slug if t.parent else None,
            )
        ]
        purpose_list = _parents_first(
            list(uow.purposes.list()), lambda p: p.key, lambda p: p.parent.key if p.parent else None
        )
        commitment_list = sorted(uow.commitments.list(), key=lambda c: (c.requested_at, c.key))
        document = Document(
            format="accord/1",
            teams=teams,
            people=[person_doc(p) for p in uow.org.people()],
            purposes=[purpose_doc(p) for _, p in purpose_list],
            partnerships=[partnership_doc(uow, p) for p in uow.partnerships.list()],
            commitments=[commitment_doc(uow, c) for c in commitment_list],
            health_checks=[
                health_doc(check, settings.min_responses, now)
                for check in uow.health.every_round()
            ],
            stories=[story_doc(story) for story in uow.stories.every_story()],
        )
        return dump(document)
