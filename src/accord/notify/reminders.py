"""Reminders the worker schedules: a promise due soon, a promise overdue, a health check closing
tomorrow. Each is made once per person and due date (its notification key), so scheduling
again — by this worker a minute later, or by another one at once — adds nothing."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from accord.commitments.domain import COMMITTED
from accord.commitments.repository import Selection
from accord.commitments.words import day_utc, sentence
from accord.notify.domain import Kind, Notice
from accord.notify.rules import Heard, crew_of, keep, notices_for

if TYPE_CHECKING:
    from accord.uow import UnitOfWork

# An overdue promise is recalled once, if it fell due within this window: a server started on
# an old database does not recall years of missed promises.
OVERDUE_WINDOW = timedelta(days=7)
# At most so many commitments of each kind per scheduling; the rest wait for the next one.
BATCH = 500


def _iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def schedule(uow: UnitOfWork, now: datetime, *, reminder_days: int) -> int:
    """Make the reminders that are due now and not made yet; how many notices were made."""
    with uow:
        if uow.silent:
            return 0
        ahead = now + timedelta(days=reminder_days)
        soon = uow.commitments.search(
            Selection(states=COMMITTED, due_from=now, due_before=ahead), limit=BATCH
        )
        late = uow.commitments.search(
            Selection(overdue_at=now, due_from=now - OVERDUE_WINDOW), limit=BATCH
        )
        closing = uow.health.closing_between(now, now + timedelta(days=1))
        crew = crew_of(
            uow,
            {t for c in [*soon, *late] for t in (c.requester, c.performer)}
            | {party.team for check in closing for party in check.partnership.parties},
        )
        notices: list[Notice] = []
        for c in soon:
            notices += notices_for(
                crew(c.performer),
                None,
                Kind.DUE_SOON,
                f"commitment:{c.key}",
                f"Due {day_utc(c.due)}: {c.title}",
                sentence(c),
                f"/commitments/{c.key}",
                f"due_soon:{c.key}:{_iso(c.due)}",
            )
        for c in late:
            notices += notices_for(
                crew(c.performer) + crew(c.requester),
                None,
                Kind.OVERDUE,
                f"commitment:{c.key}",
                f"Overdue since {day_utc(c.due)}: {c.title}",
                sentence(c),
                f"/commitments/{c.key}",
                f"overdue:{c.key}:{_iso(c.due)}",
            )
        for check in closing:
            answered = {r.person.id for r in check.respondents}
            name, closes = check.partnership.name, day_utc(check.closes_at)
            notices += notices_for(
                [
                    person
                    for party in check.partnership.parties
                    for person in crew(party.team)
                    if person.id not in answered
                ],
                None,
                Kind.HEALTH,
                f"health_check:{check.key}",
                f"Health check of “{name}” closes {closes}",
                f"You have not answered the health check of “{name}” yet; it closes {closes}.",
                f"/health-checks/{check.key}",
                f"closing:{check.key}:{_iso(check.closes_at)}",
            )
        kept = uow.notify.keys_kept([notice.key for notice in notices])
        fresh = [notice for notice in notices if notice.key not in kept]
        if fresh:
            keep(uow, [Heard(0, fresh, [])], now)
            uow.commit()
        return len(fresh)
