"""What reading a commitment costs the database, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event

from accord.errors import NotFound
from factories import make_commitment, make_partnership, make_person, make_team

START = datetime(2026, 6, 1, tzinfo=UTC)


@contextmanager
def statements(uow) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    event.listen(uow.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(uow.engine, "before_cursor_execute", note)


def test_a_commitment_to_move_is_read_in_one_statement_and_a_missing_one_is_not_found(
    uow,
) -> None:
    for slug in ("payments", "platform"):
        make_team(uow, slug)
    rita = make_person(uow, "rita@example.org", teams={"payments": "lead"})
    paul = make_person(uow, "paul@example.org", teams={"platform": "lead"})
    make_partnership(
        uow,
        rita,
        key="checkout",
        parties=[("payments", "Owns checkout"), ("platform", "Runs the rails")],
        affirmed_by=[rita, paul],
    )
    make_commitment(
        uow, "checkout", rita, "payments", "platform", key="vault", due=START + timedelta(days=30)
    )
    with uow, statements(uow) as seen:
        commitment = uow.commitments.get("vault")
        # its partnership and teams came with it
        assert (commitment.partnership.key, commitment.requester.slug) == ("checkout", "payments")
        assert commitment.performer.slug == "platform"
        assert uow.commitments.get("vault") is commitment  # asked again: not read again
    assert len([s for s in seen if s.lstrip().upper().startswith("SELECT")]) == 1, seen
    with uow, pytest.raises(NotFound):
        uow.commitments.get("no-such-thing")
