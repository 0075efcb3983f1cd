"""Many page loads at once, and requests a form route must refuse before reading them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, signed_in

from accord.config import Settings
from accord.org import service as org
from accord.org.domain import Operator
from accord.uow import UnitOfWork
from factories import data_and_care, make_person
from live_server import serve

# Far more requests at once than the app has worker threads (40) and pooled connections (40 +
# 10): a page that held a connection while waiting for a thread would stall them all.
AT_ONCE = 240


@pytest.fixture
def base(sqlite_engine: Engine) -> Iterator[str]:
    uow = UnitOfWork(sqlite_engine)
    data_and_care(uow, key="churn", team_names={"data": "Data Platform", "care": "Customer Care"})
    make_person(uow, "root@example.org", name="Root", role="admin")
    for email in ("ana@example.org", "root@example.org"):
        org.set_password(uow, Operator(), email, PASSWORD)
    url = sqlite_engine.url.render_as_string(hide_password=False)
    yield from serve(Settings(database_url=url, secret_key="test-secret"))


def test_more_page_loads_at_once_than_threads_and_connections_all_succeed(base: str) -> None:
    with signed_in(base, "ana@example.org") as ana:
        cookies = dict(ana.cookies)
    paths = ["/", "/partnerships/churn", "/teams/data", "/partnerships"] * (AT_ONCE // 4)

    def load(path: str) -> int:
        with httpx.Client(base_url=base, cookies=cookies, timeout=60) as client:
            return client.get(path).status_code

    with ThreadPoolExecutor(max_workers=AT_ONCE) as pool:
        statuses = list(pool.map(load, paths))

    assert statuses == [200] * len(paths)


def test_a_form_route_refuses_files_before_reading_them(base: str) -> None:
    with signed_in(base, "ana@example.org") as ana:
        page = ana.get("/partnerships/churn")
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert token is not None
        response = ana.post(
            "/partnerships/churn/charter",
            data={"csrf_token": token.group(1), "name": "Renamed"},
            files={"big": ("big.bin", b"x" * 100_000)},
        )
        after = ana.get("/partnerships/churn")

    assert response.status_code == 422
    assert "takes no files" in response.text
    assert "Renamed" not in after.text


def test_an_email_with_a_slash_stays_one_segment_of_the_admin_urls(
    base: str, sqlite_engine: Engine
) -> None:
    make_person(UnitOfWork(sqlite_engine), "a/../bo@example.org", name="Odd")
    with signed_in(base, "root@example.org") as root:
        people = root.get("/admin/people")

    assert 'href="/admin/people/a%2F..%2Fbo@example.org"' in people.text
    assert 'href="/admin/people/a/../bo@example.org"' not in people.text
