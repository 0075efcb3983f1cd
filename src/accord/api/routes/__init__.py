"""The REST API under /api/v1: thin routers over the services (DESIGN section 8)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.routing import APIRoute


class DocRoute(APIRoute):
    """A route whose OpenAPI summary is the first line of its docstring."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("summary") is None and endpoint.__doc__:
            kwargs["summary"] = inspect.cleandoc(endpoint.__doc__).splitlines()[0].rstrip(".")
        super().__init__(path, endpoint, **kwargs)


def make_router(tag: str) -> APIRouter:
    return APIRouter(prefix="/api/v1", tags=[tag], route_class=DocRoute)
