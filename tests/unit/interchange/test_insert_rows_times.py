"""`insert_rows` writes a `UTCDateTime` on SQLite in one step (`sqlite_utc`): the very text the
type's own two steps write, whatever the zone, year or microseconds."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.dialects import sqlite

from accord.db import UTCDateTime, sqlite_utc
from factories import odd_instants


def two_steps(value: datetime) -> object:
    dialect = sqlite.dialect()
    processor = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert processor is not None
    return processor(value)


def test_one_step_writes_what_the_type_writes() -> None:
    times = odd_instants()

    assert [sqlite_utc(t) for t in times] == [two_steps(t) for t in times]
    assert sqlite_utc(datetime(2026, 1, 1, tzinfo=UTC)) == "2026-01-01 00:00:00.000000"


def test_a_naive_time_is_refused_as_the_type_refuses_it() -> None:
    with pytest.raises(ValueError, match="naive"):
        two_steps(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="naive"):
        sqlite_utc(datetime(2026, 1, 1))


def test_times_in_utc_by_any_zone_object_write_what_the_type_writes() -> None:
    """UTC by pydantic's own zone (an imported document's times), by a zone of zero offset
    that is not `UTC`, and zones a few seconds off UTC: the quick way for UTC gives the same
    text, the others are converted."""
    from pydantic import AwareDatetime, TypeAdapter

    read = TypeAdapter(AwareDatetime).validate_python
    times = [
        read("2026-03-01T10:11:12.123456Z"),
        read("0999-03-01T10:11:12Z"),
        read("2026-03-01T10:11:12+00:00"),
        read("2026-03-01T10:11:12-03:30"),
        datetime(2026, 3, 1, 10, 11, 12, tzinfo=timezone(timedelta(0), "Zulu")),
        datetime(2026, 3, 1, 10, 11, 12, tzinfo=timezone(timedelta(seconds=30))),
        datetime(2026, 3, 1, 0, 0, 0, 1, tzinfo=timezone(timedelta(microseconds=-1))),
    ]

    assert [sqlite_utc(t) for t in times] == [two_steps(t) for t in times]
    assert sqlite_utc(times[0]) == "2026-03-01 10:11:12.123456"
