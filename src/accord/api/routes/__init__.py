"""The REST API under /api/v1: thin routers over the services (DESIGN section 8)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from starlette.concurrency import run_in_threadpool

from accord.api.errors import problems
from accord.api.turns import Turns
from accord.channel.deps import api_credentials, signed_in

# The argument through which a route that takes no `Response` of its own is handed the one
# FastAPI makes for each request (the status code and headers its dependencies set).
ANSWER = "accord_answer"
# The argument through which a change that takes no `Request` of its own is handed it (its app
# holds the process's `Turns`).
ASKED = "accord_request"
# Changes that do not take turns (`api.turns`): a sign-in checks a password (its hashing runs
# outside the interpreter lock) and writes nothing to the log; an import takes minutes, and
# other changes then wait for the database, not for it to end here.
OUT_OF_TURN = frozenset({"/api/v1/auth/token", "/api/v1/import"})


class DocRoute(APIRoute):
    """A route whose OpenAPI summary is the first line of its docstring, and whose work is done
    in one hop to the thread pool.

    FastAPI runs a plain `def` route in a worker thread, then checks and serializes what it
    returned in another; the person signing in would take a third. Here one worker thread
    checks the credentials (`accord.channel.deps.signed_in`), runs the route and serializes its
    answer to JSON, exactly as FastAPI would: the route's status code, the headers it set on
    its `Response`, its response model and the `response_model_*` options.
    """

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if kwargs.get("summary") is None and endpoint.__doc__:
            kwargs["summary"] = inspect.cleandoc(endpoint.__doc__).splitlines()[0].rstrip(".")
        if inspect.isfunction(endpoint) and not (
            inspect.iscoroutinefunction(endpoint)
            or inspect.isgeneratorfunction(endpoint)
            or inspect.isasyncgenfunction(endpoint)
        ):
            changes = set(kwargs.get("methods") or ()) - {"GET", "HEAD", "OPTIONS"}
            in_turn = bool(changes) and path not in OUT_OF_TURN
            if in_turn:  # it may wait too long for its turn
                kwargs["responses"] = {**problems(503), **(kwargs.get("responses") or {})}
            endpoint = self._in_one_hop(endpoint, in_turn=in_turn)
        elif _signs_in(endpoint):
            raise TypeError(
                f"{path}: a route that takes CurrentPerson must be a plain def, which this"
                " route class runs inside `signed_in`"
            )
        super().__init__(path, endpoint, **kwargs)

    def _in_one_hop(self, endpoint: Callable[..., Any], *, in_turn: bool) -> Callable[..., Any]:
        """`endpoint` as a coroutine with its signature (FastAPI reads its parameters from it)
        that does all of its work in one worker thread; `in_turn`: once it is the request's
        turn among the process's changes (`api.turns`)."""
        signature = inspect.signature(endpoint, eval_str=True)
        parameters = list(signature.parameters.values())
        answer, own_answer = _taken(parameters, Response, ANSWER)
        asked, own_request = _taken(parameters, Request, ASKED) if in_turn else ("", False)

        def work(arguments: dict[str, Any]) -> Any:
            response: Response = arguments[answer] if own_answer else arguments.pop(answer)
            with signed_in(arguments):
                returned = endpoint(**arguments)
            return self._answer(returned, response)

        async def run(**arguments: Any) -> Any:
            if not in_turn:
                return await run_in_threadpool(work, arguments)
            request: Request = arguments[asked] if own_request else arguments.pop(asked)
            turns: Turns = request.app.state.turns
            async with turns.turn():
                return await run_in_threadpool(work, arguments)

        run.__name__ = endpoint.__name__
        run.__qualname__ = endpoint.__qualname__
        run.__module__ = endpoint.__module__
        run.__doc__ = endpoint.__doc__
        run.__signature__ = signature.replace(parameters=parameters)  # type: ignore[attr-defined]
        return run

    def _answer(self, returned: Any, response: Response) -> Any:
        """What FastAPI answers for a route that returned `returned`, made here in the worker
        thread: the response model's JSON. A `Response`, and what FastAPI serializes some other
        way (no response model, a response class of the route's own), are handed back to it."""
        field = self.response_field
        if (
            isinstance(returned, Response)
            or field is None
            or not isinstance(self.response_class, DefaultPlaceholder)
        ):
            return returned
        value, errors = field.validate(returned, {}, loc=("response",))
        if errors:
            raise ResponseValidationError(errors=errors, body=returned)
        content = field.serialize_json(
            value,
            include=self.response_model_include,
            exclude=self.response_model_exclude,
            by_alias=self.response_model_by_alias,
            exclude_unset=self.response_model_exclude_unset,
            exclude_defaults=self.response_model_exclude_defaults,
            exclude_none=self.response_model_exclude_none,
        )
        status = response.status_code or self.status_code or 200
        answer = Response(content=content, media_type="application/json", status_code=status)
        if not is_body_allowed_for_status_code(status):
            answer.body = b""
        answer.headers.raw.extend(response.headers.raw)
        return answer


def _taken(parameters: list[inspect.Parameter], kind: type, name: str) -> tuple[str, bool]:
    """The name of the parameter of `kind` a route takes, and True; else `name`, a parameter of
    that kind added to `parameters` (FastAPI fills it in; the route is not given it), and False."""
    for p in parameters:
        if inspect.isclass(p.annotation) and issubclass(p.annotation, kind):
            return p.name, True
    parameters.append(inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, annotation=kind))
    return name, False


def _signs_in(endpoint: Callable[..., Any]) -> bool:
    """Whether `endpoint` takes the API's credentials (`CurrentPerson`)."""
    return any(
        getattr(extra, "dependency", None) is api_credentials
        for p in inspect.signature(endpoint, eval_str=True).parameters.values()
        for extra in getattr(p.annotation, "__metadata__", ())
    )


def make_router(tag: str) -> APIRouter:
    return APIRouter(prefix="/api/v1", tags=[tag], route_class=DocRoute)
