"""How trust reads the organization's evidence at an instant: from the stored sums at the
present (O(the team's pairs) a read), or, at a past instant, from the nearest trust snapshot
and the events after it (the whole event log replayed up to it when there is none), as
DESIGN §2's "as of" says; and the team and pair levels built from either."""

from __future__ import annotations

import bisect
import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np

from accord.config import Settings
from accord.org.domain import Team
from accord.trust.domain import (
    RELIANCE_WEIGHT,
    Ledger,
    TeamRef,
    Track,
    fold,
    ledger,
)
from accord.trust.model import (
    SECONDS_PER_DAY,
    Evidence,
    Trust,
    Weights,
    days_between,
    decay_weight,
    eigentrust,
    pair_trust,
    scale_to,
    team_trust,
)
from accord.trust.snapshots import micros

if TYPE_CHECKING:
    from accord.trust.repository import StoredState, TrustStore
    from accord.uow import UnitOfWork


def weights_of(settings: Settings) -> Weights:
    return Weights(settings.weight_ability, settings.weight_integrity, settings.weight_value)


class View(Protocol):
    """The organization's evidence decayed to one instant."""

    moment: datetime

    def read_ahead(
        self, requester: Team | None, performer: Team | None, *, by_requester: bool = False
    ) -> None:
        """A hint: what follows asks of this pair, this performer's team, (`by_requester`) the
        requester's commitments and the organization; a view may read them all at once."""

    def org(self) -> Evidence: ...
    def team(self, team: Team) -> Evidence: ...
    def pair(self, requester: Team, performer: Team) -> Evidence: ...
    def requester(self, requester: Team) -> Evidence: ...
    def given(self, requester: Team, performer: Team) -> float: ...
    def network(self) -> dict[int, float]: ...


_NETWORK_CACHE: OrderedDict[tuple[Any, ...], dict[int, float]] = OrderedDict()


_NETWORK_LOCK = threading.Lock()


def forget_networks() -> None:
    """Drop the cached network reputations (and teams' slugs): for a database emptied and
    filled again under the same URL while this process runs, where the versions start over."""
    with _NETWORK_LOCK:
        _NETWORK_CACHE.clear()
        _TEAMS_CACHE.clear()


@dataclass(frozen=True)
class Teams:
    """The organization's teams as a snapshot view places them (read-only: kept per process)."""

    slug_of: dict[int, str]  # the slugs by id, in the order read
    names: tuple[str, ...]  # the slugs in that order: a team's place
    index: dict[str, int]  # the place of each slug
    places: np.ndarray  # by team id (and one past the greatest), its place; -1 for none
    ids: dict[str, int]  # the ids by slug
    rank: np.ndarray  # by place, the team's position among the ids in increasing order

    @classmethod
    def of(cls, slug_of: dict[int, str]) -> Teams:
        names = tuple(slug_of.values())
        places = np.full(max(slug_of, default=0) + 2, -1, dtype=np.int64)
        places[list(slug_of)] = np.arange(len(names))
        order = {team_id: i for i, team_id in enumerate(sorted(slug_of))}
        return cls(
            slug_of=slug_of,
            names=names,
            index={slug: i for i, slug in enumerate(names)},
            places=places,
            ids={slug: team_id for team_id, slug in slug_of.items()},
            rank=np.array([order[team_id] for team_id in slug_of], dtype=np.int64),
        )


# the teams, per database and `SnapshotStore.teams_mark`: reading 2,000 teams costs more than
# the cheap query that says they did not change
_TEAMS_CACHE: OrderedDict[tuple[Any, ...], Teams] = OrderedDict()


