"""`accord trust show | backtest | rebuild`, run as real processes on a SQLite file."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from test_cli import Accord

T = "2026-09-01T00:00:00Z"


def step(move: str, by: str, at: str, **fields: Any) -> dict[str, Any]:
    return {"move": move, "by": by, "at": at, **fields}


def worked_example() -> dict[str, Any]:
    """DESIGN §2's worked example as an accord/1 document: asked at T (the missed one is due
    at T and marked missed a moment later)."""
    return {
        "format": "accord/1",
        "teams": [
            {"slug": "r", "name": "Requester", "kind": "team"},
            {"slug": "p", "name": "Performer", "kind": "shared_service"},
        ],
        "people": [
            {
                "email": "rita@example.org",
                "name": "Rita",
                "memberships": [{"team": "r", "role": "lead"}],
            },
            {
                "email": "paul@example.org",
                "name": "Paul",
                "memberships": [{"team": "p", "role": "lead"}],
            },
        ],
        "purposes": [
            {
                "key": "churn",
                "title": "Halve churn",
                "status": "active",
                "sponsor": "rita@example.org",
            }
        ],
        "partnerships": [
            {
                "key": "rp",
                "name": "R and P",
                "purpose": "churn",
                "parties": [
                    {
                        "team": "r",
                        "contribution": "Asks",
                        "affirmed_by": "rita@example.org",
                        "affirmed_at": "2026-01-01T00:00:00Z",
                    },
                    {
                        "team": "p",
                        "contribution": "Delivers",
                        "affirmed_by": "paul@example.org",
                        "affirmed_at": "2026-01-01T00:00:00Z",
                    },
                ],
            }
        ],
        "commitments": [
            {
                "key": "good",
                "partnership": "rp",
                "requester": "r",
                "performer": "p",
                "history": [
                    step(
                        "request",
                        "rita@example.org",
                        "2026-01-02T00:00:00Z",
                        title="Scores",
                        due="2026-09-02T00:00:00Z",
                        reliance="critical",
                    ),
                    step("promise", "paul@example.org", "2026-01-03T00:00:00Z"),
                    step("report_done", "paul@example.org", "2026-08-31T00:00:00Z"),
                    step("accept", "rita@example.org", T, value=5),
                ],
            },
            {
                "key": "bad",
                "partnership": "rp",
                "requester": "r",
                "performer": "p",
                "history": [
                    step(
                        "request",
                        "rita@example.org",
                        "2026-01-02T00:00:00Z",
                        title="Alerts",
                        due=T,
                        reliance="high",
                    ),
                    step("promise", "paul@example.org", "2026-01-03T00:00:00Z"),
                    step("mark_missed", "rita@example.org", "2026-09-01T00:00:00.000001Z"),
                ],
            },
        ],
    }


@pytest.fixture(scope="session")
def imported(tmp_path_factory: pytest.TempPathFactory) -> Accord:
    """A database file `accord init` made and the worked example imported, once per session."""
    command = Accord(tmp_path_factory.mktemp("cli-example"))
    command.ok("init")
    command.ok("import", str(command.write("example.json", worked_example())))
    return command


@pytest.fixture
def accord(imported: Accord, tmp_path: Path) -> Accord:
    """The worked example's database: each test works on a copy of it."""
    return imported.copy_to(tmp_path)


def test_trust_show_json_gives_the_worked_example(accord: Accord) -> None:
    result = accord.ok("trust", "show", "p", "--as-of", "2026-09-01T00:00:00.000001Z", "--json")
    document = json.loads(result.stdout)
    assert document["team"] == "p"
    assert document["of"] is None
    assert document["as_of"] == "2026-09-01T00:00:00.000001Z"
    assert document["ability"]["expected"] == pytest.approx(0.5, abs=1e-6)
    assert document["ability"]["belief"] == pytest.approx(0.25, abs=1e-6)
    assert document["value"]["expected"] == pytest.approx(0.777778, abs=1e-6)
    assert document["value"]["disbelief"] == 0.0
    assert document["overall"]["expected"] == pytest.approx(0.583333, abs=1e-6)
    assert document["overall"]["uncertainty"] == pytest.approx(0.55, abs=1e-6)
    assert document["network"] == pytest.approx(1.0)
    assert "given" not in document


