"""The teams a read of the past places its pairs by, kept per process (`views.teams_of`): a team
added since is seen at the next read, and the network reputation from a snapshot is the one a
replay of the whole log gives."""

from __future__ import annotations

import random

import pytest
from test_trust_service import random_history
from test_trust_snapshots import instants, org  # noqa: F401 (a fixture)

from accord.trust.domain import fold, ledger
from accord.trust.views import ReplayView, snapshot_view, teams_of
from factories import SETTINGS, make_team

H = SETTINGS.half_life_days


def test_a_team_added_is_seen_by_the_next_read_of_the_past(uow, clock, org) -> None:  # noqa: F811
    random_history(uow, clock, org, 21, steps=60)
    with uow:
        moment = uow.now()
        before = teams_of(uow)
        view = snapshot_view(uow, SETTINGS, moment)
        again = teams_of(uow)
    assert view is not None
    assert "newcomer" not in before.index
    assert again is before  # kept while the teams stay the same
    team = make_team(uow, "newcomer")
    with uow:
        after = teams_of(uow)
        view = snapshot_view(uow, SETTINGS, moment)
    assert after is not before
    assert after.slug_of[team.id] == "newcomer"
    assert view is not None
    assert view.ids["newcomer"] == team.id
    assert team.id in view.network()


def test_the_network_from_a_snapshot_is_the_replayed_one(uow, clock, org) -> None:  # noqa: F811
    random_history(uow, clock, org, 22, steps=120)
    make_team(uow, "bystander")  # a team with no commitments has a reputation too
    clock.advance(hours=5)
    for moment in instants(uow, random.Random(5), 6):
        with uow:
            view = snapshot_view(uow, SETTINGS, moment)
            tracks = fold(uow.trust.commitment_events(upto=moment), upto=moment)
            teams = {t.slug: t.id for t in uow.org.teams() if t.id is not None}
        if view is None:
            continue
        plain = ReplayView(moment, ledger(tracks.values(), moment, H), teams).network()
        fast = view.network()
        assert list(fast) == list(plain)
        assert list(fast.values()) == pytest.approx(list(plain.values()), rel=1e-9, abs=1e-12)
