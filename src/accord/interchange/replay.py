"""What one import holds while it replays a document: the problems and adjustments found so
far, and the steps that wait until every section is in."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING, Any, cast

from pydantic import BaseModel

from accord.config import Settings
from accord.errors import AccordError, RuleBroken
from accord.events.domain import iso
from accord.interchange.report import Adjustment, ImportReport, Problem
from accord.interchange.schemas import MeasureDoc, PartnershipDoc, PersonDoc
from accord.org import service as org
from accord.org.domain import Actor, Person
from accord.partnerships import service as partnerships
from accord.purposes import service as purposes
from accord.uow import UnitOfWork

if TYPE_CHECKING:
    from accord.partnerships.domain import Partnership
    from accord.partnerships.repository import PartnershipRepository
    from accord.purposes.domain import Purpose
    from accord.purposes.repository import PurposeRepository

MANUAL_STATUSES = ("paused", "concluded", "dissolved")


class _Partnerships:
    """The partnerships' repository as an import uses it: a charter the import made is read
    from the session rather than again under a lock (`get(for_update=True)`), which costs
    milliseconds with its parties: no one else sees it before the import commits."""

    def __init__(self, real: PartnershipRepository) -> None:
        self.real = real
        self.made: set[str] = set()

    def add(self, partnership: Partnership) -> None:
        self.real.add(partnership)
        self.made.add(partnership.key)

    def get(self, key: str, *, for_update: bool = False) -> Partnership:
        return self.real.get(key, for_update=for_update and key not in self.made)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


class _Purposes:
    """The purposes' repository as an import uses it: a purpose read without a lock is kept
    for the next time while the session holds it (each partnership asks for its own)."""

    def __init__(self, real: PurposeRepository) -> None:
        self.real = real
        self.known: dict[str, Purpose] = {}

    def find(self, key: str) -> Purpose | None:
        known = self.known.get(key)
        if known is None or known not in self.real.session:
            known = self.real.find(key)
            if known is not None:
                self.known[key] = known
        return known

    def get(self, key: str, *, for_update: bool = False) -> Purpose:
        known = self.find(key) if not for_update else None
        if known is None:
            known = self.known[key] = self.real.get(key, for_update=for_update)
        return known

    def __getattr__(self, name: str) -> Any:
        return getattr(self.real, name)


@contextmanager
def quick_lookups(uow: UnitOfWork) -> Iterator[None]:
    """Inside, the open unit of work looks partnerships and purposes up as an import may
    (`_Partnerships`, `_Purposes`); the same rows, found once."""
    partnerships, purposes = uow.partnerships, uow.purposes
    uow.partnerships = cast("PartnershipRepository", _Partnerships(partnerships))
    uow.purposes = cast("PurposeRepository", _Purposes(purposes))
    try:
        yield
    finally:
        uow.partnerships, uow.purposes = partnerships, purposes


class ImportReplay:
    """One import's replay of a document, in the import's transaction."""

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
        # (person, *teams) -> when the last of those memberships ended, None if one goes on
        self._gone: dict[tuple[str, ...], datetime | None] = {}
        self._commitment_keys: set[str] | None = None
        # the people the import made, by e-mail, as its session holds them (the commitments'
        # moves name them over and over; one query each otherwise)
        self.people: dict[str, Person] = {}

    @contextmanager
    def at(self, path: str) -> Iterator[None]:
        """A broken rule inside is a problem at `path`, and the import goes on."""
        try:
            yield
        except AccordError as error:
            self.problems.append(Problem(path, error.message))

    def person(self, email: str) -> Person:
        return self.uow.org.person(email)

    def commitment_keys(self) -> set[str]:
        """Every commitment key there is, in one query rather than one look-up per commitment."""
        if self._commitment_keys is None:
            self._commitment_keys = self.uow.commitments.keys_like("")
        return self._commitment_keys

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

    def note_membership(self, email: str, team: str, left_at: datetime | None) -> None:
        """Note a membership of the document, and when it ended (None: it goes on)."""
        self.tenure[(email, team)] = left_at
        self._gone.clear()

    def left_before(self, email: str, teams: Sequence[str], at: datetime) -> str | None:
        """Why `email` could not act for `teams` at `at`: every membership had ended by then.
        When the last of them ended is kept for each person and teams (a history asks at
        every move)."""
        key = (email, *teams)
        if key not in self._gone:
            lefts = [self.tenure[(email, t)] for t in teams if (email, t) in self.tenure]
            over = [left for left in lefts if left is not None]
            self._gone[key] = max(over) if over and len(over) == len(lefts) else None
        last = self._gone[key]
        if last is None or not last < at:
            return None
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

    def accounts(self) -> None:
        """Viewer roles and deactivations, applied once the history is replayed."""
        for path, doc in self.later_accounts:
            with self.at(path):
                org.update_person(self.uow, self.actor, doc.email, role=doc.role, active=doc.active)

    def statuses(self, docs: Sequence[PartnershipDoc]) -> None:
        """Statuses set by hand (paused, concluded, dissolved), once the history is in; forming
        and active follow from the affirmations."""
        for index, doc in enumerate(docs):
            if doc.status is None:
                continue
            with self.at(f"partnerships[{index}].status"):
                partnership = self.uow.partnerships.find(doc.key)
                if partnership is None or partnership.status.value == doc.status:
                    continue
                if doc.status not in MANUAL_STATUSES:
                    raise RuleBroken(
                        f"is {doc.status!r} but the partnership is {partnership.status.value} "
                        "(forming and active follow from the affirmations)",
                        rule="import.status_derived",
                    )
                partnerships.set_status(self.uow, self.actor, doc.key, doc.status, imported=True)
