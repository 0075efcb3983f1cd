"""The web app's page routes, one module per area; `router` holds them all."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.routes import (
    admin,
    ask,
    audit,
    auth,
    commitment_list,
    commitments,
    desk,
    health,
    partnerships,
    profile,
    purposes,
    search,
    stories,
    teams,
    trust_map,
)

router = APIRouter(include_in_schema=False)
for module in (
    auth,
    desk,
    teams,
    purposes,
    partnerships,
    commitment_list,  # /commitments and /commitments.csv: a list, no commitment's key
    ask,  # before commitments: /commitments/new is no commitment's key
    commitments,
    health,
    stories,
    trust_map,
    audit,
    admin,
    profile,
    search,
):
    router.include_router(module.router)
