"""The web app's page routes, one module per area; `router` holds them all."""

from __future__ import annotations

from fastapi import APIRouter

from accord.web.routes import (
    admin,
    audit,
    auth,
    commitments,
    desk,
    health,
    partnerships,
    purposes,
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
    commitments,
    health,
    stories,
    trust_map,
    audit,
    admin,
):
    router.include_router(module.router)
