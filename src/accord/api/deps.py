"""Request dependencies: settings, a unit of work, the signed-in person."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from accord.config import Settings
from accord.db import UnitOfWork
from accord.org import service as org
from accord.org.domain import Person
from accord.web.session import SESSION_COOKIE, Signer


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_uow(request: Request) -> UnitOfWork:
    """A unit of work for a use case that changes something."""
    return UnitOfWork(request.app.state.engine)


def get_read_uow(request: Request) -> UnitOfWork:
    """A unit of work that only reads: one snapshot, and no write lock on SQLite."""
    return UnitOfWork(request.app.state.engine, read_only=True)


def get_signer(request: Request) -> Signer:
    signer: Signer = request.app.state.signer
    return signer


SettingsDep = Annotated[Settings, Depends(get_settings)]
UowDep = Annotated[UnitOfWork, Depends(get_uow)]
ReadUowDep = Annotated[UnitOfWork, Depends(get_read_uow)]
SignerDep = Annotated[Signer, Depends(get_signer)]


def session_person(request: Request, uow: ReadUowDep, signer: SignerDep) -> Person | None:
    """The person whose session cookie this request carries, if it is valid and they are active."""
    data = signer.unsign(request.cookies.get(SESSION_COOKIE))
    if data is None or not isinstance(data.get("pid"), int):
        return None
    person = org.person_by_id(uow, data["pid"])
    if person is None or data.get("e") != person.session_epoch:
        return None  # signed out everywhere, or the password changed, since
    return person


SessionPerson = Annotated[Person | None, Depends(session_person)]
