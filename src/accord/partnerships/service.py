"""Use cases of partnerships: charters, invitations, parties joining and leaving, affirmation
and status.

Longer than most modules on purpose: each use case is short, and they share the charter's
checks, lookups and views.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from accord.commitments.domain import OPEN, may_request
from accord.errors import Conflict, Forbidden, Invalid, RuleBroken, about, choice
from accord.events.catalog import (
    CharterAffirmed,
    CharterUpdated,
    ContributionSet,
    InvitationAccepted,
    InvitationDeclined,
    InvitationWithdrawn,
    PartnerInvited,
    PartnershipActivated,
    PartnershipCreated,
    PartnershipStatusChanged,
    PartyAdded,
    PartyLeft,
)
from accord.events.domain import iso
from accord.org.domain import (
    Actor,
    Person,
    Team,
    actor_name,
    check_text,
    choose_key,
    ensure_admin,
    ensure_can_write,
    ensure_lead,
    may_lead,
)
from accord.partnerships.domain import (
    CLOSED,
    Check,
    Invitation,
    InvitationState,
    Label,
    Partnership,
    PartnershipStatus,
    charter_checks,
    ensure_may_lead_partnership,
    label,
    may_lead_partnership,
)
from accord.uow import UnitOfWork

MAX_AGREEMENTS = 50


@dataclass(frozen=True)
class PartnershipView:
    """A partnership with what Accord derives from it; read for someone, also what they may do
    with it now (DESIGN §7)."""

    partnership: Partnership
    checks: list[Check]
    label: Label
    may_lead: bool = False  # edit the charter, change the status, invite, open a health check
    led_parties: frozenset[str] = frozenset()  # the parties they affirm for, contribute, leave
    requesting_parties: frozenset[str] = frozenset()  # the parties they may ask a partner for
    answerable_invitations: frozenset[int] = frozenset()  # pending ones they accept or decline


def view(
    partnership: Partnership,
    reader: Actor | None = None,
    pending: Sequence[Invitation] = (),
) -> PartnershipView:
    """The partnership's checks and label; with a `reader`, what they may do with it and with
    its `pending` invitations."""
    checks = charter_checks(partnership)
    if reader is None:
        return PartnershipView(partnership, checks, label(checks))
    teams = [party.team for party in partnership.parties]
    return PartnershipView(
        partnership,
        checks,
        label(checks),
        may_lead=may_lead_partnership(reader, partnership),
        led_parties=frozenset(t.slug for t in teams if may_lead(reader, t)),
        requesting_parties=frozenset(t.slug for t in teams if may_request(reader, t)),
        answerable_invitations=frozenset(
            i.id for i in pending if i.id is not None and may_lead(reader, i.team)
        ),
    )


def _agreements(items: Sequence[str]) -> list[str]:
    if len(items) > MAX_AGREEMENTS:
        raise Invalid(
            f"at most {MAX_AGREEMENTS} working agreements",
            rule="partnership.too_many_agreements",
            field="working_agreements",
        )
    return [
        check_text(item, "working agreement", max_length=500, field="working_agreements")
        for item in items
    ]


def _contribution(text: str) -> str:
    return check_text(text, "contribution", max_length=1000, required=False, field="contribution")


def _status(status: PartnershipStatus | str) -> PartnershipStatus:
    return choice(PartnershipStatus, status, "partnership status", field="status")


def _review(days: int | None) -> int | None:
    if days is not None and not 1 <= days <= 366:
        raise Invalid(
            "review every (days) must be from 1 to 366",
            rule="partnership.review_invalid",
            field="review_every_days",
        )
    return days


def create_partnership(
    uow: UnitOfWork,
    actor: Actor,
    *,
    name: str,
    purpose: str,
    parties: Sequence[tuple[str, str]],
    working_agreements: Sequence[str] = (),
    review_every_days: int | None = None,
    key: str | None = None,
    imported: bool = False,
    affirm: Sequence[str] = (),
) -> PartnershipView:
    """Start a partnership around one purpose (a lead of one of its parties; an admin on import).

    The starter affirms at once the charter for the parties named in `affirm`, teams they lead
    that state their contribution: starting it is their signature too.
    """
    with uow:
        actor = uow.bind(actor)
        if imported:
            ensure_admin(actor, "import partnerships")
        name = check_text(name, "partnership name", field="name")
        teams: list[tuple[Team, str]] = []
        for slug, contribution in parties:
            with about("parties"):
                team = uow.org.team(slug)
            if any(team is other for other, _ in teams):
                raise RuleBroken(
                    f"team {slug!r} is named twice as a party",
                    rule="partnership.party_exists",
                    field="parties",
                )
            teams.append((team, _contribution(contribution)))
        if not imported:
            person = ensure_can_write(actor)
            if not any(may_lead(person, team) for team, _ in teams):
                raise Forbidden(
                    "only a lead of a team that becomes a party may start a partnership",
                    rule="permission.party_lead",
                )
        signers: list[tuple[Team, Person]] = []
        for slug in dict.fromkeys(affirm):
            signing = next((team for team, _ in teams if team.slug == slug), None)
            if signing is None:
                raise RuleBroken(
                    f"team {slug!r} affirms only as a party of the partnership",
                    rule="partnership.not_a_party",
                    field="parties",
                )
            signers.append((signing, ensure_lead(actor, signing, f"affirm for {slug!r}")))
        key = choose_key(key, name, "partnership", uow.partnerships.keys_like)
        if uow.partnerships.find(key) is not None:
            raise Conflict(
                f"partnership {key!r} already exists", rule="partnership.exists", field="key"
            )
        with about("purpose"):
            the_purpose = uow.purposes.get(purpose)
        partnership = Partnership(
            key=key,
            name=name,
            purpose=the_purpose,
            working_agreements=_agreements(working_agreements),
            review_every_days=_review(review_every_days),
        )
        for team, contribution in teams:
            partnership.add_party(team, contribution)
        partnership.charter_version = 1
        uow.partnerships.add(partnership)
        uow.record(
            PartnershipCreated(
                partnership=partnership.key,
                actor=actor_name(actor),
                at=uow.now(),
                name=name,
                purpose=purpose,
                parties=[{"team": t.slug, "contribution": c} for t, c in teams],
                working_agreements=partnership.working_agreements,
                review_every_days=partnership.review_every_days,
            )
        )
        for team, signer in signers:
            _affirmed(uow, partnership, team, signer, uow.now())
        uow.commit()
        return view(partnership)


def invite(uow: UnitOfWork, actor: Actor, key: str, team: str) -> Invitation:
    """Invite a team to join as a party (a lead of a current party); it joins only once a lead
    of that team accepts."""
    with uow:
        actor = uow.bind(actor)
        partnership = uow.partnerships.get(key, for_update=True)
        person = ensure_may_lead_partnership(actor, partnership, "invite a team")
        with about("team"):
            invited = uow.org.team(team)
        pending = uow.partnerships.invitations(
            partnership=partnership, teams=[invited], state=InvitationState.PENDING
        )
        invitation = partnership.invite(invited, person, uow.now(), pending)
        uow.partnerships.add_invitation(invitation)
        uow.flush()  # the invitation's id, for its event
        uow.record(
            PartnerInvited(
                partnership=partnership.key,
                actor=person.email,
                at=invitation.invited_at,
                invitation=invitation.id,
                team=invited.slug,
            )
        )
        uow.commit()
        return invitation


def _pending_invitation(uow: UnitOfWork, invitation_id: int) -> tuple[Invitation, Partnership]:
    """The invitation and its partnership, both locked: the partnership's row first, as every
    change of a charter takes it, then the invitation's, read afresh."""
    key = uow.partnerships.invitation(invitation_id).partnership.key
    partnership = uow.partnerships.get(key, for_update=True)
    return uow.partnerships.invitation(invitation_id, for_update=True), partnership


