"""What keeps a forecast read and a team's trust read fast, on SQLite and PostgreSQL: a few
statements each, one combined read of the stored sums that says what the parts read one by one
say, a stored model read once per version and a newer one read at once, and teams and
commitments loaded without what those reads never use."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, event, func, select

from accord.errors import NotFound
from accord.interchange.importer import import_document
from accord.trust import fitting
from accord.trust import forecast as forecasts
from accord.trust import service as trust
from accord.trust.model import Evidence
from accord.trust.model_store import ModelStore
from accord.trust.orm import EVIDENCE_COLUMNS, trust_pairs_table
from accord.trust.views import StoredView, view_at
from factories import OPERATOR, SETTINGS, make_team
from forecast_histories import forecast_document

ENOUGH = SETTINGS.model_copy(update={"forecast_min_history": 20})
P = trust_pairs_table.c


@pytest.fixture(autouse=True)
def _forget_models() -> Iterator[None]:
    """Models are cached per database URL and version; PostgreSQL's URL and versions repeat."""
    fitting.forget_models()
    yield
    fitting.forget_models()


@pytest.fixture
def history(uow: Any, clock: Any) -> None:
    """forecast_document's 30 finished commitments, then open ones (`ahead`: r asks p)."""
    import_document(uow, OPERATOR, forecast_document(clock.now, 30))


