"""Purposes: status moves, the strategy tree, and measures with their history."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import pytest

from accord.errors import Invalid, NotFound, RuleBroken
from accord.org.domain import Person
from accord.purposes.domain import Measure, Purpose, PurposeStatus

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)
S = PurposeStatus
ALLOWED = {
    (S.DRAFT, S.ACTIVE),
    (S.DRAFT, S.ABANDONED),
    (S.ACTIVE, S.ACHIEVED),
    (S.ACTIVE, S.ABANDONED),
    (S.ACHIEVED, S.ACTIVE),
    (S.ABANDONED, S.ACTIVE),
}
CHANGES = [(a, b) for a in S for b in S if a != b]


def purpose(key: str = "halve-churn", status: PurposeStatus = S.DRAFT) -> Purpose:
    return Purpose(key=key, title=key.replace("-", " "), status=status)


@pytest.mark.parametrize(("source", "target"), sorted(ALLOWED))
def test_allowed_status_moves(source: PurposeStatus, target: PurposeStatus) -> None:
    p = purpose(status=source)
    p.move_to(target)
    assert p.status == target


@pytest.mark.parametrize(("source", "target"), [c for c in CHANGES if c not in ALLOWED])
def test_refused_status_moves(source: PurposeStatus, target: PurposeStatus) -> None:
    p = purpose(status=source)
    with pytest.raises(RuleBroken) as refused:
        p.move_to(target)
    assert refused.value.rule == "purpose.status_not_allowed"
    assert f"from {source.value} to {target.value}" in refused.value.message
    assert p.status == source


@pytest.mark.parametrize("status", list(S))
def test_moving_to_the_same_status_is_a_no_op(status: PurposeStatus) -> None:
    p = purpose(status=status)
    p.move_to(status)
    assert p.status == status


def test_a_new_purpose_is_a_draft() -> None:
    assert Purpose(key="k", title="t").status == S.DRAFT


def test_record_keeps_history_and_sets_current() -> None:
    m = Measure(name="churn", unit="%", baseline=10.0, target=5.0)
    sponsor = Person(email="s@example.com", name="Sponsor")
    first = m.record(9.0, T0, "after the first release", sponsor)
    second = m.record(7.5, T0 + timedelta(days=7), "", None)
    third = m.record(8.0, T0 + timedelta(days=7), "same instant is fine", None)
    assert m.updates == [first, second, third]
    assert [u.value for u in m.updates] == [9.0, 7.5, 8.0]
    assert first.by is sponsor
    assert first.note == "after the first release"
    assert first.at == T0
    assert m.current == 8.0


def test_record_refuses_time_going_backwards() -> None:
    m = Measure(name="churn", baseline=10.0, target=5.0)
    m.record(9.0, T0, "", None)
    with pytest.raises(RuleBroken) as refused:
        m.record(8.0, T0 - timedelta(microseconds=1), "", None)
    assert refused.value.rule == "measure.time_backwards"
    assert len(m.updates) == 1
    assert m.current == 9.0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_record_refuses_non_finite_numbers(value: float) -> None:
    m = Measure(name="churn", baseline=10.0, target=5.0, current=9.0)
    with pytest.raises(Invalid) as refused:
        m.record(value, T0, "", None)
    assert refused.value.rule == "number.invalid"
    assert m.updates == []
    assert m.current == 9.0


@pytest.mark.parametrize(
    ("baseline", "target", "current", "progress"),
    [
        (10.0, 5.0, 10.0, 0.0),
        (10.0, 5.0, 7.5, 0.5),
        (10.0, 5.0, 5.0, 1.0),
        (10.0, 5.0, 2.0, 1.0),
        (10.0, 5.0, 12.0, 0.0),
        (0.0, 200.0, 50.0, 0.25),
        (3.0, 3.0, 3.0, 1.0),
        (3.0, 3.0, 2.0, 0.0),
    ],
)
def test_progress(baseline: float, target: float, current: float, progress: float) -> None:
    m = Measure(name="m", baseline=baseline, target=target, current=current)
    assert m.progress == pytest.approx(progress)


@pytest.mark.parametrize(
    ("baseline", "target", "current"), [(None, 5.0, 7.0), (10.0, None, 7.0), (10.0, 5.0, None)]
)
def test_progress_is_unknown_without_all_three_numbers(
    baseline: float | None, target: float | None, current: float | None
) -> None:
    assert Measure(name="m", baseline=baseline, target=target, current=current).progress is None


def test_progress_follows_recorded_values() -> None:
    m = Measure(name="m", baseline=0.0, target=10.0)
    assert m.progress is None
    m.record(4.0, T0, "", None)
    assert m.progress == pytest.approx(0.4)


def test_add_measure_sets_positions_and_lookup_finds_it() -> None:
    p = purpose()
    churn, nps = Measure(name="churn"), Measure(name="nps")
    p.add_measure(churn)
    p.add_measure(nps)
    assert [m.position for m in p.measures] == [0, 1]
    assert p.measure("nps") is nps
    with pytest.raises(NotFound) as missing:
        p.measure("revenue")
    assert missing.value.rule == "measure.not_found"


def test_add_measure_refuses_a_duplicate_name() -> None:
    p = purpose()
    p.add_measure(Measure(name="churn"))
    with pytest.raises(RuleBroken) as refused:
        p.add_measure(Measure(name="churn", target=1.0))
    assert refused.value.rule == "measure.exists"
    assert len(p.measures) == 1


@pytest.mark.parametrize("field", ["baseline", "target", "current"])
@pytest.mark.parametrize("value", [math.nan, math.inf])
def test_add_measure_refuses_non_finite_numbers(field: str, value: float) -> None:
    p = purpose()
    with pytest.raises(Invalid) as refused:
        p.add_measure(Measure(name="churn", **{field: value}))  # type: ignore[arg-type]
    assert refused.value.rule == "number.invalid"
    assert field in refused.value.message
    assert p.measures == []


def test_set_parent_builds_a_tree() -> None:
    root, child, grandchild = purpose("root"), purpose("child"), purpose("grandchild")
    child.set_parent(root)
    grandchild.set_parent(child)
    assert grandchild.parent is child
    assert child.parent is root
    grandchild.set_parent(None)
    assert grandchild.parent is None


def test_a_purpose_cannot_be_its_own_parent() -> None:
    p = purpose()
    with pytest.raises(RuleBroken) as refused:
        p.set_parent(p)
    assert refused.value.rule == "purpose.parent_cycle"
    assert p.parent is None


@pytest.mark.parametrize("depth", [1, 2, 5])
def test_parent_cycles_are_refused(depth: int) -> None:
    chain = [purpose(f"p-{i}") for i in range(depth + 1)]
    for child, parent in zip(chain[1:], chain, strict=False):
        child.set_parent(parent)
    root, leaf = chain[0], chain[-1]
    with pytest.raises(RuleBroken) as refused:
        root.set_parent(leaf)
    assert refused.value.rule == "purpose.parent_cycle"
    assert root.parent is None


def test_moving_a_subtree_elsewhere_is_allowed() -> None:
    a, b, c = purpose("a"), purpose("b"), purpose("c")
    b.set_parent(a)
    c.set_parent(b)
    b.set_parent(None)
    a.set_parent(c)
    assert a.parent is c
