"""A commitment in one sentence, the same on every page (and in every message): who asks or owes
whom what, by when, in the direction the commitment runs.

    Customer Success asks Data Platform for Billing data feed, due Tue 8 Dec
    Data Platform promised Customer Success Billing data feed, due Tue 8 Dec

Dates are formatted by the caller's `day` (the reader's time zone lives in the channel); without
one, in UTC. `terms_change` says what a counter-offer or a proposed change would change, old → new;
`steps` tells a commitment's history move by move, each with the terms it changed and the note or
reason that came with it, and the people in it by name (`names_of`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple

from accord.commitments.domain import Commitment, Move, Side, State
from accord.events.domain import EventView
from accord.org.domain import Team

Day = Callable[[datetime], str]

# The terms a move may change, with the word a sentence uses for each, in the order they are said.
TERM_WORDS = (
    ("title", "what"),
    ("due", "due"),
    ("conditions_of_satisfaction", "conditions"),
    ("reliance", "reliance"),
)
# What each move did, said after the name of whoever made it.
DONE: dict[str, str] = {
    Move.REQUEST: "asked",
    Move.PROMISE: "promised",
    Move.COUNTER: "made a counter-offer",
    Move.DECLINE: "declined the request",
    Move.ACCEPT_COUNTER: "accepted the counter-offer",
    Move.REVISE: "revised the request",
    Move.WITHDRAW: "withdrew the request",
    Move.PROPOSE_CHANGE: "proposed a change",
    Move.ACCEPT_CHANGE: "accepted the change",
    Move.REJECT_CHANGE: "rejected the change",
    Move.REVOKE: "revoked the promise",
    Move.REPORT_DONE: "reported it done",
    Move.ACCEPT: "accepted the delivery",
    Move.REJECT: "rejected the delivery",
    Move.MARK_MISSED: "marked it missed",
}
# The moves that put terms on the table, and those that take the terms on the table.
PROPOSALS = frozenset({Move.COUNTER, Move.PROPOSE_CHANGE})
TAKINGS = frozenset({Move.ACCEPT_COUNTER, Move.ACCEPT_CHANGE})


def day_utc(moment: datetime) -> str:
    """'Tue 8 Dec' (with the year when it is not the current one), in UTC."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    text = f"{moment:%a} {moment.day} {moment:%b}"
    return text if moment.year == datetime.now(UTC).year else f"{text} {moment.year}"


def sentence(commitment: Commitment, day: Day = day_utc) -> str:
    """The commitment as one sentence in the direction it runs, by its state."""
    c = commitment
    r, p, what, due = c.requester.name, c.performer.name, c.title, day(c.due)
    match c.state:
        case State.REQUESTED:
            return f"{r} asks {p} for {what}, due {due}"
        case State.COUNTERED:
            return f"{p} offers {r} {what} on other terms ({_pending_terms(c, day)})"
        case State.PROMISED:
            return f"{p} promised {r} {what}, due {due}"
        case State.RENEGOTIATING:
            who = p if c.pending_by == Side.PERFORMER else r
            return (
                f"{p} promised {r} {what}, due {due}; {who} proposes a change "
                f"({_pending_terms(c, day)})"
            )
        case State.DELIVERED:
            return f"{p} delivered {what} to {r}, to be accepted"
        case State.ACCEPTED:
            return f"{r} accepted {what} from {p}"
        case State.DECLINED:
            return f"{p} declined {r}'s request for {what}"
        case State.WITHDRAWN:
            return f"{r} withdrew its request to {p} for {what}"
        case State.REVOKED:
            return f"{p} revoked its promise to {r} of {what}"
        case State.MISSED:
            return f"{p} missed {what} for {r}, due {due}"
    return f"{r} and {p}: {what}, due {due}"  # pragma: no cover - every state is matched


class Change(NamedTuple):
    """One term a move changes: its field, the word for it, and its value before and after
    (a due date as a datetime, for the reader's `day` to say)."""

    term: str
    label: str
    old: Any
    new: Any


def term_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> list[Change]:
    """Each term `new` changes, with its value in `old`; due dates compared as instants."""
    changes: list[Change] = []
    for name, label in TERM_WORDS:
        if name not in new:
            continue
        before, after = old.get(name), new[name]
        if name == "due":
            before, after = _instant(before), _instant(after)
        if before != after:
            changes.append(Change(name, label, before, after))
    return changes


