"""Use cases of health checks: open a round, answer it, and read what the anonymity rule allows.

Longer than most modules on purpose: each use case is short, and they share the anonymity rule,
which must stay in one place.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from accord.config import Settings
from accord.errors import Conflict, Forbidden, Invalid, RuleBroken, about
from accord.events.catalog import HealthCheckAnswered, HealthCheckImported, HealthCheckOpened
from accord.events.domain import iso, spoken
from accord.health.domain import (
    PERCEIVED,
    SCALE,
    HealthCheck,
    Respondent,
    RoundResults,
    Statement,
    Tally,
    as_trust,
    check_scores,
    empty_counts,
    results,
)
from accord.org.domain import (
    Actor,
    GlobalRole,
    Operator,
    Person,
    Team,
    actor_name,
    check_text,
    choose_key,
    ensure_admin,
    ensure_can_write,
    is_admin,
    may_write,
)
from accord.partnerships.domain import Partnership, ensure_may_lead_partnership
from accord.trust import service as trust
from accord.trust.visibility import may_see_pair
from accord.uow import UnitOfWork

MAX_DAYS_OPEN = 90


@dataclass(frozen=True)
class Perception:
    """One perceived statement of a party beside the trust its partners earned in its eyes."""

    statement: Statement
    surveyed: float  # the party's mean answer mapped to [0, 1]
    earned: float | None  # None: the reader may not see every pair involved
    gap: float | None  # surveyed - earned


@dataclass(frozen=True)
class RoundReport(RoundResults):
    """A round's results with the perception gap of each party shown, by team slug."""

    perception: Mapping[str, tuple[Perception, ...]] = field(default_factory=dict)


def may_see(actor: Actor, check: HealthCheck) -> bool:
    """A round's results are for the members of its parties and admins (DESIGN "Who sees
    trust")."""
    if is_admin(actor):
        return True
    assert isinstance(actor, Person)
    return any(actor.is_member(team) for team in check.teams())


def _ensure_may_see(actor: Actor, check: HealthCheck) -> None:
    if not may_see(actor, check):
        raise Forbidden(
            f"the results of health check {check.key!r} are for the members of its parties "
            "and admins",
            rule="health_check.not_visible",
        )


def _aware(moment: datetime, what: str) -> datetime:
    if moment.tzinfo is None:
        raise Invalid(
            f"{what} needs a time zone (e.g. 2026-06-01T00:00:00Z)", rule="time.naive", field=what
        )
    return moment


def open_round(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    partnership: str,
    closes_at: datetime,
    *,
    key: str | None = None,
    opened_at: datetime | None = None,
    opened_by: str | None = None,
    imported: bool = False,
    parties: Sequence[str] = (),
) -> HealthCheck:
    """Open a round of the health check on a partnership (a lead of a party; an admin on import,
    who may name who opened it by e-mail, and its parties when they were not all of today's:
    a party may have joined or left since)."""
    with uow:
        actor = uow.bind(actor)
        found = uow.partnerships.get(partnership, for_update=True)
        if imported:
            ensure_admin(actor, "import health checks")
            if opened_at is None:
                raise Invalid("an imported round needs opened_at", rule="health_check.opened_at")
        else:
            ensure_may_lead_partnership(actor, found, "open a health check")
        now = uow.now()
        opened = _aware(opened_at, "opened_at") if opened_at is not None else now
        closes_at = _aware(closes_at, "closes_at")
        if not found.is_open:
            raise RuleBroken(
                f"partnership {found.key!r} is {found.status.value}; it takes no health check",
                rule="health_check.partnership_closed",
            )
        if len(found.parties) < 2:
            raise RuleBroken(
                f"partnership {found.key!r} needs at least two parties for a health check",
                rule="health_check.too_few_parties",
            )
        earliest = opened if imported else max(opened, now)
        if closes_at <= earliest:
            raise Invalid(
                f"the closing time must be in the future (it is {spoken(earliest)} now)",
                rule="health_check.closes_invalid",
                field="closes_at",
            )
        if closes_at > opened + timedelta(days=MAX_DAYS_OPEN):
            raise Invalid(
                f"the closing time must be at most {MAX_DAYS_OPEN} days after the round opens",
                rule="health_check.closes_invalid",
                field="closes_at",
            )
        _ensure_no_other_round(uow, found, opened, closes_at, now, imported)
        teams = [party.team for party in found.parties]
        if imported and parties:
            named = [uow.org.team(slug) for slug in dict.fromkeys(parties)]
            strangers = [t.slug for t in named if not found.has_party(t)]
            if strangers:
                raise RuleBroken(
                    f"team {strangers[0]!r} is not a party of partnership {found.key!r}",
                    rule="health_check.not_a_party",
                )
            teams = named
        if imported:
            opener = uow.org.person(opened_by) if opened_by else None
        else:
            opener = actor if isinstance(actor, Person) else None
        key = choose_key(
            key, f"{found.key}-{opened:%Y-%m-%d}", "health check", uow.health.keys_like
        )
        if uow.health.find(key) is not None:
            raise Conflict(
                f"health check {key!r} already exists", rule="health_check.exists", field="key"
            )
        check = HealthCheck(
            key=key,
            partnership=found,
            opened_at=opened,
            closes_at=closes_at,
            opened_by=opener,
            tallies=[Tally(team=team) for team in teams],
            # an import's commitment events are written only when it commits: its rounds read
            # the trust of their opening afterwards (fill_earned)
            earned=None if imported else _earned(uow, settings, teams, opened),
        )
        uow.health.add(check)
        uow.record(
            HealthCheckOpened(
                health_check=check.key,
                actor=actor_name(actor),
                at=now,
                partnership=found.key,
                closes_at=iso(closes_at),
                parties=[t.slug for t in check.teams()],
            )
        )
        uow.commit()
        return check


