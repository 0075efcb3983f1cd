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
    inbox,
    mail,
    partnerships,
    profile,
    purposes,
    search,
    stories,
    teams,
    trust_map,
    webhooks,
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
    mail,
    webhooks,
    profile,
    inbox,
    search,
):
    router.include_router(module.router)