class Statements:
    """The statements an engine runs while counted (not transaction control, not a ping)."""

    def __init__(self, engine: Engine) -> None:
        self.seen: list[str] = []
        event.listen(engine, "before_cursor_execute", self._note)

    def _note(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        words = statement.lstrip().split(None, 1)
        if words and words[0].upper() in ("SELECT", "WITH") and statement.strip() != "SELECT 1":
            self.seen.append(statement)

    def during(self, action: Any) -> list[str]:
        self.seen.clear()
        action()
        return list(self.seen)


def test_a_forecast_read_asks_four_questions(engine: Engine, make_uow: Any, history: None) -> None:
    fitting.fit_model(make_uow(), ENOUGH, OPERATOR, backtest=False)
    counted = Statements(engine)

    def read() -> None:
        found = forecasts.commitment_forecast(make_uow(), ENOUGH, OPERATOR, "ahead")
        assert found.method == "model"

    read()  # the first also reads the model, once per process and version
    # the commitment and its teams; the model's version and the commitment's own facts; the
    # stored state; the stored sums of the pair, team, requester and organization
    assert len(counted.during(read)) == 4


def test_a_team_read_asks_three_questions_for_a_child_team(
    engine: Engine, uow: Any, make_uow: Any, history: None
) -> None:
    make_team(uow, "p-child", parent="p")
    counted = Statements(engine)

    def read(slug: str, of: str | None = None) -> None:
        trust.trust_of(make_uow(), SETTINGS, OPERATOR, slug, of=of)

    read("p")  # the first also computes the network, once per version of the sums
    # the team alone (not its parent's members); the stored state; its sums and the org's
    assert len(counted.during(lambda: read("p-child"))) == 3
    assert len(counted.during(lambda: read("p"))) == 3
    # with `of`: the other team, and the reliance given; the pair's sums come in the same query
    assert len(counted.during(lambda: read("p", "r"))) == 5


def reference_sums(uow: Any, moment: datetime, requester: int, performer: int) -> dict[str, Any]:
    """The stored sums and overdue evidence read part by part, in plain queries."""

    def stored(*where: Any) -> Evidence:
        row = uow.session.execute(
            select(*(func.sum(P[name]) for name in EVIDENCE_COLUMNS)).where(*where)
        ).one()
        return Evidence(*(float(v or 0.0) for v in row))

    def overdue(**side: int) -> Evidence:
        return uow.trust.overdue_counted(moment, **side)[0]

    return {
        "pair": (
            stored(P.requester_id == requester, P.performer_id == performer),
            overdue(requester=requester, performer=performer),
        ),
        "team": (stored(P.performer_id == performer), overdue(performer=performer)),
        "requester": (stored(P.requester_id == requester), overdue(requester=requester)),
    }


def test_the_combined_read_says_what_the_parts_say_one_by_one(
    engine: Engine, uow: Any, clock: Any, history: None
) -> None:
    # on SQLite the same plans sum the same rows in the same order: the same bits
    exact = engine.dialect.name == "sqlite"

    def same(have: Evidence, want: Evidence) -> bool:
        if exact:
            return have == want
        return have.as_tuple() == pytest.approx(want.as_tuple(), rel=1e-12, abs=1e-12)

    with uow:
        state = uow.trust.state()
        r, p = uow.org.team("r", members=False).id, uow.org.team("p", members=False).id
        for days in (-3, 0, 2, 30):
            moment = clock.now + timedelta(days=days)
            parts = ("pair", "team", "requester")
            combined = uow.trust.sums(moment, state, requester=r, performer=p, parts=parts)
            expected = reference_sums(uow, moment, r, p)
            for part in parts:
                alone = uow.trust.sums(moment, state, requester=r, performer=p, parts=[part])
                got, by_itself = getattr(combined, part), getattr(alone, part)
                for have, itself, want in zip(got, by_itself, expected[part], strict=True):
                    assert same(have, itself), (part, days)
                    assert same(have, want), (part, days)
            assert combined.org == uow.trust.org_overdue(moment, state)
            full, counted = uow.trust.overdue_counted(moment)
            assert combined.org is not None
            assert combined.org[1][0] == counted[0]
            assert combined.org[0].as_tuple() == pytest.approx(full.as_tuple(), abs=1e-12)
        # a view reads what a live forecast needs in one go and keeps it
        view = view_at(uow, SETTINGS, clock.now)
        assert isinstance(view, StoredView)
        team_r, team_p = uow.org.team("r", members=False), uow.org.team("p", members=False)
        view.read_ahead(team_r, team_p, by_requester=True)
        counted = Statements(engine)
        held = counted.during(
            lambda: (
                view.pair(team_r, team_p),
                view.team(team_p),
                view.requester(team_r),
                view.org(),
            )
        )
        assert held == []


def test_a_model_is_read_once_per_version_and_a_newer_one_at_once(
    make_uow: Any, history: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[int] = []
    get = ModelStore.get

    def counted_get(self: ModelStore, version: int) -> Any:
        reads.append(version)
        return get(self, version)

    monkeypatch.setattr(ModelStore, "get", counted_get)
    first = fitting.fit_model(make_uow(), ENOUGH, OPERATOR, backtest=False).version
    for _ in range(3):
        found = forecasts.commitment_forecast(make_uow(), ENOUGH, OPERATOR, "ahead")
        assert found.model_version == first
    assert reads == [first]
    # a model stored by another process: the very next read uses it, no waiting, no restart
    second = fitting.fit_model(make_uow(), ENOUGH, OPERATOR, backtest=False).version
    assert second is not None
    assert second != first
    found = forecasts.commitment_forecast(make_uow(), ENOUGH, OPERATOR, "ahead")
    assert found.model_version == second
    assert reads == [first, second]


@pytest.mark.parametrize("key", ["nope", "a\x00b"])
def test_unknown_teams_and_commitments_are_not_found(
    make_uow: Any, history: None, key: str
) -> None:
    with pytest.raises(NotFound) as team:
        trust.trust_of(make_uow(), SETTINGS, OPERATOR, key)
    assert team.value.rule == "team.not_found"
    with pytest.raises(NotFound) as pair:
        trust.trust_of(make_uow(), SETTINGS, OPERATOR, "p", of=key)
    assert pair.value.rule == "team.not_found"
    with pytest.raises(NotFound) as commitment:
        forecasts.commitment_forecast(make_uow(), SETTINGS, OPERATOR, key)
    assert commitment.value.rule == "commitment.not_found"
