"""Health-check rounds, their anonymous tallies and the results the anonymity rule allows.

A round never keeps one person's answers: each answer is added to its party's tally (how
many answered each statement 1, 2, 3, 4 or 5) and its comment, if any, to the tally's comments,
kept sorted by text so that no order pairs a comment with whoever answered; who answered is kept
apart, only so that nobody answers twice. Results show a
party only when at least `min_responses` of its people answered and the round has closed,
so that no one answer can be read off a change in the results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from accord.errors import Invalid, NotFound, RuleBroken
from accord.events.domain import spoken
from accord.org.domain import Person, Team, check_text
from accord.partnerships.domain import Partnership

SCALE = (1, 2, 3, 4, 5)
MAX_COMMENT = 2000


class Statement(StrEnum):
    PURPOSE = "purpose"
    DIRECTION = "direction"
    ABILITY = "ability"
    INTEGRITY = "integrity"
    VALUE = "value"
    OVERALL = "overall"


STATEMENTS: dict[Statement, str] = {
    Statement.PURPOSE: "We pursue one common, compelling purpose with our partners.",
    Statement.DIRECTION: (
        "What each party provides is different, and we move in the same direction."
    ),
    Statement.ABILITY: "I am confident our partners can deliver what they commit to.",
    Statement.INTEGRITY: "Our partners keep their word, or tell us early when they cannot.",
    Statement.VALUE: "This partnership brings value to all parties, including us.",
    Statement.OVERALL: "I feel we have entered into a trust-based partnership.",
}

# The statements set beside the earned trust of the same name (DESIGN §1).
PERCEIVED = (Statement.ABILITY, Statement.INTEGRITY, Statement.VALUE)


def empty_counts() -> dict[str, list[int]]:
    return {statement.value: [0] * len(SCALE) for statement in Statement}


def as_trust(mean: float) -> float:
    """A mean answer on the 1-5 scale as a trust value in [0, 1]: (x - 1) / 4."""
    return (mean - 1.0) / 4.0


def countable(responses: int, counts: Mapping[str, Sequence[int]], min_responses: int) -> bool:
    """Whether a party's answers may show once its round has closed: at least `min_responses`
    of them, and every statement's counts holding all of them (an imported round may count
    responses whose answers it does not have)."""
    return responses >= min_responses and all(
        sum(counts.get(statement.value, ())) == responses for statement in Statement
    )


def check_scores(scores: Mapping[str, object]) -> dict[Statement, int]:
    """All six statements, each a whole number from 1 to 5, or an error naming the first wrong."""
    checked: dict[Statement, int] = {}
    for statement in Statement:
        value = scores.get(statement.value)
        if value is None:
            raise Invalid(
                f"{statement.value} needs an answer from 1 to 5",
                rule="health_check.answer_missing",
                field=statement.value,
            )
        if isinstance(value, bool) or not isinstance(value, int) or value not in SCALE:
            raise Invalid(
                f"{statement.value} must be a whole number from 1 to 5, not {value!r}",
                rule="health_check.answer_out_of_range",
                field=statement.value,
            )
        checked[statement] = value
    unknown = sorted(set(scores) - {s.value for s in Statement})
    if unknown:
        raise Invalid(
            f"{', '.join(unknown)} is not a statement of the health check",
            rule="health_check.unknown_statement",
            field=unknown[0],
        )
    return checked


@dataclass(eq=False)
class Tally:
    """One party's answers in one round, as counts: never who gave which."""

    team: Team
    responses: int = 0
    counts: dict[str, list[int]] = field(default_factory=empty_counts)
    comments: list[str] = field(default_factory=list)  # sorted by text, never in answer order
    id: int | None = None

    def add_comment(self, text: str) -> None:
        self.comments = sorted([*self.comments, text])  # a new list: the JSON column changes

    def add(self, scores: Mapping[Statement, int]) -> None:
        counts = {name: list(values) for name, values in self.counts.items()}
        for statement, value in scores.items():
            counts[statement.value][value - 1] += 1
        self.counts = counts  # a new object, so that the JSON column is seen to change
        self.responses += 1

    def mean(self, statement: Statement) -> float | None:
        row = self.counts.get(statement.value, [])
        answered = sum(row)
        if not answered:
            return None
        return sum(level * n for level, n in zip(SCALE, row, strict=False)) / answered


@dataclass(eq=False)
class Respondent:
    """Someone who answered a round: kept only so that nobody answers twice."""

    person: Person
    id: int | None = None


