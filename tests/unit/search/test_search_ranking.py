"""The words a search reads and the rank of a hit, without a database."""

from __future__ import annotations

import pytest

from accord.search.domain import rank_of, same_word, search_words


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("Billing data feed", ["billing", "data", "feed"]),
        ('"billing" -feed title:data', ["billing", "feed", "title", "data"]),
        ("NEAR(a b) OR c*", ["near", "a", "b", "or", "c"]),
        ("'; DROP TABLE x; --", ["drop", "table", "x"]),
        ("ünï_cödé", ["ünï", "cödé"]),
        ("* : - ( ) ^ \\ %", []),
    ],
)
def test_search_syntax_is_only_word_breaks(query: str, words: list[str]) -> None:
    assert search_words(query) == words


def test_a_search_reads_at_most_sixteen_words() -> None:
    assert len(search_words(" ".join(f"w{n}" for n in range(40)))) == 16


@pytest.mark.parametrize(
    ("typed", "word", "same"),
    [
        ("bill", "billing", True),  # the start of a word
        ("shared", "sharing", True),  # two forms of one word
        ("dashboards", "dashboard", True),
        ("data", "dashboard", False),
        ("feed", "fee", False),
    ],
)
def test_same_word(typed: str, word: str, same: bool) -> None:
    assert same_word(typed, word) is same


def test_a_title_holding_every_word_ranks_first_and_the_shortest_before_the_longest() -> None:
    words = search_words("billing data feed")

    exact = rank_of(words, "Billing data feed")
    longer = rank_of(words, "Billing data feed for every region of Europe")
    partial = rank_of(words, "Data feed")
    elsewhere = rank_of(words, "Churn dashboard")

    assert exact > longer > partial > elsewhere == 0.0
