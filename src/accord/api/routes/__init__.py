"""The REST API under /api/v1: thin routers over the services (DESIGN section 8)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Response
from fastapi.datastructures import DefaultPlaceholder
from fastapi.exceptions import ResponseValidationError
from fastapi.routing import APIRoute
from fastapi.utils import is_body_allowed_for_status_code
from starlette.concurrency import run_in_threadpool

from accord.api.errors import problems
from accord.channel.deps import api_credentials, signed_in, takes
from accord.channel.turns import dressed, parameter_of, taking_turns

# The argument through which a route that takes no `Response` of its own is handed the one
# FastAPI makes for each request (the status code and headers its dependencies set).
ANSWER = "accord_answer"
# Changes that do not take turns (`channel.turns`): a sign-in checks a password (its hashing runs
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
        elif takes(endpoint, api_credentials):
            raise TypeError(
                f"{path}: a route that takes CurrentPerson must be a plain def, which this"
                " route class runs inside `signed_in`"
            )
        super().__init__(path, endpoint, **kwargs)

    def _in_one_hop(self, endpoint: Callable[..., Any], *, in_turn: bool) -> Callable[..., Any]:
        """`endpoint` as a coroutine with its signature (FastAPI reads its parameters from it)
        that does all of its work in one worker thread; `in_turn`: once it is the request's
        turn among the process's changes (`channel.turns`)."""
        parameters = list(inspect.signature(endpoint, eval_str=True).parameters.values())
        answer, own_answer = parameter_of(parameters, Response, ANSWER)

        def work(arguments: dict[str, Any]) -> Any:
            response: Response = arguments[answer] if own_answer else arguments.pop(answer)
            with signed_in(arguments):
                returned = endpoint(**arguments)
            return self._answer(returned, response)

        async def run(**arguments: Any) -> Any:
            return await run_in_threadpool(work, arguments)

        return dressed(taking_turns(work, parameters) if in_turn else run, endpoint, parameters)

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


def make_router(tag: str) -> APIRouter:
    return APIRouter(prefix="/api/v1", tags=[tag], route_class=DocRoute)