@dataclass(eq=False)
class HealthCheck:
    """A round of the health check on one partnership, open until `closes_at`."""

    key: str
    partnership: Partnership
    opened_at: datetime
    closes_at: datetime
    opened_by: Person | None = None
    tallies: list[Tally] = field(default_factory=list)
    # per party, the trust its partners had earned in its eyes when the round opened (the mean
    # over them): the record its people answered on, beside what they answered
    earned: dict[str, dict[str, float]] | None = None
    respondents: list[Respondent] = field(default_factory=list)
    id: int | None = None

    def is_open(self, at: datetime) -> bool:
        return at < self.closes_at

    def tally(self, team: Team) -> Tally:
        for tally in self.tallies:
            if tally.team is team:
                return tally
        raise NotFound(
            f"team {team.slug!r} is not a party of health check {self.key!r}",
            rule="health_check.not_a_party",
        )

    def teams(self) -> list[Team]:
        return [tally.team for tally in self.tallies]

    def has_answered(self, person: Person) -> bool:
        return any(r.person is person for r in self.respondents)

    def answerable_teams(self, person: Person) -> list[Team]:
        """The parties of the round that `person` is a member of."""
        return [team for team in self.teams() if person.is_member(team)]

    def answer(
        self,
        person: Person,
        team: Team | None,
        scores: Mapping[Statement, int],
        comment: str,
        at: datetime,
    ) -> Team:
        """File one person's answer under their party; returns the party."""
        if not self.is_open(at):
            raise RuleBroken(
                f"this health check closed on {spoken(self.closes_at)}",
                rule="health_check.closed",
            )
        mine = self.answerable_teams(person)
        if not mine:
            raise RuleBroken(
                f"{person.name} is not a member of a party of this health check",
                rule="health_check.not_a_member",
            )
        if team is None:
            if len(mine) > 1:
                names = ", ".join(t.name for t in mine)
                raise Invalid(
                    f"{person.name} is a member of several parties ({names}); say which "
                    "one the answer is for",
                    rule="health_check.team_needed",
                    field="team",
                )
            team = mine[0]
        elif not any(t is team for t in mine):
            raise RuleBroken(
                f"{person.name} is not a member of {team.name}, a party of this health check",
                rule="health_check.not_a_member",
                field="team",
            )
        if self.has_answered(person):
            raise RuleBroken(
                f"{person.name} has already answered this health check",
                rule="health_check.already_answered",
            )
        # no control character (PostgreSQL refuses a NUL, XML the rest), and not too long
        comment = check_text(
            comment, "comment", max_length=MAX_COMMENT, required=False, field="comment"
        )
        tally = self.tally(team)
        tally.add(scores)
        if comment:
            tally.add_comment(comment)
        self.respondents.append(Respondent(person=person))
        return team


@dataclass(frozen=True)
class StatementResult:
    """One statement's answers in a party (or across the parties shown)."""

    statement: Statement
    mean: float
    distribution: tuple[int, ...]  # how many answered 1, 2, 3, 4, 5


@dataclass(frozen=True)
class PartyResult:
    """A party's results: `statements` and `comments` only when enough of its people answered."""

    team: Team
    responses: int
    shown: bool
    statements: tuple[StatementResult, ...] = ()
    comments: tuple[str, ...] = ()

    def mean(self, statement: Statement) -> float | None:
        for result in self.statements:
            if result.statement == statement:
                return result.mean
        return None


@dataclass(frozen=True)
class RoundResults:
    """What a round may show: per party, and across the parties that may be shown."""

    check: HealthCheck
    published: bool  # closed: results may show
    min_responses: int
    responses: int
    parties: tuple[PartyResult, ...]
    combined: tuple[StatementResult, ...]  # only from the parties shown

    @property
    def shown_responses(self) -> int:
        """How many answers the combined figures are made of: those of the parties shown."""
        return sum(party.responses for party in self.parties if party.shown)

    def mean(self, statement: Statement) -> float | None:
        for result in self.combined:
            if result.statement == statement:
                return result.mean
        return None


def _statement_results(
    counts: Sequence[Mapping[str, Sequence[int]]],
) -> tuple[StatementResult, ...]:
    results = []
    for statement in Statement:
        row = [0] * len(SCALE)
        for tally_counts in counts:
            for i, n in enumerate(tally_counts.get(statement.value, [])):
                row[i] += n
        answered = sum(row)
        if answered:
            mean = sum(level * n for level, n in zip(SCALE, row, strict=False)) / answered
            results.append(StatementResult(statement, mean, tuple(row)))
    return tuple(results)


def results(check: HealthCheck, min_responses: int, at: datetime) -> RoundResults:
    """The round's results under the anonymity rule: a party shows only once the round has
    closed and at least `min_responses` of its people answered; the combined results are made
    of the parties shown alone, so that no subtraction can reveal a party that is not."""
    published = not check.is_open(at)
    parties: list[PartyResult] = []
    for tally in check.tallies:
        shown = published and countable(tally.responses, tally.counts, min_responses)
        if shown:
            comments = tuple(sorted(tally.comments))
            parties.append(
                PartyResult(
                    tally.team, tally.responses, True, _statement_results([tally.counts]), comments
                )
            )
        else:
            parties.append(PartyResult(tally.team, tally.responses, False))
    shown_counts = [t.counts for t, p in zip(check.tallies, parties, strict=True) if p.shown]
    return RoundResults(
        check=check,
        published=published,
        min_responses=min_responses,
        responses=sum(t.responses for t in check.tallies),
        parties=tuple(parties),
        combined=_statement_results(shown_counts),
    )