def terms_change(
    old: Mapping[str, Any], new: Mapping[str, Any], day: Day = day_utc
) -> list[tuple[str, str, str]]:
    """(term, old, new) for each term `new` changes: due as days, texts as they are."""
    return [
        (label, _text(before, day), _text(after, day))
        for _, label, before, after in term_changes(old, new)
    ]


def current_terms(commitment: Commitment) -> dict[str, Any]:
    return {
        "title": commitment.title,
        "due": commitment.due,
        "conditions_of_satisfaction": commitment.conditions_of_satisfaction,
        "reliance": commitment.reliance.value,
    }


def pending_changes(commitment: Commitment) -> list[Change]:
    """What the counter-offer or the proposed change waiting for an answer would change."""
    return term_changes(current_terms(commitment), commitment.pending or {})


def names_of(commitment: Commitment) -> dict[str, str]:
    """The name of everyone who is or was a member of the commitment's two teams, by e-mail."""
    names: dict[str, str] = {}
    for team in (commitment.requester, commitment.performer):
        for membership in team.memberships:
            names[membership.person.email] = membership.person.name
    return names


@dataclass(frozen=True)
class Step:
    """One move of a commitment's history: who made it (by name, for which team), what it did,
    the terms it changed (old → new), and what it said."""

    event: EventView
    move: str
    done: str  # what the move did, in words: 'made a counter-offer'
    to: str | None  # the state it led to
    person: str  # the name of whoever made it
    team: Team | None  # the team they made it for
    changes: list[Change] = field(default_factory=list)
    note: str | None = None
    reason: str | None = None
    value: int | None = None
    withheld: bool = False  # its rating and note are kept from this reader

    @property
    def at(self) -> datetime:
        return self.event.at


def steps(
    commitment: Commitment, events: Iterable[EventView], names: Mapping[str, str] | None = None
) -> list[Step]:
    """The history of `commitment` (its events, oldest first) move by move; the terms each
    counter, proposed change, revision and answer changed are found by following the terms
    from the request on. `names`: people's names by e-mail (default: `names_of`)."""
    known = names_of(commitment) if names is None else names
    terms: dict[str, Any] = {}
    pending: dict[str, Any] = {}
    found: list[Step] = []
    for event in events:
        payload = event.payload
        move = str(payload.get("move") or event.type)
        args: Mapping[str, Any] = payload.get("args") or {}
        changes: list[Change] = []
        if move == Move.REQUEST:
            terms = {name: args.get(name) for name, _ in TERM_WORDS}
        elif move in PROPOSALS:
            changes = term_changes(terms, args)
            pending = {name: args[name] for name, _ in TERM_WORDS if name in args}
        elif move == Move.REVISE:
            changes = term_changes(terms, args)
            terms.update({name: args[name] for name, _ in TERM_WORDS if name in args})
        elif move in TAKINGS:
            taken = payload.get("terms") or pending
            changes = term_changes(terms, taken)
            terms.update(taken)
        if move not in PROPOSALS:
            pending = {}
        side = payload.get("side")
        team = commitment.performer if side == Side.PERFORMER else commitment.requester
        found.append(
            Step(
                event=event,
                move=move,
                done=DONE.get(move, move.replace("_", " ")),
                to=payload.get("to"),
                person=known.get(event.actor or "", "someone"),
                team=team if side in (Side.REQUESTER, Side.PERFORMER) else None,
                changes=changes,
                note=args.get("note") or None,
                reason=args.get("reason") or None,
                value=args.get("value"),
                withheld="payload.args.value" in event.withheld,
            )
        )
    return found


def proposal(history: Iterable[Step]) -> Step | None:
    """The counter-offer or proposed change of a history still waiting for an answer."""
    last = None
    for step in history:
        last = step if step.move in PROPOSALS else None
    return last


def _pending_terms(commitment: Commitment, day: Day) -> str:
    changes = pending_changes(commitment)
    if not changes:
        return "the same terms"
    return "; ".join(f"{c.label} {_text(c.old, day)} → {_text(c.new, day)}" for c in changes)


def _instant(value: Any) -> datetime | None:
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return datetime.fromisoformat(value)
    return value  # type: ignore[no-any-return]


def _text(value: Any, day: Day) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, datetime):
        return day(value)
    return str(value)