def accept_invitation(
    uow: UnitOfWork, actor: Actor, invitation_id: int, contribution: str = ""
) -> Invitation:
    """Join the partnership one's team is invited to, stating its contribution (a lead of the
    invited team); the charter changes, so it goes back to forming until every party affirms."""
    with uow:
        actor = uow.bind(actor)
        invitation, partnership = _pending_invitation(uow, invitation_id)
        person = ensure_lead(actor, invitation.team, "accept its invitation")
        stated = _contribution(contribution)
        now = uow.now()
        invitation.accept(person, stated, now)
        uow.record(
            InvitationAccepted(
                partnership=partnership.key,
                actor=person.email,
                at=now,
                invitation=invitation.id,
                team=invitation.team.slug,
                contribution=stated,
                charter_version=partnership.charter_version,
                status=partnership.status.value,
            )
        )
        uow.commit()
        return invitation


def decline_invitation(uow: UnitOfWork, actor: Actor, invitation_id: int) -> Invitation:
    """Turn down an invitation to join a partnership (a lead of the invited team)."""
    return _close_invitation(uow, actor, invitation_id, "declined")


def withdraw_invitation(uow: UnitOfWork, actor: Actor, invitation_id: int) -> Invitation:
    """Take back an invitation that waits for its answer (a lead of a current party)."""
    return _close_invitation(uow, actor, invitation_id, "withdrawn")