def teams_of(uow: UnitOfWork) -> Teams:
    """The teams (`SnapshotStore.team_slugs`), kept per process while their mark stays the
    same."""
    store = uow.trust.snapshots
    key = (uow.engine.url, *store.teams_mark())  # an URL is hashable, and cheaper than its text
    found = _TEAMS_CACHE.get(key)
    if found is None:
        found = Teams.of(store.team_slugs())
        with _NETWORK_LOCK:
            _TEAMS_CACHE[key] = found
            while len(_TEAMS_CACHE) > 4:
                _TEAMS_CACHE.popitem(last=False)
    return found


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
    """The present, from the stored sums: O(the team's pairs) per read, and one query for
    everything one read asks (`read_ahead`). `database` names the database the store reads (the
    network figure is kept per database)."""

    store: TrustStore
    database: str
    moment: datetime
    state: StoredState
    factor: float = 0.0
    _org: tuple[Evidence, tuple[int, float]] | None = None
    _teams: dict[int, Evidence] = field(default_factory=dict)
    _pairs: dict[tuple[int, int], Evidence] = field(default_factory=dict)
    _requesters: dict[int, Evidence] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.factor = scale_to(self.moment, self.state.reference, self.state.half_life_days)

    def read_ahead(
        self, requester: Team | None, performer: Team | None, *, by_requester: bool = False
    ) -> None:
        """Read what this view does not hold yet of the pair (both given), the performer's
        team, the requester's commitments (`by_requester`) and the organization, in one query."""
        r, p = (requester.id if requester else None), (performer.id if performer else None)
        parts = []
        if r is not None and p is not None and (r, p) not in self._pairs:
            parts.append("pair")
        if p is not None and p not in self._teams:
            parts.append("team")
        if by_requester and r is not None and r not in self._requesters:
            parts.append("requester")
        if not parts and self._org is not None:
            return
        sums = self.store.sums(
            self.moment,
            self.state,
            requester=r,
            performer=p,
            parts=parts,
            org=self._org is None,
        )
        if sums.org is not None:
            self._org = sums.org
        if sums.pair is not None and r is not None and p is not None:
            self._pairs[(r, p)] = self._decayed(*sums.pair)
        if sums.team is not None and p is not None:
            self._teams[p] = self._decayed(*sums.team)
        if sums.requester is not None and r is not None:
            self._requesters[r] = self._decayed(*sums.requester)

    def _org_overdue(self) -> tuple[Evidence, tuple[int, float]]:
        if self._org is None:
            self.read_ahead(None, None)
        assert self._org is not None
        return self._org

    def _decayed(self, stored: Evidence, overdue: Evidence) -> Evidence:
        return (stored + overdue).scaled(self.factor)

    def org(self) -> Evidence:
        return self._decayed(Evidence(*self.state.org), self._org_overdue()[0])

    def team(self, team: Team) -> Evidence:
        assert team.id is not None
        if team.id not in self._teams:
            self.read_ahead(None, team)
        return self._teams[team.id]

    def pair(self, requester: Team, performer: Team) -> Evidence:
        assert requester.id is not None
        assert performer.id is not None
        if (requester.id, performer.id) not in self._pairs:
            self.read_ahead(requester, performer)
        return self._pairs[(requester.id, performer.id)]

    def requester(self, requester: Team) -> Evidence:
        """What `requester`'s commitments say of their performers, all together."""
        assert requester.id is not None
        if requester.id not in self._requesters:
            self.read_ahead(requester, None, by_requester=True)
        return self._requesters[requester.id]

    def given(self, requester: Team, performer: Team) -> float:
        assert requester.id is not None
        assert performer.id is not None
        levels = self.store.given(requester.id, performer.id)
        return max((RELIANCE_WEIGHT.get(level, 0.0) for level in levels), default=0.0)

    def network(self) -> dict[int, float]:
        # Decay scales every local trust value alike and row normalization cancels it, so the
        # network changes only with the stored sums and the teams (both move the version) and
        # with the set of overdue commitments.
        store = self.store
        key = (self.database, self.state.version, self._org_overdue()[1])
        return _cached_network(
            key, lambda: network_values(store.team_ids(), store.local_trust(self.moment))
        )


