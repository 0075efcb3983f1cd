"""The state machine in code is the table in DESIGN.md, row for row."""

from __future__ import annotations

import os
import re
from collections import deque
from pathlib import Path

import pytest

from accord.commitments.domain import FINAL, OPEN, TRANSITIONS, Move, State, Transition, Who

HEADING = "### Commitment — the conversation for action"
WHO = {
    "R": Who.R,
    "P": Who.P,
    "R or P": Who.EITHER,
    "the other side": Who.OTHER,
    "R, only after `due`": Who.R,
}
FINAL_MARK = "▪"
NO_STATE = "—"

Row = tuple[State | None, str, Who, State]


def repo_root() -> Path:
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    pytest.fail(f"no pyproject.toml above {__file__}")


def design_path() -> Path:
    candidates = [repo_root().parent / "shared" / "DESIGN.md"]
    if os.environ.get("ACCORD_DESIGN_MD"):
        candidates.append(Path(os.environ["ACCORD_DESIGN_MD"]))
    for candidate in candidates:
        if candidate.is_file():
            return candidate
    pytest.fail(
        f"DESIGN.md not found; looked at {', '.join(map(str, candidates))} "
        "(set ACCORD_DESIGN_MD to its path)"
    )


def table_lines(text: str) -> list[str]:
    """The lines of the first Markdown table after the commitment heading."""
    lines = text.splitlines()
    try:
        start = next(i for i, line in enumerate(lines) if line.strip() == HEADING)
    except StopIteration:
        pytest.fail(f"DESIGN.md has no heading {HEADING!r}")
    table: list[str] = []
    for line in lines[start + 1 :]:
        if line.startswith("#"):
            break
        if line.lstrip().startswith("|"):
            table.append(line.strip())
        elif table:
            break
    assert len(table) > 2, "the commitment section has no table"
    return table


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def state(name: str) -> State:
    try:
        return State(name)
    except ValueError:
        pytest.fail(f"DESIGN.md names a state {name!r} that accord.commitments.domain lacks")


def parse_rows(text: str) -> tuple[list[Row], set[State]]:
    """(from, move, who, to) for every from-state of every row, and the states marked final."""
    header, separator, *body = table_lines(text)
    assert [c.lower() for c in cells(header)] == ["from", "move", "who", "to"]
    assert set(separator) <= set("|-: ")
    rows: list[Row] = []
    finals: set[State] = set()
    for line in body:
        source, move_cell, who_cell, target_cell = cells(line)
        move_match = re.match(r"[a-z_]+", move_cell)
        assert move_match, f"no move in {line!r}"
        assert who_cell in WHO, f"unknown 'who' {who_cell!r} in {line!r}"
        target_match = re.match(r"[a-z_]+", target_cell)
        assert target_match, f"no target state in {line!r}"
        target = state(target_match.group())
        if FINAL_MARK in target_cell:
            finals.add(target)
        sources: list[State | None] = (
            [None] if source == NO_STATE else [state(s.strip()) for s in source.split(",")]
        )
        rows.extend((s, move_match.group(), WHO[who_cell], target) for s in sources)
    return rows, finals


@pytest.fixture(scope="module")
def design_table() -> tuple[list[Row], set[State]]:
    return parse_rows(design_path().read_text(encoding="utf-8"))


def code_rows(transitions: dict[tuple[State | None, Move], Transition]) -> set[Row]:
    return {(s, str(m), t.who, t.to) for (s, m), t in transitions.items()}


def test_design_table_has_no_duplicate_rows(design_table: tuple[list[Row], set[State]]) -> None:
    rows, _ = design_table
    keys = [(source, move) for source, move, _, _ in rows]
    assert len(keys) == len(set(keys))


def test_transitions_are_exactly_the_design_table(
    design_table: tuple[list[Row], set[State]],
) -> None:
    rows, _ = design_table
    in_design, in_code = set(rows), code_rows(TRANSITIONS)
    assert in_design - in_code == set(), "rows of DESIGN.md missing from TRANSITIONS"
    assert in_code - in_design == set(), "rows of TRANSITIONS not in DESIGN.md"


def test_final_states_are_the_marked_ones(design_table: tuple[list[Row], set[State]]) -> None:
    _, finals = design_table
    assert set(FINAL) == finals


def test_final_states_have_no_moves_and_others_do() -> None:
    sources = {source for source, _ in TRANSITIONS}
    assert sources.isdisjoint(FINAL)
    assert set(State) - set(FINAL) <= sources


def test_open_and_final_partition_the_states() -> None:
    assert set(OPEN) == {
        State.REQUESTED,
        State.COUNTERED,
        State.PROMISED,
        State.RENEGOTIATING,
        State.DELIVERED,
    }
    assert OPEN.isdisjoint(FINAL)
    assert OPEN | FINAL == set(State)


def test_every_state_is_reachable_from_request() -> None:
    reached: set[State | None] = {None}
    queue: deque[State | None] = deque([None])
    while queue:
        current = queue.popleft()
        for (source, _), transition in TRANSITIONS.items():
            if source == current and transition.to not in reached:
                reached.add(transition.to)
                queue.append(transition.to)
    assert reached - {None} == set(State)


def test_parser_reads_sample_rows() -> None:
    sample = "\n".join(
        [
            HEADING,
            "",
            "| from | move | who | to |",
            "|---|---|---|---|",
            "| — | request | R | requested |",
            "| requested, countered | withdraw | R | withdrawn ▪ |",
            "| promised | mark_missed | R, only after `due` | missed ▪ |",
            "| countered | accept_counter | R | promised (with the counter's terms) |",
            "",
            "After the table.",
        ]
    )
    rows, finals = parse_rows(sample)
    assert rows == [
        (None, "request", Who.R, State.REQUESTED),
        (State.REQUESTED, "withdraw", Who.R, State.WITHDRAWN),
        (State.COUNTERED, "withdraw", Who.R, State.WITHDRAWN),
        (State.PROMISED, "mark_missed", Who.R, State.MISSED),
        (State.COUNTERED, "accept_counter", Who.R, State.PROMISED),
    ]
    assert finals == {State.WITHDRAWN, State.MISSED}