def test_trust_show_of_a_requester_adds_given_gap_and_flags(accord: Accord) -> None:
    document = json.loads(accord.ok("trust", "show", "p", "--of", "r", "--json").stdout)
    assert document["of"] == "r"
    assert document["given"] == 0.0  # nothing open
    assert document["gap"] == pytest.approx(-document["ability"]["expected"])
    assert document["flags"] == []
    table = accord.ok("trust", "show", "p", "--of", "r").stdout
    assert table.startswith("p as seen by r, as of ")
    assert "ability" in table
    assert "trust given 0.00" in table
    assert "flags: none" in table
    # the figures in words: the pair's evidence is thin, so no bare percentage
    assert document["ability"]["enough_evidence"] is False
    assert f"  ability    {document['ability']['words']}\n" in table
    assert document["ability"]["words"].startswith("too little evidence to judge (between ")
    assert f"  overall    {document['overall']['words']}\n" in table


def test_trust_show_reads_as_of_a_date_in_the_past(accord: Accord) -> None:
    document = json.loads(accord.ok("trust", "show", "p", "--as-of", "2026-06-01", "--json").stdout)
    assert document["as_of"] == "2026-06-01T00:00:00Z"
    assert document["ability"]["r"] == 0.0
    assert document["ability"]["s"] == 0.0


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("trust", "show", "p", "--as-of", "2026-06-01T00:00:00"), "needs a time zone"),
        (("trust", "show", "p", "--as-of", "June"), "is not an ISO 8601 date-time"),
        (("trust", "show", "nobody"), "rule: team.not_found"),
        (("trust", "show", "p", "--of", "p"), "rule: trust.same_team"),
    ],
)
def test_trust_show_refuses_bad_input_cleanly(
    accord: Accord, args: tuple[str, ...], message: str
) -> None:
    assert message in accord.refused(*args)


def test_trust_backtest_scores_the_finished_commitments(accord: Accord) -> None:
    document = json.loads(accord.ok("trust", "backtest", "--json").stdout)
    assert document["n"] == 2
    # both promised on 2026-01-03 with nothing known: forecast 0.5, base rate 1/2
    assert document["brier"] == pytest.approx(0.25)
    assert document["brier_base"] == pytest.approx(0.25)
    assert document["skill"] == pytest.approx(0.0)
    assert [b["n"] for b in document["bins"]] == [0, 0, 0, 0, 0, 2, 0, 0, 0, 0]
    assert document["bins"][5] == {
        "lo": 0.5,
        "hi": 0.6,
        "n": 2,
        "mean_forecast": 0.5,
        "observed": 0.5,
    }
    text = accord.ok("trust", "backtest").stdout
    assert "2 finished commitments" in text
    assert "0.5-0.6      2  0.500    0.500   " in text
    assert "####################|" in text


def test_trust_rebuild_gives_back_the_same_sums(accord: Accord) -> None:
    def sums() -> list[Any]:
        with closing(sqlite3.connect(accord.db)) as connection:
            return (
                connection.execute(
                    "SELECT ability_r, ability_s, integrity_r, integrity_s, value_r, value_s "
                    "FROM trust_state"
                ).fetchall()
                + connection.execute("SELECT * FROM trust_pairs").fetchall()
            )

    before = sums()
    result = accord.ok("trust", "rebuild")
    assert "trust rebuilt: 7 events, 2 commitments, 1 pairs with evidence, 0 open" in result.stdout
    assert sums() == before


def test_a_database_from_before_trust_is_rebuilt_by_init(accord: Accord) -> None:
    with closing(sqlite3.connect(accord.db)) as connection, connection:
        connection.execute("UPDATE trust_state SET built = 0")
        connection.execute("DELETE FROM trust_pairs")
    assert "trust sums rebuilt" in accord.ok("init").stdout
    document = json.loads(
        accord.ok("trust", "show", "p", "--as-of", "2026-09-01T00:00:00.000001Z", "--json").stdout
    )
    assert document["overall"]["expected"] == pytest.approx(0.583333, abs=1e-6)
    assert "trust sums rebuilt" not in accord.ok("init").stdout


