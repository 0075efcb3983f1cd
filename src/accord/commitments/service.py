"""Use cases of commitments: the request and every move after it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.commitments.domain import (
    EVIDENCE,
    Commitment,
    Move,
    Replay,
    Side,
    State,
    may_request,
)
from accord.errors import Conflict, Forbidden, Invalid, RuleBroken, about, choice
from accord.events.catalog import commitment_moved, current_type
from accord.events.domain import Event, EventView, view_of
from accord.org.domain import (
    Actor,
    Person,
    choose_key,
    ensure_admin,
    ensure_can_write,
)
from accord.partnerships.domain import PartnershipStatus
from accord.trust.visibility import may_see_chain, may_see_evidence
from accord.uow import UnitOfWork


def sides_of(person: Person, commitment: Commitment) -> frozenset[Side]:
    """The sides of a commitment a person may act for: requester, performer, or both."""
    sides = set()
    if person.is_member(commitment.requester):
        sides.add(Side.REQUESTER)
    if person.is_member(commitment.performer):
        sides.add(Side.PERFORMER)
    return frozenset(sides)


def _subject(key: str) -> str:
    return f"commitment:{key}"


def _ensure_importer(replay: Replay | None) -> None:
    """Only an admin's import replays a history under its relaxed rules."""
    if replay is not None:
        ensure_admin(replay.importer, "replay an imported history")


def request(
    uow: UnitOfWork,
    actor: Actor,
    *,
    partnership: str,
    requester: str,
    performer: str,
    title: str,
    due: datetime,
    conditions_of_satisfaction: str = "",
    reliance: str | None = None,
    measure: str | None = None,
    key: str | None = None,
    at: datetime | None = None,
    replay: Replay | None = None,
) -> Commitment:
    """Ask a partner team for something (a member of the requester team).

    `replay`: the request starts a history an admin imports (see `Replay`).
    """
    with uow:
        _ensure_importer(replay)
        actor = uow.bind(actor)
        person = ensure_can_write(actor)
        with about("partnership"):
            the_partnership = uow.partnerships.get(partnership)
        with about("requester"):
            requester_team = uow.org.team(requester)
        with about("performer"):
            performer_team = uow.org.team(performer)
        for team, role in ((requester_team, "requester"), (performer_team, "performer")):
            if not the_partnership.has_party(team):
                raise RuleBroken(
                    f"the {role} {team.slug!r} is not a party of partnership {partnership!r}",
                    rule="commitment.not_a_party",
                    field=role,
                )
        if the_partnership.status not in (PartnershipStatus.FORMING, PartnershipStatus.ACTIVE):
            raise RuleBroken(
                f"partnership {partnership!r} is {the_partnership.status.value}: no new requests",
                rule="commitment.partnership_not_open",
            )
        if not may_request(person, requester_team):
            raise Forbidden(
                f"only a member of the requester team {requester!r} may request; "
                f"{person.email} is not",
                rule="commitment.wrong_side",
            )
        with about("measure"):
            the_measure = the_partnership.purpose.measure(measure) if measure else None
        key = choose_key(key, title, "commitment", uow.commitments.keys_like)
        if uow.commitments.find(key) is not None:
            raise Conflict(
                f"commitment {key!r} already exists", rule="commitment.exists", field="key"
            )
        when = at or uow.now()
        commitment, payload = Commitment.request(
            key=key,
            partnership=the_partnership,
            requester=requester_team,
            performer=performer_team,
            measure=the_measure,
            sides=frozenset({Side.REQUESTER}),
            at=when,
            replay=replay,
            args={
                "title": title,
                "due": due,
                "conditions_of_satisfaction": conditions_of_satisfaction,
                "reliance": reliance,
                "measure": measure,
            },
        )
        payload.update(partnership=partnership, requester=requester, performer=performer)
        uow.commitments.add(commitment)
        uow.record(commitment_moved(key, person.email, when, payload))
        uow.commit()
        return commitment


