"""A person's calendar: the due dates of their teams' open commitments as an iCalendar feed
(RFC 5545), which calendar apps subscribe to with the person's feed token in its address.

Each open commitment is one event at its due instant, in UTC. Its UID stays the same for the
commitment's whole life and its SEQUENCE is the commitment's version, so a calendar app updates
the event when the due date or the terms change, and drops it once the commitment is closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from urllib.parse import quote

from icalendar import Calendar, Event

from accord.commitments.domain import OPEN, Commitment
from accord.commitments.repository import Selection
from accord.commitments.words import sentence
from accord.org.domain import Person
from accord.uow import UnitOfWork

# Enough for any team's open commitments; the soonest due are kept when there are more.
MAX_EVENTS = 2000
PRODUCT = "-//Accord//Due dates//EN"


def due_dates(uow: UnitOfWork, person: Person, base_url: str) -> bytes:
    """The calendar of the open commitments (requested, countered, promised, renegotiating,
    delivered) that one of `person`'s teams asks for or performs; links start at `base_url`."""
    with uow:
        bound = uow.bind(person)
        teams = bound.teams() if isinstance(bound, Person) else []
        found = (
            uow.commitments.search(Selection(teams=teams, states=OPEN), limit=MAX_EVENTS)
            if teams
            else []
        )
        return calendar_of(found, base_url, uow.now())


def calendar_of(commitments: Sequence[Commitment], base: str, now: datetime) -> bytes:
    """A VCALENDAR of one event per commitment."""
    calendar = Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", "Accord: my teams' due dates")
    for commitment in commitments:
        calendar.add_component(event_of(commitment, base, now))
    written: bytes = calendar.to_ical()
    return written


def event_of(commitment: Commitment, base: str, now: datetime) -> Event:
    """One commitment as an event at its due instant."""
    link = f"{base}/commitments/{quote(commitment.key, safe='')}"
    event = Event()
    event.add("uid", f"{commitment.key}@accord")
    event.add("summary", sentence(commitment))
    event.add("dtstart", commitment.due)
    event.add("dtend", commitment.due)
    event.add("dtstamp", commitment.updated_at or now)
    event.add("sequence", commitment.version)
    event.add("url", link)
    event.add("description", f"{sentence(commitment)}.\n{link}")
    return event
