"""The conversation for action: states, moves, who may make them, and terms.

The state machine is data: `TRANSITIONS` maps (state, move) to the side that may make the
move and the state it leads to. `Commitment.apply` looks moves up there and nowhere else.

Longer than most modules on purpose: the states, the moves, their terms and who may make them
are one rule set, read best on one page.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from accord.errors import Conflict, Forbidden, Invalid, RuleBroken
from accord.events.catalog import CommitmentAccepted
from accord.events.domain import iso, spoken
from accord.org.domain import Actor, Team, may_write
from accord.partnerships.domain import PartnershipStatus

if TYPE_CHECKING:
    from accord.partnerships.domain import Partnership
    from accord.purposes.domain import Measure


class State(StrEnum):
    REQUESTED = "requested"
    COUNTERED = "countered"
    PROMISED = "promised"
    RENEGOTIATING = "renegotiating"
    DELIVERED = "delivered"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"
    REVOKED = "revoked"
    MISSED = "missed"


FINAL = frozenset({State.ACCEPTED, State.DECLINED, State.WITHDRAWN, State.REVOKED, State.MISSED})
OPEN = frozenset(
    {State.REQUESTED, State.COUNTERED, State.PROMISED, State.RENEGOTIATING, State.DELIVERED}
)
COMMITTED = frozenset({State.PROMISED, State.RENEGOTIATING})


class Move(StrEnum):
    REQUEST = "request"
    PROMISE = "promise"
    COUNTER = "counter"
    DECLINE = "decline"
    ACCEPT_COUNTER = "accept_counter"
    REVISE = "revise"
    WITHDRAW = "withdraw"
    PROPOSE_CHANGE = "propose_change"
    ACCEPT_CHANGE = "accept_change"
    REJECT_CHANGE = "reject_change"
    REVOKE = "revoke"
    REPORT_DONE = "report_done"
    ACCEPT = "accept"
    REJECT = "reject"
    MARK_MISSED = "mark_missed"


class Side(StrEnum):
    REQUESTER = "R"
    PERFORMER = "P"


class Who(StrEnum):
    """Who may make a move, as DESIGN.md's table says it."""

    R = "R"
    P = "P"
    EITHER = "R or P"
    OTHER = "the other side"


class Reliance(StrEnum):
    NONE = "none"
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"
    CRITICAL = "critical"


RELIANCE_WEIGHT: dict[Reliance, float] = {
    Reliance.NONE: 0.0,
    Reliance.LOW: 0.25,
    Reliance.MEDIUM: 0.5,
    Reliance.HIGH: 0.75,
    Reliance.CRITICAL: 1.0,
}


@dataclass(frozen=True)
class Transition:
    who: Who
    to: State


_S = State
_M = Move
TRANSITIONS: dict[tuple[State | None, Move], Transition] = {
    (None, _M.REQUEST): Transition(Who.R, _S.REQUESTED),
    (_S.REQUESTED, _M.PROMISE): Transition(Who.P, _S.PROMISED),
    (_S.REQUESTED, _M.COUNTER): Transition(Who.P, _S.COUNTERED),
    (_S.REQUESTED, _M.DECLINE): Transition(Who.P, _S.DECLINED),
    (_S.COUNTERED, _M.ACCEPT_COUNTER): Transition(Who.R, _S.PROMISED),
    (_S.COUNTERED, _M.REVISE): Transition(Who.R, _S.REQUESTED),
    (_S.REQUESTED, _M.WITHDRAW): Transition(Who.R, _S.WITHDRAWN),
    (_S.COUNTERED, _M.WITHDRAW): Transition(Who.R, _S.WITHDRAWN),
    (_S.PROMISED, _M.WITHDRAW): Transition(Who.R, _S.WITHDRAWN),
    (_S.RENEGOTIATING, _M.WITHDRAW): Transition(Who.R, _S.WITHDRAWN),
    (_S.PROMISED, _M.PROPOSE_CHANGE): Transition(Who.EITHER, _S.RENEGOTIATING),
    (_S.RENEGOTIATING, _M.ACCEPT_CHANGE): Transition(Who.OTHER, _S.PROMISED),
    (_S.RENEGOTIATING, _M.REJECT_CHANGE): Transition(Who.OTHER, _S.PROMISED),
    (_S.PROMISED, _M.REVOKE): Transition(Who.P, _S.REVOKED),
    (_S.RENEGOTIATING, _M.REVOKE): Transition(Who.P, _S.REVOKED),
    (_S.PROMISED, _M.REPORT_DONE): Transition(Who.P, _S.DELIVERED),
    (_S.RENEGOTIATING, _M.REPORT_DONE): Transition(Who.P, _S.DELIVERED),
    (_S.DELIVERED, _M.ACCEPT): Transition(Who.R, _S.ACCEPTED),
    (_S.DELIVERED, _M.REJECT): Transition(Who.R, _S.PROMISED),
    (_S.PROMISED, _M.MARK_MISSED): Transition(Who.R, _S.MISSED),
    (_S.RENEGOTIATING, _M.MARK_MISSED): Transition(Who.R, _S.MISSED),
}

