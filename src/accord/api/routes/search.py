"""Search everything the caller may see."""

from __future__ import annotations

from typing import Annotated

from fastapi import Query

from accord.api.errors import problems
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep
from accord.search import service as search
from accord.search.domain import Kind
from accord.search.schemas import SearchHitRead, SearchResults

router = make_router("search")


@router.get("/search", response_model=SearchResults, responses=problems(401, 422))
def search_everything(
    person: CurrentPerson,
    uow: ReadUowDep,
    q: Annotated[str, Query(max_length=500, description="Words to find: every one must be there.")],
    kind: Annotated[
        list[Kind] | None, Query(description="Only these kinds (repeat for several).")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=search.MAX_LIMIT)] = search.DEFAULT_LIMIT,
) -> SearchResults:
    """Commitments, partnerships, purposes, teams, people and stories matching `q`, best first."""
    hits = search.search(uow, person, q, kinds=kind, limit=limit)
    return SearchResults(items=[SearchHitRead.of(hit) for hit in hits])
