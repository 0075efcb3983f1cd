"""Use cases of commitments: the request and every move after it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Required, TypedDict, Unpack

from accord.commitments import repository
from accord.commitments.domain import (
    EVIDENCE,
    Commitment,
    Move,
    Replay,
    Side,
    State,
    may_request,
    takes_requests,
)
from accord.errors import Conflict, Forbidden, Invalid, RuleBroken, about, choice
from accord.events.catalog import commitment_moved, current_type
from accord.events.domain import Event, EventView, view_of
from accord.org.domain import (
    Actor,
    Person,
    Team,
    choose_key,
    ensure_admin,
    ensure_can_write,
)
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose
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


class RequestTerms(TypedDict, total=False):
    """What a request says: in which partnership, which team asks which, for what, by when,
    and optionally on what conditions, relied on for what, measured how, under which key;
    `at` and `replay` for a history an admin imports (see `Replay`)."""

    partnership: Required[str]
    requester: Required[str]
    performer: Required[str]
    title: Required[str]
    due: Required[datetime]
    conditions_of_satisfaction: str
    reliance: str | None
    measure: str | None
    key: str | None
    at: datetime | None
    replay: Replay | None


@dataclass(frozen=True)
class Made:
    """What a request or a move made: the commitment as it now stands, and who made it (as
    loaded in the use case's unit of work)."""

    commitment: Commitment
    person: Person


def request(uow: UnitOfWork, actor: Actor, **terms: Unpack[RequestTerms]) -> Commitment:
    """Ask a partner team for something (a member of the requester team); see `requested`."""
    return requested(uow, actor, **terms).commitment


def request_viewed(uow: UnitOfWork, actor: Actor, **terms: Unpack[RequestTerms]) -> CommitmentView:
    """`request`, answered with the new commitment as `actor` reads it now (`get_commitment`),
    made from the objects the request used rather than read again in another transaction."""
    made = requested(uow, actor, **terms)
    return _view(made.commitment, made.person, uow.now())


def requested(uow: UnitOfWork, actor: Actor, **terms: Unpack[RequestTerms]) -> Made:
    """The request move (a member of the requester team asks a partner team for something):
    the new commitment and the person who asked.

    `replay`: the request starts a history an admin imports (see `Replay`).
    """
    partnership, requester, performer = terms["partnership"], terms["requester"], terms["performer"]
    measure, replay = terms.get("measure"), terms.get("replay")
    with uow:
        _ensure_importer(replay)
        actor = uow.bind(actor)
        person = ensure_can_write(actor)
        with about("partnership"):
            the_partnership = uow.commitments.partnership(partnership)
        # the teams' members are not needed: the person's own memberships say what they may do
        with about("requester"):
            requester_team = _team(uow, the_partnership, requester)
        with about("performer"):
            performer_team = _team(uow, the_partnership, performer)
        for team, role in ((requester_team, "requester"), (performer_team, "performer")):
            if not the_partnership.has_party(team):
                raise RuleBroken(
                    f"the {role} {team.slug!r} is not a party of partnership {partnership!r}",
                    rule="commitment.not_a_party",
                    field=role,
                )
        if not takes_requests(the_partnership):
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
        title = terms["title"]
        key = choose_key(terms.get("key"), title, "commitment", uow.commitments.keys_like)
        if uow.commitments.find(key) is not None:
            raise Conflict(
                f"commitment {key!r} already exists", rule="commitment.exists", field="key"
            )
        when = terms.get("at") or uow.now()
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
                "due": terms["due"],
                "conditions_of_satisfaction": terms.get("conditions_of_satisfaction", ""),
                "reliance": terms.get("reliance"),
                "measure": measure,
            },
        )
        payload.update(partnership=partnership, requester=requester, performer=performer)
        uow.commitments.add(commitment)
        uow.record(commitment_moved(key, person.email, when, payload))
        uow.commit()
        return Made(commitment, person)


def _team(uow: UnitOfWork, partnership: Partnership, slug: str) -> Team:
    """The team `slug`: a party of the partnership as the partnership loaded it (not loaded a
    second time), else looked up (not found, or not a party, as the request then says)."""
    party = next((p.team for p in partnership.parties if p.team.slug == slug), None)
    return party if party is not None else uow.org.team(slug, members=False)


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
    return _move(uow, actor, key, move, version=version, at=at, replay=replay, **args).commitment


def move_viewed(
    uow: UnitOfWork, actor: Actor, key: str, move: Move | str, *, version: int | None, **args: Any
) -> CommitmentView:
    """`move`, answered with the commitment as `actor` reads it now (`get_commitment`), made
    from the objects the move used rather than read again in another transaction."""
    made = _move(uow, actor, key, move, version=version, **args)
    return _view(made.commitment, made.person, uow.now())