def move(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    move: Move | str,
    *,
    version: int | None,
    at: datetime | None = None,
    replay: Replay | None = None,
    **args: Any,
) -> Commitment:
    """Make a move on a commitment, as DESIGN §1's table allows; a stale version is refused.

    `replay`: the move belongs to a history an admin imports (see `Replay`).
    """
    with uow:
        _ensure_importer(replay)
        actor = uow.bind(actor)
        person = ensure_can_write(actor)
        commitment = uow.commitments.get(key)
        the_move = choice(Move, move, "move", field="move")
        sides = sides_of(person, commitment)
        if not sides:
            raise Forbidden(
                f"only members of {commitment.requester.slug!r} or {commitment.performer.slug!r} "
                f"may act on commitment {key!r}; {person.email} is in neither",
                rule="commitment.wrong_side",
            )
        when = at or uow.now()
        payload = commitment.apply(
            the_move,
            sides=sides,
            at=when,
            expected_version=version,
            args=args,
            actor=person.email,
            replay=replay,
        )
        uow.record(commitment_moved(key, person.email, when, payload))
        uow.commit()
        return commitment


@dataclass(frozen=True)
class CommitmentView:
    """A commitment with what a reader may do with it now, and may read of it: its `value`
    rating, or None and "value" in `withheld` for a reader outside the two teams (DESIGN §7)."""

    commitment: Commitment
    overdue: bool
    allowed_moves: list[Move]
    value: int | None = None
    withheld: tuple[str, ...] = ()
    sides: frozenset[Side] = frozenset()  # the sides the reader acts for


def _view(commitment: Commitment, reader: Actor | None, now: datetime) -> CommitmentView:
    allowed: list[Move] = []
    sides: frozenset[Side] = frozenset()
    if isinstance(reader, Person):
        sides = sides_of(reader, commitment)
        allowed = commitment.allowed_moves(sides, now)
    overdue = commitment.is_overdue(now)
    if reader is not None and may_see_evidence(reader, commitment.requester, commitment.performer):
        return CommitmentView(commitment, overdue, allowed, commitment.value, sides=sides)
    return CommitmentView(commitment, overdue, allowed, None, ("value",), sides)


def get_commitment(uow: UnitOfWork, key: str, actor: Actor | None = None) -> CommitmentView:
    """One commitment, with the moves `actor` may make now (no actor: no moves, no rating)."""
    with uow:
        commitment = uow.commitments.get(key)
        return _view(commitment, uow.bind(actor) if actor is not None else None, uow.now())


