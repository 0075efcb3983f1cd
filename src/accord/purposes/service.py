"""Use cases of purposes and their measures."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from accord.errors import Conflict, Forbidden, choice
from accord.org.domain import (
    Actor,
    Person,
    actor_name,
    check_text,
    choose_key,
    ensure_admin,
    ensure_can_write,
    is_admin,
)
from accord.purposes.domain import Measure, MeasureUpdate, Purpose, PurposeStatus
from accord.uow import UnitOfWork

_UNSET: Any = object()


def _subject(purpose: Purpose) -> str:
    return f"purpose:{purpose.key}"


def _ensure_editor(actor: Actor) -> None:
    """Any member may shape a purpose (DESIGN §7); its status is the sponsor's to change."""
    if not is_admin(actor):
        ensure_can_write(actor)


def create_purpose(
    uow: UnitOfWork,
    actor: Actor,
    *,
    title: str,
    statement: str = "",
    sponsor: str | None = None,
    target_date: date | None = None,
    parent: str | None = None,
    key: str | None = None,
) -> Purpose:
    """Create a purpose in draft (any member)."""
    with uow:
        actor = uow.bind(actor)
        creator = (
            None if is_admin(actor) and not isinstance(actor, Person) else ensure_can_write(actor)
        )
        title = check_text(title, "purpose title")
        key = choose_key(key, title, "purpose", uow.purposes.keys_like)
        if uow.purposes.find(key) is not None:
            raise Conflict(f"purpose {key!r} already exists", rule="purpose.exists")
        purpose = Purpose(
            key=key,
            title=title,
            statement=check_text(statement, "statement", max_length=4000, required=False),
            sponsor=uow.org.person(sponsor) if sponsor else None,
            created_by=creator,
            target_date=target_date,
        )
        if parent is not None:
            purpose.set_parent(uow.purposes.get(parent))
        uow.purposes.add(purpose)
        uow.record(
            "purpose.created", _subject(purpose), actor_name(actor), uow.now(), _payload(purpose)
        )
        uow.commit()
        return purpose


def update_purpose(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    *,
    title: str | None = None,
    statement: str | None = None,
    sponsor: str | None = _UNSET,
    target_date: date | None = _UNSET,
    parent: str | None = _UNSET,
    status: PurposeStatus | str | None = None,
) -> Purpose:
    """Edit a purpose (any member) and, in the same change, its status (its sponsor or an admin)."""
    with uow:
        actor = uow.bind(actor)
        purpose = uow.purposes.get(key, for_update=True)
        _ensure_editor(actor)
        if title is not None:
            purpose.title = check_text(title, "purpose title")
        if statement is not None:
            purpose.statement = check_text(statement, "statement", max_length=4000, required=False)
        if sponsor is not _UNSET:
            may_hand_over = actor is purpose.sponsor or (
                purpose.sponsor is None and actor is purpose.created_by
            )
            if not (is_admin(actor) or may_hand_over):
                raise Forbidden(
                    f"only the sponsor of purpose {key!r} or an admin may change its sponsor",
                    rule="permission.purpose_sponsor",
                )
            purpose.sponsor = uow.org.person(sponsor) if sponsor else None
        if target_date is not _UNSET:
            purpose.target_date = target_date
        if parent is not _UNSET:
            purpose.set_parent(uow.purposes.get(parent) if parent else None)
        edited = title is not None or statement is not None
        if edited or any(v is not _UNSET for v in (sponsor, target_date, parent)):
            uow.record(
                "purpose.updated",
                _subject(purpose),
                actor_name(actor),
                uow.now(),
                _payload(purpose),
            )
        if status is not None and choice(PurposeStatus, status, "purpose status") != purpose.status:
            _move(uow, actor, purpose, status)
        uow.commit()
        return purpose


def set_status(uow: UnitOfWork, actor: Actor, key: str, status: PurposeStatus | str) -> Purpose:
    """Activate, achieve, abandon or reopen a purpose (its sponsor or an admin)."""
    with uow:
        actor = uow.bind(actor)
        purpose = uow.purposes.get(key, for_update=True)
        _move(uow, actor, purpose, status)
        uow.commit()
        return purpose


