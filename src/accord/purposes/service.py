"""Use cases of purposes and their measures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from accord.errors import Conflict, Forbidden, about, choice
from accord.events.catalog import (
    MeasureAdded,
    MeasureUpdated,
    PurposeCreated,
    PurposeStatusChanged,
    PurposeUpdated,
)
from accord.org.domain import (
    Actor,
    Person,
    Team,
    actor_name,
    check_text,
    choose_key,
    ensure_admin,
    ensure_can_write,
    is_admin,
)
from accord.purposes.domain import (
    STATUS_MOVES,
    Measure,
    MeasureUpdate,
    Purpose,
    PurposeStatus,
    ensure_may_edit_purposes,
    ensure_may_move_purpose,
    ensure_may_update_measures,
    may_edit_purposes,
    may_move_purpose,
    may_update_measures,
)
from accord.uow import UnitOfWork

_UNSET: Any = object()


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
        title = check_text(title, "purpose title", field="title")
        key = choose_key(key, title, "purpose", uow.purposes.keys_like)
        if uow.purposes.find(key) is not None:
            raise Conflict(f"purpose {key!r} already exists", rule="purpose.exists", field="key")
        purpose = Purpose(
            key=key,
            title=title,
            statement=check_text(
                statement, "statement", max_length=4000, required=False, field="statement"
            ),
            created_by=creator,
            target_date=target_date,
        )
        with about("sponsor"):
            purpose.sponsor = uow.org.person(sponsor) if sponsor else None
        if parent is not None:
            with about("parent"):
                purpose.set_parent(uow.purposes.get(parent))
        uow.purposes.add(purpose)
        uow.record(_described(PurposeCreated, purpose, actor, uow.now()))
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
        ensure_may_edit_purposes(actor)
        if title is not None:
            purpose.title = check_text(title, "purpose title", field="title")
        if statement is not None:
            purpose.statement = check_text(
                statement, "statement", max_length=4000, required=False, field="statement"
            )
        if sponsor is not _UNSET:
            may_hand_over = actor is purpose.sponsor or (
                purpose.sponsor is None and actor is purpose.created_by
            )
            if not (is_admin(actor) or may_hand_over):
                raise Forbidden(
                    f"only the sponsor of purpose {key!r} or an admin may change its sponsor",
                    rule="permission.purpose_sponsor",
                )
            with about("sponsor"):
                purpose.sponsor = uow.org.person(sponsor) if sponsor else None
        if target_date is not _UNSET:
            purpose.target_date = target_date
        if parent is not _UNSET:
            with about("parent"):
                purpose.set_parent(uow.purposes.get(parent) if parent else None)
        edited = title is not None or statement is not None
        if edited or any(v is not _UNSET for v in (sponsor, target_date, parent)):
            uow.record(_described(PurposeUpdated, purpose, actor, uow.now()))
        if status is not None and _status(status) != purpose.status:
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
    ensure_may_move_purpose(actor, purpose)
    before = purpose.status
    purpose.move_to(_status(status))
    uow.record(
        PurposeStatusChanged(
            purpose=purpose.key,
            actor=actor_name(actor),
            at=uow.now(),
            before=before.value,
            after=purpose.status.value,
        )
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
        ensure_may_edit_purposes(actor)
        measure = Measure(
            name=check_text(name, "measure name", field="name"),
            unit=check_text(unit, "unit", max_length=40, required=False, field="unit"),
            baseline=baseline,
            target=target,
            current=current if current is not None else baseline,
        )
        purpose.add_measure(measure)
        uow.record(
            MeasureAdded(
                purpose=purpose.key,
                actor=actor_name(actor),
                at=uow.now(),
                name=measure.name,
                unit=measure.unit,
                baseline=baseline,
                target=target,
                current=measure.current,
            )
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
            person = ensure_may_update_measures(actor, purpose, _partners(uow, purpose))
        when = at or uow.now()
        update = measure.record(
            value,
            when,
            check_text(note, "note", max_length=2000, required=False, field="note"),
            person,
        )
        uow.record(
            MeasureUpdated(
                purpose=purpose.key,
                actor=person.email if person is not None else actor_name(actor),
                at=when,
                name=measure.name,
                value=value,
                note=update.note,
            )
        )
        uow.commit()
        return update


def _partners(uow: UnitOfWork, purpose: Purpose) -> list[Team]:
    """The teams in a partnership on `purpose`."""
    return [
        party.team
        for partnership in uow.partnerships.list(purpose=purpose)
        for party in partnership.parties
    ]


def get_purpose(uow: UnitOfWork, key: str) -> Purpose:
    """One purpose."""
    with uow:
        return uow.purposes.get(key)


@dataclass(frozen=True)
class PurposeView:
    """A purpose with what a reader may do with it now (DESIGN §7)."""

    purpose: Purpose
    may_edit: bool  # its title, statement and target date; add measures
    status_moves: tuple[PurposeStatus, ...]  # the statuses the reader may move it to now
    may_update_measures: bool


def purpose_view(uow: UnitOfWork, reader: Actor, key: str) -> PurposeView:
    """One purpose, with what `reader` may do with it now."""
    with uow:
        reader = uow.bind(reader)
        purpose = uow.purposes.get(key)
        moves = STATUS_MOVES[purpose.status] if may_move_purpose(reader, purpose) else ()
        return PurposeView(
            purpose,
            may_edit_purposes(reader),
            tuple(s for s in PurposeStatus if s in moves),
            may_update_measures(reader, purpose, _partners(uow, purpose)),
        )


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
            status=_status(status) if status else None,
            after=after,
            limit=limit,
        )


def _described(
    event: type[PurposeCreated | PurposeUpdated], purpose: Purpose, actor: Actor, at: datetime
) -> PurposeCreated | PurposeUpdated:
    return event(
        purpose=purpose.key,
        actor=actor_name(actor),
        at=at,
        title=purpose.title,
        statement=purpose.statement,
        sponsor=purpose.sponsor.email if purpose.sponsor else None,
        target_date=purpose.target_date.isoformat() if purpose.target_date else None,
        parent=purpose.parent.key if purpose.parent else None,
        status=purpose.status.value,
    )


def _status(status: PurposeStatus | str) -> PurposeStatus:
    return choice(PurposeStatus, status, "purpose status", field="status")