def _close_invitation(uow: UnitOfWork, actor: Actor, invitation_id: int, how: str) -> Invitation:
    """End a pending invitation without a new party: `declined` by a lead of the invited team,
    or `withdrawn` by a lead of a current party."""
    with uow:
        actor = uow.bind(actor)
        invitation, partnership = _pending_invitation(uow, invitation_id)
        now = uow.now()
        if how == "declined":
            team = invitation.team.slug
            person = ensure_lead(actor, invitation.team, f"decline the invitation of {team!r}")
            invitation.decline(person, now)
        else:
            person = ensure_may_lead_partnership(actor, partnership, "withdraw an invitation")
            invitation.withdraw(person, now)
        closed = InvitationDeclined if how == "declined" else InvitationWithdrawn
        uow.record(
            closed(
                partnership=partnership.key,
                actor=person.email,
                at=now,
                invitation=invitation.id,
                team=invitation.team.slug,
            )
        )
        uow.commit()
        return invitation


def leave(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    team: str,
    *,
    at: datetime | None = None,
    imported: bool = False,
) -> PartnershipView:
    """Take a party out of a partnership (a lead of that party's team; an admin on import).

    Its commitments there must all be settled or withdrawn first, and at least two parties must
    remain. The others' affirmations stand, since their charter did not change; the party's
    past commitments and events stay.
    """
    with uow:
        actor = uow.bind(actor)
        partnership = uow.partnerships.get(key, for_update=True)
        party_team = uow.org.team(team)
        if imported:
            ensure_admin(actor, "import partnerships")
        else:
            ensure_lead(actor, party_team, "take it out of the partnership")
        when = at or uow.now()
        found = uow.commitments.list(partnership=partnership, team=party_team)
        if imported:
            later = [c for c in found if c.updated_at is not None and c.updated_at > when]
            if later:
                raise RuleBroken(
                    f"team {team!r} cannot leave {key!r} at {iso(when)}: its commitment "
                    f"{later[0].key!r} moved after that",
                    rule="partnership.left_before_commitment",
                )
        party, activated = partnership.leave(party_team, [c.key for c in found if c.state in OPEN])
        uow.record(
            PartyLeft(
                partnership=partnership.key,
                actor=actor_name(actor),
                at=when,
                team=team,
                contribution=party.contribution,
                status=partnership.status.value,
            )
        )
        if activated:
            uow.record(
                PartnershipActivated(partnership=partnership.key, actor=actor_name(actor), at=when)
            )
        uow.commit()
        return view(partnership)


def get_invitation(uow: UnitOfWork, invitation_id: int) -> Invitation:
    """One invitation, whatever its state."""
    with uow:
        return uow.partnerships.invitation(invitation_id)


def list_invitations(
    uow: UnitOfWork,
    *,
    partnership: str | None = None,
    team: str | None = None,
    state: InvitationState | str | None = None,
    after: int | None = None,
    limit: int | None = None,
) -> list[Invitation]:
    """Invitations oldest first: of one partnership, to one team, in one state (all, or a page)."""
    with uow:
        return list(
            uow.partnerships.invitations(
                partnership=uow.partnerships.get(partnership) if partnership else None,
                teams=[uow.org.team(team)] if team else None,
                state=choice(InvitationState, state, "invitation state") if state else None,
                after=after,
                limit=limit,
            )
        )


def invitations_to_answer(uow: UnitOfWork, person: Person) -> list[Invitation]:
    """The pending invitations to the teams `person` leads: theirs to accept or decline."""
    with uow:
        person = uow.org.person_by_id(person.id)
        led = [team for team in person.teams() if may_lead(person, team)]
        if not led:
            return []
        return list(uow.partnerships.invitations(teams=led, state=InvitationState.PENDING))


