"""Page: search everything the reader may see, from the box in every page's header."""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import HTMLResponse, Response

from accord.search import service as search
from accord.search.domain import Kind, search_words
from accord.web.common import PagePerson, PageUow, page_router, render

router = page_router()

LIMIT = 50
# Each kind as the page names it, one and many.
KIND_NAMES = {
    Kind.COMMITMENT: ("Commitment", "Commitments"),
    Kind.PARTNERSHIP: ("Partnership", "Partnerships"),
    Kind.PURPOSE: ("Purpose", "Purposes"),
    Kind.TEAM: ("Team", "Teams"),
    Kind.PERSON: ("Person", "People"),
    Kind.STORY: ("Story", "Stories"),
}


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request, person: PagePerson, uow: PageUow, q: str = "", kind: str = ""
) -> Response:
    """What matches the words, best match first, of every kind or of one."""
    q = q[:500]
    chosen = Kind(kind) if kind in {k.value for k in Kind} else None
    with uow:  # open while rendering: templates follow relations of what was found
        hits = search.search(uow, person, q, kinds=[chosen] if chosen else None, limit=LIMIT)
        return render(
            request,
            "search.html",
            {
                "person": person,
                "q": q,
                "words": bool(search_words(q)),
                "kind": chosen,
                "hits": hits,
                "kind_names": KIND_NAMES,
                "limit": LIMIT,
            },
        )
