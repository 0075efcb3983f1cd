"""Small factories that build an organization through the services, as its people would."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from accord.commitments import service as commitments
from accord.commitments.domain import Commitment
from accord.config import Settings
from accord.events import service as events
from accord.events.domain import Event
from accord.org import service as org
from accord.org.domain import Operator, Person, Team
from accord.partnerships import service as partnerships
from accord.partnerships.domain import Partnership
from accord.purposes import service as purposes
from accord.purposes.domain import Purpose
from accord.uow import UnitOfWork

OPERATOR = Operator("tests")
# The settings of a service call outside a server: every default, whatever the environment says.
SETTINGS = Settings(database_url="sqlite://", secret_key="test-secret", _env_prefix="NONE_")

# The status moves that take a new (draft) purpose to each status.
_STATUS_PATH = {
    "draft": (),
    "active": ("active",),
    "achieved": ("active", "achieved"),
    "abandoned": ("abandoned",),
}


def make_team(
    uow: UnitOfWork,
    slug: str,
    *,
    name: str | None = None,
    kind: str = "team",
    mission: str = "",
    parent: str | None = None,
) -> Team:
    """A team, created by the operator."""
    return org.create_team(
        uow,
        OPERATOR,
        slug=slug,
        name=name or slug.replace("-", " ").title(),
        kind=kind,
        mission=mission,
        parent=parent,
    )


def make_person(
    uow: UnitOfWork,
    email: str,
    *,
    teams: Mapping[str, str] | None = None,
    role: str = "member",
    name: str | None = None,
) -> Person:
    """A person with a global role and memberships {team slug: "lead" | "member"}."""
    person = org.create_person(
        uow, OPERATOR, email=email, name=name or email.split("@")[0].title(), role=role
    )
    for slug, team_role in (teams or {}).items():
        person = org.set_membership(uow, OPERATOR, slug, email, team_role).person
    return person


def make_purpose(
    uow: UnitOfWork,
    sponsor: Person,
    *,
    title: str = "Halve customer churn",
    status: str = "active",
    measures: Sequence[Mapping[str, Any]] = (),
    key: str | None = None,
    statement: str = "Customers who stay are customers we serve well",
) -> Purpose:
    """A purpose created and sponsored by `sponsor`, with measures, moved to `status`."""
    purpose = purposes.create_purpose(
        uow, sponsor, title=title, statement=statement, sponsor=sponsor.email, key=key
    )
    for measure in measures:
        purposes.add_measure(uow, sponsor, purpose.key, **measure)
    for step in _STATUS_PATH[status]:
        purposes.set_status(uow, sponsor, purpose.key, step)
    return purposes.get_purpose(uow, purpose.key)


def make_partnership(
    uow: UnitOfWork,
    lead_actor: Person,
    *,
    parties: Sequence[tuple[str, str]],
    affirmed_by: Sequence[Person] = (),
    purpose: Purpose | str | None = None,
    name: str = "Churn signals",
    key: str | None = None,
    working_agreements: Sequence[str] = ("Say early when a date slips",),
) -> Partnership:
    """A partnership started by `lead_actor`; each of `affirmed_by` affirms for the teams it leads.

    Without `purpose`, `lead_actor` sponsors a new active one.
    """
    if purpose is None:
        purpose = make_purpose(uow, lead_actor, key=f"{key}-purpose" if key else None)
    purpose_key = purpose if isinstance(purpose, str) else purpose.key
    view = partnerships.create_partnership(
        uow,
        lead_actor,
        name=name,
        key=key,
        purpose=purpose_key,
        parties=parties,
        working_agreements=working_agreements,
    )
    result = view.partnership
    for person in affirmed_by:
        led = {m.team.slug for m in person.memberships if m.role.value == "lead"}
        for slug, _ in parties:
            if slug in led:
                result = partnerships.affirm(uow, person, result.key, slug).partnership
    return result


@dataclass(frozen=True)
class Partners:
    """Teams that work together: their leads by short name (`partners["ana"]`), and the
    partnership they started."""

    people: dict[str, Person]
    partnership: Partnership

    def __getitem__(self, name: str) -> Person:
        return self.people[name]


def make_partners(
    uow: UnitOfWork,
    parties: Mapping[str, tuple[str, str]],
    *,
    key: str | None = None,
    name: str = "Churn signals",
    sponsor: str | None = None,
    purpose_key: str | None = None,
    team_names: Mapping[str, str] | None = None,
    affirmed: bool = True,
) -> Partners:
    """The small organization most tests start from: a team for each of `parties` ({slug: (its
    lead's short name, what the team contributes)}), each lead `short name@example.org`; the
    first lead starts partnership `key`, and every lead affirms it unless not `affirmed`.

    Its purpose is sponsored by `sponsor` (a lead's short name), or else is a new one of the
    first lead's (make_partnership's).
    """
    for slug in parties:
        make_team(uow, slug, name=(team_names or {}).get(slug))
    people = {
        lead: make_person(uow, f"{lead}@example.org", teams={slug: "lead"})
        for slug, (lead, _) in parties.items()
    }
    leads = list(people.values())
    purpose = make_purpose(uow, people[sponsor], key=purpose_key) if sponsor else None
    partnership = make_partnership(
        uow,
        leads[0],
        key=key,
        name=name,
        purpose=purpose,
        parties=[(slug, contribution) for slug, (_, contribution) in parties.items()],
        affirmed_by=leads if affirmed else (),
    )
    return Partners(people, partnership)


def data_and_care(uow: UnitOfWork, **options: Any) -> Partners:
    """`data` (ana leads it) gives `care` (bo leads it) signals for its playbooks, in the
    partnership `signals` for bo's purpose; `options` go to make_partners."""
    parties = {"data": ("ana", "Signals"), "care": ("bo", "Playbooks")}
    return make_partners(uow, parties, **{"key": "signals", "sponsor": "bo", **options})


def checkout(uow: UnitOfWork, **options: Any) -> Partners:
    """`payments` (rita leads it) asks `platform` (paul leads it) in the partnership `checkout`;
    `options` go to make_partners."""
    parties = {"payments": ("rita", "Checkout flow"), "platform": ("paul", "Payment rails")}
    return make_partners(uow, parties, **{"key": "checkout", **options})


def make_commitment(
    uow: UnitOfWork,
    partnership: Partnership | str,
    requester_person: Person,
    requester: str,
    performer: str,
    *,
    title: str = "Daily churn-risk score per account",
    due: datetime | None = None,
    reliance: str | None = "high",
    conditions_of_satisfaction: str = "In the CRM by 08:00 every day",
    key: str | None = None,
) -> Commitment:
    """A requested commitment; without `due`, it is due 30 days after the clock's now."""
    return commitments.request(
        uow,
        requester_person,
        partnership=partnership if isinstance(partnership, str) else partnership.key,
        requester=requester,
        performer=performer,
        title=title,
        due=due or uow.now() + timedelta(days=30),
        conditions_of_satisfaction=conditions_of_satisfaction,
        reliance=reliance,
        key=key,
    )


def events_after(uow: UnitOfWork, after: int = 0) -> list[Event]:
    """Every event appended after event id `after`, oldest first."""
    return list(events.list_events(uow, after=after, limit=1_000_000))


def last_event_id(uow: UnitOfWork) -> int:
    """The id of the newest event, 0 for an empty log."""
    found = events_after(uow)
    return found[-1].id if found else 0


def chain_ok(uow: UnitOfWork) -> bool:
    """Whether the whole event log verifies."""
    return events.verify(uow).ok


def odd_instants(seed: int = 11, count: int = 2_000) -> list[datetime]:
    """Instants a conversion to text may get wrong: years below 1000, no microseconds or the
    last one, offsets of zero that are not `UTC`, odd offsets (seconds, half hours), and
    `count` random ones in any year and offset."""
    rng = random.Random(seed)
    times = [
        datetime(2026, 1, 1, tzinfo=UTC),
        datetime(2026, 1, 1, 0, 0, 0, 1, tzinfo=UTC),
        datetime(999, 3, 4, 5, 6, 7, 8, tzinfo=UTC),
        datetime(1, 1, 1, 12, tzinfo=UTC),
        datetime(2026, 1, 5, 9, tzinfo=ZoneInfo("Europe/London")),  # offset zero, not `UTC`
        datetime(2026, 7, 5, 9, tzinfo=ZoneInfo("Europe/London")),
        datetime(2026, 6, 1, 23, 59, 59, 999_999, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(2026, 6, 1, 1, tzinfo=timezone(timedelta(seconds=-7))),
    ]
    for _ in range(count):
        zone = rng.choice([UTC, timezone(timedelta(minutes=rng.randint(-900, 900)))])
        micro = rng.choice([0, rng.randint(0, 999_999)])
        times.append(
            datetime(
                rng.randint(2, 9998),
                rng.randint(1, 12),
                rng.randint(1, 28),
                rng.randint(0, 23),
                rng.randint(0, 59),
                rng.randint(0, 59),
                micro,
                tzinfo=zone,
            )
        )
    return times
