"""A cap on every request body, before anything reads it (authentication, the Idempotency-Key's
fingerprint, parsing): 413 beyond it, nothing changed, and never the whole body held. Imports
take a larger cap, but only from a request whose credentials name someone."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime

import httpx
import pytest
from api_org import build_org
from sqlalchemy import Engine

from accord.config import Settings
from accord.uow import UnitOfWork
from factories import last_event_id
from live_server import serve

SMALL, IMPORT = 4_096, 65_536


@pytest.fixture
def capped(engine: Engine, clock: Callable[[], datetime]) -> Iterator[tuple[str, dict[str, str]]]:
    tokens = build_org(engine, clock)
    url = engine.url.render_as_string(hide_password=False)
    settings = Settings(
        database_url=url, secret_key="test", max_body_bytes=SMALL, max_import_bytes=IMPORT
    )
    for base_url in serve(settings, clock):
        yield base_url, tokens


def padded(size: int) -> bytes:
    """A JSON purpose, with white space after it to make the body `size` bytes long."""
    body = b'{"title": "Big"}'
    return body + b" " * (size - len(body))


def test_a_body_over_the_cap_is_refused_before_anything_reads_it(
    capped: tuple[str, dict[str, str]], engine: Engine, clock: Callable[[], datetime]
) -> None:
    base_url, tokens = capped
    before = last_event_id(UnitOfWork(engine, clock))
    json_type = {"Content-Type": "application/json"}
    with httpx.Client(base_url=base_url, timeout=30) as anonymous:
        big = anonymous.post(
            "/api/v1/purposes",
            content=padded(SMALL + 1),
            headers={**json_type, "Idempotency-Key": "big-one"},
        )
        assert big.status_code == 413
        assert big.headers["content-type"] == "application/problem+json"
        assert big.json()["rule"] == "request.too_large"
        assert "4,096 bytes" in big.json()["detail"]
        assert big.headers["x-content-type-options"] == "nosniff"  # every answer's headers

        def chunks() -> Iterator[bytes]:  # no Content-Length: counted as it comes
            for _ in range(64):
                yield b"x" * 1024

        streamed = anonymous.post("/api/v1/purposes", content=chunks(), headers=json_type)
        assert streamed.status_code == 413
        # an anonymous import gets the small cap too
        assert anonymous.post("/api/v1/import", content=padded(SMALL + 1)).status_code == 413
    with httpx.Client(
        base_url=base_url, timeout=30, headers={"Authorization": f"Bearer {tokens['admin']}"}
    ) as admin:
        assert (
            admin.post("/api/v1/purposes", content=padded(SMALL + 1), headers=json_type).status_code
            == 413
        )
        # a signed-in import takes the larger cap: read and judged, not refused for its size
        taken = admin.post("/api/v1/import", content=padded(SMALL * 2), headers=json_type)
        assert taken.status_code not in (413, 500)
        assert (
            admin.post("/api/v1/import", content=padded(IMPORT + 1), headers=json_type).status_code
            == 413
        )
        fits = admin.post("/api/v1/purposes", content=padded(SMALL), headers=json_type)
        assert fits.status_code == 201, fits.text
    assert last_event_id(UnitOfWork(engine, clock)) > before  # only the one that fit acted