def _earned(
    uow: UnitOfWork, settings: Settings, teams: Sequence[Team], moment: datetime
) -> dict[str, dict[str, float]]:
    """What each party's partners had earned in its eyes at `moment`, the mean over them.

    Kept with the round: read at the opening, the present costs a few indexed queries, where
    reading it later would replay the event log up to that instant."""
    return _party_means(teams, trust.earned_between(uow, settings, _pairs(teams), moment))


def _pairs(teams: Sequence[Team]) -> list[tuple[Team, Team]]:
    return [(party, partner) for party in teams for partner in teams if partner is not party]


def _party_means(
    teams: Sequence[Team], pair_values: Mapping[tuple[str, str], Mapping[str, float]]
) -> dict[str, dict[str, float]]:
    earned: dict[str, dict[str, float]] = {}
    for party in teams:
        rows = [pair_values[(party.slug, p.slug)] for p in teams if p is not party]
        earned[party.slug] = {
            name: sum(row[name] for row in rows) / len(rows)
            for name in ("ability", "integrity", "value")
        }
    return earned


def fill_earned(uow: UnitOfWork, settings: Settings) -> int:
    """Read, for every round that lacks it (an imported one), the trust its parties' partners
    had earned when it opened, in one sweep of the log; returns how many rounds it filled."""
    with uow:
        missing = uow.health.without_earned()
        if not missing:
            return 0
        requests = [(check.opened_at, _pairs(check.teams())) for check in missing]
        for check, pair_values in zip(
            missing, trust.earned_over_time(uow, settings, requests), strict=True
        ):
            check.earned = _party_means(check.teams(), pair_values)
        uow.commit()  # derived from the log, like the stored trust sums: no event of its own
        return len(missing)


def _ensure_no_other_round(
    uow: UnitOfWork,
    partnership: Partnership,
    opened: datetime,
    closes_at: datetime,
    now: datetime,
    imported: bool,
) -> None:
    """One open round per partnership: by the clock when opened, by the dates on import."""
    for other in uow.health.of_partnership(partnership):
        clash = (
            other.opened_at < closes_at and opened < other.closes_at
            if imported
            else other.is_open(now)
        )
        if clash:
            raise RuleBroken(
                f"the partnership “{partnership.name}” already has a health check open until "
                f"{spoken(other.closes_at)}",
                rule="health_check.round_open",
            )


def set_tallies(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    tallies: Mapping[str, tuple[int, Mapping[str, Sequence[int]] | None]],
    *,
    comments: Mapping[str, Sequence[str]] | None = None,
    answered_by: Sequence[str] = (),
) -> HealthCheck:
    """Put in a round's imported aggregates: per party, how many answered and the counts of
    each statement's answers (None where the anonymity rule withheld them), and who answered
    (e-mails; never what), so that nobody answers twice. Admin only."""
    with uow:
        actor = uow.bind(actor)
        ensure_admin(actor, "import health checks")
        check = uow.health.get(key, for_update=True)
        if check.respondents:
            raise RuleBroken(
                f"health check {key!r} already has answers; its tallies cannot be replaced",
                rule="health_check.answered_here",
            )
        by_slug = {tally.team.slug: tally for tally in check.tallies}
        for slug, (responses, counts) in tallies.items():
            tally = by_slug.get(slug)
            if tally is None:
                raise RuleBroken(
                    f"team {slug!r} is not a party of health check {key!r}",
                    rule="health_check.not_a_party",
                )
            tally.responses = _responses(slug, responses)
            tally.counts = _counts(slug, responses, counts)
        for slug, texts in (comments or {}).items():
            if slug not in by_slug:
                raise RuleBroken(
                    f"team {slug!r} is not a party of health check {key!r}",
                    rule="health_check.not_a_party",
                )
            for text in texts:
                by_slug[slug].add_comment(check_text(text, "comment", max_length=2000))
        for email in sorted(set(answered_by)):
            check.respondents.append(Respondent(person=uow.org.person(email)))
        uow.record(
            HealthCheckImported(
                health_check=check.key,
                actor=actor_name(actor),
                at=uow.now(),
                # the event log is read by every member: response counts only, never results
                responses={t.team.slug: t.responses for t in check.tallies},
            )
        )
        uow.commit()
        return check