@dataclass
class ReplayView:
    """Any instant, from the event log replayed up to it."""

    moment: datetime
    ledger: Ledger
    teams: dict[str, int]

    def read_ahead(
        self, requester: Team | None, performer: Team | None, *, by_requester: bool = False
    ) -> None:
        """Nothing to read: the replayed ledger holds everything."""

    def org(self) -> Evidence:
        return self.ledger.org

    def team(self, team: Team) -> Evidence:
        return self.ledger.team(team.slug)

    def pair(self, requester: Team, performer: Team) -> Evidence:
        return self.ledger.pair(requester.slug, performer.slug)

    def requester(self, requester: Team) -> Evidence:
        total = Evidence()
        for (r, _), evidence in self.ledger.pairs.items():
            if r == requester.slug:
                total = total + evidence
        return total

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


@dataclass
class SnapshotView:
    """A past instant, from a snapshot: each pair's evidence as columns (team indexes into
    `names`, the six sums decayed to the instant), the organization's, and the trust given."""

    moment: datetime
    names: list[str]
    ids: dict[str, int]  # the organization's teams by slug
    requesters: np.ndarray
    performers: np.ndarray
    sums: np.ndarray
    total: Evidence
    # the open commitments' reliance: (requester, performer) indexes into `names`, and weight
    relied: tuple[np.ndarray, np.ndarray, np.ndarray]
    # the place of each name, and of each of the organization's teams (the first names) its
    # position among `ids`' values in increasing order: made from `names` and `ids` when not given
    _index: dict[str, int] | None = None
    _rank: np.ndarray | None = None
    _pairs: dict[tuple[str, str], int] | None = None

    def __post_init__(self) -> None:
        if self._index is None:
            self._index = {slug: i for i, slug in enumerate(self.names)}
        if self._rank is None:
            order = {team_id: i for i, team_id in enumerate(sorted(self.ids.values()))}
            self._rank = np.array(
                [order[self.ids[name]] for name in self.names if name in self.ids], dtype=np.int64
            )

    @property
    def index(self) -> dict[str, int]:
        assert self._index is not None
        return self._index

    def read_ahead(
        self, requester: Team | None, performer: Team | None, *, by_requester: bool = False
    ) -> None:
        """Nothing to read: the view holds everything."""

    def _sum(self, rows: np.ndarray) -> Evidence:
        return Evidence(*self.sums[rows].sum(axis=0).tolist())

    def org(self) -> Evidence:
        return self.total

    def team(self, team: Team) -> Evidence:
        return self._sum(self.performers == self.index.get(team.slug, -1))

    def pair(self, requester: Team, performer: Team) -> Evidence:
        if self._pairs is None:
            self._pairs = {
                (self.names[r], self.names[p]): i
                for i, (r, p) in enumerate(
                    zip(self.requesters.tolist(), self.performers.tolist(), strict=True)
                )
            }
        found = self._pairs.get((requester.slug, performer.slug))
        return Evidence() if found is None else Evidence(*self.sums[found].tolist())

    def requester(self, requester: Team) -> Evidence:
        """What `requester`'s commitments say of their performers, all together."""
        return self._sum(self.requesters == self.index.get(requester.slug, -1))

    def given(self, requester: Team, performer: Team) -> float:
        r, p = self.index.get(requester.slug, -1), self.index.get(performer.slug, -1)
        requesters, performers, weights = self.relied
        found = weights[(requesters == r) & (performers == p)]
        return float(found.max()) if len(found) else 0.0

    def network(self) -> dict[int, float]:
        team_ids = sorted(self.ids.values())
        assert self._rank is not None
        # the organization's teams come first in `names`; a name after them has no team
        place = np.full(len(self.names), -1, dtype=np.int64)
        place[: len(self._rank)] = self._rank
        rows, cols = place[self.requesters], place[self.performers]
        known = (rows >= 0) & (cols >= 0)
        s = self.sums
        if not known.all():  # a team no longer there: its pairs left out
            s, rows, cols = s[known], rows[known], cols[known]
        local = s[:, 0] + s[:, 2] - s[:, 1] - s[:, 3]
        result = eigentrust(len(team_ids), rows, cols, local)
        return dict(zip(team_ids, result.tolist(), strict=True))

    @property
    def ledger(self) -> Ledger:
        """The same evidence as a `Ledger` keyed by slugs."""
        return Ledger(
            self.moment,
            org=self.total,
            pairs={
                (self.names[r], self.names[p]): Evidence(*sums)
                for r, p, sums in zip(
                    self.requesters.tolist(),
                    self.performers.tolist(),
                    self.sums.tolist(),
                    strict=True,
                )
            },
            given=self._given(),
        )

    def _given(self) -> dict[tuple[TeamRef, TeamRef], float]:
        found: dict[tuple[TeamRef, TeamRef], float] = {}
        for r, p, weight in zip(*(column.tolist() for column in self.relied), strict=True):
            pair = (self.names[r], self.names[p])
            found[pair] = max(found.get(pair, 0.0), weight)
        return found


