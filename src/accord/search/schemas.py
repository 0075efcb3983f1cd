"""The edge of search: a hit as JSON."""

from __future__ import annotations

from pydantic import BaseModel, Field

from accord.search.domain import Kind, SearchHit


class SearchHitRead(BaseModel):
    kind: Kind
    key: str = Field(description="The thing's key: a slug for a team, an e-mail for a person.")
    title: str = Field(description="Its title or name.")
    context: str = Field(description="A line that places it: a commitment's sentence, say.")
    path: str = Field(description="Its page in the web app; empty when it has none.")
    rank: float = Field(description="Higher is a better match; the hits come best first.")

    @classmethod
    def of(cls, hit: SearchHit) -> SearchHitRead:
        return cls(
            kind=hit.kind,
            key=hit.key,
            title=hit.title,
            context=hit.context,
            path=hit.path,
            rank=hit.rank,
        )


class SearchResults(BaseModel):
    items: list[SearchHitRead]
