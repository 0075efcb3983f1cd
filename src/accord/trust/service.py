"""Use cases of trust: team and pair trust, forecasts, the backtest and the rebuild.

Reads at the present use the stored sums (a read costs O(the team's pairs)); reads as of a
past instant replay the event log up to that instant, as DESIGN §2's "as of" says.
"""

from __future__ import annotations

import bisect
import heapq
import logging
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from accord.commitments.domain import OPEN as OPEN_STATES
from accord.commitments.domain import Commitment, Reliance
from accord.config import Settings
from accord.db import UnitOfWork
from accord.errors import Forbidden, Invalid
from accord.org.domain import Actor, Operator, Person, Team
from accord.trust.domain import (
    FINAL,
    FINISHED,
    RELIANCE_WEIGHT,
    Accumulator,
    Ledger,
    Track,
    commitment_key,
    fold,
    ledger,
)
from accord.trust.model import (
    MAX_EXPONENT,
    Calibration,
    Evidence,
    Opinion,
    Outlook,
    PairGroup,
    Trust,
    Weights,
    calibration,
    days_between,
    eigentrust,
    organization_rate,
    outlook,
    pair_flags,
    pair_trust,
    scale_to,
    scaled_weight,
    team_trust,
    trust_gap,
)

if TYPE_CHECKING:
    # the repository loads table mappings; the unit of work imports it, services need not
    from accord.trust.repository import StoredState

log = logging.getLogger("accord.trust")
HIGH_RELIANCE = frozenset({Reliance.HIGH, Reliance.CRITICAL})


def weights_of(settings: Settings) -> Weights:
    return Weights(settings.weight_ability, settings.weight_integrity, settings.weight_value)


@dataclass(frozen=True)
class TrustReport:
    """DESIGN §6: a team's trust (or the pair's, with `of`) as of an instant."""

    team: str
    of: str | None
    as_of: datetime
    trust: Trust
    network: float
    given: float | None = None
    gap: float | None = None
    flags: list[str] | None = None

    def document(self) -> dict[str, Any]:
        """The JSON document of DESIGN §6, full floats."""
        from accord.events.domain import iso

        doc: dict[str, Any] = {"team": self.team, "of": self.of, "as_of": iso(self.as_of)}
        for name in ("ability", "integrity", "value"):
            opinion = self.trust.dimension(name)
            doc[name] = {
                "expected": opinion.expected,
                "belief": opinion.belief,
                "disbelief": opinion.disbelief,
                "uncertainty": opinion.uncertainty,
                "r": opinion.r,
                "s": opinion.s,
            }
        doc["overall"] = {
            "expected": self.trust.overall_expected,
            "uncertainty": self.trust.overall_uncertainty,
        }
        doc["network"] = self.network
        if self.of is not None:
            doc["given"] = self.given
            doc["gap"] = self.gap
            doc["flags"] = self.flags
        return doc


class View(Protocol):
    """The organization's evidence decayed to one instant."""

    moment: datetime

    def org(self) -> Evidence: ...
    def team(self, team: Team) -> Evidence: ...
    def pair(self, requester: Team, performer: Team) -> Evidence: ...
    def given(self, requester: Team, performer: Team) -> float: ...
    def network(self) -> dict[int, float]: ...


_NETWORK_CACHE: OrderedDict[tuple[Any, ...], dict[int, float]] = OrderedDict()


_NETWORK_LOCK = threading.Lock()


def forget_networks() -> None:
    """Drop the cached network reputations: for a database emptied and filled again under the
    same URL while this process runs, where the versions start over."""
    with _NETWORK_LOCK:
        _NETWORK_CACHE.clear()


