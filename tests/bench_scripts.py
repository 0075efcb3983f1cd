"""The benchmark scripts of bench/, loaded as modules for the tests of their parts."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parents[1] / "bench"


def load(script: str, name: str) -> ModuleType:
    """bench/`script` as the module `name` (a name of its own per test file)."""
    spec = importlib.util.spec_from_file_location(name, BENCH / script)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # its dataclasses look their module up
    spec.loader.exec_module(module)
    return module