def test_a_new_half_life_is_rebuilt_once_by_the_first_command_that_reads_trust(
    accord: Accord, tmp_path: Path
) -> None:
    quicker = {"ACCORD_HALF_LIFE_DAYS": "90"}
    show = ("trust", "show", "p", "--of", "r", "--as-of", "2026-09-02T00:00:00Z", "--json")
    first = accord.ok(*show, variables=quicker)
    assert "built with a half-life of 180 days, the setting is 90" in first.stderr
    assert "trust sums rebuilt from the event log (half-life 90 days)" in first.stderr
    again = accord.ok(*show, variables=quicker)
    assert "rebuilt" not in again.stderr
    assert json.loads(again.stdout) == json.loads(first.stdout)
    # the figures of a database that always had the new half-life
    fresh = Accord(tmp_path, "fresh.db")
    fresh.ok("init", variables=quicker)
    fresh.ok("import", str(fresh.write("example.json", worked_example())), variables=quicker)
    expected = json.loads(fresh.ok(*show, variables=quicker).stdout)
    document = json.loads(first.stdout)
    for name in ("ability", "integrity", "value"):
        assert document[name]["r"] > 0
        assert (document[name]["r"], document[name]["s"]) == pytest.approx(
            (expected[name]["r"], expected[name]["s"]), rel=1e-12
        )


def test_trust_forecast_of_a_purpose(accord: Accord) -> None:
    later = "2026-10-01T00:00:00Z"
    document = worked_example()
    for key in ("next-1", "next-2"):
        document["commitments"].append(
            {"key": key, "partnership": "rp", "requester": "r", "performer": "p", "history": [
                step("request", "rita@example.org", "2026-09-05T00:00:00Z", title=key,
                     due="2027-09-05T00:00:00Z", reliance="critical"),
                step("promise", "paul@example.org", later),
            ]}
        )  # fmt: skip
    accord.ok("import", str(accord.write("more.json", document)))
    result = json.loads(accord.ok("trust", "forecast", "churn", "--json").stdout)
    assert [c["key"] for c in result["commitments"]] == ["next-1", "next-2"]
    chance = result["commitments"][0]["probability"]
    pair = json.loads(accord.ok("trust", "show", "p", "--of", "r", "--json").stdout)
    assert chance == pytest.approx(pair["ability"]["expected"], rel=1e-6)
    assert result["probability_all"] > chance**2  # one shared, unknown rate: not independent
    assert result["expected_count"] == pytest.approx(2 * chance, rel=1e-6)
    assert sum(result["distribution"]) == pytest.approx(1.0)
    assert pair["given"] == 1.0
    text = accord.ok("trust", "forecast", "churn").stdout
    assert "churn: 2 open commitments with reliance high or critical" in text
    assert "all on time: " in text
    assert "rule: purpose.not_found" in accord.refused("trust", "forecast", "nothing")


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("ACCORD_HALF_LIFE_DAYS", "-1", "ACCORD_HALF_LIFE_DAYS: Input should be greater than 0"),
        ("ACCORD_WEIGHT_ABILITY", "many", "ACCORD_WEIGHT_ABILITY: Input should be a valid number"),
        ("ACCORD_TRUST_VISIBILITY", "all", "ACCORD_TRUST_VISIBILITY: Input should be"),
    ],
)
def test_a_bad_setting_is_named_and_nothing_runs(
    tmp_path: Path, variable: str, value: str, message: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update({variable: value, "ACCORD_DATABASE_URL": f"sqlite:///{tmp_path / 'a.db'}"})
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli", "init"],
        capture_output=True, text=True, env=env, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert result.stderr.startswith(f"error: {message}"), result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "a.db").exists()


def test_overall_weights_must_not_all_be_zero(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("ACCORD_")}
    env.update(ACCORD_WEIGHT_ABILITY="0", ACCORD_WEIGHT_INTEGRITY="0", ACCORD_WEIGHT_VALUE="0")
    result = subprocess.run(
        [sys.executable, "-m", "accord.cli", "trust", "backtest"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120, check=False,
    )  # fmt: skip
    assert result.returncode == 2
    assert "must not all be 0" in result.stderr