# An instant more than this before the clock is the past, read from the snapshots even after
# the last move: the stored sums' network is kept for the present's instants only.
PRESENT = timedelta(seconds=1)


def view_at(uow: UnitOfWork, settings: Settings, moment: datetime) -> View:
    state = uow.trust.state()
    current = state.latest_at is None or moment >= state.latest_at
    if state.built and current and moment >= uow.now() - PRESENT:
        # built with the half-life they name: a start rebuilds them when the setting differs
        return StoredView(uow.trust, str(uow.engine.url), moment, state)
    if state.built and current:
        # a past instant after the last move: from its snapshot, whose cost is bounded (the
        # stored sums' network for an instant of its own would read every pair and open
        # commitment)
        found = snapshot_view(uow, settings, moment, built=True)
        return (
            found
            if found is not None
            else StoredView(uow.trust, str(uow.engine.url), moment, state)
        )
    found = snapshot_view(uow, settings, moment, built=state.built)
    if found is not None:
        return found
    tracks = fold(uow.trust.commitment_events(upto=moment), upto=moment)
    teams = {team.slug: team.id for team in uow.org.teams() if team.id is not None}
    return ReplayView(moment, ledger(tracks.values(), moment, settings.half_life_days), teams)


def snapshot_view(
    uow: UnitOfWork,
    settings: Settings,
    moment: datetime,
    *,
    built: bool | None = None,
    teams: Teams | None = None,
) -> SnapshotView | None:
    """The view at `moment` from the nearest snapshot at or before it and the events since, the
    same ledger as a replay of the whole log; None when there is no such snapshot made with the
    setting's half-life, or the stored sums (which keep the snapshots) are not built. `teams`:
    when the caller read them already (`teams_of`)."""
    if built is None:
        built = uow.trust.state().built
    store = uow.trust.snapshots
    snapshot = store.nearest(moment, settings.half_life_days) if built else None
    if snapshot is None:
        return None
    H = settings.half_life_days
    found = teams_of(uow) if teams is None else teams
    slug_of, places = found.slug_of, found.places
    names = list(found.names)  # with the teams no longer there the events name, if any
    index = found.index

    def by_id(ids: np.ndarray) -> np.ndarray:
        # a team's place in `names`; -1 for a team no longer there
        return np.asarray(places[np.minimum(ids, len(places) - 1)])

    start = snapshot.full  # the rows from the full copy before it on
    # the commitments the events after the snapshot move are folded one by one; the others
    # stay as the snapshot has them, and count (overdue, reliance) in columns
    events, moved = store.moves_between(snapshot.at, moment)
    pairs, still, moving = store.columns_at(snapshot.at, start, moved)
    tracks: dict[str, Track] = {}
    for track in moving:
        if int(track.requester) not in slug_of or int(track.performer) not in slug_of:
            continue  # a team no longer there takes its commitments with it
        track.requester, track.performer = (
            slug_of[int(track.requester)],
            slug_of[int(track.performer)],
        )
        tracks[track.key] = track
    fold(events, into=tracks)
    now = micros(moment)

    def decay(at: np.ndarray) -> np.ndarray:
        # as decay_weight(days_between(at, moment), H), column by column
        return np.asarray(0.5 ** (((now - at) / 1e6 / SECONDS_PER_DAY) / H))

    # the pairs of teams still there (as above): all of them, but in an organization that
    # removed a team
    pair_r, pair_p = by_id(pairs.requester), by_id(pairs.performer)
    kept = (pair_r >= 0) & (pair_p >= 0)
    if not kept.all():
        pair_r, pair_p = pair_r[kept], pair_p[kept]
        pairs.sums, pairs.source = pairs.sums[kept], pairs.source[kept]
    known = (by_id(still.requester) >= 0) & (by_id(still.performer) >= 0)
    due = known & still.committed & (still.due < now)  # overdue: counted at its due date
    weight = decay(still.due[due])
    notice = still.notice[due]
    overdue = np.zeros((len(weight), 6))
    overdue[:, 1] = weight
    overdue[:, 2] = np.where(notice, weight, 0.0)
    overdue[:, 3] = np.where(notice, 0.0, weight)
    relied = known & (still.given > 0)
    requesters = [pair_r, by_id(still.requester[due])]
    performers = [pair_p, by_id(still.performer[due])]
    # each snapshot's decay computed once (the same value for each of its pairs)
    sums = [pairs.sums * decay(pairs.stamps)[pairs.source][:, None], overdue]
    given_r = [by_id(still.requester[relied])]
    given_p = [by_id(still.performer[relied])]
    given_w = [still.given[relied]]
    moved_r, moved_p, moved_sums = [], [], []
    for track in tracks.values():
        for slug in (track.requester, track.performer):
            if slug not in index:  # a team no longer there, as its events name it
                if index is found.index:
                    index = dict(index)  # the kept one stays as it is
                index[str(slug)] = len(names)
                names.append(str(slug))
        outcome = track.outcome() or track.overdue(moment)
        if outcome is not None:
            moved_r.append(index[str(track.requester)])
            moved_p.append(index[str(track.performer)])
            moved_sums.append(
                outcome.evidence(decay_weight(days_between(outcome.at, moment), H)).as_tuple()
            )
        if track.given > 0:
            given_r.append(np.array([index[str(track.requester)]]))
            given_p.append(np.array([index[str(track.performer)]]))
            given_w.append(np.array([track.given]))
    requesters.append(np.array(moved_r, dtype=np.int64))
    performers.append(np.array(moved_p, dtype=np.int64))
    sums.append(np.array(moved_sums, dtype=float).reshape(len(moved_sums), 6))
    org = snapshot.org.scaled(decay_weight(days_between(snapshot.at, moment), H))
    opened = np.concatenate(sums[1:])  # the evidence of the open commitments, row by row
    added = opened.sum(axis=0)
    size = len(names)
    keys, inverse = _group(
        requesters[0] * size + performers[0],
        np.concatenate(requesters[1:]) * size + np.concatenate(performers[1:]),
    )
    # summed by pair in the order of the rows, as a sum from zero of each pair's rows: the
    # snapshots' pairs (one row each) put in place, then the overdue and moved commitments
    # (a few thousand) added one by one in order
    evidence = np.zeros((len(keys), 6))
    evidence[inverse[: len(sums[0])]] = sums[0] + 0.0  # 0.0 + x: x, and -0.0 becomes 0.0
    for column in range(6):  # column by column: 4 times quicker than rows of six
        np.add.at(evidence[:, column], inverse[len(sums[0]) :], opened[:, column])
    return SnapshotView(
        moment,
        names=names,
        ids=found.ids,
        requesters=keys // size,
        performers=keys % size,
        sums=evidence,
        total=org + Evidence(*added.tolist()),
        relied=(
            np.concatenate(given_r).astype(np.int64),
            np.concatenate(given_p).astype(np.int64),
            np.concatenate(given_w),
        ),
        _index=index,
        _rank=found.rank,
    )


