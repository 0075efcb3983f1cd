"""The README documents every setting and every command, and nothing that does not exist."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main

from accord.cli import app
from accord.config import Settings

README = Path(__file__).resolve().parents[3] / "README.md"


def documented_variables() -> set[str]:
    return set(re.findall(r"^\| `(ACCORD_[A-Z_]+)` \|", README.read_text(), flags=re.MULTILINE))


def test_every_setting_is_in_the_configuration_table() -> None:
    variables = {f"ACCORD_{name.upper()}" for name in Settings.model_fields}
    assert documented_variables() == variables


def test_the_configuration_table_gives_the_real_defaults() -> None:
    text = README.read_text()
    for name, field in Settings.model_fields.items():
        default = field.default
        if name == "secret_key":
            continue  # documented as random per start
        shown = re.search(rf"^\| `ACCORD_{name.upper()}` \| ([^|]*) \|", text, flags=re.MULTILINE)
        assert shown is not None
        cell = shown.group(1).strip()
        if default in ("", None):
            assert cell == "*(empty)*", name
        else:
            assert cell.strip("`") in {
                str(default),
                f"{default:g}" if isinstance(default, float) else "",
                str(default).lower() if isinstance(default, bool) else "",  # as the variable reads
            }, name


def test_every_command_is_in_the_command_table() -> None:
    group = typer.main.get_group(app)
    names: set[str] = set()
    for name, command in group.commands.items():
        sub = getattr(command, "commands", None)
        names |= {f"accord {name} {s}" for s in sub} if sub else {f"accord {name}"}
    text = README.read_text()
    missing = {name for name in names if f"`{name}" not in text}
    assert not missing


def test_every_api_route_is_in_the_route_table() -> None:
    from accord.app import create_app

    schema = create_app(Settings(database_url="sqlite://")).openapi()
    routes = {
        (method.upper(), path)
        for path, operations in schema["paths"].items()
        if path.startswith("/api/v1/")
        for method in operations
    }
    table = set(
        re.findall(
            r"^\| `(GET|POST|PATCH|PUT|DELETE)` \| `(/api/v1/[^`]*)` \|",
            README.read_text(),
            flags=re.MULTILINE,
        )
    )
    assert table == routes