@dataclass(frozen=True)
class ToAffirm:
    """A partnership whose current charter a team must affirm, read for a lead of that team.

    When the team had affirmed an earlier charter, `changed_at` is when the charter changed
    after it did, and `changes` say what changed since, in words ("Data Platform's contribution
    was edited"); both are empty when the events do not tell. `contribution_missing`: the team
    has not yet said what it contributes.
    """

    partnership: Partnership
    team: Team
    affirmed_before: bool = False
    changed_at: datetime | None = None
    changes: tuple[str, ...] = ()

    @property
    def contribution_missing(self) -> bool:
        return not self.partnership.party(self.team).contribution.strip()


def to_affirm(uow: UnitOfWork, person: Person) -> list[ToAffirm]:
    """The open partnerships whose current charter a team `person` leads has not affirmed, by
    name; for a team that affirmed an earlier charter, when and how the charter changed since."""
    with uow:
        bound = uow.bind(person)
        if not isinstance(bound, Person):
            return []
        found: list[ToAffirm] = []
        for team in bound.teams():
            if not may_lead(bound, team):
                continue
            for partnership in uow.partnerships.list(team=team):
                party = partnership.party(team)
                if not partnership.is_open or partnership.is_affirmed(party):
                    continue
                since = party.affirmed_version
                if since is None or party.affirmed_by is None:
                    found.append(ToAffirm(partnership, team))
                    continue
                changed_at, changes = _charter_changes(uow, partnership, since)
                found.append(ToAffirm(partnership, team, True, changed_at, tuple(changes)))
        return sorted(found, key=lambda a: (a.partnership.name.lower(), a.team.name.lower()))


def parties_to_affirm(uow: UnitOfWork, key: str) -> list[ToAffirm]:
    """The parties of an open partnership that have yet to affirm its current charter, in the
    charter's order; for one that affirmed an earlier charter, when and how it changed since
    (the partnership page says why they affirm again)."""
    with uow:
        partnership = uow.partnerships.get(key)
        if not partnership.is_open:
            return []
        found: list[ToAffirm] = []
        for party in partnership.parties:
            if partnership.is_affirmed(party):
                continue
            since = party.affirmed_version
            if since is None or party.affirmed_by is None:
                found.append(ToAffirm(partnership, party.team))
                continue
            changed_at, changes = _charter_changes(uow, partnership, since)
            found.append(ToAffirm(partnership, party.team, True, changed_at, tuple(changes)))
        return found


def _charter_changes(
    uow: UnitOfWork, partnership: Partnership, since: int
) -> tuple[datetime | None, list[str]]:
    """When the charter first changed after its version `since`, and each change after it in
    words, read from the partnership's events (a version each event names, or counted)."""
    names = {p.team.slug: p.team.name for p in partnership.parties}

    def name(slug: str) -> str:
        if slug not in names:
            team = uow.org.find_team(slug, members=False)
            names[slug] = team.name if team is not None else slug
        return names[slug]

    version = 1
    contributions: dict[str, str] = {}
    purpose: Any = None
    agreements: Any = None
    changed_at: datetime | None = None
    changes: list[str] = []
    for event in uow.events.for_subject(f"partnership:{partnership.key}"):
        payload, said = event.payload, ""
        if event.type == PartnershipCreated.type:
            parties = payload.get("parties") or []
            contributions = {p["team"]: p.get("contribution", "") for p in parties}
            purpose, agreements = payload.get("purpose"), payload.get("working_agreements")
            continue
        if event.type in (InvitationAccepted.type, PartyAdded.type):
            contributions[payload["team"]] = payload.get("contribution", "")
            said = f"{name(payload['team'])} joined"
            new_version = payload.get("charter_version", version + 1)
        elif event.type == ContributionSet.type:
            before = contributions.get(payload["team"], "").strip()
            contributions[payload["team"]] = payload.get("contribution", "")
            how = "edited" if before else "stated"
            said = f"{name(payload['team'])}'s contribution was {how}"
            new_version = payload.get("charter_version", version)
        elif event.type == CharterUpdated.type:
            what = []
            if purpose is not None and payload.get("purpose") != purpose:
                found = uow.purposes.find(payload.get("purpose", ""))
                what.append(f"the purpose became {found.title}" if found else "the purpose changed")
            if agreements is not None and payload.get("working_agreements") != agreements:
                what.append("the working agreements were edited")
            purpose, agreements = payload.get("purpose"), payload.get("working_agreements")
            said = " and ".join(what)
            new_version = payload.get("charter_version", version)
        else:
            continue
        if new_version > version:
            version = new_version
            if version > since:
                changed_at = changed_at or event.at
                if said:
                    changes.append(said)
    return changed_at, changes


