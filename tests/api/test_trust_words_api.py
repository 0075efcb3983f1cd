"""Trust in words through the REST API: the added fields of the trust document, and a pair's
evidence, commitment by commitment, with the weight each carries today."""

from __future__ import annotations

from datetime import timedelta

import pytest
from api_org import Org

from accord.commitments import service as commitments
from accord.org import service as org
from accord.trust.words import credible_interval
from factories import make_commitment

EVIDENCE = "/api/v1/teams/data/trust/evidence"


def deliver(api: Org, key: str, *, late: bool = False, value: int = 5) -> None:
    """Care asks data; data promises, delivers (on time, or after the due date); care accepts."""
    uow = api.uow()
    ana = org.get_person(uow, "ana@example.org")
    bo = org.get_person(uow, "bo@example.org")
    due = api.clock() + timedelta(days=1 if late else 10)
    make_commitment(uow, "signals", bo, "care", "data", key=key, due=due, reliance="low")
    commitments.move(uow, ana, key, "promise", version=1)
    api.clock.advance(days=2)  # type: ignore[attr-defined]
    commitments.move(uow, ana, key, "report_done", version=2)
    commitments.move(uow, bo, key, "accept", version=3, value=value)
    api.clock.advance(days=30)  # type: ignore[attr-defined]


def test_the_trust_document_adds_the_figures_in_words(api: Org) -> None:
    deliver(api, "c-1")
    with api.client("lead") as http:
        team = http.get("/api/v1/teams/data/trust").json()
        pair = http.get("/api/v1/teams/data/trust", params={"of": "care"}).json()

    for document in (team, pair):
        for name in ("ability", "integrity", "value"):
            figure = document[name]
            assert {"interval", "enough_evidence", "words"} <= set(figure)
            assert figure["enough_evidence"] is (figure["r"] + figure["s"] >= 3)
            low, high = figure["interval"]
            assert low <= figure["expected"] <= high
            assert figure["words"].startswith("too little evidence to judge (between ")
        assert {"interval", "enough_evidence", "words"} <= set(document["overall"])
    # a month old, the one commitment weighs 0.89 today
    assert pair["ability"]["words"].endswith(
        ": on time in 1 of 1 commitment, recent ones weighing most"
    )
    assert pair["value"]["words"].endswith(": rated 5 of 5 in 1 rating, recent ones weighing most")
    assert "flag_causes" not in team
    assert pair["flags"] == []
    assert pair["flag_causes"] == []


def test_an_over_reliant_pair_names_its_cause(api: Org) -> None:
    uow = api.uow()
    bo = org.get_person(uow, "bo@example.org")
    make_commitment(uow, "signals", bo, "care", "data", key="bet", reliance="critical")
    with api.client("requester_member") as http:
        pair = http.get("/api/v1/teams/data/trust", params={"of": "care"}).json()

    assert pair["flags"] == ["over_reliant"]  # still a list of strings
    # no record yet: the organization's rate, 50%, is all there is (both causes hold)
    assert [(c["flag"], c["cause"]) for c in pair["flag_causes"]] == [
        ("over_reliant", "poor_record"),
        ("over_reliant", "little_evidence"),
    ]
    assert pair["flag_causes"][0]["words"].startswith(
        "relied on critically, with nothing yet to show it delivers (likely between "
    )
    assert pair["flag_causes"][1]["words"] == (
        "relied on critically, but its record is thin (uncertainty 100%)"
    )


def test_a_pair_evidence_page_by_page_adds_up_to_its_trust(api: Org) -> None:
    deliver(api, "c-1")
    deliver(api, "c-2", late=True, value=2)
    deliver(api, "c-3", value=4)
    api.renew_tokens()  # the clock ran 96 days on
    with api.client("member") as http:
        first = http.get(EVIDENCE, params={"of": "care", "limit": 2})
        second = http.get(
            EVIDENCE, params={"of": "care", "limit": 2, "cursor": first.json()["next"]}
        )

    assert first.status_code == 200
    page = first.json()
    assert (page["team"], page["of"], page["count"]) == ("data", "care", 3)
    assert [item["key"] for item in page["items"]] == ["c-3", "c-2"]
    assert page["next"]
    rest = second.json()
    assert [item["key"] for item in rest["items"]] == ["c-1"]
    assert rest["next"] is None
    items = page["items"] + rest["items"]
    late = items[1]
    assert late["outcome"] == "late"
    assert late["rating"] == 2
    assert late["ability"] == {"r": 0.0, "s": late["weight"]}
    assert late["value"] == pytest.approx({"r": 0.25 * late["weight"], "s": 0.75 * late["weight"]})
    trust = page["trust"]
    assert trust["of"] == "care"
    for name in ("ability", "integrity", "value"):
        r = sum(item[name]["r"] for item in items if item[name] is not None)
        s = sum(item[name]["s"] for item in items if item[name] is not None)
        assert (r, s) == pytest.approx((trust[name]["r"], trust[name]["s"]), rel=1e-9)
        assert page["sums"][name] == pytest.approx({"r": r, "s": s}, rel=1e-9)
    assert sum(item["weight"] for item in items) == pytest.approx(
        trust["ability"]["r"] + trust["ability"]["s"], rel=1e-9
    )
    ability = trust["ability"]
    assert ability["enough_evidence"] is (ability["r"] + ability["s"] >= 3)
    assert ability["words"].endswith("on time in 2 of 3 commitments, recent ones weighing most")
    assert page["half_life_days"] == 180.0
    assert page["relied_on"] == []


def test_the_interval_in_the_document_is_the_beta_s(api: Org) -> None:
    deliver(api, "c-1")
    with api.client("admin") as http:
        answer = http.get(EVIDENCE, params={"of": "care"}).json()

    from accord.trust.model import Opinion

    ability = answer["trust"]["ability"]
    prior = 8.0
    base = (ability["expected"] * (ability["r"] + ability["s"] + prior) - ability["r"]) / prior
    low, high = credible_interval(Opinion(ability["r"], ability["s"], prior, base))
    assert ability["interval"] == pytest.approx([low, high], abs=1e-9)


def test_the_evidence_refuses_what_the_trust_document_refuses(api: Org) -> None:
    with api.client("outsider") as outsider, api.client("lead") as lead:
        hidden = outsider.get(EVIDENCE, params={"of": "care"})
        missing = lead.get(EVIDENCE)
        unknown = lead.get(EVIDENCE, params={"of": "nobody"})
        itself = lead.get(EVIDENCE, params={"of": "data"})
        bad_cursor = lead.get(EVIDENCE, params={"of": "care", "cursor": "bm90IG9uZQ"})

    assert hidden.status_code == 403
    assert hidden.json()["rule"] == "trust.not_visible"
    assert missing.status_code == 422
    assert unknown.status_code == 404
    assert itself.status_code == 422
    assert itself.json()["rule"] == "trust.same_team"
    assert bad_cursor.status_code == 422