def _move(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    move: Move | str,
    *,
    version: int | None,
    at: datetime | None = None,
    replay: Replay | None = None,
    **args: Any,
) -> Made:
    with uow:
        _ensure_importer(replay)
        actor = uow.bind(actor)
        person = ensure_can_write(actor)
        commitment = uow.commitments.get(key)
        the_move = choice(Move, move, "move", field="move")
        sides = sides_of(person, commitment)
        if not sides:
            raise Forbidden(
                f"only members of {commitment.requester.name} or {commitment.performer.name} "
                f"may act on “{commitment.title}”; {person.name} is in neither",
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
        return Made(commitment, person)


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


SORTS = tuple(repository.SORTS)
# A search counts this many at most: beyond, a count would cost more than the page it heads.
COUNTED_UP_TO = 10_000
# The attributes of a commitment each order reads, to say where a page ends.
_SORTED_BY = {
    "due": ("due",),
    "state": ("state", "due"),
    "updated": ("updated_at",),
    "title": ("title",),
}


@dataclass(frozen=True)
class Found:
    """A page of a search: its commitments as `actor` may read them, where it starts, and how
    many the whole search keeps (None when not counted; COUNTED_UP_TO and `more` when it keeps
    more than that)."""

    views: list[CommitmentView]
    offset: int
    total: int | None
    team: Team | None = None  # the filters named by key, found, to be shown by name
    partnership: Partnership | None = None
    purpose: Purpose | None = None
    more: bool = False


@dataclass(frozen=True)
class SearchChoices:
    """What a reader is offered to filter by: their teams, and their teams' partnerships and
    the purposes these serve, each by name."""

    teams: list[Team]
    partnerships: list[Partnership]
    purposes: list[Purpose]


def search_choices(uow: UnitOfWork, actor: Actor) -> SearchChoices:
    """The teams, partnerships and purposes of `actor`'s teams, by name."""
    with uow:
        reader = uow.bind(actor)
        teams = reader.teams() if isinstance(reader, Person) else []
        found = {p.key: p for t in teams for p in uow.partnerships.list(team=t)}
        purposes = {p.purpose.key: p.purpose for p in found.values()}
        return SearchChoices(
            sorted(teams, key=lambda t: t.name.lower()),
            sorted(found.values(), key=lambda p: p.name.lower()),
            sorted(purposes.values(), key=lambda p: p.title.lower()),
        )


def position(commitment: Commitment, sort: str) -> tuple[Any, ...]:
    """Where a commitment stands in the order `sort`: the `after` of the page that follows it."""
    return (*(getattr(commitment, name) for name in _SORTED_BY[sort]), commitment.id)


def search_commitments(
    uow: UnitOfWork,
    actor: Actor,
    *,
    team: str | None = None,
    side: Side | str | None = None,
    partnership: str | None = None,
    purpose: str | None = None,
    states: Sequence[State | str] | None = None,
    due_from: datetime | None = None,
    due_before: datetime | None = None,
    overdue: bool = False,
    mine: bool = False,
    sort: str = "due",
    descending: bool = False,
    offset: int = 0,
    after: tuple[Any, ...] | None = None,
    limit: int = 50,
    count: bool = True,
) -> Found:
    """Every commitment `actor` may read (all of them, DESIGN §7; an accept's rating only as
    `browse` shows it), kept by team (and side), partnership, purpose, state, due range,
    overdue, or `mine` (the actor's teams on either side), in the order `sort` (due, state,
    updated, title), a page at `offset` or after `after` (see `position`), counted (up to
    COUNTED_UP_TO) if asked."""
    with uow:
        reader = uow.bind(actor)
        the_sort = sort if sort in _SORTED_BY else None
        if the_sort is None:
            raise Invalid(
                f"a list is sorted by {', '.join(SORTS)}, not {sort!r}",
                rule="commitment.sort_invalid",
                field="sort",
            )
        for name, moment in (("due_from", due_from), ("due_before", due_before)):
            if moment is not None and moment.tzinfo is None:
                raise Invalid(f"{name} needs a time zone", rule="time.no_zone", field=name)
        if due_from is not None and due_before is not None and due_before <= due_from:
            raise Invalid(
                "the end of the due range comes before its start",
                rule="commitment.due_range_invalid",
                field="due_before",
            )
        the_side = _side(side) if side else None
        if the_side is not None and not team:
            raise Invalid("a side needs a team: whose side?", rule="commitment.side_without_team")
        with about("team"):
            the_team = uow.org.team(team, members=False) if team else None
        ids: set[int] | None = None
        the_partnership = the_purpose = None
        if partnership:
            with about("partnership"):
                the_partnership = uow.partnerships.get(partnership)
            ids = {the_partnership.id or 0}
        if purpose:
            with about("purpose"):
                the_purpose = uow.purposes.get(purpose)
            of_purpose = {p.id or 0 for p in uow.partnerships.list(purpose=the_purpose)}
            ids = of_purpose if ids is None else ids & of_purpose
        the_states = [choice(State, s, "state", field="state") for s in states] if states else None
        mine_teams = reader.teams() if mine and isinstance(reader, Person) else None
        selection = repository.Selection(
            partnership_ids=ids,
            team=the_team,
            side=the_side,
            teams=[] if mine and mine_teams is None else mine_teams,
            states=the_states,
            due_from=due_from,
            due_before=due_before,
            overdue_at=uow.now() if overdue else None,
        )
        found = uow.commitments.search(
            selection,
            sort=the_sort,
            descending=descending,
            after=after,
            offset=max(offset, 0),
            limit=limit,
        )
        now = uow.now()
        views = [_view(c, reader, now) for c in found]
        total = uow.commitments.count(selection, up_to=COUNTED_UP_TO) if count else None
        more = total is not None and total > COUNTED_UP_TO
        if more:
            total = COUNTED_UP_TO
        return Found(
            views, max(offset, 0), total, the_team, the_partnership, the_purpose, more=more
        )


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
    """What a person's teams must do next, grouped by who must act, most pressing first.

    Each open commitment of their teams is in exactly one group: `must_answer` (a request to
    them, a counter to their request, a change the partner proposed), `owes` (their promises,
    overdue first), `partners_owe` (what their partners promised them or were asked by them),
    `to_accept` (deliveries to them), or `awaiting_answer` (their counters and deliveries that
    wait for the partner's answer). `soon` is where "due soon" ends.
    """

    must_answer: list[Commitment]
    owes: list[Commitment]
    partners_owe: list[Commitment]
    to_accept: list[Commitment]
    awaiting_answer: list[Commitment]
    now: datetime
    soon: datetime

    def is_overdue(self, commitment: Commitment) -> bool:
        return commitment.is_overdue(self.now)

    def is_due_soon(self, commitment: Commitment) -> bool:
        return not commitment.is_overdue(self.now) and commitment.due <= self.soon

    @property
    def overdue(self) -> list[Commitment]:
        """The promises of the person's teams past their due date."""
        return [c for c in self.owes if self.is_overdue(c)]

    @property
    def due_soon(self) -> list[Commitment]:
        """The promises of the person's teams that fall due before `soon`."""
        return [c for c in self.owes if self.is_due_soon(c)]


def _sides(actor: Actor, commitment: Commitment) -> frozenset[Side]:
    return sides_of(actor, commitment) if isinstance(actor, Person) else frozenset()


# The moves by which a team answers the other side: a request, a counter, a proposed change.
_ANSWERING = frozenset({Move.PROMISE, Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE})


def desk(uow: UnitOfWork, actor: Actor, *, soon_days: int = 7) -> Desk:
    """The open commitments of my teams, grouped by who must act next (see `Desk`)."""
    from accord.commitments.domain import COMMITTED, OPEN

    with uow:
        now = uow.now()
        groups: dict[str, list[Commitment]] = {
            name: [] for name in ("must_answer", "owes", "partners_owe", "to_accept", "awaiting")
        }
        person = uow.bind(actor)
        seen: set[int | None] = set()
        for team in person.teams() if isinstance(person, Person) else []:
            for commitment in uow.commitments.list(team=team, states=list(OPEN)):
                if commitment.id in seen:
                    continue
                seen.add(commitment.id)
                sides = _sides(person, commitment)
                moves = set(commitment.allowed_moves(sides, now))
                if commitment.state == State.DELIVERED and Side.REQUESTER in sides:
                    group = "to_accept"
                elif moves & _ANSWERING:
                    group = "must_answer"
                elif Side.PERFORMER in sides and commitment.state in COMMITTED:
                    group = "owes"
                elif Side.REQUESTER in sides and commitment.state != State.DELIVERED:
                    group = "partners_owe"  # requested, or promised to us
                else:
                    group = "awaiting"  # our counter or delivery, for the partner to answer
                groups[group].append(commitment)
        for found in groups.values():
            found.sort(key=lambda c: (c.due, c.key))
        return Desk(
            must_answer=groups["must_answer"],
            owes=groups["owes"],
            partners_owe=groups["partners_owe"],
            to_accept=groups["to_accept"],
            awaiting_answer=groups["awaiting"],
            now=now,
            soon=now + timedelta(days=soon_days),
        )


@dataclass(frozen=True)
class AskChoice:
    """A partnership in which a person may ask a partner for something: their teams that may
    ask in it (`mine`) and the parties they may ask (`partners`), each by name."""

    partnership: Partnership
    mine: list[Team]
    partners: list[Team]


def ask_choices(uow: UnitOfWork, actor: Actor, *, performer: str | None = None) -> list[AskChoice]:
    """The partnerships in which `actor` may make the request move now, by name; with
    `performer`, only those in which they may ask that team."""
    with uow:
        person = uow.bind(actor)
        if not isinstance(person, Person):
            return []
        found: dict[str, AskChoice] = {}
        for team in person.teams():
            if not may_request(person, team):
                continue
            for partnership in uow.partnerships.list(team=team):
                if partnership.key in found or not takes_requests(partnership):
                    continue
                teams = sorted((p.team for p in partnership.parties), key=lambda t: t.name.lower())
                mine = [t for t in teams if may_request(person, t)]
                # a member of several parties may ask any party but the one they ask for
                partners = [t for t in teams if t not in mine] if len(mine) == 1 else teams
                if performer is not None:
                    if performer not in {t.slug for t in partners}:
                        continue
                found[partnership.key] = AskChoice(partnership, mine, partners)
        return sorted(found.values(), key=lambda c: c.partnership.name.lower())