def _responses(slug: str, responses: int) -> int:
    if isinstance(responses, bool) or not isinstance(responses, int) or responses < 0:
        raise Invalid(
            f"responses of {slug!r} must be a whole number, 0 or more",
            rule="health_check.tally_invalid",
        )
    return responses


def _counts(
    slug: str, responses: int, counts: Mapping[str, Sequence[int]] | None
) -> dict[str, list[int]]:
    if counts is None:
        return empty_counts()
    names = {s.value for s in Statement}
    if set(counts) != names:
        raise Invalid(
            f"the counts of {slug!r} must name each statement once: {', '.join(sorted(names))}",
            rule="health_check.tally_invalid",
        )
    checked: dict[str, list[int]] = {}
    for name, row in counts.items():
        if (
            len(row) != len(SCALE)
            or any(isinstance(n, bool) or not isinstance(n, int) or n < 0 for n in row)
            or sum(row) != responses
        ):
            raise Invalid(
                f"the counts of {slug!r} for {name} must be {len(SCALE)} whole numbers "
                f"(answers 1 to 5) adding up to the {responses} responses",
                rule="health_check.tally_invalid",
            )
        checked[name] = list(row)
    return checked


def answer(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    scores: Mapping[str, object],
    comment: str = "",
    team: str | None = None,
) -> Team:
    """Answer a round once, for one's party; only the party's counts keep the answer."""
    with uow:
        actor = uow.bind(actor)
        person = ensure_can_write(actor)
        check = uow.health.get(key, for_update=True)
        mine = check.answerable_teams(person)
        if not mine:
            raise Forbidden(
                f"only a member of a party of health check {key!r} may answer it",
                rule="health_check.not_a_member",
            )
        with about("team"):
            chosen = uow.org.team(team, members=False) if team else None
        if chosen is not None and not any(t is chosen for t in mine):
            raise Forbidden(
                f"{person.name} is not a member of {chosen.name}, a party of this health check",
                rule="health_check.not_a_member",
            )
        checked = check_scores(scores)
        party = check.answer(person, chosen, checked, comment, uow.now())
        # the event log is read by every member: who answered for which party, never what
        uow.record(
            HealthCheckAnswered(
                health_check=check.key, actor=actor_name(person), at=uow.now(), team=party.slug
            )
        )
        uow.commit()
        return party


@dataclass(frozen=True)
class RoundState:
    """A round as a reader finds it: open or not, and whether they answered (never what)."""

    check: HealthCheck
    open: bool
    answered: bool
    answerable: tuple[Team, ...]  # the parties the reader may still answer for
    results_visible: bool = False  # whether the reader may read its results (`may_see`)


def get_round(uow: UnitOfWork, actor: Actor, key: str) -> RoundState:
    """A round: its partnership, dates, parties with their response counts (readable by all)."""
    with uow:
        actor = uow.bind(actor)
        check = uow.health.get(key)
        is_open = check.is_open(uow.now())
        answered = isinstance(actor, Person) and check.has_answered(actor)
        answerable = (
            tuple(check.answerable_teams(actor))
            if is_open and not answered and may_write(actor)
            else ()
        )
        return RoundState(check, is_open, answered, answerable, may_see(actor, check))


def rounds_on(uow: UnitOfWork, partnership: str) -> list[HealthCheck]:
    """A partnership's rounds, oldest first: when they opened and close, never their results."""
    with uow:
        return list(uow.health.of_partnership(uow.partnerships.get(partnership)))


def current_round(uow: UnitOfWork, actor: Actor, partnership: str) -> RoundState | None:
    """The newest round of a partnership, as `get_round` shows it; None before the first."""
    with uow:
        found = uow.partnerships.get(partnership)
        rounds = uow.health.of_partnership(found)
        return get_round(uow, actor, rounds[-1].key) if rounds else None