def _group(distinct: np.ndarray, more: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """`np.unique(np.concatenate([distinct, more]), return_inverse=True)` for keys `distinct`
    that are distinct already and `more`: the keys in increasing order and the place of each
    among them. When `distinct` is in increasing order (the snapshots' pairs, as read), only
    `more` (the commitments overdue or moved: a few thousand) is sorted."""
    if len(distinct) > 1 and not np.all(distinct[1:] > distinct[:-1]):
        keys, inverse = np.unique(np.concatenate([distinct, more]), return_inverse=True)
        return keys, inverse.reshape(-1)
    # each of `more` found among `distinct` in sorted order (a search for keys in order goes on
    # from the last one found: about four times quicker than for keys in no order)
    order = np.argsort(more)
    place = np.empty(len(more), dtype=np.intp)
    place[order] = np.searchsorted(distinct, more[order])
    found = place < len(distinct)
    found[found] = distinct[place[found]] == more[found]
    new = np.unique(more[~found])
    where = np.searchsorted(distinct, new)
    keys = np.insert(distinct, where, new)
    # each of `distinct` moves up by the new keys before it (one pass, not a search each), and
    # each of `more` by the new keys below it (a search among those few, not among all keys)
    before = np.cumsum(np.bincount(where, minlength=len(distinct) + 1))[: len(distinct)]
    inverse = np.concatenate(
        [np.arange(len(distinct)) + before, place + np.searchsorted(new, more)]
    )
    return keys, inverse


def past_views(uow: UnitOfWork, settings: Settings, moments: Sequence[datetime]) -> list[View]:
    """A view at each of many past instants: from the snapshots when they serve them all, else
    from one sweep of the event log in time order. A commitment's own moves never go back in
    time, so folding the events up to each instant in turn leaves the same tracks as folding
    the whole log up to it."""
    built = uow.trust.state().built
    known = teams_of(uow)  # read once for every instant
    found = [snapshot_view(uow, settings, moment, built=built, teams=known) for moment in moments]
    if all(view is not None for view in found):
        return [view for view in found if view is not None]
    events = sorted(uow.trust.commitment_events(), key=lambda event: event[0])
    teams = {t.slug: t.id for t in uow.org.teams() if t.id is not None}
    views: list[View | None] = [None] * len(moments)
    tracks: dict[str, Track] = {}
    done = 0
    for index in sorted(range(len(moments)), key=lambda i: moments[i]):
        moment = moments[index]
        upto = bisect.bisect_right(events, moment, lo=done, key=lambda event: event[0])
        fold(events[done:upto], into=tracks)
        done = upto
        views[index] = ReplayView(
            moment, ledger(tracks.values(), moment, settings.half_life_days), teams
        )
    return [view for view in views if view is not None]


def team_level(view: View, settings: Settings, team: Team) -> Trust:
    """P as seen by everyone: all of P's evidence."""
    return team_trust(view.team(team), view.org(), settings.team_prior_weight, weights_of(settings))


def pair_level(view: View, settings: Settings, requester: Team, performer: Team) -> Trust:
    """P as seen by R, its prior P's team trust without the pair's own commitments."""
    return pair_trust(
        view.pair(requester, performer),
        view.team(performer),
        view.org(),
        weights_of(settings),
        team_prior_weight=settings.team_prior_weight,
        pair_prior_weight=settings.pair_prior_weight,
    )
