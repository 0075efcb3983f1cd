"""Import and export of whole `accord/1` documents (DESIGN section 5)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Body
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from accord.api.errors import problems
from accord.api.routes import make_router
from accord.channel.deps import CurrentPerson, ReadUowDep, SettingsDep, UowDep
from accord.interchange import exporter, importer
from accord.interchange.schemas import Document

router = make_router("import and export")


class ImportAdjustment(BaseModel):
    path: str = Field(description="Where, as a JSON path: commitments[3].history[1].")
    message: str = Field(description="What the import read or let pass differently.")


class ImportResult(BaseModel):
    created: dict[str, int]
    unchanged: dict[str, int]
    adjustments: list[ImportAdjustment] = Field(
        description="What was adjusted in the items created, in the order of the document: "
        "a date read as a time, a history a live move could not make. Importing the same "
        "document again creates nothing and so adjusts nothing."
    )


@router.get(
    "/export",
    response_class=JSONResponse,
    responses={
        200: {"model": Document, "description": "The accord/1 document."},
        **problems(401, 403),
    },
)
def export(person: CurrentPerson, uow: ReadUowDep, settings: SettingsDep) -> JSONResponse:
    """The whole organization as one accord/1 document (admins)."""
    return JSONResponse(exporter.export_for(uow, person, settings=settings))


@router.post(
    "/import",
    response_model=ImportResult,
    responses=problems(401, 403, 409, 422),
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Document"}}},
        }
    },
)
def import_document(
    data: Annotated[dict[str, Any], Body()],
    person: CurrentPerson,
    uow: UowDep,
    settings: SettingsDep,
) -> ImportResult:
    """Import an accord/1 document whole or not at all (admins); every problem has its path."""
    report = importer.import_document(uow, person, data, settings=settings)
    return ImportResult(
        created=report.created,
        unchanged=report.unchanged,
        adjustments=[ImportAdjustment(path=a.path, message=a.message) for a in report.adjustments],
    )
