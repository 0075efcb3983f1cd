"""DESIGN §2's math: the worked example, the test vectors, and properties of opinions."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from accord.trust.model import (
    Evidence,
    Opinion,
    PairGroup,
    Weights,
    beta_all_success,
    calibration,
    decay_weight,
    eigentrust,
    organization_rate,
    outlook,
    overall_span,
    pair_flags,
    pair_trust,
    scale_to,
    scaled_weight,
    team_trust,
)

# A→B 4, A→C 1, B→A 3, B→C -2 (clipped to 0), C→A 2, C→B 2
ROWS = [0, 0, 1, 1, 2, 2]
COLS = [1, 2, 0, 2, 0, 1]
LOCAL = [4.0, 1.0, 3.0, -2.0, 2.0, 2.0]


def test_eigentrust_vector_of_three_teams() -> None:
    assert eigentrust(3, ROWS, COLS, LOCAL) == pytest.approx(
        [1.371440, 1.245416, 0.383145], abs=1e-6
    )


def test_eigentrust_vector_with_a_team_nobody_trusts_and_that_trusts_nobody() -> None:
    assert eigentrust(4, ROWS, COLS, LOCAL) == pytest.approx(
        [1.741511, 1.581480, 0.486533, 0.190476], abs=1e-6
    )


def test_eigentrust_without_any_evidence_is_average_for_everyone() -> None:
    assert eigentrust(5, [], [], []) == pytest.approx([1.0] * 5)


@given(
    st.integers(min_value=1, max_value=12).flatmap(
        lambda n: st.tuples(
            st.just(n),
            st.lists(
                st.tuples(
                    st.integers(0, n - 1),
                    st.integers(0, n - 1),
                    st.floats(-10, 10, allow_nan=False),
                ),
                max_size=40,
            ),
        )
    )
)
def test_network_values_sum_to_the_number_of_teams(
    case: tuple[int, list[tuple[int, int, float]]],
) -> None:
    n, edges = case
    edges = [(i, j, v) for i, j, v in edges if i != j]
    values = eigentrust(n, [e[0] for e in edges], [e[1] for e in edges], [e[2] for e in edges])
    assert float(values.sum()) == pytest.approx(n, rel=1e-9)
    assert (values >= 0).all()


def test_beta_moments_vector_shared_success_rate() -> None:
    assert beta_all_success(9, 3, 2) == pytest.approx(90 / 156)
    assert round(beta_all_success(9, 3, 2), 6) == 0.576923
    assert beta_all_success(9, 3, 2) != pytest.approx(0.75**2)


def test_worked_example_team_trust_at_the_instant_asked() -> None:
    # one accepted on time with value 5, one missed without notice, both at T
    team = Evidence(ability_r=1, ability_s=1, integrity_r=1, integrity_s=1, value_r=1, value_s=0)
    trust = team_trust(team, team, 2.0, Weights())
    assert organization_rate(1, 1) == 0.5
    assert trust.ability.expected == pytest.approx(0.5)
    assert trust.ability.uncertainty == pytest.approx(0.5)
    assert trust.integrity.expected == pytest.approx(0.5)
    assert trust.value.base_rate == pytest.approx(2 / 3)
    assert trust.value.expected == pytest.approx(0.777778, abs=1e-6)
    assert trust.value.uncertainty == pytest.approx(0.666667, abs=1e-6)
    assert trust.overall_expected == pytest.approx(0.583333, abs=1e-6)
    assert trust.overall_uncertainty == pytest.approx(0.55)


def test_worked_example_when_the_success_is_180_days_old() -> None:
    half = decay_weight(180, 180)
    assert half == 0.5
    team = Evidence(half, 1, half, 1, half, 0)
    trust = team_trust(team, team, 2.0, Weights())
    assert trust.ability.base_rate == pytest.approx(0.428571, abs=1e-6)
    assert trust.ability.expected == pytest.approx(0.387755, abs=1e-6)
    # every commitment of P is R's, so P's evidence without R's is empty: the base rate is a_org
    pair = pair_trust(team, team, team, Weights(), team_prior_weight=2.0, pair_prior_weight=8.0)
    assert pair.ability.base_rate == pytest.approx(0.428571, abs=1e-6)
    assert pair.ability.expected == pytest.approx(0.413534, abs=1e-6)
    assert pair.ability.uncertainty == pytest.approx(0.842105, abs=1e-6)


def test_the_pair_prior_leaves_out_the_pairs_own_record() -> None:
    """A pair's failures count once: in its own evidence, not again through the team's rate."""
    pair = Evidence(0, 10, 0, 10, 0, 10)
    others = Evidence(30, 0, 30, 0, 30, 0)
    org = pair + others
    trust = pair_trust(pair, org, org, Weights(), team_prior_weight=2, pair_prior_weight=8)
    without_pair = team_trust(others, org, 2, Weights())
    assert trust.ability.base_rate == pytest.approx(without_pair.ability.expected)
    assert trust.ability.base_rate == pytest.approx((30 + 2 * organization_rate(30, 10)) / 32)
    # another requester of P sees the pair's failures in P's team rate instead
    stranger = pair_trust(Evidence(), org, org, Weights(), team_prior_weight=2, pair_prior_weight=8)
    assert stranger.ability.expected < without_pair.ability.expected


def test_overall_weights_are_normalized() -> None:
    opinion = Opinion(3, 1, 2, 0.5)
    evidence = Evidence(3, 1, 3, 1, 3, 1)
    doubled = team_trust(evidence, evidence, 2, Weights(0.8, 0.6, 0.6))
    plain = team_trust(evidence, evidence, 2, Weights())
    assert doubled.overall_expected == pytest.approx(plain.overall_expected)
    assert opinion.expected == pytest.approx((3 + 1) / 6)
    with pytest.raises(ValueError, match="must not all be zero"):
        Weights(0, 0, 0).normalized()


def test_overall_trust_lies_between_belief_and_belief_plus_uncertainty() -> None:
    evidence = Evidence(3, 1, 2, 2, 1, 0)
    trust = team_trust(evidence, Evidence(30, 10, 30, 10, 30, 10), 2, Weights())
    low, high = overall_span(trust, Weights(0.8, 0.6, 0.6))  # the same weights, not normalized
    belief = 0.4 * trust.ability.belief + 0.3 * trust.integrity.belief + 0.3 * trust.value.belief
    assert low == pytest.approx(belief)
    assert high == pytest.approx(belief + trust.overall_uncertainty)
    assert low <= trust.overall_expected <= high


evidence_amounts = st.floats(min_value=0, max_value=1e6, allow_nan=False)
prior_weights = st.floats(min_value=1e-3, max_value=100, allow_nan=False)
base_rates = st.floats(min_value=0, max_value=1, allow_nan=False)


@given(evidence_amounts, evidence_amounts, prior_weights, base_rates)
def test_opinion_is_a_probability_split(r: float, s: float, w: float, a: float) -> None:
    opinion = Opinion(r, s, w, a)
    for value in (opinion.belief, opinion.disbelief, opinion.uncertainty, opinion.expected):
        assert 0.0 <= value <= 1.0 + 1e-12
    assert opinion.belief + opinion.disbelief + opinion.uncertainty == pytest.approx(1.0)


@given(evidence_amounts, evidence_amounts, evidence_amounts, prior_weights, base_rates)
def test_more_positive_evidence_never_lowers_expected_trust(
    r: float, s: float, more: float, w: float, a: float
) -> None:
    assert Opinion(r + more, s, w, a).expected >= Opinion(r, s, w, a).expected - 1e-12


@given(
    st.lists(st.floats(0, 50, allow_nan=False), min_size=6, max_size=6),
    st.lists(st.floats(0, 50, allow_nan=False), min_size=6, max_size=6),
    st.floats(0, 20, allow_nan=False),
)
def test_more_positive_evidence_never_lowers_pair_trust_through_all_levels(
    pair_values: list[float], others: list[float], more: float
) -> None:
    """A success of the pair also counts for the team and the organization."""
    pair = Evidence(*pair_values)
    team = pair + Evidence(*others)
    extra = Evidence(ability_r=more, integrity_r=more, value_r=more)
    priors = {"team_prior_weight": 2.0, "pair_prior_weight": 8.0}
    before = pair_trust(pair, team, team, Weights(), **priors)
    after_team = team + extra
    after = pair_trust(pair + extra, after_team, after_team, Weights(), **priors)
    for name in ("ability", "integrity", "value"):
        assert after.dimension(name).expected >= before.dimension(name).expected - 1e-12


def test_flags_of_a_pair() -> None:
    unproven = Opinion(0, 0, 8, 0.9)  # E 0.9 but u = 1
    proven = Opinion(40, 2, 8, 0.7)
    assert pair_flags(1.0, unproven) == ["over_reliant"]
    assert pair_flags(0.75, Opinion(2, 10, 8, 0.5)) == ["over_reliant"]
    assert pair_flags(0.5, unproven) == []
    assert pair_flags(0.0, proven) == ["under_used"]
    assert pair_flags(0.25, proven) == []


def test_outlook_is_exact_for_all_and_sampled_for_the_count() -> None:
    groups = [PairGroup(9, 3, 2), PairGroup(4, 1, 1)]
    result = outlook(groups, draws=20_000, seed=3)
    assert result.probability_all == pytest.approx(90 / 156 * 4 / 5)
    assert result.expected_count == pytest.approx(2 * 0.75 + 0.8)
    assert len(result.distribution) == 4
    assert sum(result.distribution) == pytest.approx(1.0)
    sampled_mean = sum(i * p for i, p in enumerate(result.distribution))
    assert sampled_mean == pytest.approx(result.expected_count, abs=0.03)
    assert result.distribution[3] == pytest.approx(result.probability_all, abs=0.02)
    assert outlook(groups, draws=20_000, seed=3) == result
    assert outlook(groups, draws=20_000, seed=4).distribution != result.distribution


def test_outlook_of_nothing_is_certain() -> None:
    result = outlook([], draws=100)
    assert result.probability_all == 1.0
    assert result.distribution == [1.0]


def test_calibration_scores_and_bins() -> None:
    forecasts = [0.05, 0.15, 0.8, 0.85, 1.0]
    base = [0.5, 0.5, 0.5, 0.6, 0.6]
    outcomes = [0, 1, 1, 1, 0]
    result = calibration(forecasts, base, outcomes)
    brier = (0.05**2 + 0.85**2 + 0.2**2 + 0.15**2 + 1.0) / 5
    brier_base = (0.25 + 0.25 + 0.25 + 0.16 + 0.36) / 5
    assert result.n == 5
    assert result.brier == pytest.approx(brier)
    assert result.brier_base == pytest.approx(brier_base)
    assert result.skill == pytest.approx(1 - brier / brier_base)
    assert [b.n for b in result.bins] == [1, 1, 0, 0, 0, 0, 0, 0, 2, 1]
    assert result.bins[8].mean_forecast == pytest.approx(0.825)
    assert result.bins[8].observed == 1.0
    assert result.bins[9].lo == 0.9
    assert result.bins[9].observed == 0.0
    assert result.bins[2].mean_forecast is None


def test_calibration_of_nothing() -> None:
    result = calibration([], [], [])
    assert (result.n, result.brier, result.skill) == (0, None, None)
    assert len(result.bins) == 10
    assert math.isclose(result.bins[-1].hi, 1.0)
    assert np.allclose([b.lo for b in result.bins], np.arange(10) / 10)


def test_decay_weights_stay_numbers_however_far_the_date() -> None:
    """With a half-life of a day, a date 170 years on is 2 ** 62,000: held at 2 ** 1000, never
    an overflow; and as far back, 2 ** -1000."""
    reference = datetime(2026, 1, 1, tzinfo=UTC)
    far = datetime(2196, 1, 1, tzinfo=UTC)
    assert scaled_weight(far, reference, 1.0) == 2.0**1000
    assert scale_to(far, reference, 1.0) == 2.0**-1000
    assert scaled_weight(datetime(1900, 1, 1, tzinfo=UTC), reference, 1.0) == 2.0**-1000
    assert scaled_weight(reference + timedelta(days=180), reference, 180.0) == 2.0
