"""The evidence table of DESIGN §2, from histories played through the commitment domain."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any, cast

import pytest

from accord.commitments.domain import Commitment, Move, Side
from accord.org.domain import Team
from accord.trust.domain import Outcome, Track, fold, ledger
from accord.trust.model import Evidence

T0 = datetime(2026, 1, 1, tzinfo=UTC)
DUE = T0 + timedelta(days=30)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


class History:
    """A commitment played move by move; its events feed a trust track."""

    def __init__(self, due: datetime = DUE, reliance: str = "high") -> None:
        self.commitment, payload = Commitment.request(
            key="c-1",
            partnership=cast(Any, None),
            requester=Team("r", "R"),
            performer=Team("p", "P"),
            measure=None,
            sides=frozenset({Side.REQUESTER}),
            at=T0,
            args={"title": "Scores", "due": due, "reliance": reliance},
        )
        payload.update(requester="r", performer="p")
        self.events: list[tuple[datetime, str, dict[str, Any]]] = [(T0, "commitment:c-1", payload)]

    def then(self, move: str, at: datetime, side: Side, **args: Any) -> History:
        payload = self.commitment.apply(
            Move(move),
            sides=frozenset({side}),
            at=at,
            expected_version=None,
            args=args,
            actor=side.value,
        )
        self.events.append((at, "commitment:c-1", payload))
        return self

    def track(self, upto: datetime | None = None) -> Track:
        return fold(self.events, upto=upto)["c-1"]


RS = Side.REQUESTER
PS = Side.PERFORMER


def promised() -> History:
    return History().then("promise", day(1), PS)


def test_accepted_on_time_is_positive_everywhere_and_value_maps_the_rating() -> None:
    track = promised().then("report_done", day(20), PS).then("accept", day(21), RS, value=4).track()
    assert track.outcome() == Outcome(day(21), on_time=True, kept_word=True, value=4)
    assert track.outcome().evidence(1.0) == Evidence(1, 0, 1, 0, 0.75, 0.25)  # type: ignore[union-attr]


def test_accepted_late_without_notice_is_negative_ability_and_integrity() -> None:
    history = promised().then("report_done", day(35), PS).then("accept", day(36), RS, value=1)
    outcome = history.track().outcome()
    assert outcome == Outcome(day(36), on_time=False, kept_word=False, value=1)
    assert outcome is not None
    assert outcome.evidence(0.5) == Evidence(0, 0.5, 0, 0.5, 0, 0.5)


def test_a_warning_before_the_due_date_keeps_integrity() -> None:
    history = (
        promised()
        .then("propose_change", day(25), PS, due=day(40))
        .then("reject_change", day(26), RS)
        .then("report_done", day(35), PS)
        .then("accept", day(36), RS, value=3)
    )
    assert history.track().outcome() == Outcome(day(36), False, True, 3)


def test_a_warning_counts_only_after_the_due_date_in_force_was_agreed() -> None:
    history = (
        promised()
        .then("propose_change", day(25), PS, due=day(40))
        .then("accept_change", day(26), RS)
        .then("report_done", day(45), PS)
        .then("accept", day(46), RS, value=3)
    )
    track = history.track()
    assert track.due == day(40)
    assert track.outcome() == Outcome(day(46), False, False, 3)


def test_the_requesters_proposal_is_no_warning_from_the_performer() -> None:
    history = (
        promised()
        .then("propose_change", day(25), RS, title="Scores, hourly")
        .then("reject_change", day(26), PS)
    )
    assert not history.track().notice


def test_a_warning_after_the_due_date_is_too_late() -> None:
    history = promised().then("propose_change", day(31), PS, due=day(60))
    track = history.track()
    assert not track.notice
    assert track.overdue(day(32)) == Outcome(DUE, False, False)


def test_revoked_with_and_without_notice() -> None:
    early = promised().then("revoke", day(10), PS, reason="Team reassigned").track()
    assert early.outcome() == Outcome(day(10), False, True)
    late = promised().then("revoke", day(40), PS, reason="Forgot").track()
    assert late.outcome() == Outcome(day(40), False, False)


def test_missed_counts_at_the_due_date() -> None:
    track = promised().then("mark_missed", day(45), RS).track()
    assert track.outcome() == Outcome(DUE, False, False)
    warned = promised().then("propose_change", day(20), PS, due=day(50))
    warned.then("reject_change", day(21), RS).then("mark_missed", day(45), RS)
    assert warned.track().outcome() == Outcome(DUE, False, True)


def test_open_and_overdue_counts_as_of_the_instant_asked() -> None:
    track = promised().track()
    assert track.overdue(DUE) is None  # overdue means due < T
    assert track.overdue(day(31)) == Outcome(DUE, False, False)
    delivered = promised().then("report_done", day(35), PS).track()
    assert delivered.overdue(day(36)) is None


NO_EVIDENCE: dict[str, Callable[[], History]] = {
    "declined": lambda: History().then("decline", day(1), PS, reason="No capacity"),
    "withdrawn": lambda: History().then("withdraw", day(1), RS),
    "withdrawn-late": lambda: promised().then("withdraw", day(40), RS),
    "open-not-overdue": promised,
    "countered": lambda: History().then("counter", day(1), PS, due=day(60)),
}


@pytest.mark.parametrize("name", NO_EVIDENCE)
def test_no_evidence(name: str) -> None:
    track = NO_EVIDENCE[name]().track()
    assert track.outcome() is None
    assert track.overdue(day(29)) is None


def test_the_counter_sets_the_due_date_when_it_is_accepted() -> None:
    history = (
        History()
        .then("counter", day(1), PS, due=day(60))
        .then("accept_counter", day(2), RS)
        .then("report_done", day(55), PS)
        .then("accept", day(56), RS, value=5)
    )
    track = history.track()
    assert track.promised_at == day(2)
    assert track.outcome() == Outcome(day(56), True, True, 5)


def test_as_of_keeps_only_the_events_up_to_the_instant() -> None:
    history = promised().then("report_done", day(20), PS).then("accept", day(21), RS, value=5)
    assert history.track(upto=day(20)).state == "delivered"
    assert history.track(upto=day(21)).state == "accepted"


def test_ledger_decays_by_age_and_collects_trust_given() -> None:
    accepted = promised().then("report_done", day(20), PS).then("accept", day(21), RS, value=5)
    result = ledger([accepted.track(), History(reliance="critical").track()], day(201), 180)
    assert result.pair("r", "p").ability_r == pytest.approx(0.5)
    assert result.org == result.team("p")
    assert result.given[("r", "p")] == 1.0
