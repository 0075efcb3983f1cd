"""Search everything a reader may see: commitments, partnerships, purposes, teams, people and
stories, best match first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import quote

from accord.commitments.domain import Commitment
from accord.commitments.words import sentence
from accord.org.domain import Actor, MemberRole, Person, Team, is_admin
from accord.partnerships.domain import Partnership
from accord.purposes.domain import Purpose
from accord.search.domain import KIND_ORDER, Kind, SearchHit, rank_of, search_words
from accord.search.repository import Seen
from accord.stories.domain import Story
from accord.stories.markup import first_lines
from accord.uow import UnitOfWork

DEFAULT_LIMIT = 30
MAX_LIMIT = 100
# How many matches of one kind are ranked: the newest this many, when more hold every word.
POOL = 100
CONTEXT = 160


def search(
    uow: UnitOfWork,
    actor: Actor,
    query: str,
    kinds: Iterable[Kind] | None = None,
    limit: int = DEFAULT_LIMIT,
) -> list[SearchHit]:
    """What holds every word of `query` among what `actor` may see, best match first.

    Punctuation, quotes and search operators in `query` are only word breaks. A hit whose title
    holds the words comes first (accord.search.domain.rank_of); when more than `POOL` things of
    one kind hold them all, the newest `POOL` are the ones ranked, which the index finds without
    reading the others.
    """
    words = search_words(query)
    wanted = list(dict.fromkeys(kinds)) if kinds is not None else list(Kind)
    if not words or not wanted:
        return []
    limit = max(1, min(limit, MAX_LIMIT))
    with uow:
        actor = uow.bind(actor)
        seen = Seen(
            all_hidden=is_admin(actor),
            reader_id=actor.id if isinstance(actor, Person) else None,
            inactive_people=is_admin(actor),
        )
        scored = [
            (rank_of(words, match.title), kind, match.id)
            for kind in wanted
            for match in uow.search.matches(kind, words, seen, POOL)
        ]
        scored.sort(key=lambda hit: (-hit[0], KIND_ORDER[hit[1]], -hit[2]))
        best = scored[:limit]
        loaded = {
            kind: uow.search.load(kind, [id_ for _, k, id_ in best if k == kind]) for kind in wanted
        }
        hits = []
        for rank, kind, id_ in best:
            item = loaded[kind].get(id_)
            if item is not None:
                hits.append(_hit(kind, item, rank, actor))
        return hits


def _hit(kind: Kind, item: Any, rank: float, reader: Actor) -> SearchHit:
    if isinstance(item, Commitment):
        return SearchHit(
            kind, item.key, item.title, sentence(item), _path("commitments", item.key), rank, item
        )
    if isinstance(item, Partnership):
        teams = ", ".join(party.team.name for party in item.parties)
        context = f"For {item.purpose.title}" + (f", between {teams}" if teams else "")
        return SearchHit(
            kind, item.key, item.name, context, _path("partnerships", item.key), rank, item
        )
    if isinstance(item, Purpose):
        context = _short(item.statement) or f"A purpose, {item.status.value}"
        return SearchHit(
            kind, item.key, item.title, context, _path("purposes", item.key), rank, item
        )
    if isinstance(item, Team):
        context = _short(item.mission) or f"A {item.kind.value.replace('_', ' ')}"
        return SearchHit(kind, item.slug, item.name, context, _path("teams", item.slug), rank, item)
    if isinstance(item, Person):
        return SearchHit(
            kind, item.email, item.name, _roles(item), _person_path(item, reader), rank, item
        )
    assert isinstance(item, Story)
    context = _short(first_lines(item.body)) + (" (hidden)" if item.hidden else "")
    return SearchHit(kind, item.key, item.title, context, _path("stories", item.key), rank, item)


def _path(area: str, key: str) -> str:
    return f"/{area}/{quote(key, safe='@')}"


def _short(words: str) -> str:
    flat = " ".join(words.split())
    return flat if len(flat) <= CONTEXT else flat[: CONTEXT - 1].rstrip() + "…"


def _roles(person: Person) -> str:
    """'Lead of Data Platform; member of Billing', or what stands for it."""
    if not person.active:
        return "No longer active"
    memberships = person.current_memberships
    if not memberships:
        return "In no team"
    said = [
        ("lead of " if m.role == MemberRole.LEAD else "member of ") + m.team.name
        for m in memberships
    ]
    text = "; ".join(said)
    return text[0].upper() + text[1:]


def _person_path(person: Person, reader: Actor) -> str:
    """An admin's page of the person for admins; for others, the page of the person's first team
    (people have no page of their own)."""
    if is_admin(reader) and isinstance(reader, Person):
        return _path("admin/people", person.email)
    teams = person.teams()
    return _path("teams", teams[0].slug) if teams else ""
