"""The commitments list's CSV cells and its query string, without a server."""

from __future__ import annotations

from urllib.parse import parse_qs

import pytest

from accord.web.routes.commitment_list import csv_cell, query_filters


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+31 6 1234", "'+31 6 1234"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Billing data feed", "Billing data feed"),
        ("a=b", "a=b"),
        (None, ""),
        (4, "4"),
    ],
)
def test_a_cell_that_a_spreadsheet_would_run_starts_with_a_quote(value, cell):
    assert csv_cell(value) == cell


def test_the_query_string_keeps_every_filter_and_drops_the_defaults():
    filters = query_filters(
        team=" data ", side="performer", purpose="churn", state=["promised", "", "delivered"],
        due_from="2026-12-01", overdue="1", sort="title", order="desc", page="3", size="25",
    )  # fmt: skip

    assert parse_qs(filters.query()) == {
        "team": ["data"],
        "side": ["performer"],
        "purpose": ["churn"],
        "state": ["promised", "delivered"],
        "due_from": ["2026-12-01"],
        "overdue": ["1"],
        "sort": ["title"],
        "order": ["desc"],
        "page": ["3"],
        "size": ["25"],
    }
    assert "page" not in parse_qs(filters.query(page=1))
    odd = query_filters(page="x", size="7")
    assert (odd.page, odd.size, odd.sort, odd.query()) == (1, 50, "due", "sort=due")
