"""Signing in to a live server through its form, and posting its forms, as a browser would."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from accord.channel.session import CSRF_COOKIE

PASSWORD = "correct horse"


def csrf_of(html: str) -> str:
    """The page's CSRF token; every form on the page must carry the same one."""
    tokens = set(re.findall(r'name="csrf_token" value="([^"]*)"', html))
    assert len(tokens) == 1, f"the forms carry different CSRF tokens: {tokens}"
    token = tokens.pop()
    assert token
    return token


def sign_in(client: httpx.Client, email: str, password: str = PASSWORD) -> httpx.Response:
    """Post the sign-in form (after forgetting whoever was signed in) and return the answer."""
    client.cookies.clear()
    page = client.get("/sign-in")
    return client.post(
        "/sign-in", data={"email": email, "password": password, "csrf_token": csrf_of(page.text)}
    )


def sign_in_as(client: httpx.Client, email: str) -> None:
    """Sign in, which must succeed."""
    assert sign_in(client, email).status_code == 303


@contextmanager
def signed_in(base_url: str, email: str) -> Iterator[httpx.Client]:
    """A client of its own, signed in as `email`, carrying its session and CSRF cookies."""
    with httpx.Client(base_url=base_url, timeout=60) as client:
        sign_in_as(client, email)
        yield client


def post_form(client: httpx.Client, url: str, data: dict[str, str]) -> httpx.Response:
    """Post a form with the CSRF token this browser's cookie holds."""
    return client.post(url, data={**data, "csrf_token": client.cookies[CSRF_COOKIE]})