_UNSET: Any = object()


def update_charter(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    *,
    name: str | None = None,
    purpose: str | None = None,
    working_agreements: Sequence[str] | None = None,
    review_every_days: int | None = _UNSET,
    status: PartnershipStatus | str | None = None,
    note: str | None = None,
) -> PartnershipView:
    """Edit the charter and the status (a lead of a party); a new purpose or agreements need new
    affirmations. A `note` says why the status changes."""
    with uow:
        actor = uow.bind(actor)
        partnership = uow.partnerships.get(key, for_update=True)
        ensure_may_lead_partnership(actor, partnership, "edit the charter")
        new_status = _status(status) if status else None
        edits = (name, purpose, working_agreements)
        edited = any(e is not None for e in edits) or review_every_days is not _UNSET
        if edited:
            partnership.ensure_open()
        if name is not None:
            partnership.name = check_text(name, "partnership name", field="name")
        if purpose is not None:
            with about("purpose"):
                partnership.set_purpose(uow.purposes.get(purpose))
        if working_agreements is not None:
            partnership.set_working_agreements(_agreements(working_agreements))
        if review_every_days is not _UNSET:
            partnership.review_every_days = _review(review_every_days)
        if edited:
            uow.record(
                CharterUpdated(
                    partnership=partnership.key,
                    actor=actor_name(actor),
                    at=uow.now(),
                    name=partnership.name,
                    purpose=partnership.purpose.key,
                    working_agreements=list(partnership.working_agreements),
                    review_every_days=partnership.review_every_days,
                    charter_version=partnership.charter_version,
                    status=partnership.status.value,
                )
            )
        if new_status is not None and new_status != partnership.status:
            _move(uow, actor, partnership, new_status, note)
        uow.commit()
        return view(partnership)


def set_contribution(
    uow: UnitOfWork, actor: Actor, key: str, team: str, contribution: str
) -> PartnershipView:
    """State what a party uniquely contributes (a lead of that party's team)."""
    with uow:
        actor = uow.bind(actor)
        partnership = uow.partnerships.get(key, for_update=True)
        party_team = uow.org.team(team)
        ensure_lead(actor, party_team, f"state the contribution of {team!r}")
        partnership.set_contribution(party_team, _contribution(contribution))
        uow.record(
            ContributionSet(
                partnership=partnership.key,
                actor=actor_name(actor),
                at=uow.now(),
                team=team,
                contribution=contribution.strip(),
                charter_version=partnership.charter_version,
                status=partnership.status.value,
            )
        )
        uow.commit()
        return view(partnership)


def affirm(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    team: str,
    *,
    at: datetime | None = None,
    by: str | None = None,
) -> PartnershipView:
    """Sign the charter for a party (a lead of its team).

    On import an admin replays an affirmation made earlier by `by`, who must be a member of
    the party's team (they may have led it then and not now).
    """
    with uow:
        actor = uow.bind(actor)
        partnership = uow.partnerships.get(key, for_update=True)
        with about("team"):
            party_team = uow.org.team(team)
        if by is not None:
            ensure_admin(actor, "replay affirmations")
            person = uow.org.person(by)
            if not person.is_member(party_team):
                raise Forbidden(
                    f"{person.email} cannot affirm for {team!r}: not a member of that team",
                    rule="partnership.affirmer_not_member",
                )
        else:
            person = ensure_lead(actor, party_team, f"affirm the charter for {team!r}")
        _affirmed(uow, partnership, party_team, person, at or uow.now(), replayed=by is not None)
        uow.commit()
        return view(partnership)


