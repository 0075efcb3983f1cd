"""The sections of an `accord/1` document as one table: for each, how its items are keyed and
ordered, how one compares with what is stored, what it needs, the use cases that apply it on
import, and the query that reads it on export. The importer and the exporter each loop over it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from accord.config import Settings
from accord.interchange import rows
from accord.interchange.documents import (
    canonical_commitment,
    canonical_health,
    canonical_person,
    canonical_story,
    commitment_doc,
    health_doc,
    parents_first,
    partnership_doc,
    person_doc,
    purpose_doc,
    story_doc,
    team_doc,
)
from accord.interchange.replay import ImportReplay
from accord.interchange.report import Problem
from accord.interchange.schemas import (
    CommitmentDoc,
    Doc,
    HealthCheckDoc,
    PartnershipDoc,
    PersonDoc,
    PurposeDoc,
    StoryDoc,
    TeamDoc,
)
from accord.uow import UnitOfWork

D = TypeVar("D", bound=Doc)


def _as_given(docs: Sequence[D]) -> list[tuple[int, D]]:
    return list(enumerate(docs))


@dataclass(frozen=True)
class Section(Generic[D]):
    """One section of the document and everything the importer and the exporter do with it."""

    name: str  # the section's field in the document, and the start of its items' JSON paths
    key: Callable[[D], str]  # what an item is known by; twice in a document is a problem
    order: Callable[[Sequence[D]], list[tuple[int, D]]]  # items with their index, as applied
    # the item as an export of it would read, and what is stored under its key (None: nothing)
    compare: Callable[[ImportReplay, D], tuple[D, D | None]]
    check: Callable[[ImportReplay, str, D], list[Problem]]  # what must be there before it
    apply: Callable[[ImportReplay, str, D], None]  # the use cases that create it
    export: Callable[[UnitOfWork, Settings, datetime], list[D]]  # the stored items, as written
    then: Callable[[ImportReplay], None] | None = None  # what the import does once it is in


def _team(run: ImportReplay, doc: TeamDoc) -> tuple[TeamDoc, TeamDoc | None]:
    team = run.uow.org.find_team(doc.slug)
    return doc, team_doc(team) if team else None


def _teams(uow: UnitOfWork, settings: Settings, now: datetime) -> list[TeamDoc]:
    teams = parents_first(
        list(uow.org.teams()), lambda t: t.slug, lambda t: t.parent.slug if t.parent else None
    )
    return [team_doc(team) for _, team in teams]


def _person(run: ImportReplay, doc: PersonDoc) -> tuple[PersonDoc, PersonDoc | None]:
    person = run.uow.org.find_person(doc.email)
    return canonical_person(doc), person_doc(person) if person else None


def _people(uow: UnitOfWork, settings: Settings, now: datetime) -> list[PersonDoc]:
    return [person_doc(person) for person in uow.org.people()]


def _purpose(run: ImportReplay, doc: PurposeDoc) -> tuple[PurposeDoc, PurposeDoc | None]:
    purpose = run.uow.purposes.find(doc.key)
    return doc, purpose_doc(purpose) if purpose else None


def _purposes(uow: UnitOfWork, settings: Settings, now: datetime) -> list[PurposeDoc]:
    purposes = parents_first(
        list(uow.purposes.list()), lambda p: p.key, lambda p: p.parent.key if p.parent else None
    )
    return [purpose_doc(purpose) for _, purpose in purposes]


def _partnership(
    run: ImportReplay, doc: PartnershipDoc
) -> tuple[PartnershipDoc, PartnershipDoc | None]:
    partnership = run.uow.partnerships.find(doc.key)
    current = partnership_doc(run.uow, partnership) if partnership else None
    if doc.status or current is None:
        return doc, current
    return doc.model_copy(update={"status": current.status}), current  # omitted: the derived one


def _partnerships(uow: UnitOfWork, settings: Settings, now: datetime) -> list[PartnershipDoc]:
    return [partnership_doc(uow, partnership) for partnership in uow.partnerships.list()]


def _commitment(
    run: ImportReplay, doc: CommitmentDoc
) -> tuple[CommitmentDoc, CommitmentDoc | None]:
    """A new commitment's history is read by its moves alone, as they are applied."""
    known = run.commitment_keys()
    commitment = run.uow.commitments.find(doc.key) if doc.key in known else None
    if commitment is None:
        return doc, None
    return canonical_commitment(doc), commitment_doc(run.uow, commitment)


def _commitments(uow: UnitOfWork, settings: Settings, now: datetime) -> list[CommitmentDoc]:
    commitments = sorted(uow.commitments.list(), key=lambda c: (c.requested_at, c.key))
    return [commitment_doc(uow, commitment) for commitment in commitments]


def _health_check(
    run: ImportReplay, doc: HealthCheckDoc
) -> tuple[HealthCheckDoc, HealthCheckDoc | None]:
    check = run.uow.health.find(doc.key)
    now = run.uow.now()
    current = health_doc(check, run.min_responses, now) if check else None
    return canonical_health(doc, run.min_responses, now), current


def _health_checks(uow: UnitOfWork, settings: Settings, now: datetime) -> list[HealthCheckDoc]:
    return [health_doc(check, settings.min_responses, now) for check in uow.health.every_round()]


def _story(run: ImportReplay, doc: StoryDoc) -> tuple[StoryDoc, StoryDoc | None]:
    story = run.uow.stories.find(doc.key)
    return canonical_story(doc), story_doc(story) if story else None


def _stories(uow: UnitOfWork, settings: Settings, now: datetime) -> list[StoryDoc]:
    return [story_doc(story) for story in uow.stories.every_story()]


TABLE: tuple[Section[Any], ...] = (
    Section[TeamDoc](
        name="teams",
        key=lambda d: d.slug,
        order=lambda docs: parents_first(docs, lambda d: d.slug, lambda d: d.parent),
        compare=_team,
        check=rows.check_team,
        apply=rows.apply_team,
        export=_teams,
    ),
    Section[PersonDoc](
        name="people",
        key=lambda d: d.email,
        order=_as_given,
        compare=_person,
        check=rows.nothing_needed,
        apply=rows.apply_person,
        export=_people,
    ),
    Section[PurposeDoc](
        name="purposes",
        key=lambda d: d.key,
        order=lambda docs: parents_first(docs, lambda d: d.key, lambda d: d.parent),
        compare=_purpose,
        check=rows.check_purpose,
        apply=rows.apply_purpose,
        export=_purposes,
    ),
    Section[PartnershipDoc](
        name="partnerships",
        key=lambda d: d.key,
        order=_as_given,
        compare=_partnership,
        check=rows.check_partnership,
        apply=rows.apply_partnership,
        export=_partnerships,
        then=ImportReplay.measure_updates,  # partner leads may update a purpose's measures
    ),
    Section[CommitmentDoc](
        name="commitments",
        key=lambda d: d.key,
        order=_as_given,
        compare=_commitment,
        check=rows.nothing_needed,
        apply=rows.apply_commitment,
        export=_commitments,
    ),
    Section[HealthCheckDoc](
        name="health_checks",
        key=lambda d: d.key,
        order=_as_given,
        compare=_health_check,
        check=rows.check_health_check,
        apply=rows.apply_health_check,
        export=_health_checks,
    ),
    Section[StoryDoc](
        name="stories",
        key=lambda d: d.key,
        order=_as_given,
        compare=_story,
        check=rows.check_story,
        apply=rows.apply_story,
        export=_stories,
    ),
)
