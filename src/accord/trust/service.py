"""Use cases of trust: team and pair trust, partners, trust over time, the trust map and the
rebuild. Forecasts, the backtest and fitting are use cases of their own modules.

Reads at the present use the stored sums (a read costs O(the team's pairs)); reads as of a
past instant start from the nearest trust snapshot and fold the events after it, with the
figures of a replay of the event log up to that instant, as DESIGN §2's "as of" says. Its length
is the trust map's and the reports' documents, which keep their visibility rules next to them.

Longer than most modules on purpose: each use case is short, and they share the visibility
checks and the stored-or-replayed choice that must stay one.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from accord.config import Settings
from accord.errors import Forbidden, Invalid
from accord.org.domain import Actor, Operator, Team
from accord.org.repository import read_grant
from accord.text import CONTROL
from accord.trust.domain import (
    FINAL,
    Accumulator,
    commitment_key,
)
from accord.trust.model import (
    DIMENSIONS,
    MAX_EXPONENT,
    Evidence,
    Trust,
    Weights,
    days_between,
    pair_flags,
    trust_gap,
)
from accord.trust.repository import TrustStore, stored_state
from accord.trust.snapshots import snapshot_rows
from accord.trust.views import (
    StoredView,
    View,
    pair_level,
    past_views,
    team_level,
    view_at,
    weights_of,
)
from accord.trust.visibility import (
    ensure_may_see_team,
    may_see_pair,
    may_see_team,
    may_see_with,
)
from accord.trust.words import (
    Figure,
    FlagCause,
    describe,
    describe_overall,
    flag_causes,
)
from accord.uow import UnitOfWork

log = logging.getLogger("accord.trust")


@dataclass(frozen=True)
class TrustReport:
    """DESIGN §6: a team's trust (or the pair's, with `of`) as of an instant, with each figure
    in words (its 80% interval, whether the evidence is enough) and, for a pair, why it is
    flagged."""

    team: str
    of: str | None
    as_of: datetime
    trust: Trust
    network: float
    given: float | None = None
    gap: float | None = None
    flags: list[str] | None = None
    flag_causes: list[FlagCause] | None = None
    figures: dict[str, Figure] = field(default_factory=dict)
    # the stored sums' version a report of the present was read at (None for the past): what a
    # kept answer of it is valid for (`read_cache.TrustAnswers`); not part of the document
    version: int | None = field(default=None, compare=False, repr=False)

    def figure(self, name: str) -> Figure:
        """'ability', 'integrity', 'value' or 'overall' in words."""
        found = self.figures.get(name)
        if found is None:
            if name == "overall":
                return describe_overall(self.trust, Weights().normalized())
            return describe(name, self.trust.dimension(name))
        return found

    def document(self) -> dict[str, Any]:
        """The JSON document of DESIGN §6, full floats; with the added `interval`,
        `enough_evidence` and `words` of each figure, and a pair's `flag_causes`."""
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
                **_words_of(self.figure(name)),
            }
        doc["overall"] = {
            "expected": self.trust.overall_expected,
            "uncertainty": self.trust.overall_uncertainty,
            **_words_of(self.figure("overall")),
        }
        doc["network"] = self.network
        if self.of is not None:
            doc["given"] = self.given
            doc["gap"] = self.gap
            doc["flags"] = self.flags
            doc["flag_causes"] = [cause.document() for cause in self.flag_causes or []]
        return doc


def _words_of(figure: Figure) -> dict[str, Any]:
    return {
        "interval": list(figure.interval),
        "enough_evidence": figure.enough_evidence,
        "words": figure.words,
    }


def figures_of(trust: Trust, settings: Settings) -> dict[str, Figure]:
    """Every figure of `trust` in words, overall with the configured weights."""
    found = {name: describe(name, trust.dimension(name)) for name in DIMENSIONS}
    intervals = [found[name].interval for name in DIMENSIONS]
    found["overall"] = describe_overall(
        trust, weights_of(settings).normalized(), intervals=intervals
    )
    return found