# The payload fields of a move's event that are trust evidence, by event type: the accept's
# value rating and note, for the two teams and admins only (DESIGN §7).
EVIDENCE: dict[str, tuple[str, ...]] = {CommitmentAccepted.type: ("args.value", "args.note")}

TERM_FIELDS = ("title", "conditions_of_satisfaction", "due")
# The moves that answer the other side's counter or change.
ANSWERS = frozenset({Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE, Move.REJECT_CHANGE})
# The moves that agree on the due date in force.
AGREEMENTS = frozenset({Move.PROMISE, Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE})
# The fields each move takes besides `move`, `by` and `at`, and which of them it requires.
MOVE_FIELDS: dict[Move, tuple[frozenset[str], frozenset[str]]] = {
    _M.REQUEST: (
        frozenset({"title", "conditions_of_satisfaction", "due", "reliance", "measure"}),
        frozenset({"title", "due"}),
    ),
    _M.PROMISE: (frozenset({"note"}), frozenset()),
    _M.COUNTER: (frozenset({*TERM_FIELDS, "note"}), frozenset()),
    _M.DECLINE: (frozenset({"reason"}), frozenset({"reason"})),
    _M.ACCEPT_COUNTER: (frozenset({"note"}), frozenset()),
    _M.REVISE: (frozenset({*TERM_FIELDS, "reliance", "note"}), frozenset()),
    _M.WITHDRAW: (frozenset({"reason"}), frozenset()),
    _M.PROPOSE_CHANGE: (frozenset({*TERM_FIELDS, "note"}), frozenset()),
    _M.ACCEPT_CHANGE: (frozenset({"note"}), frozenset()),
    _M.REJECT_CHANGE: (frozenset({"note", "reason"}), frozenset()),
    _M.REVOKE: (frozenset({"reason"}), frozenset({"reason"})),
    _M.REPORT_DONE: (frozenset({"note"}), frozenset()),
    _M.ACCEPT: (frozenset({"value", "note"}), frozenset({"value"})),
    _M.REJECT: (frozenset({"reason"}), frozenset({"reason"})),
    _M.MARK_MISSED: (frozenset({"note"}), frozenset()),
}
TERMS_REQUIRED = frozenset({_M.COUNTER, _M.PROPOSE_CHANGE, _M.REVISE})
TEXT_LIMITS = {
    "title": 200,
    "conditions_of_satisfaction": 4000,
    "note": 4000,
    "reason": 4000,
    "measure": 200,
}


def allowed_from(move: Move) -> list[State]:
    return [state for (state, m) in TRANSITIONS if m == move and state is not None]


def may_request(actor: Actor, team: Team) -> bool:
    """Whether `actor` may ask a partner for something on behalf of `team` (the request move):
    a member of it who may write."""
    return may_write(actor) and actor.is_member(team)


def takes_requests(partnership: Partnership) -> bool:
    """Whether a partnership takes new requests: while it forms and while it is active, not
    while it is paused or after it closed."""
    return partnership.status in (PartnershipStatus.FORMING, PartnershipStatus.ACTIVE)


