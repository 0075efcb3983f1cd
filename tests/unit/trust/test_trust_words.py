"""Trust in words (DESIGN §2): intervals, the threshold of enough evidence, counts and their
plural forms, and the causes of a pair's flags."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from accord.trust.model import Opinion, Weights, combine, pair_flags
from accord.trust.words import (
    FlagCause,
    counts,
    credible_interval,
    decay_shows,
    describe,
    describe_overall,
    enough_evidence,
    flag_causes,
    flag_words,
    method_words,
    overall_interval,
)


def pair(r: float, s: float, base_rate: float = 0.5) -> Opinion:
    return Opinion(r, s, 8.0, base_rate)


@pytest.mark.parametrize(
    ("r", "s", "weight", "base_rate"),
    [(0.0, 0.0, 8.0, 0.5), (7.0, 2.0, 8.0, 0.7), (0.5, 1.0, 8.0, 0.428571), (30, 1, 2, 0.9)],
)
def test_the_interval_is_the_10th_and_90th_percentile_of_the_beta(
    r: float, s: float, weight: float, base_rate: float
) -> None:
    opinion = Opinion(r, s, weight, base_rate)

    low, high = credible_interval(opinion)

    alpha, beta = r + weight * base_rate, s + weight * (1 - base_rate)
    assert low == pytest.approx(stats.beta.ppf(0.1, alpha, beta), abs=1e-9)
    assert high == pytest.approx(stats.beta.ppf(0.9, alpha, beta), abs=1e-9)


@given(
    st.floats(0, 200),
    st.floats(0, 200),
    st.floats(0.5, 10),
    st.floats(0.01, 0.99),
)
def test_the_interval_lies_within_zero_and_one(
    r: float, s: float, weight: float, base_rate: float
) -> None:
    low, high = credible_interval(Opinion(r, s, weight, base_rate))
    assert 0.0 <= low <= high <= 1.0


def test_the_interval_narrows_as_evidence_comes_in() -> None:
    widths = [credible_interval(pair(3 * n, n)) for n in (0, 1, 4, 16, 64)]
    spans = [high - low for low, high in widths]
    assert spans == sorted(spans, reverse=True)
    assert all(low < 0.75 < high for low, high in widths[1:])


def test_the_worked_example_pair_reads_as_too_little_evidence() -> None:
    """DESIGN §2: the pair E = 0.413534 rests on r = 0.5, s = 1: no figure, its interval."""
    opinion = Opinion(0.5, 1.0, 8.0, 1.5 / 3.5)

    figure = describe("ability", opinion)

    assert not figure.enough_evidence
    assert figure.headline.startswith("too little evidence to judge (between ")
    assert "41%" not in figure.words
    low, high = credible_interval(opinion)
    assert f"between {low * 100:.0f}% and {high * 100:.0f}%" in figure.headline


@pytest.mark.parametrize(
    ("r", "s", "enough"),
    [(0, 0, False), (2.99, 0, False), (1.5, 1.49, False), (3, 0, True), (1.5, 1.5, True)],
)
def test_enough_evidence_from_r_plus_s_of_three(r: float, s: float, enough: bool) -> None:
    opinion = pair(r, s)
    assert enough_evidence(opinion) is enough
    assert describe("ability", opinion).enough_evidence is enough


def test_with_enough_evidence_the_figure_comes_with_its_interval() -> None:
    figure = describe("ability", pair(7, 2))

    assert figure.enough_evidence
    low, high = figure.interval
    assert figure.headline == (
        f"{figure.expected * 100:.0f}%, likely between {low * 100:.0f}% and {high * 100:.0f}%"
    )
    assert figure.words == f"{figure.headline}: on time in 7 of 9 commitments"


@pytest.mark.parametrize(
    ("dimension", "r", "s", "words"),
    [
        ("ability", 7, 2, "on time in 7 of 9 commitments"),
        ("ability", 1, 0, "on time in 1 of 1 commitment"),
        ("ability", 0, 1, "on time in 0 of 1 commitment"),
        ("ability", 0, 0, "no finished commitment yet"),
        ("integrity", 5, 1, "kept its word in 5 of 6 commitments"),
        ("integrity", 1, 0, "kept its word in 1 of 1 commitment"),
        ("integrity", 0, 0, "no finished commitment yet"),
        ("value", 3.0, 1.0, "rated 4 of 5 on average across 4 ratings"),
        ("value", 0.75, 0.25, "rated 4 of 5 in 1 rating"),
        ("value", 2.4, 0.6, "rated 4.2 of 5 on average across 3 ratings"),
        ("value", 0, 0, "no rating yet"),
    ],
)
def test_counts_in_words_singular_and_plural(
    dimension: str, r: float, s: float, words: str
) -> None:
    assert counts(dimension, pair(r, s)) == words


def test_decayed_counts_are_rounded_and_say_recent_ones_weigh_most() -> None:
    # 9 commitments, the older ones decayed: r = 6.6, s = 1.7
    assert counts("ability", pair(6.6, 1.7)) == (
        "on time in 7 of 9 commitments, recent ones weighing most"
    )
    assert counts("ability", pair(7.0, 2.0)) == "on time in 7 of 9 commitments"
    # r and s are rounded each on its own: a late one does not vanish into the on-time ones
    assert counts("ability", pair(1.58, 0.78)) == (
        "on time in 2 of 3 commitments, recent ones weighing most"
    )


def test_with_the_commitments_behind_them_the_counts_are_theirs() -> None:
    # the pair page knows them: 9 commitments, 6 on time, weighing r = 5.1, s = 2.3 today
    assert counts("ability", pair(5.1, 2.3), count=9, positive=6) == (
        "on time in 6 of 9 commitments, recent ones weighing most"
    )
    assert counts("integrity", pair(6.98, 2.0), count=9, positive=7) == (
        "kept its word in 7 of 9 commitments"
    )
    assert counts("value", pair(0.5, 0.5), count=2) == (
        "rated 3 of 5 on average across 2 ratings, recent ones weighing most"
    )
    assert counts("ability", pair(0, 0), count=0) == "no finished commitment yet"
    assert counts("value", pair(0, 0), count=0) == "no rating yet"
    figure = describe("ability", pair(5.1, 2.3), count=9, positive=6)
    assert figure.counts == "on time in 6 of 9 commitments, recent ones weighing most"


def test_faded_evidence_still_counts_one_and_never_more_on_time_than_in_all() -> None:
    assert counts("ability", pair(0.3, 0.1)) == (
        "on time in 1 of 1 commitment, recent ones weighing most"
    )
    assert counts("ability", pair(0.1, 0.3)) == (
        "on time in 0 of 1 commitment, recent ones weighing most"
    )
    assert counts("ability", pair(1.4, 0.05)) == (
        "on time in 1 of 1 commitment, recent ones weighing most"
    )
    assert counts("ability", pair(2.9, 0.2), count=3) == "on time in 3 of 3 commitments"


@pytest.mark.parametrize(
    ("total", "count", "shows"),
    [
        (9.0, None, False),
        (8.3, None, True),
        (9.0, 9, False),
        (8.6, 9, False),
        (8.4, 9, True),
        (0.0, None, False),
    ],
)
def test_when_decay_shows(total: float, count: int | None, shows: bool) -> None:
    assert decay_shows(total, count) is shows


def test_overall_interval_is_the_weighted_mean_of_the_dimensions_bounds() -> None:
    opinions = {
        "ability": pair(7, 2),
        "integrity": pair(8, 1),
        "value": pair(3, 1, 0.7),
    }
    trust = combine(opinions, Weights())
    weights = Weights().normalized()

    low, high = overall_interval(trust, weights)

    bounds = [credible_interval(opinions[d]) for d in ("ability", "integrity", "value")]
    assert low == pytest.approx(sum(w * b[0] for w, b in zip(weights, bounds, strict=True)))
    assert high == pytest.approx(sum(w * b[1] for w, b in zip(weights, bounds, strict=True)))
    assert low < trust.overall_expected < high
    figure = describe_overall(trust, weights)
    assert figure.enough_evidence
    assert figure.counts == "from 9 finished commitments"


def test_overall_is_thin_while_ability_is() -> None:
    trust = combine(
        {"ability": pair(1, 0), "integrity": pair(1, 0), "value": pair(1, 0)}, Weights()
    )

    figure = describe_overall(trust, Weights().normalized())

    assert not figure.enough_evidence
    assert figure.words.startswith("too little evidence to judge (between ")
    assert figure.counts == "from 1 finished commitment"


def test_overall_without_evidence() -> None:
    trust = combine({d: pair(0, 0) for d in ("ability", "integrity", "value")}, Weights())
    assert describe_overall(trust, Weights().normalized()).counts == "no finished commitment yet"


def causes(given: float, ability: Opinion) -> set[str]:
    return {cause.cause for cause in flag_causes(given, ability)}


def test_over_reliant_on_a_thin_record_names_little_evidence() -> None:
    ability = pair(2, 0, 0.9)  # E = (2 + 8 * 0.9) / 10 = 0.92, but u = 8 / 10 = 0.8
    assert ability.expected >= 0.6
    assert ability.uncertainty > 0.5

    found = flag_causes(1.0, ability)

    assert [(c.flag, c.cause) for c in found] == [("over_reliant", "little_evidence")]
    assert found[0].words == "relied on critically, but its record is thin (uncertainty 80%)"


def test_over_reliant_on_a_poor_record_names_the_poor_record() -> None:
    ability = pair(4, 8)  # E = 8/20 = 0.4, u = 0.4
    assert ability.uncertainty <= 0.5

    found = flag_causes(0.75, ability)

    assert [(c.flag, c.cause) for c in found] == [("over_reliant", "poor_record")]
    assert found[0].words == "relied on heavily, but its record is poor (ability 40%)"


def test_over_reliant_on_a_thin_and_poor_record_names_both() -> None:
    ability = pair(0.5, 1.0, 0.428571)  # the worked example: E = 0.41, u = 0.84

    found = flag_causes(1.0, ability)

    assert [(c.flag, c.cause) for c in found] == [
        ("over_reliant", "poor_record"),
        ("over_reliant", "little_evidence"),
    ]
    low, high = credible_interval(ability)
    assert found[0].words == (
        "relied on critically, but its record so far is poor "
        f"(likely between {low * 100:.0f}% and {high * 100:.0f}% on time)"
    )
    assert "uncertainty 84%" in found[1].words
    assert flag_words(found)["over_reliant"] == f"{found[0].words}; {found[1].words}"


def test_over_reliant_on_a_partner_without_any_record_says_so() -> None:
    ability = pair(0, 0)  # E = the base rate, 0.5

    found = flag_causes(0.75, ability)

    low, high = credible_interval(ability)
    assert [(c.cause, c.words) for c in found] == [
        (
            "poor_record",
            "relied on heavily, with nothing yet to show it delivers "
            f"(likely between {low * 100:.0f}% and {high * 100:.0f}% on time)",
        ),
        (
            "little_evidence",
            "relied on heavily, but its record is thin (uncertainty 100%)",
        ),
    ]


def test_under_used_names_a_proven_partner_nobody_relies_on() -> None:
    ability = pair(30, 1)  # E = 34/39 = 0.87, u = 0.21

    found = flag_causes(0.0, ability)

    assert found == [
        FlagCause(
            "under_used",
            "proven_unused",
            "a proven partner (ability 87%, uncertainty 21%) that nothing open relies on",
        )
    ]
    assert found[0].document() == {
        "flag": "under_used",
        "cause": "proven_unused",
        "words": found[0].words,
    }


def test_no_flag_no_cause() -> None:
    assert flag_causes(0.5, pair(0.5, 1.0)) == []
    assert flag_causes(0.0, pair(2, 0)) == []
    assert flag_causes(1.0, pair(30, 1)) == []


@given(
    st.sampled_from([0.0, 0.25, 0.5, 0.75, 1.0]),
    st.floats(0, 60),
    st.floats(0, 60),
    st.floats(0.01, 0.99),
)
def test_the_causes_give_exactly_the_flags_of_the_model(
    given_weight: float, r: float, s: float, base_rate: float
) -> None:
    ability = pair(r, s, base_rate)
    flags = pair_flags(given_weight, ability)
    found = flag_causes(given_weight, ability)
    assert sorted({cause.flag for cause in found}) == flags
    if "over_reliant" in flags:
        assert causes(given_weight, ability) == {
            name
            for name, holds in (
                ("poor_record", ability.expected < 0.6),
                ("little_evidence", ability.uncertainty > 0.5),
            )
            if holds
        }


def test_the_forecast_method_in_words() -> None:
    assert method_words("model") == "fitted on this organization's history"
    assert method_words("pair_ability") == (
        "from the pair's record: too little history to fit a model"
    )
    assert method_words(None) == method_words("pair_ability")
