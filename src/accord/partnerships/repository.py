"""Queries for partnerships and the invitations to join them; never commits."""

from __future__ import annotations

import functools
from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from accord.db import KeyCache
from accord.errors import NotFound
from accord.org.domain import Team
from accord.partnerships.domain import (
    Invitation,
    InvitationState,
    Partnership,
    PartnershipStatus,
    Party,
)
from accord.partnerships.orm import invitations_table, parties_table, partnerships_table
from accord.purposes.domain import Purpose


@functools.cache
def charter_options(parties_joined: bool = False) -> tuple[Any, ...]:
    """Load a partnership with its purpose, parties, their teams and signers, but none of
    theirs (members, measures): those load only when a use case asks (built once: options
    are immutable, and building them costs more than the query). The parties are selected
    after the partnerships, or joined into their one statement (`parties_joined`: what a
    request's look-up of its partnership, or an import's of those it lists, wants)."""
    parties = joinedload if parties_joined else selectinload
    return (
        joinedload(Partnership.purpose).lazyload("*"),  # type: ignore[misc, arg-type]
        parties(Partnership.parties)  # type: ignore[arg-type]
        .joinedload(Party.team)  # type: ignore[misc, arg-type]
        .lazyload("*"),
        parties(Partnership.parties)  # type: ignore[arg-type]
        .joinedload(Party.affirmed_by)  # type: ignore[arg-type]
        .lazyload("*"),
    )


@functools.cache
def _invitation() -> tuple[Any, ...]:
    """Load an invitation with its partnership, team and people, but none of theirs."""
    return tuple(
        joinedload(getattr(Invitation, name)).lazyload("*")
        for name in ("partnership", "team", "invited_by", "answered_by")
    )


class PartnershipRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._by_key = KeyCache[Partnership](session)

    def count_by_team(self) -> dict[str, int]:
        """How many partnerships each team is a party of, by team slug (one query)."""
        from accord.org.orm import teams_table

        rows = self.session.execute(
            select(teams_table.c.slug, func.count())
            .join(parties_table, parties_table.c.team_id == teams_table.c.id)
            .group_by(teams_table.c.slug)
        )
        return {str(slug): int(count) for slug, count in rows}

    def count_by_purpose(self) -> dict[str, int]:
        """How many partnerships serve each purpose, by purpose key (one query)."""
        from accord.purposes.orm import purposes_table

        rows = self.session.execute(
            select(purposes_table.c.key, func.count())
            .join(partnerships_table, partnerships_table.c.purpose_id == purposes_table.c.id)
            .group_by(purposes_table.c.key)
        )
        return {str(key): int(count) for key, count in rows}

    def add(self, partnership: Partnership) -> None:
        self.session.add(partnership)
        self._by_key.remember(partnership.key, partnership)

    def find(self, key: str) -> Partnership | None:
        return self._by_key.find(
            key,
            lambda: self.session.scalars(
                select(Partnership)
                .where(partnerships_table.c.key == key)
                .options(*charter_options())
            ).first(),
        )

    def get(self, key: str, *, for_update: bool = False) -> Partnership:
        """The partnership; `for_update` locks its row until the commit (PostgreSQL), so two
        changes of one charter (two affirmations, say) see each other instead of racing."""
        if for_update:
            partnership = self.session.scalars(
                select(Partnership)
                .where(partnerships_table.c.key == key)
                .options(*charter_options())
                .with_for_update(of=partnerships_table)
                .execution_options(populate_existing=True)
            ).first()
        else:
            partnership = self.find(key)
        if partnership is None:
            raise NotFound(f"no partnership {key!r}", rule="partnership.not_found")
        return partnership

    def list(
        self,
        *,
        team: Team | None = None,
        purpose: Purpose | None = None,
        status: PartnershipStatus | None = None,
        after: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Partnership]:
        query = (
            select(Partnership)
            .order_by(partnerships_table.c.key)
            .limit(limit)
            .options(*charter_options())
        )
        if status is not None:
            query = query.where(partnerships_table.c.status == status)
        if after is not None:
            query = query.where(partnerships_table.c.key > after)
        if team is not None:
            query = query.where(
                partnerships_table.c.id.in_(
                    select(parties_table.c.partnership_id).where(parties_table.c.team_id == team.id)
                )
            )
        if purpose is not None:
            query = query.where(partnerships_table.c.purpose_id == purpose.id)
        return self.session.scalars(query).unique().all()

    def party_groups(
        self, *, purpose: Purpose | None = None, with_teams: Collection[int] | None = None
    ) -> dict[int, tuple[int, ...]]:
        """The ids of each partnership's parties' teams, by partnership id, in one query of two
        columns: of one purpose's partnerships, or of those that have a party among
        `with_teams`, or of all."""
        parties = parties_table.c
        query = select(parties.partnership_id, parties.team_id).order_by(
            parties.partnership_id, parties.team_id
        )
        if purpose is not None:
            query = query.where(
                parties.partnership_id.in_(
                    select(partnerships_table.c.id).where(
                        partnerships_table.c.purpose_id == purpose.id
                    )
                )
            )
        if with_teams is not None:
            query = query.where(
                parties.partnership_id.in_(
                    select(parties.partnership_id).where(parties.team_id.in_(list(with_teams)))
                )
            )
        groups: dict[int, tuple[int, ...]] = {}
        for partnership_id, team_id in self.session.execute(query):
            groups[partnership_id] = (*groups.get(partnership_id, ()), team_id)
        return groups

    def keys_like(self, prefix: str) -> set[str]:
        return set(
            self.session.scalars(
                select(partnerships_table.c.key).where(partnerships_table.c.key.startswith(prefix))
            )
        )

    def add_invitation(self, invitation: Invitation) -> None:
        self.session.add(invitation)

    def invitation(self, invitation_id: int, *, for_update: bool = False) -> Invitation:
        """The invitation; `for_update` locks its row and reads it afresh (take the lock of its
        partnership first, as every change of a charter does)."""
        query = select(Invitation).where(invitations_table.c.id == invitation_id)
        if for_update:
            query = query.with_for_update(of=invitations_table).execution_options(
                populate_existing=True
            )
        found = self.session.scalars(query.options(*_invitation())).first()
        if found is None:
            raise NotFound(f"no invitation {invitation_id}", rule="invitation.not_found")
        return found

    def invitations(
        self,
        *,
        partnership: Partnership | None = None,
        teams: Sequence[Team] | None = None,
        state: InvitationState | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> Sequence[Invitation]:
        """Invitations oldest first, of one partnership, to some teams, in one state."""
        c = invitations_table.c
        query = select(Invitation).order_by(c.id).limit(limit).options(*_invitation())
        if partnership is not None:
            query = query.where(c.partnership_id == partnership.id)
        if teams is not None:
            query = query.where(c.team_id.in_([team.id for team in teams]))
        if state is not None:
            query = query.where(c.state == state)
        if after is not None:
            query = query.where(c.id > after)
        return self.session.scalars(query).unique().all()
