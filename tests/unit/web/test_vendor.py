"""The vendored libraries are the files their README names, with their licences."""

from __future__ import annotations

import re
from pathlib import Path

VENDOR = Path(__file__).resolve().parents[3] / "src" / "accord" / "web" / "static" / "vendor"
TEMPLATES = VENDOR.parent.parent / "templates"


def test_every_vendored_file_is_listed_with_its_licence() -> None:
    listed = re.findall(r"`([\w.-]+/[\w.-]+\.js)`", (VENDOR / "README.md").read_text())
    shipped = sorted(str(p.relative_to(VENDOR)) for p in VENDOR.rglob("*.js"))

    assert shipped, f"no vendored script under {VENDOR}"
    assert sorted(listed) == shipped
    for path in shipped:
        assert (VENDOR / path).parent.joinpath("LICENSE").stat().st_size > 0


def templates() -> list[Path]:
    """Every page template; a test over them fails when there is none (a moved folder)."""
    found = sorted(TEMPLATES.rglob("*.html"))
    assert found, f"no template under {TEMPLATES}"
    return found


def test_templates_load_only_vendored_or_own_scripts() -> None:
    sources = {
        src
        for template in templates()
        for src in re.findall(r'<script[^>]*\bsrc="([^"]+)"', template.read_text())
    }

    assert sources
    for src in sources:
        assert src.startswith("/static/"), f"{src} is not served by the app itself"
        assert (VENDOR.parent / src.removeprefix("/static/")).is_file(), src


def test_no_template_has_an_inline_script_or_style_attribute() -> None:
    for template in templates():
        text = template.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), template.name
        assert not re.search(r'\sstyle="', text), template.name
        assert not re.search(r"\son[a-z]+=", text), template.name
