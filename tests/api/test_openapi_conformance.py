"""Schemathesis against the live OpenAPI document: no 5xx, and every answer as documented.

Each role gets a fresh organization on its own server. Schemathesis reads the document that
server serves at /api/openapi.json and sends valid and malformed requests to every operation:
the schema's examples, boundary values (coverage) and random ones (fuzzing). Half of the names
in paths and bodies are the organization's own, so that requests also reach real teams,
people, purposes, partnerships and commitments rather than only their 404s.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest

from accord.commitments import service as commitments
from accord.org import service as org
from factories import make_commitment

if TYPE_CHECKING:
    from api_org import Org

# What the document promises; checks of the server's choice of semantics are left out.
CHECKS = (
    "not_a_server_error",
    "status_code_conformance",
    "content_type_conformance",
    "response_schema_conformance",
    "response_headers_conformance",
)
MAX_EXAMPLES = 30  # per operation and role: keeps the file within a few minutes on 2 cores
# Operations by which the caller may lock themselves out (deactivated, or their token revoked):
# each runs on its own after all the others, so the 401s that follow cut nothing short.
LOCKOUTS = ("PATCH /api/v1/people/{email}", "DELETE /api/v1/me/tokens/{token_id}")
CONFIG = """\
[dictionaries.teams]
values = ["data", "care", "ops"]
[dictionaries.people]
values = ["ana@example.org", "cy@example.org", "bo@example.org", "dee@example.org",
          "fay@example.org", "vi@example.org", "adm@example.org"]
[dictionaries.keys]
values = ["churn", "signals", "scores", "playbook"]
[dictionaries.measures]
values = ["Monthly churn"]

[parameters]
"path.slug" = { dictionary = "teams", probability = 0.5 }
"path.team" = { dictionary = "teams", probability = 0.5 }
"path.email" = { dictionary = "people", probability = 0.5 }
"path.key" = { dictionary = "keys", probability = 0.5 }
"path.name" = { dictionary = "measures", probability = 0.5 }
"body.team" = { dictionary = "teams", probability = 0.5 }
"body.email" = { dictionary = "people", probability = 0.5 }
"body.parties[*].team" = { dictionary = "teams", probability = 0.5 }
"body.requester" = { dictionary = "teams", probability = 0.5 }
"body.performer" = { dictionary = "teams", probability = 0.5 }
"body.partnership" = { dictionary = "keys", probability = 0.5 }
"body.purpose" = { dictionary = "keys", probability = 0.5 }
"""


def schemathesis(schema_url: str, token: str, selection: list[str], cwd: Path) -> None:
    """Run Schemathesis over the operations `selection` picks; fail with its report."""
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "--config-file",
        str(cwd / "schemathesis.toml"),
        "run",
        schema_url,
        "--header",
        f"Authorization: Bearer {token}",
        "--checks",
        ",".join(CHECKS),
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--workers",
        "1",
        "--no-color",
        *selection,
    ]
    # Its example database and crash cache go to `cwd`, a temporary directory.
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        pytest.fail(f"schemathesis found problems:\n{done.stdout}\n{done.stderr}", pytrace=False)


@pytest.mark.slow
def test_every_answer_to_an_admin_is_as_documented(api: Org, tmp_path: Path) -> None:
    """Valid and malformed requests to every operation get documented answers, never a 5xx.
    (The lead's run is in a file of its own, so that the two may run at the same time.)"""
    every_answer_is_as_documented(api, "admin", tmp_path)


def every_answer_is_as_documented(api: Org, role: str, tmp_path: Path) -> None:
    """Schemathesis over every operation as `role`, on an organization with two commitments."""
    bo = org.get_person(api.uow(), "bo@example.org")
    ana = org.get_person(api.uow(), "ana@example.org")
    make_commitment(api.uow(), "signals", bo, "care", "data", key="scores")
    promised = make_commitment(api.uow(), "signals", bo, "care", "data", key="playbook")
    commitments.move(api.uow(), ana, "playbook", "promise", version=promised.version)
    (tmp_path / "schemathesis.toml").write_text(CONFIG)
    schema_url = f"{api.base_url}/api/openapi.json"
    token = api.tokens[role]
    # the document is made at its first read: made here, without Schemathesis's 10 s limit on
    # loading it (a busy machine can take longer), and kept by the server for its runs
    httpx.get(schema_url, timeout=120).raise_for_status()

    others = [option for name in LOCKOUTS for option in ("--exclude-name", name)]
    schemathesis(schema_url, token, others, tmp_path)
    for name in LOCKOUTS:
        schemathesis(schema_url, token, ["--include-name", name], tmp_path)
