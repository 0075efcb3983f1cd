"""What starting `accord` loads: the heavy numeric libraries wait until they are needed."""

from __future__ import annotations

import subprocess
import sys


def test_a_command_starts_without_scipy_and_loads_it_when_first_needed() -> None:
    script = (
        "import sys\n"
        "import accord.cli, accord.app\n"
        "before = sorted(m for m in sys.modules if m == 'scipy' or m.startswith('scipy.'))\n"
        "from accord.trust.model import Opinion, eigentrust\n"
        "from accord.trust.words import credible_interval\n"
        "eigentrust(2, [0, 1], [1, 0], [1.0, 2.0])\n"
        "credible_interval(Opinion(2.0, 3.0, 2.0, 0.5))\n"
        "after = 'scipy.sparse' in sys.modules and 'scipy.special' in sys.modules\n"
        "print(before, after)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False, timeout=120
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["[]", "True"]