def list_commitments(
    uow: UnitOfWork,
    *,
    partnership: str | None = None,
    team: str | None = None,
    side: Side | str | None = None,
    states: Sequence[State | str] | None = None,
    overdue: bool = False,
    due_before: datetime | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> Sequence[Commitment]:
    """Commitments by due date, filtered by partnership, team (and its side), state, overdue
    or due date (all, or the page after `after`)."""
    with uow:
        return _find(uow, partnership, team, side, states, overdue, due_before, after, limit)


def browse(
    uow: UnitOfWork,
    actor: Actor,
    *,
    partnership: str | None = None,
    team: str | None = None,
    side: Side | str | None = None,
    states: Sequence[State | str] | None = None,
    overdue: bool = False,
    due_before: datetime | None = None,
    after: tuple[datetime, int] | None = None,
    limit: int | None = None,
) -> list[CommitmentView]:
    """Like `list_commitments`, each with the moves `actor` may make now and what `actor` may
    read of it."""
    with uow:
        found = _find(uow, partnership, team, side, states, overdue, due_before, after, limit)
        now = uow.now()
        reader = uow.bind(actor)
        return [_view(c, reader, now) for c in found]


def _find(
    uow: UnitOfWork,
    partnership: str | None,
    team: str | None,
    side: Side | str | None,
    states: Sequence[State | str] | None,
    overdue: bool,
    due_before: datetime | None,
    after: tuple[datetime, int] | None,
    limit: int | None,
) -> Sequence[Commitment]:
    the_side = _side(side) if side else None
    if the_side is not None and team is None:
        raise Invalid("a side needs a team: whose side?", rule="commitment.side_without_team")
    if due_before is not None and due_before.tzinfo is None:
        raise Invalid("due_before needs a time zone", rule="time.no_zone", field="due_before")
    return uow.commitments.list(
        partnership=uow.partnerships.get(partnership) if partnership else None,
        team=uow.org.team(team) if team else None,
        side=the_side,
        states=[choice(State, s, "state", field="state") for s in states] if states else None,
        overdue_at=uow.now() if overdue else None,
        due_before=due_before,
        after=after,
        limit=limit,
    )


def _side(side: Side | str) -> Side:
    """A side by its letter (R, P) or its name (requester, performer)."""
    names = {"requester": Side.REQUESTER, "performer": Side.PERFORMER}
    if isinstance(side, str) and side.lower() in names:
        return names[side.lower()]
    return choice(Side, side, "side", field="side")


def history(uow: UnitOfWork, key: str, actor: Actor) -> list[EventView]:
    """Every move of a commitment, oldest first, as `actor` may read it (see `as_read`)."""
    with uow:
        uow.commitments.get(key)
        return as_read(uow, actor, uow.events.for_subject(_subject(key)))


def event_log(
    uow: UnitOfWork, actor: Actor, *, subject: str | None = None, after: int = 0, limit: int = 100
) -> list[EventView]:
    """The event log in append order, optionally of one subject, as `actor` may read it."""
    with uow:
        return as_read(uow, actor, uow.events.list(subject=subject, after=after, limit=limit))


def newest_event_log(
    uow: UnitOfWork,
    actor: Actor,
    *,
    subject: str | None = None,
    type: str | None = None,
    before: int | None = None,
    limit: int = 50,
) -> list[EventView]:
    """The event log newest first, optionally of one subject and one type, older than event
    `before`, as `actor` may read it."""
    with uow:
        found = uow.events.newest(subject=subject, type=type, before=before, limit=limit)
        return as_read(uow, actor, found)


def as_read(uow: UnitOfWork, actor: Actor, events: Iterable[Event]) -> list[EventView]:
    """Events as `actor` may read them (DESIGN §7): every event stays, but an accept's value
    and note only for the two teams and admins, and the hashes only for admins (see
    `may_see_chain`). The log itself is left as it is: `accord audit verify` reads it whole.

    Call it inside the unit of work the events were read in.
    """
    reader = uow.bind(actor)
    chain = may_see_chain(reader)
    found = list(events)
    keys = {
        e.subject.removeprefix("commitment:")
        for e in found
        if current_type(e.type) in EVIDENCE and e.subject.startswith("commitment:")
    }
    shown = {
        c.key
        for c in uow.commitments.with_keys(keys)
        if may_see_evidence(reader, c.requester, c.performer)
    }

    def hidden(event: Event) -> tuple[str, ...]:
        evidence = EVIDENCE.get(current_type(event.type), ())
        return () if event.subject.removeprefix("commitment:") in shown else evidence

    return [view_of(e, hide=hidden(e), chain=chain) for e in found]


@dataclass(frozen=True)
class Desk:
    """What a person's teams must do next, most pressing first."""

    to_answer: list[Commitment]
    to_accept: list[Commitment]
    overdue: list[Commitment]
    due_soon: list[Commitment]
    waiting_on_partners: list[Commitment]


def desk(uow: UnitOfWork, actor: Actor, *, soon_days: int = 7) -> Desk:
    """Requests to answer, deliveries to accept, overdue and soon-due promises of my teams."""
    from datetime import timedelta

    from accord.commitments.domain import OPEN

    with uow:
        person = uow.bind(actor)
        if not isinstance(person, Person):
            return Desk([], [], [], [], [])
        now = uow.now()
        soon = now + timedelta(days=soon_days)
        desk = Desk([], [], [], [], [])
        seen: set[int | None] = set()
        for team in person.teams():
            for commitment in uow.commitments.list(team=team, states=list(OPEN)):
                if commitment.id in seen:
                    continue
                seen.add(commitment.id)
                sides = sides_of(person, commitment)
                answerable = {Move.PROMISE, Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE}
                moves = set(commitment.allowed_moves(sides, now))
                if commitment.state == State.DELIVERED and Side.REQUESTER in sides:
                    desk.to_accept.append(commitment)
                elif moves & answerable:
                    desk.to_answer.append(commitment)
                elif commitment.is_overdue(now):
                    desk.overdue.append(commitment)
                elif (
                    Side.PERFORMER in sides
                    and commitment.state.value in ("promised", "renegotiating")
                    and commitment.due <= soon
                ):
                    desk.due_soon.append(commitment)
                else:
                    desk.waiting_on_partners.append(commitment)
        return desk
