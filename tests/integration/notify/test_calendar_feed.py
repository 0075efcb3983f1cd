"""A person's calendar: one event per open commitment of their teams, as calendar apps read it
(parsed with the icalendar library), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from icalendar import Calendar

from accord.commitments import service as commitments
from accord.commitments.words import sentence
from accord.notify import calendar
from accord.org import service as org
from factories import checkout, data_and_care, make_commitment, make_person, make_team

BASE = "https://accord.example.org"


def events(uow, email: str) -> dict[str, object]:
    """The person's calendar, parsed: its events by UID."""
    person = org.get_person(uow, email)
    parsed = Calendar.from_ical(calendar.due_dates(uow, person, BASE))
    assert parsed["VERSION"] == "2.0"
    assert parsed["PRODID"]
    return {str(event["UID"]): event for event in parsed.walk("VEVENT")}


def test_the_calendar_holds_exactly_the_open_commitments_of_ones_teams(uow, clock):
    team = data_and_care(uow)
    ana, bo = team["ana"], team["bo"]
    others = checkout(uow)
    asked = make_commitment(uow, team.partnership, bo, "care", "data", title="Churn list")
    promised = make_commitment(
        uow, team.partnership, bo, "care", "data", title="Scores", due=clock.now + timedelta(days=3)
    )
    promised = commitments.move(uow, ana, promised.key, "promise", version=promised.version)
    declined = make_commitment(uow, team.partnership, bo, "care", "data", title="Refused")
    commitments.move(uow, ana, declined.key, "decline", version=declined.version, reason="No time")
    theirs = make_commitment(uow, others.partnership, others["rita"], "payments", "platform")

    found = events(uow, "ana@example.org")

    assert set(found) == {f"{asked.key}@accord", f"{promised.key}@accord"}
    event = found[f"{promised.key}@accord"]
    link = f"{BASE}/commitments/{promised.key}"
    assert str(event["SUMMARY"]) == sentence(promised)
    assert event.decoded("DTSTART") == promised.due == event.decoded("DTEND")
    assert event.decoded("DTSTART").utcoffset() == timedelta(0)
    assert int(event["SEQUENCE"]) == promised.version == 2
    assert str(event["URL"]) == link
    assert link in str(event["DESCRIPTION"])
    assert event.decoded("DTSTAMP") == clock.now
    # the requester's lead sees the same commitments; a third team's are in its own members'
    assert set(events(uow, "bo@example.org")) == set(found)
    assert set(events(uow, "rita@example.org")) == {f"{theirs.key}@accord"}


def test_a_commitment_keeps_its_uid_and_its_sequence_grows_as_it_moves(uow):
    team = data_and_care(uow)
    asked = make_commitment(uow, team.partnership, team["bo"], "care", "data")
    before = events(uow, "ana@example.org")[f"{asked.key}@accord"]

    commitments.move(uow, team["ana"], asked.key, "promise", version=asked.version)

    after = events(uow, "ana@example.org")[f"{asked.key}@accord"]
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])
    assert str(after["SUMMARY"]) != str(before["SUMMARY"])


def test_someone_in_no_team_has_an_empty_calendar(uow):
    make_team(uow, "data")
    make_person(uow, "cy@example.org")

    assert events(uow, "cy@example.org") == {}