def _cached_network(
    key: tuple[Any, ...], compute: Callable[[], dict[int, float]]
) -> dict[int, float]:
    found = _NETWORK_CACHE.get(key)
    if found is not None:
        return found
    # one thread computes while the others wait for it, instead of all computing at once
    with _NETWORK_LOCK:
        found = _NETWORK_CACHE.get(key)
        if found is None:
            found = compute()
            _NETWORK_CACHE[key] = found
            while len(_NETWORK_CACHE) > 16:
                _NETWORK_CACHE.popitem(last=False)
    return found


def network_values(
    team_ids: list[int], local: Iterable[tuple[int, int, float]]
) -> dict[int, float]:
    """EigenTrust over every team (ids in a fixed order), from (i, j, r - s) local trust."""
    index = {team_id: i for i, team_id in enumerate(team_ids)}
    rows, cols, values = [], [], []
    for requester, performer, value in local:
        if requester in index and performer in index:
            rows.append(index[requester])
            cols.append(index[performer])
            values.append(value)
    result = eigentrust(len(team_ids), rows, cols, values)
    return {team_id: float(result[i]) for team_id, i in index.items()}


@dataclass
class StoredView:
    """The present, from the stored sums: O(the team's pairs) per read."""

    uow: UnitOfWork
    moment: datetime
    state: StoredState
    factor: float = 0.0
    _org: tuple[Evidence, tuple[int, float]] | None = None

    def __post_init__(self) -> None:
        self.factor = scale_to(self.moment, self.state.reference, self.state.half_life_days)

    def _org_overdue(self) -> tuple[Evidence, tuple[int, float]]:
        if self._org is None:
            self._org = self.uow.trust.org_overdue(self.moment, self.state)
        return self._org

    def _decayed(self, stored: Evidence, overdue: Evidence) -> Evidence:
        return (stored + overdue).scaled(self.factor)

    def org(self) -> Evidence:
        return self._decayed(Evidence(*self.state.org), self._org_overdue()[0])

    def team(self, team: Team) -> Evidence:
        assert team.id is not None
        return self._decayed(
            self.uow.trust.team_sums(team.id),
            self.uow.trust.overdue(self.moment, performer=team.id),
        )

    def pair(self, requester: Team, performer: Team) -> Evidence:
        assert requester.id is not None
        assert performer.id is not None
        return self._decayed(
            self.uow.trust.pair_sums(requester.id, performer.id),
            self.uow.trust.overdue(self.moment, performer=performer.id, requester=requester.id),
        )

    def given(self, requester: Team, performer: Team) -> float:
        assert requester.id is not None
        assert performer.id is not None
        levels = self.uow.trust.given(requester.id, performer.id)
        return max((RELIANCE_WEIGHT.get(level, 0.0) for level in levels), default=0.0)

    def network(self) -> dict[int, float]:
        # Decay scales every local trust value alike and row normalization cancels it, so the
        # network changes only with the stored sums and the teams (both move the version) and
        # with the set of overdue commitments.
        store = self.uow.trust
        key = (str(self.uow.engine.url), self.state.version, self._org_overdue()[1])
        return _cached_network(
            key, lambda: network_values(store.team_ids(), store.local_trust(self.moment))
        )


@dataclass
class ReplayView:
    """Any instant, from the event log replayed up to it."""

    moment: datetime
    ledger: Ledger
    teams: dict[str, int]

    def org(self) -> Evidence:
        return self.ledger.org

    def team(self, team: Team) -> Evidence:
        return self.ledger.team(team.slug)

    def pair(self, requester: Team, performer: Team) -> Evidence:
        return self.ledger.pair(requester.slug, performer.slug)

    def given(self, requester: Team, performer: Team) -> float:
        return self.ledger.given.get((requester.slug, performer.slug), 0.0)

    def network(self) -> dict[int, float]:
        local = [
            (
                self.teams[r],
                self.teams[p],
                e.ability_r + e.integrity_r - e.ability_s - e.integrity_s,
            )
            for (r, p), e in self.ledger.pairs.items()
            if r in self.teams and p in self.teams
        ]
        return network_values(sorted(self.teams.values()), local)