def normalize_args(move: Move, args: dict[str, Any], *, imported: bool = False) -> dict[str, Any]:
    """The move's arguments checked and in canonical form (the event payload of the move).

    Unknown fields, missing required ones, empty texts, naive times, bad values: refused. An
    `imported` accept may lack its value: a history from a tool that rated nothing.
    """
    allowed, required = MOVE_FIELDS[move]
    if imported and move == _M.ACCEPT:
        required = required - {"value"}
    given = {k: v for k, v in args.items() if v is not None}
    unknown = sorted(set(given) - allowed)
    if unknown:
        raise Invalid(
            f"'{move}' does not take {', '.join(unknown)}; it takes "
            f"{', '.join(sorted(allowed)) or 'nothing'}",
            rule="commitment.unknown_field",
            field=unknown[0],
        )
    missing = sorted(required - set(given))
    if missing:
        raise Invalid(
            f"'{move}' needs {', '.join(missing)}",
            rule="commitment.missing_field",
            field=missing[0],
        )
    out: dict[str, Any] = {}
    for name in sorted(given):
        value = given[name]
        if name == "due":
            if not isinstance(value, datetime):
                raise Invalid("due must be a date-time", rule="commitment.due_invalid", field="due")
            if value.tzinfo is None:
                raise Invalid(
                    "due must carry a time zone", rule="commitment.due_invalid", field="due"
                )
            out[name] = value
        elif name == "reliance":
            try:
                out[name] = Reliance(value).value
            except ValueError:
                raise Invalid(
                    f"reliance {value!r} is not one of {', '.join(r.value for r in Reliance)}",
                    rule="commitment.reliance_invalid",
                    field="reliance",
                ) from None
        elif name == "value":
            if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
                raise Invalid(
                    f"value must be a whole number from 1 to 5, is {value!r}",
                    rule="commitment.value_invalid",
                    field="value",
                )
            out[name] = value
        else:
            if not isinstance(value, str):
                raise Invalid(f"{name} must be text", rule="commitment.text_invalid", field=name)
            text = value.strip()
            if len(text) > TEXT_LIMITS[name]:
                raise Invalid(
                    f"{name} is longer than {TEXT_LIMITS[name]} characters",
                    rule="commitment.text_too_long",
                    field=name,
                )
            if not text and (name in required or name in ("title", "measure")):
                raise Invalid(f"{name} must not be empty", rule="commitment.text_empty", field=name)
            if text or name == "conditions_of_satisfaction":
                out[name] = text
    if move == _M.REQUEST:
        out.setdefault("conditions_of_satisfaction", "")
        out.setdefault("reliance", Reliance.NONE.value)
    terms = (*TERM_FIELDS, "reliance") if move == _M.REVISE else TERM_FIELDS
    if move in TERMS_REQUIRED and not any(f in out for f in terms):
        raise Invalid(
            f"'{move}' needs at least one new term: {', '.join(terms)}",
            rule="commitment.no_new_terms",
        )
    return out


@dataclass
class Replay:
    """A move replayed from an imported history, which happened elsewhere and cannot be redone.

    The rules that only guard live moves let it pass — a due date already past when it was set,
    an answer by a member of both teams to their own proposal, an accept without a value — and
    each time one does, or a member of both teams makes a move whose side is theirs to choose,
    `notes` says so in words. `importer` is the admin who imports.
    """

    importer: Actor
    notes: list[str] = field(default_factory=list)


