"""Pages: the trust map between teams, its JSON for the graph, and the forecast's backtest."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from accord.channel.deps import ExpensiveReadsDep, ReadUowDep, SessionPerson, SettingsDep
from accord.org import service as org
from accord.org.domain import Person
from accord.purposes import service as purposes
from accord.trust.model import Bin
from accord.trust.service import MAP_DEPTHS, TrustMap
from accord.uow import UnitOfWork
from accord.web.common import PagePerson, page_router, render

router = page_router()


# The layout budget: the graph is drawn in the browser only up to this many teams and
# arrows (beyond it, a force layout is neither quick nor legible), and each table lists at
# most this many rows; a filter by purpose or team narrows the map to fit.
GRAPH_TEAMS = 150
GRAPH_PAIRS = 600
TABLE_ROWS = 200


@dataclass(frozen=True)
class Scope:
    """What the map is narrowed to, as asked in the query (None: nothing asked)."""

    purpose: str | None
    team: str | None
    depth: int

    @property
    def query(self) -> str:
        asked = {"purpose": self.purpose, "team": self.team}
        pairs = {k: v for k, v in asked.items() if v}
        if self.team:
            pairs["depth"] = str(self.depth)
        return urlencode(pairs)


def _scope(uow: UnitOfWork, person: Person, purpose: str, team: str, depth: str) -> Scope | None:
    """The scope asked for; with none asked, the whole organization while it fits the graph,
    else the reader's first team and its partners; None when there is no such team either."""
    steps = int(depth) if depth.isascii() and depth.isdigit() and len(depth) < 3 else 1
    if purpose.strip() or team.strip():
        return Scope(purpose.strip() or None, team.strip() or None, steps)
    if org.count_teams(uow) <= GRAPH_TEAMS:
        return Scope(None, None, 1)
    own = sorted(person.teams(), key=lambda t: t.name.lower())
    return Scope(None, own[0].slug, 1) if own else None


def _drawn(found: TrustMap) -> bool:
    """Whether the graph fits the layout budget."""
    linked = {e.requester for e in found.edges} | {e.performer for e in found.edges}
    return len(linked) <= GRAPH_TEAMS and len(found.edges) <= GRAPH_PAIRS


@router.get("/trust-map", response_class=HTMLResponse)
def trust_map_page(
    request: Request,
    person: PagePerson,
    uow: ReadUowDep,
    settings: SettingsDep,
    reads: ExpensiveReadsDep,
    purpose: str = "",
    team: str = "",
    depth: str = "1",
) -> Response:
    """The teams and the pair trust between them, as a graph and as tables, of the whole
    organization or narrowed to a purpose or to a team and its partners."""
    scope = _scope(uow, person, purpose, team, depth)
    found = (
        reads.trust_map(
            uow, settings, person, purpose=scope.purpose, team=scope.team, depth=scope.depth
        )
        if scope is not None
        else None
    )
    names = {node.slug: node.name for node in found.nodes} if found else {}
    edges = found.edges if found else []
    over = [e for e in edges if "over_reliant" in e.flags]
    return render(
        request,
        "trust_map.html",
        {
            "person": person,
            "map": found,
            "scope": scope,
            "drawn": found is not None and _drawn(found),
            "graph_teams": GRAPH_TEAMS,
            "rows": TABLE_ROWS,
            "names": names,
            "over_reliant": over,
            "hidden_teams": sum(1 for node in found.nodes if node.overall is None) if found else 0,
            "purposes": [(p.key, p.title) for p in purposes.list_purposes(uow)],
            "teams": list(org.team_names(uow).items()),
            "depths": MAP_DEPTHS,
        },
    )


@router.get("/trust-map.json")
def trust_map_json(
    person: SessionPerson,
    uow: ReadUowDep,
    settings: SettingsDep,
    reads: ExpensiveReadsDep,
    purpose: str = "",
    team: str = "",
    depth: str = "1",
) -> Response:
    """The trust map for the page's graph: {as_of, purpose, team, depth, drawn, nodes: [{slug,
    name, kind, overall, uncertainty, interval, enough_evidence, words}], edges: [{requester,
    performer, ability, uncertainty, given, gap, flags, interval, enough_evidence, evidence,
    words, flag_causes}]}, narrowed as the page is; beyond the layout budget `drawn` is false
    and the lists are empty.

    For the signed-in browser only (the API has its own trust endpoints)."""
    if person is None:
        return JSONResponse({"detail": "sign in first"}, status_code=401)
    scope = _scope(uow, person, purpose, team, depth)
    if scope is None:
        return JSONResponse({"drawn": False, "nodes": [], "edges": []})
    found = reads.trust_map(
        uow, settings, person, purpose=scope.purpose, team=scope.team, depth=scope.depth
    )
    document: dict[str, Any] = found.document()
    document["drawn"] = _drawn(found)
    if not document["drawn"]:
        document["nodes"], document["edges"] = [], []
    return JSONResponse(document, headers={"Cache-Control": "no-store"})


@router.get("/trust/calibration", response_class=HTMLResponse)
def calibration_page(
    request: Request,
    person: PagePerson,
    uow: ReadUowDep,
    settings: SettingsDep,
    reads: ExpensiveReadsDep,
) -> Response:
    """How well the forecasts predicted the commitments that have finished."""
    result = reads.backtest(uow, settings, person)
    bins = [Bin(**b) for b in result["bins"]]
    return render(request, "calibration.html", {"person": person, "result": result, "bins": bins})