def _view(uow: UnitOfWork, settings: Settings, moment: datetime) -> View:
    state = uow.trust.state()
    current = state.latest_at is None or moment >= state.latest_at
    if state.built and state.half_life_days == settings.half_life_days and current:
        return StoredView(uow, moment, state)
    if state.built and state.half_life_days != settings.half_life_days:
        log.warning(
            "trust: sums were kept with a half-life of %s days, the setting is %s; reads replay "
            "the log until `accord trust rebuild`",
            state.half_life_days,
            settings.half_life_days,
        )
    tracks = fold(uow.trust.commitment_events(upto=moment), upto=moment)
    teams = {team.slug: team.id for team in uow.org.teams() if team.id is not None}
    return ReplayView(moment, ledger(tracks.values(), moment, settings.half_life_days), teams)


def _shares_partnership_led_by(uow: UnitOfWork, person: Person, team: Team) -> bool:
    led = {id(t) for t in person.teams() if person.is_lead(t)}
    if not led:
        return False
    return any(
        id(party.team) in led
        for partnership in uow.partnerships.list(team=team)
        for party in partnership.parties
    )


def may_see_team(uow: UnitOfWork, settings: Settings, actor: Actor, team: Team) -> bool:
    """Team trust: its own members, admins, leads of its partner teams (or all, if org)."""
    if isinstance(actor, Operator) or actor.is_admin or settings.trust_visibility == "org":
        return True
    return actor.is_member(team) or _shares_partnership_led_by(uow, actor, team)


def may_see_pair(actor: Actor, requester: Team, performer: Team) -> bool:
    """Pair trust and the gap: members of the two teams, and admins."""
    if isinstance(actor, Operator) or actor.is_admin:
        return True
    return actor.is_member(requester) or actor.is_member(performer)


def _report(
    uow: UnitOfWork, settings: Settings, view: View, team: Team, of: Team | None
) -> TrustReport:
    weights = weights_of(settings)
    org = view.org()
    team_level = team_trust(view.team(team), org, settings.team_prior_weight, weights)
    network = view.network().get(team.id or -1, 0.0)
    if of is None:
        return TrustReport(team.slug, None, view.moment, team_level, network)
    pair_level = pair_trust(view.pair(of, team), team_level, settings.pair_prior_weight, weights)
    given = view.given(of, team)
    return TrustReport(
        team.slug,
        of.slug,
        view.moment,
        pair_level,
        network,
        given=given,
        gap=trust_gap(given, pair_level.ability),
        flags=pair_flags(given, pair_level.ability),
    )


def earned_between(
    uow: UnitOfWork,
    settings: Settings,
    pairs: Sequence[tuple[Team, Team]],
    moment: datetime,
) -> dict[tuple[str, str], dict[str, float]]:
    """Expected ability, integrity and value of each (requester, performer) pair, as the requester
    sees the performer at `moment`, all from one view of the evidence. No visibility check:
    the caller shows only what its reader may see."""
    return _earned_from(_view(uow, settings, moment), settings, pairs)


def earned_over_time(
    uow: UnitOfWork,
    settings: Settings,
    requests: Sequence[tuple[datetime, Sequence[tuple[Team, Team]]]],
) -> list[dict[tuple[str, str], dict[str, float]]]:
    """`earned_between` at each of many past instants, from one sweep of the event log in time
    order (as `trust_history`), instead of one replay of the log per instant."""
    events = sorted(uow.trust.commitment_events(), key=lambda event: event[0])
    teams = {t.slug: t.id for t in uow.org.teams() if t.id is not None}
    answers: list[dict[tuple[str, str], dict[str, float]]] = [{} for _ in requests]
    tracks: dict[str, Track] = {}
    done = 0
    for index in sorted(range(len(requests)), key=lambda i: requests[i][0]):
        moment, pairs = requests[index]
        upto = bisect.bisect_right(events, moment, lo=done, key=lambda event: event[0])
        fold(events[done:upto], into=tracks)
        done = upto
        view = ReplayView(moment, ledger(tracks.values(), moment, settings.half_life_days), teams)
        answers[index] = _earned_from(view, settings, pairs)
    return answers


