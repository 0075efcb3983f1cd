"""Times on the reader's clock: shown in their zone, and typed in it, around changes of clocks."""

from __future__ import annotations

import contextvars
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from accord.web import zones
from accord.web.common import _day, _iso_local, _when
from accord.web.forms import utc

PARIS = ZoneInfo("Europe/Paris")
NEW_YORK = ZoneInfo("America/New_York")


@pytest.mark.parametrize(
    ("day", "clock", "zone", "instant"),
    [
        # a day alone is due by its end, on the reader's clock
        ("2026-12-08", "", PARIS, "2026-12-08T22:59:59Z"),
        ("2026-07-08", "", PARIS, "2026-07-08T21:59:59Z"),
        ("2026-12-08", "", NEW_YORK, "2026-12-09T04:59:59Z"),
        ("2026-12-08", "", zones.UTC_ZONE, "2026-12-08T23:59:59Z"),
        ("2026-12-08", "17:00", PARIS, "2026-12-08T16:00:00Z"),
        ("2026-12-08T17:00", "", PARIS, "2026-12-08T16:00:00Z"),
        # the days the clocks change are still due by their own end
        ("2026-03-29", "", PARIS, "2026-03-29T21:59:59Z"),
        ("2026-10-25", "", PARIS, "2026-10-25T22:59:59Z"),
        ("2026-03-08", "", NEW_YORK, "2026-03-09T03:59:59Z"),
        ("2026-11-01", "", NEW_YORK, "2026-11-02T04:59:59Z"),
        # 02:30 does not exist when Paris goes forward: read as the clocks then say, 03:30
        ("2026-03-29", "02:30", PARIS, "2026-03-29T01:30:00Z"),
        # 02:30 happens twice when Paris goes back: the first of the two
        ("2026-10-25", "02:30", PARIS, "2026-10-25T00:30:00Z"),
        ("2026-10-25", "03:30", PARIS, "2026-10-25T02:30:00Z"),
    ],
)
def test_a_typed_day_and_time_are_read_on_the_readers_clock(day, clock, zone, instant):
    assert zones.instant(day, clock, zone) == instant


@pytest.mark.parametrize(
    ("day", "clock"),
    [("2026-02-30", ""), ("2026-12-08", "25:00"), ("soon", ""), ("2026-12-08", "noon")],
)
def test_what_is_no_day_or_time_is_left_for_the_model_to_refuse(day, clock):
    assert zones.instant(day, clock, PARIS) == day


def test_a_day_at_the_edge_of_the_calendar_is_not_an_overflow():
    assert zones.instant("9999-12-31", "", NEW_YORK) == "9999-12-31"
    assert zones.instant("0001-01-01", "00:00", PARIS) == "0001-01-01"


def in_zone(name: str | None, read):
    """`read()` in a request whose reader chose the zone `name`."""

    def run():
        zones.use(name)
        return read()

    return contextvars.copy_context().run(run)


def test_pages_show_instants_on_the_readers_clock_with_the_zone_they_are_in():
    winter = datetime(2026, 12, 8, 22, 59, 59, tzinfo=UTC)
    summer = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)

    assert in_zone(None, lambda: _when(summer)) == "2026-07-01 07:30 UTC"
    assert in_zone("Europe/Paris", lambda: _when(summer)) == "2026-07-01 09:30 CEST"
    assert in_zone("Europe/Paris", lambda: _when(winter)) == "2026-12-08 23:59 CET"
    assert in_zone("Asia/Dubai", lambda: _when(summer)) == "2026-07-01 11:30 UTC+04"
    assert in_zone("America/New_York", lambda: _when("2026-07-01T07:30:00+00:00")) == (
        "2026-07-01 03:30 EDT"
    )
    # a date alone is the reader's date, without a zone
    assert in_zone("Pacific/Auckland", lambda: _when(winter, "%Y-%m-%d")) == "2026-12-09"
    assert in_zone("Europe/Paris", lambda: _day(winter)).startswith("Tue 8 Dec")
    assert in_zone("Pacific/Auckland", lambda: _day(winter)).startswith("Wed 9 Dec")
    assert in_zone("Europe/Paris", lambda: _iso_local(summer)) == "2026-07-01T09:30"


def test_a_zone_the_server_does_not_know_reads_as_utc():
    summer = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    assert in_zone("Mars/Olympus_Mons", lambda: _when(summer)) == "2026-07-01 07:30 UTC"
    assert zones.zone_of("../../etc/passwd") is zones.UTC_ZONE


def test_forms_read_dates_on_the_readers_clock():
    assert in_zone("Europe/Paris", lambda: utc("2026-12-08", day_ends=True)) == (
        "2026-12-08T22:59:59Z"
    )
    assert in_zone("Europe/Paris", lambda: utc("2026-12-08")) == "2026-12-07T23:00:00Z"
    assert in_zone("Europe/Paris", lambda: utc("2026-12-08T09:00")) == "2026-12-08T08:00:00Z"


@pytest.mark.parametrize(
    ("value", "parts"),
    [
        (datetime(2026, 12, 8, 22, 59, 59, tzinfo=UTC), ("2026-12-08", "")),
        (datetime(2026, 12, 8, 16, 0, tzinfo=UTC), ("2026-12-08", "17:00")),
        ("2026-12-08T09:30", ("2026-12-08", "09:30")),
        ("2026-12-08", ("2026-12-08", "")),
        (None, ("", "")),
    ],
)
def test_a_due_date_fills_its_day_and_time_inputs_an_end_of_day_without_a_time(value, parts):
    assert in_zone("Europe/Paris", lambda: zones.day_and_time(value)) == parts
