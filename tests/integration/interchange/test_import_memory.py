"""A document streamed from a file imports within a memory limit that reading it whole exceeds."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from accord.db import make_engine, migrate
from interchange_documents import example

# What the import may take beyond what the process holds once everything is loaded: the
# document below holds about 80 MB of text.
HEADROOM_MB = 150
COMMITMENTS = 5_000
TEXT = 3_990

# Runs one import in a child process whose heap is limited to what it holds before the import
# plus HEADROOM_MB (RLIMIT_DATA counts the heap and private mappings, where Python allocates).
CHILD = textwrap.dedent(
    """
    import json, resource, sys
    from pathlib import Path
    from accord.db import make_engine
    from accord.interchange.importer import import_parts, replay_document
    from accord.interchange.streaming import read_head
    from accord.org.domain import Operator
    from accord.uow import UnitOfWork

    way, url, document, headroom = sys.argv[1:5]
    engine = make_engine(url)
    with engine.connect():
        pass
    status = Path("/proc/self/status").read_text()
    held = int(next(l for l in status.splitlines() if l.startswith("VmData:")).split()[1]) * 1024
    limit = held + int(headroom) * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))
    try:
        if way == "streamed":
            streamed = read_head(Path(document))
            items = streamed.items()
            report = import_parts(
                UnitOfWork(engine), Operator("tests"), streamed.head, items, snapshots=False
            )
        else:
            data = json.loads(Path(document).read_text(encoding="utf-8"))
            report = replay_document(UnitOfWork(engine), Operator("tests"), data)
    except MemoryError:
        sys.exit(3)
    print(report.created["commitments"])
    """
)


def long_document() -> dict[str, Any]:
    doc = example()
    template = doc["commitments"][0]
    doc["commitments"] = []
    for number in range(COMMITMENTS):
        text = f"{number} " + "x" * TEXT
        history = [
            {**template["history"][0], "title": f"Thing {number}"},
            {**template["history"][1], "note": text},
            {**template["history"][4], "note": text},
            {**template["history"][5], "note": text},
        ]
        history[0]["conditions_of_satisfaction"] = text
        doc["commitments"].append({**template, "key": f"c-{number}", "history": history})
    return doc


def run(way: str, url: str, document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, way, url, str(document), str(HEADROOM_MB)],
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.mark.slow
def test_a_streamed_import_stays_within_a_limit_that_the_whole_document_exceeds(tmp_path: Path):
    document = tmp_path / "long.json"
    with document.open("w", encoding="utf-8") as out:
        json.dump(long_document(), out)
    urls = {}
    for way in ("whole", "streamed"):
        urls[way] = f"sqlite:///{tmp_path / f'{way}.db'}"
        engine = make_engine(urls[way])
        migrate(engine)
        engine.dispose()

    whole = run("whole", urls["whole"], document)
    streamed = run("streamed", urls["streamed"], document)

    assert whole.returncode == 3, whole.stderr[-2000:]
    assert streamed.returncode == 0, streamed.stderr[-2000:]
    assert streamed.stdout.split() == [str(COMMITMENTS)]