def _earned_from(
    view: View, settings: Settings, pairs: Sequence[tuple[Team, Team]]
) -> dict[tuple[str, str], dict[str, float]]:
    weights = weights_of(settings)
    org = view.org()
    earned: dict[tuple[str, str], dict[str, float]] = {}
    for requester, performer in pairs:
        team_level = team_trust(view.team(performer), org, settings.team_prior_weight, weights)
        pair_level = pair_trust(
            view.pair(requester, performer), team_level, settings.pair_prior_weight, weights
        )
        earned[(requester.slug, performer.slug)] = {
            name: pair_level.dimension(name).expected for name in ("ability", "integrity", "value")
        }
    return earned


def trust_of(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    team: str,
    *,
    of: str | None = None,
    as_of: datetime | None = None,
) -> TrustReport:
    """A team's earned trust, or the pair's as `of` sees it, as of an instant (default now)."""
    with uow:
        actor = uow.bind(actor)
        performer = uow.org.team(team, members=False)
        requester = uow.org.team(of, members=False) if of is not None else None
        if requester is performer:
            raise Invalid(
                "a team does not rate itself: `of` must be another team", rule="trust.same_team"
            )
        if requester is None:
            if not may_see_team(uow, settings, actor, performer):
                raise Forbidden(
                    f"team trust of {team!r} is for its members, admins and the leads of its "
                    "partner teams",
                    rule="trust.not_visible",
                )
        elif not may_see_pair(actor, requester, performer):
            raise Forbidden(
                f"the trust between {of!r} and {team!r} is for the members of the two teams "
                "and admins",
                rule="trust.not_visible",
            )
        moment = as_of or uow.now()
        return _report(uow, settings, _view(uow, settings, moment), performer, requester)


def partners_of(uow: UnitOfWork, settings: Settings, actor: Actor, team: str) -> list[TrustReport]:
    """Every team `team` relies on or could: the pair trust it holds in each partner."""
    with uow:
        actor = uow.bind(actor)
        requester = uow.org.team(team)
        partners: dict[int | None, Team] = {}
        for partnership in uow.partnerships.list(team=requester):
            for party in partnership.parties:
                if party.team is not requester:
                    partners[party.team.id] = party.team
        visible = [p for p in partners.values() if may_see_pair(actor, requester, p)]
        view = _view(uow, settings, uow.now())
        return [
            _report(uow, settings, view, p, requester)
            for p in sorted(visible, key=lambda t: t.slug)
        ]


def _ensure_may_see_team(uow: UnitOfWork, settings: Settings, actor: Actor, team: Team) -> None:
    if not may_see_team(uow, settings, actor, team):
        raise Forbidden(
            f"team trust of {team.slug!r} is for its members, admins and the leads of its "
            "partner teams",
            rule="trust.not_visible",
        )