def report_at(view: View, settings: Settings, team: Team, of: Team | None) -> TrustReport:
    """The report of `team` (or of the pair, as `of` sees it) from one view of the evidence."""
    view.read_ahead(of, team)
    network = view.network().get(team.id or -1, 0.0)
    version = view.state.version if isinstance(view, StoredView) else None
    if of is None:
        level = team_level(view, settings, team)
        return TrustReport(
            team.slug,
            None,
            view.moment,
            level,
            network,
            figures=figures_of(level, settings),
            version=version,
        )
    pair = pair_level(view, settings, of, team)
    given = view.given(of, team)
    return TrustReport(
        team.slug,
        of.slug,
        view.moment,
        pair,
        network,
        given=given,
        gap=trust_gap(given, pair.ability),
        flags=pair_flags(given, pair.ability),
        flag_causes=flag_causes(given, pair.ability),
        figures=figures_of(pair, settings),
        version=version,
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
    return _earned_from(view_at(uow, settings, moment), settings, pairs)


def earned_over_time(
    uow: UnitOfWork,
    settings: Settings,
    requests: Sequence[tuple[datetime, Sequence[tuple[Team, Team]]]],
) -> list[dict[tuple[str, str], dict[str, float]]]:
    """`earned_between` at each of many past instants: from the snapshots, or from one sweep
    of the event log in time order (as `trust_history`), never one replay of the log per
    instant."""
    views = past_views(uow, settings, [moment for moment, _ in requests])
    return [
        _earned_from(view, settings, pairs)
        for view, (_, pairs) in zip(views, requests, strict=True)
    ]


def _earned_from(
    view: View, settings: Settings, pairs: Sequence[tuple[Team, Team]]
) -> dict[tuple[str, str], dict[str, float]]:
    earned: dict[tuple[str, str], dict[str, float]] = {}
    for requester, performer in pairs:
        pair = pair_level(view, settings, requester, performer)
        earned[(requester.slug, performer.slug)] = {
            name: pair.dimension(name).expected for name in ("ability", "integrity", "value")
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
        performer = uow.org.bare_team(team)
        requester = uow.org.bare_team(of) if of is not None else None
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
        return report_at(view_at(uow, settings, moment), settings, performer, requester)


def present_trust(
    connection: Connection,
    settings: Settings,
    now: datetime,
    token_hash: str,
    team: str,
    *,
    of: str | None = None,
) -> TrustReport | None:
    """`trust_of` at the present `now` for the owner of an API token, when it is theirs to see,
    read on `connection` (in one transaction of it, as a read-only unit of work reads) without
    a session or a mapped object: one statement reads the token, its owner's role and teams,
    the two teams' ids and the stored sums' state (`read_grant`), a second the sums. None
    whenever `trust_of` could answer anything else (a refusal, a view of the past): the caller
    asks it then, and it says why. The same rules as `trust_of` (`may_see_with`)."""
    if CONTROL.search(team) or (of is not None and CONTROL.search(of)):
        return None  # not a team (`OrgRepository.bare_team`): `trust_of` refuses it
    found = read_grant(connection, token_hash, team, of)
    if found is None or not found.grant.live(now) or found.team_id is None:
        return None
    if of is not None and (found.of_id is None or found.of_id == found.team_id):
        return None
    if not may_see_with(found.grant, settings, team, of):
        return None
    state = stored_state(found.state)
    if not state.built or (state.latest_at is not None and now < state.latest_at):
        return None  # not the stored sums' present (`view_at`)
    # a report of the stored sums asks a team its slug and id alone
    performer = cast(Team, _Named(team, found.team_id))
    requester = cast(Team, _Named(of, found.of_id)) if of is not None else None
    # (the store's queries of the present run on a connection as they do on a session)
    store = TrustStore(cast(Session, connection))
    view = StoredView(store, str(connection.engine.url), now, state)
    return report_at(view, settings, performer, requester)


class _Named(NamedTuple):
    slug: str
    id: int | None


def partners_of(uow: UnitOfWork, settings: Settings, actor: Actor, team: str) -> list[TrustReport]:
    """Every team `team` relies on or could: the pair trust it holds in each partner."""
    with uow:
        actor = uow.bind(actor)
        requester = uow.org.bare_team(team)
        partners: dict[int | None, Team] = {}
        for partnership in uow.partnerships.list(team=requester):
            for party in partnership.parties:
                if party.team is not requester:
                    partners[party.team.id] = party.team
        visible = [p for p in partners.values() if may_see_pair(actor, requester, p)]
        view = view_at(uow, settings, uow.now())
        return [
            report_at(view, settings, p, requester) for p in sorted(visible, key=lambda t: t.slug)
        ]


def trust_history(
    uow: UnitOfWork, settings: Settings, actor: Actor, team: str, *, points: int = 12
) -> list[TrustReport]:
    """A team's trust at `points` instants spread evenly from the first commitment event to now."""
    if not 1 <= points <= 100:
        raise Invalid("points must be between 1 and 100", rule="trust.points_invalid")
    with uow:
        actor = uow.bind(actor)
        performer = uow.org.team(team, members=False)
        ensure_may_see_team(uow, settings, actor, performer)
        now = uow.now()
        start = uow.trust.snapshots.first_event_at() or now
        if points == 1 or start >= now:
            instants = [now]
        else:
            instants = [start + (now - start) * i / (points - 1) for i in range(points)]
        # the last point is the present, read as trust_of reads it: first, while `now` is still
        # the present (after the past points, which take seconds in a large organization, it
        # would be the past, read from its snapshot and the log since)
        present = report_at(view_at(uow, settings, now), settings, performer, None)
        reports = [
            report_at(view, settings, performer, None)
            for view in past_views(uow, settings, instants[:-1])
        ]
        reports.append(present)
        return reports


@dataclass(frozen=True)
class MapNode:
    """A team on the trust map; `overall` is None where the reader may not see its trust, and
    so are its 80% interval, whether its evidence is enough to judge by, and its words."""

    slug: str
    name: str
    kind: str
    overall: float | None
    uncertainty: float | None
    interval: tuple[float, float] | None = None
    enough_evidence: bool | None = None
    words: str | None = None


@dataclass(frozen=True)
class MapEdge:
    """Pair trust from `requester` in `performer`: earned ability, reliance given, the gap;
    and in words: the 80% interval of ability, whether its evidence is enough to judge by, the
    evidence as counts, one sentence of it all, and the cause of each flag."""

    requester: str
    performer: str
    ability: float
    uncertainty: float
    given: float
    gap: float
    flags: list[str]
    interval: tuple[float, float] = (0.0, 1.0)
    enough_evidence: bool = False
    evidence: str = ""
    words: str = ""
    flag_causes: list[FlagCause] = field(default_factory=list)


# How far from its team a map filtered by team reaches: partners, partners' partners, …
MAP_DEPTHS = (1, 2, 3)


@dataclass(frozen=True)
class TrustMap:
    as_of: datetime
    nodes: list[MapNode]
    edges: list[MapEdge]
    # what the map was narrowed to: a purpose's key, a team's slug and the depth around it
    purpose: str | None = None
    team: str | None = None
    depth: int = 1

    def document(self) -> dict[str, Any]:
        """The map as JSON: nodes and edges with full floats."""
        from accord.events.domain import iso

        return {
            "as_of": iso(self.as_of),
            "purpose": self.purpose,
            "team": self.team,
            "depth": self.depth,
            "nodes": [asdict(node) for node in self.nodes],
            "edges": [asdict(edge) for edge in self.edges],
        }


def _reached(pairs: set[tuple[int, int]], start: int, depth: int) -> set[int]:
    """The teams within `depth` steps of `start`, a step being a pair of teams that share a
    partnership."""
    around: dict[int, set[int]] = {}
    for requester, performer in pairs:
        around.setdefault(requester, set()).add(performer)
    reached, frontier = {start}, {start}
    for _ in range(depth):
        frontier = {n for team in frontier for n in around.get(team, ())} - reached
        reached |= frontier
    return reached


def trust_map(
    uow: UnitOfWork,
    settings: Settings,
    actor: Actor,
    *,
    purpose: str | None = None,
    team: str | None = None,
    depth: int = 1,
) -> TrustMap:
    """The pair trust between teams that work together, as the reader may see: of every team,
    or narrowed to one purpose's partnerships, to the teams within `depth` partnerships of one
    team, or both. Only the teams and pairs in the map are computed."""
    if depth not in MAP_DEPTHS:
        raise Invalid("depth must be 1, 2 or 3", rule="trust.depth_invalid", field="depth")
    with uow:
        actor = uow.bind(actor)
        chosen = uow.purposes.get(purpose) if purpose else None
        centre = uow.org.team(team, members=False) if team else None
        # a commitment is always between two parties of its partnership, so these pairs hold
        # every pair with a commitment too
        pairs = {
            (r, p)
            for ids in uow.partnerships.party_groups(purpose=chosen).values()
            for r in ids
            for p in ids
            if r != p
        }
        if centre is not None and centre.id is not None:
            reached = _reached(pairs, centre.id, depth)
            pairs = {(r, p) for r, p in pairs if r in reached and p in reached}
        if chosen is None and centre is None:
            teams = list(uow.org.teams(members=False))
        else:
            ids = {i for pair in pairs for i in pair} | ({centre.id} if centre else set())
            teams = list(uow.org.teams(ids={i for i in ids if i is not None}, members=False))
        teams = [t for t in teams if t.id is not None]
        by_id = {t.id: t for t in teams}
        everyone = (
            isinstance(actor, Operator) or actor.is_admin or settings.trust_visibility == "org"
        )
        seen_ids: set[int | None] = set()
        if not everyone and not isinstance(actor, Operator):
            # may_see_team: a team's members, and the leads of its partner teams
            seen_ids = {t.id for t in actor.teams()}
            led = {m.team.id for m in actor.current_memberships if actor.is_lead(m.team)}
            if led:
                groups = uow.partnerships.party_groups(with_teams={i for i in led if i})
                seen_ids.update(i for ids in groups.values() for i in ids)
        moment = uow.now()
        view = view_at(uow, settings, moment)
        weights = weights_of(settings).normalized()
        nodes = []
        for node in teams:
            visible = everyone or node.id in seen_ids
            trust = team_level(view, settings, node) if visible else None
            figure = describe_overall(trust, weights) if trust else None
            nodes.append(
                MapNode(
                    node.slug,
                    node.name,
                    node.kind.value,
                    trust.overall_expected if trust else None,
                    trust.overall_uncertainty if trust else None,
                    interval=figure.interval if figure else None,
                    enough_evidence=figure.enough_evidence if figure else None,
                    words=figure.words if figure else None,
                )
            )
        edges = []
        for requester_id, performer_id in sorted(pairs):
            requester, performer = by_id[requester_id], by_id[performer_id]
            if not may_see_pair(actor, requester, performer):
                continue
            ability = pair_level(view, settings, requester, performer).ability
            given = view.given(requester, performer)
            figure = describe("ability", ability)
            edges.append(
                MapEdge(
                    requester.slug,
                    performer.slug,
                    ability.expected,
                    ability.uncertainty,
                    given,
                    trust_gap(given, ability),
                    pair_flags(given, ability),
                    interval=figure.interval,
                    enough_evidence=figure.enough_evidence,
                    evidence=figure.counts,
                    words=figure.words,
                    flag_causes=flag_causes(given, ability),
                )
            )
        edges.sort(key=lambda e: (e.requester, e.performer))
        return TrustMap(
            moment,
            nodes,
            edges,
            purpose=chosen.key if chosen else None,
            team=centre.slug if centre else None,
            depth=depth,
        )


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
        top = uow.trust.latest_commitment_event_at()
        if top is not None and days_between(reference, top) / H > MAX_EXPONENT:
            reference = top
        # the log is read twice, a batch at a time: in log order for the sums (the upkeep's
        # order, so the sums are the upkeep's to the bit), in time order for the snapshots
        fold = Accumulator(reference, H, [0.0] * 6, {})
        events = 0
        for at, subject, payload in _counted(uow.trust.commitment_events(), progress):
            events += 1
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
        _make_snapshots(uow, teams, H)
        uow.commit()
        return RebuildReport(events, len(fold.tracks), len(fold.pairs), len(open_tracks))


def _counted(
    events: Iterable[tuple[datetime, str, dict[str, Any]]], progress: Callable[[int], None] | None
) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
    for index, event in enumerate(events, 1):
        if progress is not None and index % 10_000 == 0:
            progress(10_000)
        yield event


def stale_events(uow: UnitOfWork, settings: Settings) -> int | None:
    """How many commitment events a rebuild would replay when the stored sums are missing or
    were built with another half-life than the setting's; None when they are current."""
    with uow:
        state = uow.trust.state()
        if state.built and state.half_life_days == settings.half_life_days:
            return None
        return uow.trust.count_commitment_events()


def ensure_built(
    uow: UnitOfWork, settings: Settings, progress: Callable[[int], None] | None = None
) -> bool:
    """At start: rebuild the stored sums once when they are missing or were built with another
    half-life than the setting's. Reads trust the sums as built (they say with which half-life)
    and never replay the log for a half-life of their own."""
    with uow:
        state = uow.trust.state()
    if state.built and state.half_life_days == settings.half_life_days:
        refresh_snapshots(uow, progress)
        return False
    if state.built:
        log.warning(
            "trust: the stored sums were built with a half-life of %g days, the setting is %g: "
            "rebuilding them from the event log",
            state.half_life_days,
            settings.half_life_days,
        )
    else:
        log.info("trust: no stored sums yet: building them from the event log")
    rebuild(uow, settings, Operator(), progress)
    return True


def refresh_snapshots(
    uow: UnitOfWork, progress: Callable[[int], None] | None = None, *, whole: bool = False
) -> bool:
    """Make the trust snapshots again from the event log when history told later about the
    past (an import, a move dated back) dropped some that later moves could not write, or
    with `whole` in any case (after an import, whose moves are written in batches): as a
    rebuild makes them, leaving the stored sums alone. False when they were whole."""
    with uow:
        state = uow.trust.state(for_update=True)
        if not state.built or (state.snapshot_gap is None and not whole):
            return False
        log.info("trust: making the snapshots of the past again from the event log")
        teams = {team.slug: team.id for team in uow.org.teams() if team.id is not None}
        _make_snapshots(uow, teams, state.half_life_days, progress)
        uow.commit()
        return True


def _make_snapshots(
    uow: UnitOfWork,
    teams: dict[str, int],
    half_life_days: float,
    progress: Callable[[int], None] | None = None,
) -> None:
    """Every snapshot again from the log, read in time order from the database, not sorted
    here: memory holds a batch of the log, not all of it (6.4 GiB at 4 million events)."""
    events = _counted(uow.trust.commitment_events_by_time(), progress)
    uow.trust.snapshots.replace(snapshot_rows(events, teams, half_life_days))