@dataclass(eq=False)
class Commitment:
    """A promise from a performer team to a requester team of the same partnership."""

    key: str
    partnership: Partnership
    requester: Team
    performer: Team
    title: str
    due: datetime
    conditions_of_satisfaction: str = ""
    reliance: Reliance = Reliance.NONE
    measure: Measure | None = None
    state: State = State.REQUESTED
    version: int = 1
    requested_at: datetime | None = None
    updated_at: datetime | None = None
    delivered_at: datetime | None = None
    value: int | None = None
    pending: dict[str, Any] | None = None
    pending_by: Side | None = None
    pending_proposer: str | None = None
    id: int | None = None

    @classmethod
    def request(
        cls,
        *,
        key: str,
        partnership: Partnership,
        requester: Team,
        performer: Team,
        measure: Measure | None,
        sides: frozenset[Side],
        at: datetime,
        args: dict[str, Any],
        replay: Replay | None = None,
    ) -> tuple[Commitment, dict[str, Any]]:
        """Open a commitment with a request; returns it and the event payload."""
        if requester is performer:
            raise RuleBroken(
                "a team cannot make a commitment to itself",
                rule="commitment.same_team",
                field="performer",
            )
        if Side.REQUESTER not in sides:
            raise Forbidden(
                "only a member of the requester team may request", rule="commitment.wrong_side"
            )
        terms = normalize_args(Move.REQUEST, args)
        _check_due_ahead(terms["due"], at, Move.REQUEST, replay)
        commitment = (PlainCommitment if _PLAIN.get() else cls)(
            key=key,
            partnership=partnership,
            requester=requester,
            performer=performer,
            measure=measure,
            title=terms["title"],
            due=terms["due"],
            conditions_of_satisfaction=terms["conditions_of_satisfaction"],
            reliance=Reliance(terms["reliance"]),
            requested_at=at,
            updated_at=at,
        )
        return commitment, _payload(Move.REQUEST, None, State.REQUESTED, 1, None, terms)

    def is_overdue(self, now: datetime) -> bool:
        return self.state in COMMITTED and now > self.due

    def terms(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "conditions_of_satisfaction": self.conditions_of_satisfaction,
            "due": self.due,
        }

    def allowed_moves(self, sides: frozenset[Side], now: datetime) -> list[Move]:
        """The moves an actor on `sides` could make now (arguments aside)."""
        moves = []
        for (state, move), transition in TRANSITIONS.items():
            if state != self.state or self._side_for(transition.who, sides) is None:
                continue
            if move == Move.MARK_MISSED and not now > self.due:
                continue
            moves.append(move)
        return moves

    def apply(
        self,
        move: Move,
        *,
        sides: frozenset[Side],
        at: datetime,
        expected_version: int | None,
        args: dict[str, Any],
        actor: str | None = None,
        replay: Replay | None = None,
    ) -> dict[str, Any]:
        """Make `move` as `actor`; refused moves raise and change nothing.

        Returns the event payload. Whoever proposed a counter or a change cannot answer it
        themselves, even when they belong to both teams (live; a `replay` notes it instead).
        """
        if move == Move.REQUEST:
            raise RuleBroken("'request' opens a new commitment", rule="commitment.move_not_allowed")
        if expected_version is not None and expected_version != self.version:
            raise Conflict(
                f"commitment {self.key!r} is at version {self.version}, not {expected_version}; "
                "reload it and try again",
                rule="commitment.version_stale",
                field="version",
            )
        transition = TRANSITIONS.get((self.state, move))
        if transition is None:
            states = " or ".join(s.value for s in allowed_from(move))
            raise RuleBroken(
                f"'{move}' needs state {states}, is {self.state}",
                rule="commitment.move_not_allowed",
            )
        side = self._side_for(transition.who, sides)
        if side is None:
            raise Forbidden(
                f"'{move}' is for {self._who_text(transition.who)}", rule="commitment.wrong_side"
            )
        own = move in ANSWERS and actor is not None and actor == self.pending_proposer
        if own and replay is None:
            raise Forbidden(
                f"'{move}' answers a proposal {actor} made; someone of the other team answers it",
                rule="commitment.own_proposal",
            )
        args = normalize_args(move, args, imported=replay is not None)
        if self.updated_at is not None and at < self.updated_at:
            raise RuleBroken(
                f"this move ({spoken(at)}) would come before the last one "
                f"({spoken(self.updated_at)})",
                rule="commitment.time_backwards",
            )
        if move == Move.MARK_MISSED and not at > self.due:
            raise RuleBroken(
                f"a commitment can be marked missed only after it is due ({spoken(self.due)})",
                rule="commitment.not_yet_due",
            )
        if "due" in args:
            _check_due_ahead(args["due"], at, move, replay)
        if (
            move in (Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE)
            and self.pending
            and "due" in self.pending
            and replay is None
        ):
            _check_due_ahead(datetime.fromisoformat(self.pending["due"]), at, move, None)
        if replay is not None:
            self._note_sides(replay, move, transition.who, side, sides, actor, own)
        before = self.state
        self._effect(move, side, args, at, actor)
        self.state = transition.to
        self.version += 1
        self.updated_at = at
        if replay is not None:
            if move in AGREEMENTS and self.due <= at:
                replay.notes.append(
                    f"{_AGREED[move]} after its due date {iso(self.due)}; "
                    "counted as late unless a new due date is agreed"
                )
            if move == Move.ACCEPT and "value" not in args:
                replay.notes.append("accepted without a value: no value evidence")
        return _payload(move, before, self.state, self.version, side, args, self)

    def _note_sides(
        self,
        replay: Replay,
        move: Move,
        who: Who,
        side: Side,
        sides: frozenset[Side],
        actor: str | None,
        own: bool,
    ) -> None:
        """Say when a member of both teams answered a proposal or chose the side of a move."""
        if len(sides) < 2 or not (move in ANSWERS or who in (Who.EITHER, Who.OTHER)):
            return
        name = actor or "someone"
        mover = "the requester" if side == Side.REQUESTER else "the performer"
        if own:
            replay.notes.append(
                f"'{move}' answers a proposal {name} made themselves, a member of both teams; "
                f"taken as {mover}'s answer"
            )
        else:
            replay.notes.append(
                f"'{move}' by {name}, a member of both teams; taken as {mover}'s move"
            )

    def _effect(
        self, move: Move, side: Side, args: dict[str, Any], at: datetime, actor: str | None
    ) -> None:
        if move in (Move.COUNTER, Move.PROPOSE_CHANGE):
            self.pending = {
                k: iso(args[k]) if k == "due" else args[k] for k in TERM_FIELDS if k in args
            }
            self.pending_by, self.pending_proposer = side, actor
            return
        if move in (Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE):
            self._take_terms(self.pending or {})
        elif move == Move.REVISE:
            self._take_terms(args)
            if "reliance" in args:
                self.reliance = Reliance(args["reliance"])
        elif move == Move.REPORT_DONE:
            self.delivered_at = at
        elif move == Move.ACCEPT:
            self.value = args.get("value")
        self.pending, self.pending_by, self.pending_proposer = None, None, None

    def _take_terms(self, terms: dict[str, Any]) -> None:
        if "title" in terms:
            self.title = terms["title"]
        if "conditions_of_satisfaction" in terms:
            self.conditions_of_satisfaction = terms["conditions_of_satisfaction"]
        if "due" in terms:
            due = terms["due"]
            self.due = datetime.fromisoformat(due) if isinstance(due, str) else due

    def _side_for(self, who: Who, sides: frozenset[Side]) -> Side | None:
        if who == Who.R:
            return Side.REQUESTER if Side.REQUESTER in sides else None
        if who == Who.P:
            return Side.PERFORMER if Side.PERFORMER in sides else None
        if who == Who.EITHER:
            if Side.PERFORMER in sides:
                return Side.PERFORMER
            return Side.REQUESTER if Side.REQUESTER in sides else None
        other = Side.REQUESTER if self.pending_by == Side.PERFORMER else Side.PERFORMER
        return other if other in sides else None

    def _who_text(self, who: Who) -> str:
        if who == Who.R:
            return "a member of the requester team"
        if who == Who.P:
            return "a member of the performer team"
        if who == Who.EITHER:
            return "a member of the requester or the performer team"
        other = "requester" if self.pending_by == Side.PERFORMER else "performer"
        return f"the side that did not propose the change (a member of the {other} team)"