def trust_history(
    uow: UnitOfWork, settings: Settings, actor: Actor, team: str, *, points: int = 12
) -> list[TrustReport]:
    """A team's trust at `points` instants spread evenly from the first commitment event to now."""
    if not 1 <= points <= 100:
        raise Invalid("points must be between 1 and 100", rule="trust.points_invalid")
    with uow:
        actor = uow.bind(actor)
        performer = uow.org.team(team, members=False)
        _ensure_may_see_team(uow, settings, actor, performer)
        now = uow.now()
        # One sweep of the log in time order serves every past instant. A commitment's own
        # moves never go back in time, so folding the events up to each instant in turn
        # leaves the same tracks as folding the whole log up to it.
        events = sorted(uow.trust.commitment_events(), key=lambda event: event[0])
        start = events[0][0] if events else now
        if points == 1 or start >= now:
            instants = [now]
        else:
            instants = [start + (now - start) * i / (points - 1) for i in range(points)]
        teams = {t.slug: t.id for t in uow.org.teams() if t.id is not None}
        reports = []
        tracks: dict[str, Track] = {}
        done = 0
        for moment in instants[:-1]:
            upto = bisect.bisect_right(events, moment, lo=done, key=lambda event: event[0])
            fold(events[done:upto], into=tracks)
            done = upto
            replay = ReplayView(
                moment, ledger(tracks.values(), moment, settings.half_life_days), teams
            )
            reports.append(_report(uow, settings, replay, performer, None))
        # the last point is the present, read as trust_of reads it
        reports.append(_report(uow, settings, _view(uow, settings, now), performer, None))
        return reports


@dataclass(frozen=True)
class MapNode:
    """A team on the trust map; `overall` is None where the reader may not see its trust."""

    slug: str
    name: str
    kind: str
    overall: float | None
    uncertainty: float | None


@dataclass(frozen=True)
class MapEdge:
    """Pair trust from `requester` in `performer`: earned ability, reliance given, the gap."""

    requester: str
    performer: str
    ability: float
    uncertainty: float
    given: float
    gap: float
    flags: list[str]


@dataclass(frozen=True)
class TrustMap:
    as_of: datetime
    nodes: list[MapNode]
    edges: list[MapEdge]

    def document(self) -> dict[str, Any]:
        """The map as JSON: nodes and edges with full floats."""
        from accord.events.domain import iso

        return {
            "as_of": iso(self.as_of),
            "nodes": [asdict(node) for node in self.nodes],
            "edges": [asdict(edge) for edge in self.edges],
        }


def trust_map(uow: UnitOfWork, settings: Settings, actor: Actor) -> TrustMap:
    """Every team, and the pair trust between teams that work together, as the reader may see."""
    with uow:
        actor = uow.bind(actor)
        teams = [team for team in uow.org.teams() if team.id is not None]
        by_id = {team.id: team for team in teams}
        # a commitment is always between two parties of its partnership, so these pairs hold
        # every pair with a commitment too
        pairs: set[tuple[int, int]] = set()
        everyone = (
            isinstance(actor, Operator) or actor.is_admin or settings.trust_visibility == "org"
        )
        led = (
            set()
            if isinstance(actor, Operator)
            else {m.team.id for m in actor.current_memberships if actor.is_lead(m.team)}
        )
        seen_ids = set() if isinstance(actor, Operator) else {t.id for t in actor.teams()}
        for partnership in uow.partnerships.list():
            ids = [party.team.id for party in partnership.parties if party.team.id is not None]
            pairs.update((r, p) for r in ids for p in ids if r != p)
            if led.intersection(ids):  # may_see_team: the leads of a team's partner teams
                seen_ids.update(ids)
        moment = uow.now()
        view = _view(uow, settings, moment)
        weights = weights_of(settings)
        org = view.org()
        levels: dict[int, Trust] = {}

        def level(team: Team) -> Trust:
            assert team.id is not None
            if team.id not in levels:
                levels[team.id] = team_trust(
                    view.team(team), org, settings.team_prior_weight, weights
                )
            return levels[team.id]

        nodes = []
        for team in teams:
            # the rule of may_see_team, from the partnerships loaded above, not a query a team
            trust = level(team) if everyone or team.id in seen_ids else None
            nodes.append(
                MapNode(
                    team.slug,
                    team.name,
                    team.kind.value,
                    trust.overall_expected if trust else None,
                    trust.overall_uncertainty if trust else None,
                )
            )
        edges = []
        for requester_id, performer_id in sorted(pairs):
            requester, performer = by_id[requester_id], by_id[performer_id]
            if not may_see_pair(actor, requester, performer):
                continue
            ability = pair_trust(
                view.pair(requester, performer),
                level(performer),
                settings.pair_prior_weight,
                weights,
            ).ability
            given = view.given(requester, performer)
            edges.append(
                MapEdge(
                    requester.slug,
                    performer.slug,
                    ability.expected,
                    ability.uncertainty,
                    given,
                    trust_gap(given, ability),
                    pair_flags(given, ability),
                )
            )
        edges.sort(key=lambda e: (e.requester, e.performer))
        return TrustMap(moment, nodes, edges)


