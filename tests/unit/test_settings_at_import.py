"""Settings are passed in, never read when a module is imported."""

from __future__ import annotations

import subprocess
import sys

import pytest

from accord.config import Settings

# Every module of Accord (but the migrations, which Alembic runs) imported in a fresh
# interpreter where building Settings fails.
CODE = """
import importlib, pkgutil
import accord
from accord.config import Settings

def refuse(self, *args, **kwargs):
    raise AssertionError("Settings built at import")

Settings.__init__ = refuse
for module in pkgutil.walk_packages(accord.__path__, "accord."):
    if not module.name.startswith("accord.migrations"):
        importlib.import_module(module.name)
"""


def test_no_module_builds_settings_when_imported() -> None:
    result = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_the_defaults_ignore_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ACCORD_MIN_RESPONSES", "9")

    assert Settings().min_responses == 9
    assert Settings.defaults().min_responses == 3
    assert Settings.defaults() == Settings(_env_prefix="ACCORD_UNSET_")
