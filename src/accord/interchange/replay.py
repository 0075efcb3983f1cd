"""What one import holds while it replays a document: the problems and adjustments found so
far, and the steps that wait until every section is in."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import Any

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

MANUAL_STATUSES = ("paused", "concluded", "dissolved")


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
        self._commitment_keys: set[str] | None = None

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