@dataclass(frozen=True)
class CommitmentForecast:
    key: str
    requester: str
    performer: str
    reliance: str
    due: datetime
    overdue: bool
    probability: float | None


@dataclass(frozen=True)
class PurposeForecast:
    """DESIGN §2: the open commitments a purpose relies on (reliance high or critical)."""

    purpose: str
    as_of: datetime
    commitments: list[CommitmentForecast]
    outlook: Outlook
    complete: bool = True  # False: the reader may not see every pair, so the totals are withheld

    def document(self) -> dict[str, Any]:
        """The forecast as JSON: exact P(all), expected count, distribution, each commitment.

        A reader who may not see every pair gets no totals: with one pair hidden, the totals
        and the visible pairs would give its trust away.
        """
        from accord.events.domain import iso

        shown = self.complete
        return {
            "purpose": self.purpose,
            "as_of": iso(self.as_of),
            "complete": shown,
            "probability_all": self.outlook.probability_all if shown else None,
            "expected_count": self.outlook.expected_count if shown else None,
            "distribution": self.outlook.distribution if shown else None,
            "draws": self.outlook.draws,
            "seed": self.outlook.seed,
            "commitments": [{**asdict(c), "due": iso(c.due)} for c in self.commitments],
        }


def _forecast_row(
    commitment: Commitment, now: datetime, probability: float | None
) -> CommitmentForecast:
    return CommitmentForecast(
        commitment.key,
        commitment.requester.slug,
        commitment.performer.slug,
        commitment.reliance.value,
        commitment.due,
        commitment.is_overdue(now),
        probability,
    )


def _ability(view: View, settings: Settings, requester: Team, performer: Team) -> Opinion:
    weights = weights_of(settings)
    team_level = team_trust(view.team(performer), view.org(), settings.team_prior_weight, weights)
    return pair_trust(
        view.pair(requester, performer), team_level, settings.pair_prior_weight, weights
    ).ability


def commitment_forecast(
    uow: UnitOfWork, settings: Settings, actor: Actor, key: str
) -> CommitmentForecast:
    """The probability that an open commitment is delivered and accepted by its due date."""
    with uow:
        actor = uow.bind(actor)
        commitment = uow.commitments.get(key)
        if not may_see_pair(actor, commitment.requester, commitment.performer):
            raise Forbidden(
                f"the forecast of {key!r} is for the members of the two teams and admins",
                rule="trust.not_visible",
            )
        now = uow.now()
        probability = None
        if commitment.state in OPEN_STATES:
            view = _view(uow, settings, now)
            probability = _ability(
                view, settings, commitment.requester, commitment.performer
            ).expected
        return _forecast_row(commitment, now, probability)