def _affirmed(
    uow: UnitOfWork,
    partnership: Partnership,
    team: Team,
    person: Person,
    when: datetime,
    *,
    replayed: bool = False,
) -> None:
    """`person` signs the current charter for `team`, and the log says so (and that the
    partnership became active, when this was the last signature)."""
    activated = partnership.affirm(team, person, when, replayed=replayed)
    uow.record(
        CharterAffirmed(
            partnership=partnership.key,
            actor=person.email,
            at=when,
            team=team.slug,
            charter_version=partnership.charter_version,
        )
    )
    if activated:
        uow.record(PartnershipActivated(partnership=partnership.key, actor=person.email, at=when))


def set_status(
    uow: UnitOfWork,
    actor: Actor,
    key: str,
    status: PartnershipStatus | str,
    *,
    imported: bool = False,
    note: str | None = None,
) -> PartnershipView:
    """Pause, resume, conclude or dissolve a partnership (a lead of a party), saying why in an
    optional `note`."""
    with uow:
        actor = uow.bind(actor)
        partnership = uow.partnerships.get(key, for_update=True)
        if imported:
            ensure_admin(actor, "import partnerships")
        else:
            ensure_may_lead_partnership(actor, partnership, "change its status")
        _move(uow, actor, partnership, _status(status), note)
        uow.commit()
        return view(partnership)


def _move(
    uow: UnitOfWork,
    actor: Actor,
    partnership: Partnership,
    status: PartnershipStatus,
    note: str | None = None,
) -> None:
    before = partnership.status
    why = check_text(note or "", "note", max_length=1000, required=False, field="note")
    partnership.move_to(status)
    uow.record(
        PartnershipStatusChanged(
            partnership=partnership.key,
            actor=actor_name(actor),
            at=uow.now(),
            before=before.value,
            after=partnership.status.value,
            note=why or None,
        )
    )
    if partnership.status in CLOSED:
        # a closed charter takes no new party: what still waits for an answer is withdrawn
        now = uow.now()
        for invitation in uow.partnerships.invitations(
            partnership=partnership, state=InvitationState.PENDING
        ):
            invitation.withdraw(actor if isinstance(actor, Person) else None, now)
            uow.record(
                InvitationWithdrawn(
                    partnership=partnership.key,
                    actor=actor_name(actor),
                    at=now,
                    invitation=invitation.id,
                    team=invitation.team.slug,
                    reason=f"the partnership was {partnership.status.value}",
                )
            )


def get_partnership(uow: UnitOfWork, key: str, reader: Actor | None = None) -> PartnershipView:
    """One partnership with its charter checks and label, and what `reader` (if any) may do
    with it now."""
    with uow:
        partnership = uow.partnerships.get(key)
        if reader is None:
            return view(partnership)
        pending = uow.partnerships.invitations(
            partnership=partnership, state=InvitationState.PENDING
        )
        return view(partnership, uow.bind(reader), pending)


def list_partnerships(
    uow: UnitOfWork,
    *,
    team: str | None = None,
    purpose: str | None = None,
    label: Label | str | None = None,
    status: PartnershipStatus | str | None = None,
    after: str | None = None,
    limit: int | None = None,
) -> list[PartnershipView]:
    """Partnerships by key, optionally of one team, purpose, label or status (all, or a page)."""
    with uow:
        wanted = choice(Label, label, "label", field="label") if label else None
        the_team = uow.org.team(team) if team else None
        the_purpose = uow.purposes.get(purpose) if purpose else None
        the_status = _status(status) if status else None
        views: list[PartnershipView] = []
        batch = max(limit or 0, 100)
        while limit is None or len(views) < limit:
            found = uow.partnerships.list(
                team=the_team,
                purpose=the_purpose,
                status=the_status,
                after=after,
                limit=None if limit is None else batch,
            )
            views += [v for v in map(view, found) if wanted is None or v.label == wanted]
            if limit is None or len(found) < batch:
                break
            after = found[-1].key  # the label is derived: filter batch by batch
        return views[:limit] if limit is not None else views


def count_by_team(uow: UnitOfWork) -> dict[str, int]:
    """How many partnerships each team is a party of, by slug."""
    with uow:
        return uow.partnerships.count_by_team()


def count_by_purpose(uow: UnitOfWork) -> dict[str, int]:
    """How many partnerships serve each purpose, by key."""
    with uow:
        return uow.partnerships.count_by_purpose()
