"""The interactive API docs are served from Accord's own files, under Accord's own CSP."""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from accord.channel.errors import SECURITY_HEADERS

Roles = Callable[[str], httpx.Client]
ACCORD = Path(__file__).resolve().parents[2] / "src" / "accord"
CONTENT_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml"}


def docs_page(anonymous: httpx.Client) -> str:
    answer = anonymous.get("/api/docs")
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/html")
    return answer.text


def assets_of(page: str) -> list[str]:
    """What the page makes the browser load: scripts, style sheets, icons."""
    return re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="([^"]+)"', page)


def test_the_docs_page_loads_only_files_this_site_serves(as_role: Roles) -> None:
    anonymous = as_role("anonymous")
    page = docs_page(anonymous)
    assets = assets_of(page)

    assert any(a.endswith("/swagger-ui-bundle.js") for a in assets), assets
    assert any(a.endswith("/swagger-ui.css") for a in assets), assets
    for asset in assets:
        assert asset.startswith("/static/"), f"{asset} is not served by Accord itself"
        answer = anonymous.get(asset)
        assert answer.status_code == 200, asset
        suffix = asset[asset.rindex(".") :]
        assert answer.headers["content-type"].startswith(CONTENT_TYPES[suffix]), asset


def test_the_docs_page_has_no_inline_script_or_style(as_role: Roles) -> None:
    page = docs_page(as_role("anonymous"))

    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page)
    assert "<style" not in page
    assert not re.search(r"\sstyle=", page)
    assert not re.search(r"\son[a-z]+=", page)


def test_the_docs_page_keeps_the_apps_content_security_policy(as_role: Roles) -> None:
    answer = as_role("anonymous").get("/api/docs")

    policy = answer.headers["content-security-policy"]
    assert policy == SECURITY_HEADERS["Content-Security-Policy"]
    assert "unsafe-" not in policy
    assert answer.headers["x-frame-options"] == "DENY"


def test_the_docs_script_reads_the_apps_own_openapi_document(as_role: Roles) -> None:
    anonymous = as_role("anonymous")
    page = docs_page(anonymous)
    own = [a for a in assets_of(page) if a.endswith(".js") and "/vendor/" not in a]

    assert len(own) == 1, own
    assert '"/api/openapi.json"' in anonymous.get(own[0]).text
    assert anonymous.get("/api/openapi.json").status_code == 200


@pytest.mark.parametrize("path", ["/api/redoc", "/docs", "/redoc", "/api/docs/oauth2-redirect"])
def test_no_other_docs_page_loads_from_a_cdn(as_role: Roles, path: str) -> None:
    assert as_role("anonymous").get(path).status_code == 404


def test_the_docs_page_is_not_an_operation_of_the_api(as_role: Roles) -> None:
    paths = as_role("anonymous").get("/api/openapi.json").json()["paths"]

    assert "/api/docs" not in paths


def test_the_docs_page_and_its_files_ship_in_the_package() -> None:
    pyproject = tomllib.loads((ACCORD.parents[1] / "pyproject.toml").read_text())
    globs = pyproject["tool"]["setuptools"]["package-data"]["accord"]
    shipped = {path for glob in globs for path in ACCORD.glob(glob) if path.is_file()}
    template = ACCORD / "web" / "templates" / "api_docs.html"
    static = ACCORD / "web" / "static"
    files = [static / a.removeprefix("/static/") for a in assets_of(template.read_text())]

    assert template in shipped
    for path in files:
        assert path in shipped, path
        if "vendor" in path.parts:
            assert path.parent / "LICENSE" in shipped, path
