"""Schemathesis against the live OpenAPI document as a team lead (see test_openapi_conformance)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from test_openapi_conformance import every_answer_is_as_documented

if TYPE_CHECKING:
    from api_org import Org


@pytest.mark.slow
def test_every_answer_to_a_lead_is_as_documented(api: Org, tmp_path: Path) -> None:
    """Valid and malformed requests to every operation get documented answers, never a 5xx."""
    every_answer_is_as_documented(api, "lead", tmp_path)
