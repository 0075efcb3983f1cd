"""Queries for teams, people and tokens; never commits."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from accord.db import KeyCache
from accord.errors import NotFound
from accord.org.domain import ApiToken, Person, Team
from accord.org.orm import api_tokens_table, people_table, teams_table


class OrgRepository:
    def __init__(self, session: Session) -> None:
        self.session = session
        self._teams = KeyCache[Team](session)
        self._people = KeyCache[Person](session)

    def add(self, item: Team | Person | ApiToken) -> None:
        self.session.add(item)

    def find_team(self, slug: str) -> Team | None:
        return self._teams.find(
            slug,
            lambda: self.session.scalars(select(Team).where(teams_table.c.slug == slug)).first(),
        )

    def team(self, slug: str) -> Team:
        team = self.find_team(slug)
        if team is None:
            raise NotFound(f"no team {slug!r}", rule="team.not_found")
        return team

    def teams(self) -> Sequence[Team]:
        return self.session.scalars(select(Team).order_by(teams_table.c.slug)).unique().all()

    def find_person(self, email: str) -> Person | None:
        email = email.strip().lower()
        return self._people.find(
            email,
            lambda: self.session.scalars(
                select(Person).where(people_table.c.email == email)
            ).first(),
        )

    def person(self, email: str) -> Person:
        person = self.find_person(email)
        if person is None:
            raise NotFound(f"no person {email!r}", rule="person.not_found")
        return person

    def person_by_id(self, person_id: int | None) -> Person:
        person = self.session.get(Person, person_id) if person_id is not None else None
        if person is None:
            raise NotFound("the signed-in person no longer exists", rule="person.not_found")
        return person

    def people(self) -> Sequence[Person]:
        return self.session.scalars(select(Person).order_by(people_table.c.email)).all()

    def token_by_hash(self, token_hash: str) -> ApiToken | None:
        return self.session.scalars(
            select(ApiToken).where(api_tokens_table.c.token_hash == token_hash)
        ).first()
