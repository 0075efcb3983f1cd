"""The mappers between the domain and the `accord/1` document.

`*_doc` write what is stored as an export writes it; `canonical_*` read an item given in a
document as the services would store it, so that an import can tell whether what it is given is
what is already there.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TypeVar

from accord.commitments.domain import Commitment, normalize_args
from accord.events.catalog import InvitationAccepted, PartyAdded, PartyLeft
from accord.events.domain import iso
from accord.health.domain import HealthCheck, countable
from accord.interchange.schemas import (
    CommitmentDoc,
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
)
from accord.org.domain import Person, Team
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose
from accord.stories.domain import Story, normalize_tags
from accord.uow import UnitOfWork

T = TypeVar("T")


def parents_first(
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


def canonical_person(doc: PersonDoc) -> PersonDoc:
    """The person as an export writes them: memberships in the order of their teams."""
    return doc.model_copy(update={"memberships": sorted(doc.memberships, key=lambda m: m.team)})


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
        if event.type == PartyLeft.type:
            left[team] = PartyDoc(
                team=team, contribution=event.payload.get("contribution", ""), left_at=event.at
            )
        elif event.type in (InvitationAccepted.type, PartyAdded.type):
            left.pop(team, None)
    return sorted(
        (doc for slug, doc in left.items() if slug not in current),
        key=lambda doc: (doc.left_at, doc.team),
    )


def commitment_doc(uow: UnitOfWork, commitment: Commitment) -> CommitmentDoc:
    """The commitment with its history, move by move, as the log recorded it."""
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


def canonical_commitment(doc: CommitmentDoc) -> CommitmentDoc:
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


def canonical_health(doc: HealthCheckDoc, min_responses: int, now: datetime) -> HealthCheckDoc:
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


def canonical_story(doc: StoryDoc) -> StoryDoc:
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
