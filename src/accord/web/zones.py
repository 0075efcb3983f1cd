"""The reader's time zone: pages show times in it, and read the times typed into forms in it.

The page dependency sets it for each request from the signed-in person's profile (`use`);
without one it is UTC. Everything kept or exchanged stays in UTC: the API speaks ISO 8601 with
offsets, and a form's time is turned into a UTC instant before its input model sees it.

Around a change of clocks a typed time may name no instant (02:30 on the night clocks go
forward) or two (02:30 on the night they go back): the first is read with the offset before
the change, so it lands where the clocks now say (03:30), the second as the earlier of the two.
"""

from __future__ import annotations

import re
from contextvars import ContextVar
from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from accord.org.domain import time_zones

UTC_ZONE = ZoneInfo("UTC")
DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
TIME = re.compile(r"\d{2}:\d{2}(:\d{2})?")
LOCAL_TIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?")
# A day given without a time means by its end: its last second.
END_OF_DAY = time(23, 59, 59)

_reader_zone: ContextVar[ZoneInfo] = ContextVar("reader_zone", default=UTC_ZONE)


def zone_of(name: str | None) -> ZoneInfo:
    """The zone a person chose; UTC when none (or one the server no longer knows)."""
    if not name or name not in time_zones():
        return UTC_ZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC_ZONE


def use(name: str | None) -> None:
    """Read and show times in the zone `name` for the rest of this request."""
    _reader_zone.set(zone_of(name))


def reader_zone() -> ZoneInfo:
    return _reader_zone.get()


def zone_name() -> str:
    """The reader's zone as forms name it: 'Europe/Paris', or 'UTC'."""
    return reader_zone().key


def local(moment: datetime, zone: ZoneInfo | None = None) -> datetime:
    """An instant on the reader's clock (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(zone or reader_zone())


def abbreviation(moment: datetime) -> str:
    """What a local time is followed by: 'UTC', 'CET', 'EDT'; 'UTC+04' where the zone has no
    letters for it."""
    letters = moment.strftime("%Z")
    if not letters or letters[0] in "+-":
        return "UTC" + letters
    return letters


def instant(value: str, clock: str = "", zone: ZoneInfo | None = None) -> str:
    """A day ('2026-12-08') with an optional time of day ('17:00'), or a datetime-local value
    ('2026-12-08T17:00'), read on the reader's clock, as an ISO 8601 instant in UTC. A day
    without a time is its end (23:59:59 there). Anything else is given back as it is, for the
    input model to refuse in its own words."""
    zone = zone or reader_zone()
    value, clock = value.strip(), clock.strip()
    if DAY.fullmatch(value) and (not clock or TIME.fullmatch(clock)):
        text = f"{value}T{clock}" if clock else f"{value}T{END_OF_DAY.isoformat()}"
    elif LOCAL_TIME.fullmatch(value) and not clock:
        text = value
    else:
        return value
    try:
        return iso(datetime.fromisoformat(text).replace(tzinfo=zone))
    except (ValueError, OverflowError):  # 2026-02-30, 25:00, past the last year
        return value


def day_and_time(value: datetime | str | None) -> tuple[str, str]:
    """What a date input and its time input show for a due date: ('2026-12-08', '17:00') on
    the reader's clock, or ('2026-12-08', '') for the end of that day; text typed ('2026-12-08'
    or '2026-12-08T17:00') is split as it is."""
    if value is None or value == "":
        return "", ""
    if isinstance(value, str):
        day, _, clock = value.partition("T")
        return day, clock[:5]
    moment = local(value)
    if moment.time().replace(microsecond=0) == END_OF_DAY:
        return moment.date().isoformat(), ""
    return moment.date().isoformat(), moment.strftime("%H:%M")


def iso(moment: datetime) -> str:
    """An aware instant as ISO 8601 in UTC: '2026-12-08T16:00:00Z'."""
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")
