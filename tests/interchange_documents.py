"""The DESIGN.md §5 example document, completed with the teams and people it names."""

from __future__ import annotations

import copy
from typing import Any

_EXAMPLE: dict[str, Any] = {
    "format": "accord/1",
    "teams": [
        {
            "slug": "data-platform",
            "name": "Data Platform",
            "kind": "shared_service",
            "parent": None,
            "mission": "Trustworthy data for every decision",
        },
        {
            "slug": "customer-success",
            "name": "Customer Success",
            "kind": "team",
            "parent": None,
            "mission": "Customers who get value early stay and grow",
        },
    ],
    "people": [
        {
            "email": "ana@example.org",
            "name": "Ana Lima",
            "role": "member",
            "memberships": [{"team": "data-platform", "role": "lead"}],
        },
        {
            "email": "bo@example.org",
            "name": "Bo Berg",
            "role": "member",
            "memberships": [{"team": "customer-success", "role": "lead"}],
        },
        {"email": "ceo@example.org", "name": "Cleo Ortiz", "role": "admin", "memberships": []},
    ],
    "purposes": [
        {
            "key": "churn",
            "title": "Halve customer churn",
            "statement": "…",
            "status": "active",
            "sponsor": "ceo@example.org",
            "target_date": "2027-06-30",
            "parent": None,
            "measures": [
                {
                    "name": "Monthly churn",
                    "unit": "%",
                    "baseline": 4.0,
                    "target": 2.0,
                    "current": 3.1,
                }
            ],
        },
    ],
    "partnerships": [
        {
            "key": "churn-signals",
            "name": "Churn signals",
            "purpose": "churn",
            "working_agreements": ["Say early when a date slips"],
            "review_every_days": 30,
            "parties": [
                {
                    "team": "data-platform",
                    "contribution": "Customer health data",
                    "affirmed_by": "ana@example.org",
                    "affirmed_at": "2026-01-05T10:00:00Z",
                },
                {
                    "team": "customer-success",
                    "contribution": "Save playbooks",
                    "affirmed_by": "bo@example.org",
                    "affirmed_at": "2026-01-06T10:00:00Z",
                },
            ],
        },
    ],
    "commitments": [
        {
            "key": "c-1",
            "partnership": "churn-signals",
            "requester": "customer-success",
            "performer": "data-platform",
            "history": [
                {
                    "move": "request",
                    "by": "bo@example.org",
                    "at": "2026-01-10T09:00:00Z",
                    "title": "Daily churn-risk score per account",
                    "conditions_of_satisfaction": "In the CRM by 08:00 every day",
                    "due": "2026-03-01T00:00:00Z",
                    "reliance": "high",
                },
                {"move": "promise", "by": "ana@example.org", "at": "2026-01-11T09:00:00Z"},
                {
                    "move": "propose_change",
                    "by": "ana@example.org",
                    "at": "2026-02-20T09:00:00Z",
                    "due": "2026-03-15T00:00:00Z",
                },
                {"move": "accept_change", "by": "bo@example.org", "at": "2026-02-21T09:00:00Z"},
                {
                    "move": "report_done",
                    "by": "ana@example.org",
                    "at": "2026-03-14T09:00:00Z",
                    "note": "Live",
                },
                {
                    "move": "accept",
                    "by": "bo@example.org",
                    "at": "2026-03-16T09:00:00Z",
                    "value": 5,
                    "note": "Saved 12 accounts in the first week",
                },
            ],
        },
    ],
}


def example() -> dict[str, Any]:
    """A fresh copy of the example, free to change."""
    return copy.deepcopy(_EXAMPLE)


def with_commitments(count: int, prefix: str = "bulk") -> dict[str, Any]:
    """The example with `count` more commitments like its first, `prefix`-0 … each titled by
    its number."""
    document = example()
    first = document["commitments"][0]
    for number in range(count):
        item = copy.deepcopy(first)
        item["key"] = f"{prefix}-{number}"
        item["history"][0]["title"] = f"Quarterly zebra report {number}"
        document["commitments"].append(item)
    return document


def unrelated() -> dict[str, Any]:
    """A small document that shares nothing with the example: what a database held before."""
    return {
        "format": "accord/1",
        "teams": [{"slug": "legal", "name": "Legal", "kind": "shared_service"}],
        "people": [
            {
                "email": "lee@example.org",
                "name": "Lee Park",
                "memberships": [{"team": "legal", "role": "lead"}],
            }
        ],
    }
