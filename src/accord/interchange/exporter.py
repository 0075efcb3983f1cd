"""Export of everything as one `accord/1` document."""

from __future__ import annotations

from typing import Any

from accord.config import Settings
from accord.interchange.schemas import Document, dump
from accord.interchange.sections import TABLE
from accord.org.domain import Actor, ensure_admin
from accord.uow import UnitOfWork


def export_for(
    uow: UnitOfWork, actor: Actor, *, settings: Settings | None = None
) -> dict[str, Any]:
    """The whole organization as one document, for an admin (a backup, a move elsewhere)."""
    with uow:
        ensure_admin(uow.bind(actor), "export the whole organization")
    return export_document(uow, settings=settings)


def export_document(uow: UnitOfWork, *, settings: Settings | None = None) -> dict[str, Any]:
    """Everything as one `accord/1` document; importing it into an empty database gives it back.

    Health checks carry only what their anonymity rule (`settings.min_responses`, its default
    if no settings are given) lets out.
    """
    settings = settings or Settings.defaults()
    with uow:
        now = uow.now()
        sections = {section.name: section.export(uow, settings, now) for section in TABLE}
        return dump(Document.model_validate({"format": "accord/1", **sections}))