def purpose_forecast(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    key: str,
    *,
    draws: int = 20_000,
    seed: int = 0,
) -> PurposeForecast:
    """P(all on time), the expected count and its distribution for a purpose's open
    commitments with reliance high or critical; each probability shown to whoever may see
    the pair."""
    with uow:
        actor = uow.bind(actor)
        purpose = uow.purposes.get(key)
        now = uow.now()
        view = _view(uow, settings, now)
        chosen = [
            commitment
            for partnership in uow.partnerships.list(purpose=purpose)
            for commitment in uow.commitments.list(
                partnership=partnership, states=list(OPEN_STATES)
            )
            if commitment.reliance in HIGH_RELIANCE
        ]
        groups: dict[tuple[int | None, int | None], tuple[Opinion, int]] = {}
        rows = []
        complete = True
        for commitment in chosen:
            pair = (commitment.requester.id, commitment.performer.id)
            if pair not in groups:
                groups[pair] = (
                    _ability(view, settings, commitment.requester, commitment.performer),
                    0,
                )
            ability, count = groups[pair]
            groups[pair] = (ability, count + 1)
            visible = may_see_pair(actor, commitment.requester, commitment.performer)
            complete = complete and visible
            rows.append(_forecast_row(commitment, now, ability.expected if visible else None))
        result = outlook(
            [PairGroup(a.alpha, a.beta, count) for a, count in groups.values()],
            draws=draws,
            seed=seed,
        )
        return PurposeForecast(purpose.key, now, rows, result, complete)


@dataclass
class _Sweep:
    """Evidence sums of the backtest, kept as events are applied in time order."""

    reference: datetime
    half_life: float
    org: list[float] = field(default_factory=lambda: [0.0, 0.0])
    teams: dict[str, list[float]] = field(default_factory=dict)
    pairs: dict[tuple[str, str], list[float]] = field(default_factory=dict)

    def add(self, track: Track, at: datetime, on_time: bool, sign: float = 1.0) -> None:
        weight = sign * scaled_weight(at, self.reference, self.half_life)
        index = 0 if on_time else 1
        for sums in (
            self.org,
            self.teams.setdefault(str(track.performer), [0.0, 0.0]),
            self.pairs.setdefault((str(track.requester), str(track.performer)), [0.0, 0.0]),
        ):
            sums[index] += weight


def backtest_rows(
    events: Iterable[tuple[datetime, str, dict[str, Any]]], settings: Settings
) -> Iterator[tuple[str, float, float, int]]:
    """(key, forecast, base-rate forecast, outcome) of every finished commitment, in order of
    its promise time T, the forecast made from the events before T."""
    ordered = sorted(enumerate(events), key=lambda item: (item[1][0], item[0]))
    if not ordered:
        return
    final_tracks = fold(event for _, event in ordered)
    targets = sorted(
        (track.promised_at, key)
        for key, track in final_tracks.items()
        if track.state in FINISHED and track.promised_at is not None
    )
    H = settings.half_life_days
    sweep = _Sweep(ordered[0][1][0], H)
    tracks: dict[str, Track] = {}
    overdue_heap: list[tuple[datetime, int, str]] = []
    counted: dict[str, tuple[datetime, int]] = {}  # key -> (due, stamp) counted as overdue
    stamps: dict[str, int] = {}
    finished = successes = 0
    position = 0
    wp, wt = settings.pair_prior_weight, settings.team_prior_weight

    def uncount(track: Track) -> None:
        if track.key in counted:
            due, _ = counted.pop(track.key)
            sweep.add(track, due, False, -1.0)

    def schedule(track: Track) -> None:
        stamps[track.key] = stamps.get(track.key, 0) + 1
        if track.committed:
            heapq.heappush(overdue_heap, (track.due, stamps[track.key], track.key))

    for moment, key in targets:
        while position < len(ordered) and ordered[position][1][0] < moment:
            at, subject, payload = ordered[position][1]
            position += 1
            name = commitment_key(subject)
            if name is None or "move" not in payload:
                continue
            if payload["move"] == "request":
                tracks[name] = Track.open(name, payload["requester"], payload["performer"], payload)
                schedule(tracks[name])
                continue
            track = tracks.get(name)
            if track is None:
                continue
            uncount(track)
            outcome = track.advance(at, payload)
            if outcome is not None:
                sweep.add(track, outcome.at, outcome.on_time)
                finished += 1
                successes += int(track.on_time())
            elif track.state not in FINAL:
                schedule(track)
        if days_between(sweep.reference, moment) / H > MAX_EXPONENT:
            _rebase_sweep(sweep, moment)
        while overdue_heap and overdue_heap[0][0] < moment:
            due, stamp, name = heapq.heappop(overdue_heap)
            track = tracks[name]
            if stamps.get(name) == stamp and track.committed and track.due == due:
                counted[name] = (due, stamp)
                sweep.add(track, due, False)
        track = final_tracks[key]
        factor = scale_to(moment, sweep.reference, H)
        org_r, org_s = (v * factor for v in sweep.org)
        team_r, team_s = (v * factor for v in sweep.teams.get(str(track.performer), [0.0, 0.0]))
        pair_r, pair_s = (
            v * factor
            for v in sweep.pairs.get((str(track.requester), str(track.performer)), [0.0, 0.0])
        )
        team_e = Opinion(team_r, team_s, wt, organization_rate(org_r, org_s)).expected
        forecast = Opinion(pair_r, pair_s, wp, team_e).expected
        base = (successes + 1) / (finished + 2)
        yield key, forecast, base, int(track.on_time())