def _report(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    check: HealthCheck,
    *,
    perception: bool = True,
) -> RoundReport:
    found = results(check, settings.min_responses, uow.now())
    gaps = _perception(uow, settings, actor, found) if perception else {}
    return RoundReport(
        check=found.check,
        published=found.published,
        min_responses=found.min_responses,
        responses=found.responses,
        parties=found.parties,
        combined=found.combined,
        perception=gaps,
    )


def _perception(
    uow: UnitOfWork, settings: Settings, actor: Actor, found: RoundResults
) -> dict[str, tuple[Perception, ...]]:
    """Each shown party's surveyed ability, integrity and value beside the trust its partners
    had earned in its eyes when the round opened (the mean over its partners); the earned side
    only for a reader who may see every pair involved."""
    check = found.check
    gaps: dict[str, tuple[Perception, ...]] = {}
    for party in found.parties:
        if not party.shown:
            continue
        partners = [t for t in check.teams() if t is not party.team]
        sees_all = bool(partners) and all(
            may_see_pair(actor, party.team, partner) for partner in partners
        )
        snapshot = (check.earned or {}).get(party.team.slug) if sees_all else None
        rows = []
        for statement in PERCEIVED:
            mean = party.mean(statement)
            if mean is None:
                continue
            surveyed = as_trust(mean)
            earned = snapshot.get(statement.value) if snapshot else None
            rows.append(
                Perception(
                    statement,
                    surveyed,
                    earned,
                    surveyed - earned if earned is not None else None,
                )
            )
        gaps[party.team.slug] = tuple(rows)
    return gaps


def round_results(uow: UnitOfWork, settings: Settings, actor: Actor, key: str) -> RoundReport:
    """A round's results as the anonymity rule allows, with the perception gap; for the members
    of its parties and admins."""
    with uow:
        actor = uow.bind(actor)
        check = uow.health.get(key)
        _ensure_may_see(actor, check)
        return _report(uow, settings, actor, check)


def rounds_of(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    partnership: str,
    *,
    perception: bool = True,
) -> list[RoundReport]:
    """Every round of a partnership the reader may see, oldest first: the trend (with the
    perception gap of each round unless `perception` is False: it reads earned trust, which
    costs queries per round and partner)."""
    with uow:
        actor = uow.bind(actor)
        found = uow.partnerships.get(partnership)
        party_member = isinstance(actor, Person) and any(
            actor.is_member(party.team) for party in found.parties
        )
        if not (is_admin(actor) or party_member):
            raise Forbidden(
                f"the health checks of {found.key!r} are for the members of its parties and admins",
                rule="health_check.not_visible",
            )
        return [
            _report(uow, settings, actor, check, perception=perception)
            for check in uow.health.of_partnership(found)
            if may_see(actor, check)
        ]


def latest_rounds(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    *,
    published: bool = False,
    after: str | None = None,
    limit: int | None = None,
    partnerships: Collection[int] | None = None,
) -> list[RoundReport]:
    """The newest round of every partnership whose results the reader may see (admins: all,
    the organization-wide view), or with `published` the newest that has closed, by
    partnership key; without the perception gap, which each round's page has. `after` (a
    partnership's key) and `limit` give one page; `partnerships` (their ids) narrow it to
    those partnerships."""
    with uow:
        actor = uow.bind(actor)
        closed_by = uow.now() if published else None
        # a member's rounds are found by their teams in the query, not among all the rounds
        team_ids = (
            None
            if is_admin(actor)
            else [t.id for t in actor.teams() if t.id is not None]
            if isinstance(actor, Person)
            else []
        )
        return [
            _report(uow, settings, actor, check, perception=False)
            for check in uow.health.latest(
                closed_by=closed_by,
                team_ids=team_ids,
                after=after,
                limit=limit,
                partnership_ids=partnerships,
            )
            if may_see(actor, check)
        ]


def to_answer(uow: UnitOfWork, person: Person) -> list[HealthCheck]:
    """Open rounds that `person` may still answer (My desk)."""
    with uow:
        actor = uow.bind(person)
        if isinstance(actor, Operator) or actor.role == GlobalRole.VIEWER or not actor.active:
            return []
        return list(uow.health.open_unanswered(actor, uow.now()))


def has_answered(uow: UnitOfWork, person: Person, key: str) -> bool:
    """Whether `person` answered the round (never what)."""
    with uow:
        actor = uow.bind(person)
        check = uow.health.get(key)
        assert isinstance(actor, Person)
        return check.has_answered(actor)
