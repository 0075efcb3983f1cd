"""Pages: the trust map between teams, its JSON for the graph, and the forecast's backtest."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response

from accord.channel.deps import ExpensiveReadsDep, ReadUowDep, SessionPerson, SettingsDep
from accord.trust.model import Bin
from accord.web.common import PagePerson, render

router = APIRouter(include_in_schema=False)


@router.get("/trust-map", response_class=HTMLResponse)
def trust_map_page(
    request: Request,
    person: PagePerson,
    uow: ReadUowDep,
    settings: SettingsDep,
    reads: ExpensiveReadsDep,
) -> Response:
    """The teams and the pair trust between them, as a graph and as a table."""
    found = reads.trust_map(uow, settings, person)
    names = {node.slug: node.name for node in found.nodes}
    return render(
        request,
        "trust_map.html",
        {
            "person": person,
            "map": found,
            "names": names,
            "over_reliant": [e for e in found.edges if "over_reliant" in e.flags],
            "hidden_teams": sum(1 for node in found.nodes if node.overall is None),
        },
    )


@router.get("/trust-map.json")
def trust_map_json(
    person: SessionPerson, uow: ReadUowDep, settings: SettingsDep, reads: ExpensiveReadsDep
) -> Response:
    """The trust map for the page's graph: {as_of, nodes: [{slug, name, kind, overall,
    uncertainty, interval, enough_evidence, words}], edges: [{requester, performer, ability,
    uncertainty, given, gap, flags, interval, enough_evidence, evidence, words, flag_causes}]}.

    For the signed-in browser only (the API has its own trust endpoints)."""
    if person is None:
        return JSONResponse({"detail": "sign in first"}, status_code=401)
    document: dict[str, Any] = reads.trust_map(uow, settings, person).document()
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
