"""bench/wrk.py's processor time of a server: its own and its workers' (children's)."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

import pytest

from bench_scripts import load

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")


def _wrk() -> ModuleType:
    return load("wrk.py", "bench_wrk")


BUSY_CHILD = """
import time
end = time.process_time() + 0.4
while time.process_time() < end:
    pass
time.sleep(30)
"""


def test_a_server_s_processor_time_counts_its_workers() -> None:
    wrk = _wrk()
    child = subprocess.Popen([sys.executable, "-c", BUSY_CHILD])
    try:
        deadline = time.monotonic() + 20
        while True:
            total = wrk.server_cpu(os.getpid())
            # our own time read after the total's, so never less than what it counted of ours
            # (/proc counts in ticks of 10 ms: what it gives of each process may be a tick short)
            own = time.process_time()
            if total is None or total - own >= 0.3 or time.monotonic() > deadline:
                break
            time.sleep(0.1)
        assert total is not None
        assert total - own >= 0.3  # the child's 0.4 s, besides our own
    finally:
        child.kill()
        child.wait()


def test_no_such_process_gives_none() -> None:
    assert _wrk().server_cpu(2**22 + 12345) is None