def _move(uow: UnitOfWork, actor: Actor, purpose: Purpose, status: PurposeStatus | str) -> None:
    if not is_admin(actor):
        person = ensure_can_write(actor)
        if person is not purpose.sponsor:
            raise Forbidden(
                f"only the sponsor of purpose {purpose.key!r} or an admin may change its status",
                rule="permission.purpose_sponsor",
            )
    before = purpose.status
    purpose.move_to(choice(PurposeStatus, status, "purpose status"))
    uow.record(
        "purpose.status_changed",
        _subject(purpose),
        actor_name(actor),
        uow.now(),
        {"from": before.value, "to": purpose.status.value},
    )


def add_measure(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    *,
    name: str,
    unit: str = "",
    baseline: float | None = None,
    target: float | None = None,
    current: float | None = None,
) -> Measure:
    """Add a key result to a purpose (any member)."""
    with uow:
        actor = uow.bind(actor)
        purpose = uow.purposes.get(key, for_update=True)
        _ensure_editor(actor)
        measure = Measure(
            name=check_text(name, "measure name"),
            unit=check_text(unit, "unit", max_length=40, required=False),
            baseline=baseline,
            target=target,
            current=current if current is not None else baseline,
        )
        purpose.add_measure(measure)
        uow.record(
            "measure.added",
            _subject(purpose),
            actor_name(actor),
            uow.now(),
            {
                "name": measure.name,
                "unit": measure.unit,
                "baseline": baseline,
                "target": target,
                "current": measure.current,
            },
        )
        uow.commit()
        return measure


def update_measure(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    name: str,
    *,
    value: float,
    note: str = "",
    at: datetime | None = None,
    by: str | None = None,
    imported: bool = False,
) -> MeasureUpdate:
    """Record a measure's new value (the sponsor, or a lead of a team partnering on the purpose).

    Admins do not, unless they are one of those. On import an admin replays an update made
    earlier `by` someone (whose role may have changed since), or by nobody known.
    """
    with uow:
        actor = uow.bind(actor)
        purpose = uow.purposes.get(key, for_update=True)
        measure = purpose.measure(name)
        person: Person | None
        if imported or by is not None:
            ensure_admin(actor, "replay measure updates")
            person = uow.org.person(by) if by is not None else None
        else:
            person = ensure_can_write(actor)
            partner_leads = {
                id(lead)
                for partnership in uow.partnerships.list(purpose=purpose)
                for party in partnership.parties
                for lead in party.team.leads()
            }
            if person is not purpose.sponsor and id(person) not in partner_leads:
                raise Forbidden(
                    f"only the sponsor of {key!r} or a lead of a partner team "
                    "may update its measures",
                    rule="permission.measure_update",
                )
        when = at or uow.now()
        update = measure.record(
            value, when, check_text(note, "note", max_length=2000, required=False), person
        )
        uow.record(
            "measure.updated",
            _subject(purpose),
            person.email if person is not None else actor_name(actor),
            when,
            {"name": measure.name, "value": value, "note": update.note},
        )
        uow.commit()
        return update


def get_purpose(uow: UnitOfWork, key: str) -> Purpose:
    """One purpose."""
    with uow:
        return uow.purposes.get(key)


def list_purposes(
    uow: UnitOfWork,
    *,
    status: PurposeStatus | str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> Sequence[Purpose]:
    """Purposes by key, optionally of one status (all, or the page after `after`)."""
    with uow:
        return uow.purposes.list(
            status=choice(PurposeStatus, status, "purpose status") if status else None,
            after=after,
            limit=limit,
        )


def _payload(purpose: Purpose) -> dict[str, Any]:
    return {
        "key": purpose.key,
        "title": purpose.title,
        "statement": purpose.statement,
        "sponsor": purpose.sponsor.email if purpose.sponsor else None,
        "target_date": purpose.target_date.isoformat() if purpose.target_date else None,
        "parent": purpose.parent.key if purpose.parent else None,
        "status": purpose.status.value,
    }
