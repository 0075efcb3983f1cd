"""An Accord process keeps the memory it frees for its next arrays (`accord.memory`): arrays of
megabytes made and freed again and again take no new pages from the system, where glibc's own
thresholds gave each one back and took it again, a page fault per page. Each case runs in a
process of its own, whose allocator nothing else has set."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(
    platform.libc_ver()[0] != "glibc", reason="the thresholds are glibc's"
)

# Page faults while arrays of 2.4 MB are made and freed 200 times, three at once (a read of the
# past makes a few dozen such arrays for each point of a chart).
CHURN = """
import resource
import numpy as np

def faults():
    return resource.getrusage(resource.RUSAGE_SELF).ru_minflt

for _ in range(5):
    a = np.ones(300_000); b = a * 2.0; del a, b
before = faults()
for _ in range(200):
    a = np.ones(300_000); b = a * 2.0; c = b + a; del a, b, c
print(faults() - before)
"""


def run(setup: str, env: dict[str, str] | None = None) -> list[str]:
    """The lines a fresh Python process prints after `setup` and the churn above, in this
    environment without glibc's allocator settings, and with `env`."""
    script = textwrap.dedent(setup) + CHURN
    plain = {
        name: value
        for name, value in os.environ.items()
        if not name.startswith("MALLOC_") and name != "GLIBC_TUNABLES"
    }
    found = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        env={**plain, **(env or {})},
    )
    return found.stdout.split()


@pytest.fixture(scope="module")
def churned() -> int:
    """The page faults of the churn with glibc's own thresholds: about one a page (3 x 586
    pages, 200 times), where the system's huge pages do not make them fewer."""
    (default,) = run("")
    if int(default) < 100_000:
        pytest.skip(f"this system's allocator takes few new pages here ({default} faults)")
    return int(default)


def test_arrays_made_again_take_no_new_pages_once_freed_memory_is_kept(churned: int) -> None:
    kept, faults = run("from accord.memory import keep_freed_memory\nprint(keep_freed_memory())")
    assert kept == "True"
    assert int(faults) * 20 < churned


def test_an_app_keeps_freed_memory(churned: int, tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'accord.db'}"
    (faults,) = run(
        f"""
        from accord.app import create_app
        from accord.config import Settings
        create_app(Settings(database_url={database!r}))
        """
    )
    assert int(faults) * 20 < churned


@pytest.mark.parametrize(
    "setting",
    [
        {"MALLOC_TRIM_THRESHOLD_": "1048576"},
        {"MALLOC_MMAP_THRESHOLD_": "1048576"},
        {"MALLOC_TOP_PAD_": "1048576"},
        {"GLIBC_TUNABLES": "glibc.malloc.trim_threshold=1048576"},
        {"GLIBC_TUNABLES": "glibc.rtld.optional_static_tls=512:glibc.malloc.mmap_threshold=65536"},
    ],
)
def test_thresholds_set_in_the_environment_are_left_as_they_are(setting: dict[str, str]) -> None:
    kept, _ = run(
        "from accord.memory import keep_freed_memory\nprint(keep_freed_memory())", setting
    )
    assert kept == "False"


def test_other_tunables_leave_the_thresholds_to_accord() -> None:
    kept, _ = run(
        "from accord.memory import keep_freed_memory\nprint(keep_freed_memory())",
        {"GLIBC_TUNABLES": "glibc.malloc.arena_max=2"},
    )
    assert kept == "True"