def _plain_twin(mapped: type[Commitment]) -> type[Commitment]:
    """A class of the same fields and the very same methods as `mapped`, made before the ORM
    maps it (orm.py): its objects are plain, without the bookkeeping a mapped object does on
    every attribute it sets."""
    namespace = {k: v for k, v in vars(mapped).items() if k not in ("__dict__", "__weakref__")}
    twin = type("PlainCommitment", mapped.__bases__, namespace)
    twin.__qualname__ = "PlainCommitment"
    return twin


# `Commitment` as it is before the ORM maps it: what an import replays a history on, many
# thousands a second, to write them all at once after (`plain_commitments`). Its rules are
# `Commitment`'s own, the same functions.
PlainCommitment = _plain_twin(Commitment)
_PLAIN: ContextVar[bool] = ContextVar("plain_commitments", default=False)


@contextmanager
def plain_commitments() -> Iterator[None]:
    """Within: `Commitment.request` makes a `PlainCommitment`, which no session knows (an
    import's histories, which are written in bulk)."""
    token = _PLAIN.set(True)
    try:
        yield
    finally:
        _PLAIN.reset(token)


_AGREED = {
    Move.PROMISE: "promised",
    Move.ACCEPT_COUNTER: "counter accepted",
    Move.ACCEPT_CHANGE: "change accepted",
}


def _check_due_ahead(due: datetime, at: datetime, move: Move, replay: Replay | None) -> None:
    """A due date is set ahead of the move that sets it; a replayed history notes it instead."""
    if due > at:
        return
    if replay is None:
        raise RuleBroken(
            f"the due date must be in the future (it is {spoken(at)} now)",
            rule="commitment.due_in_past",
            field="due",
        )
    replay.notes.append(f"'{move}' sets a due date {iso(due)} already past at {iso(at)}")


def _payload(
    move: Move,
    before: State | None,
    after: State,
    version: int,
    side: Side | None,
    args: dict[str, Any],
    commitment: Commitment | None = None,
) -> dict[str, Any]:
    payload: dict[str, Any] = {
        "move": move.value,
        "from": before.value if before else None,
        "to": after.value,
        "version": version,
        "side": side.value if side else Side.REQUESTER.value,
        "args": {k: iso(v) if isinstance(v, datetime) else v for k, v in args.items()},
    }
    if commitment is not None and move in (Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE):
        payload["terms"] = {
            k: iso(v) if isinstance(v, datetime) else v for k, v in commitment.terms().items()
        }
    return payload