def _rebase_sweep(sweep: _Sweep, reference: datetime) -> None:
    factor = scale_to(reference, sweep.reference, sweep.half_life)
    for sums in (sweep.org, *sweep.teams.values(), *sweep.pairs.values()):
        sums[0] *= factor
        sums[1] *= factor
    sweep.reference = reference


def backtest(uow: UnitOfWork, settings: Settings, actor: Actor) -> Calibration:
    """How well the forecast predicted every finished commitment (DESIGN §2 Calibration)."""
    del actor  # an aggregate with no team in it: every reader may see it
    with uow:
        rows = list(backtest_rows(uow.trust.commitment_events(), settings))
    return calibration([r[1] for r in rows], [r[2] for r in rows], [r[3] for r in rows])


@dataclass(frozen=True)
class RebuildReport:
    events: int
    commitments: int
    pairs: int
    open: int


def rebuild(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    progress: Callable[[int], None] | None = None,
) -> RebuildReport:
    """Recompute the stored sums from the event log (admins; the result equals the upkeep's)."""
    from accord.org.domain import ensure_admin

    with uow:
        actor = uow.bind(actor)
        ensure_admin(actor, "rebuild trust")
        state = uow.trust.state(for_update=True)
        H = settings.half_life_days
        reference = state.reference
        teams = {team.slug: team.id for team in uow.org.teams() if team.id is not None}
        events = list(_counted(uow.trust.commitment_events(), progress))
        if events:
            top = max(at for at, _, _ in events)
            if days_between(reference, top) / H > MAX_EXPONENT:
                reference = top
        fold = Accumulator(reference, H, [0.0] * 6, {})
        for at, subject, payload in events:
            key = commitment_key(subject)
            if key is not None and "move" in payload:
                fold.apply(at, key, payload, teams)
        open_tracks = [track for track in fold.tracks.values() if track.state not in FINAL]
        uow.trust.replace(
            reference=reference,
            half_life_days=H,
            org=Evidence(*fold.org),
            pairs={(int(r), int(p)): Evidence(*sums) for (r, p), sums in fold.pairs.items()},
            tracks=open_tracks,
            latest_at=fold.latest,
            overdue_through=uow.now(),
        )
        uow.commit()
        return RebuildReport(len(events), len(fold.tracks), len(fold.pairs), len(open_tracks))


def _counted(
    events: Iterable[tuple[datetime, str, dict[str, Any]]], progress: Callable[[int], None] | None
) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
    for index, event in enumerate(events, 1):
        if progress is not None and index % 10_000 == 0:
            progress(10_000)
        yield event


def ensure_built(uow: UnitOfWork, settings: Settings) -> bool:
    """Rebuild the stored sums when they are missing or kept with another half-life."""
    with uow:
        state = uow.trust.state()
        stale = not state.built or state.half_life_days != settings.half_life_days
    if stale:
        rebuild(uow, settings, Operator())
    return stale
