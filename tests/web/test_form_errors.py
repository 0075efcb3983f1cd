"""Every family of forms shows a refusal beside the input its `field` names, whatever its words:
no page reads a message to find where it goes."""

from __future__ import annotations

import re
from types import ModuleType

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, post_form, sign_in_as

from accord.commitments import service as commitments
from accord.errors import Invalid
from accord.health import service as health
from accord.org import service as org
from accord.org.domain import Operator
from accord.partnerships import service as partnerships
from accord.purposes import service as purposes
from accord.stories import service as stories
from accord.uow import UnitOfWork
from factories import data_and_care, make_commitment, make_person

# Words that begin with the name of no input: only the field can tell where they go.
WORDS = "zebras ate it"


@pytest.fixture
def uow(sqlite_engine: Engine) -> UnitOfWork:
    """Data (ana leads it) and care (bo leads it) in `signals` for bo's purpose `churn`; care
    asked data for `score`; root is an admin."""
    uow = UnitOfWork(sqlite_engine)
    partners = data_and_care(uow, purpose_key="churn")
    make_person(uow, "root@example.org", role="admin")
    for email in ("ana@example.org", "bo@example.org", "root@example.org"):
        org.set_password(uow, Operator(), email, PASSWORD)
    make_commitment(uow, partners.partnership, partners["bo"], "care", "data", key="score")
    return uow


FORMS = [
    ("bo", purposes, "create_purpose", "/purposes", {"title": "T"}, "statement", "new-statement"),
    (
        "bo",
        purposes,
        "add_measure",
        "/purposes/churn/measures",
        {"name": "M"},
        "unit",
        "measure-unit",
    ),
    (
        "ana",
        partnerships,
        "create_partnership",
        "/partnerships/new",
        {"name": "N", "purpose": "churn", "team": "data", "partners": "care"},
        "parties",
        "new-partners",
    ),
    (
        "ana",
        partnerships,
        "update_charter",
        "/partnerships/signals/charter",
        {"name": "N", "review_every_days": "30"},
        "review_every_days",
        "charter-review_every_days",
    ),
    (
        "bo",
        commitments,
        "request",
        "/partnerships/signals/commitments",
        {"requester": "care", "performer": "data", "title": "T", "due": "2026-12-01T10:00"},
        "performer",
        "req-performer",
    ),
    (
        "ana",
        commitments,
        "move",
        "/commitments/score/moves",
        {"move": "decline", "version": "1", "reason": "Not this quarter"},
        "reason",
        "score-decline-reason",
    ),
    (
        "ana",
        health,
        "open_round",
        "/partnerships/signals/health-checks",
        {"closes_at": "2026-07-01"},
        "closes_at",
        "health-closes_at",
    ),
    (
        "bo",
        stories,
        "create_story",
        "/stories/new",
        {"title": "T", "body": "B"},
        "metric.value",
        "story-metric_value",
    ),
    (
        "ana",
        org,
        "update_team",
        "/teams/data",
        {"name": "Data", "mission": "M"},
        "mission",
        "team-mission",
    ),
    (
        "root",
        org,
        "create_team",
        "/admin/teams",
        {"slug": "ops", "name": "Ops"},
        "parent",
        "new-parent",
    ),
    (
        "root",
        org,
        "set_membership",
        "/admin/teams/data/members",
        {"email": "bo@example.org"},
        "email",
        "member-email",
    ),
]


@pytest.mark.parametrize(
    ("who", "service", "use_case", "url", "form", "field", "input_id"),
    FORMS,
    ids=[f"{case[1].__name__.split('.')[1]}.{case[2]}" for case in FORMS],
)
def test_a_refusal_lands_beside_the_input_its_field_names(
    client: httpx.Client,
    uow: UnitOfWork,
    monkeypatch: pytest.MonkeyPatch,
    who: str,
    service: ModuleType,
    use_case: str,
    url: str,
    form: dict[str, str],
    field: str,
    input_id: str,
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise Invalid(WORDS, rule="test.refused", field=field)

    sign_in_as(client, f"{who}@example.org")
    monkeypatch.setattr(service, use_case, refuse)

    response = post_form(client, url, form)

    assert response.status_code == 422, response.text
    shown = re.search(rf'id="{input_id}-error" class="field-error">([^<]*)<', response.text)
    assert shown is not None, response.text
    assert shown.group(1) == "Zebras ate it."
    assert 'role="alert">Zebras ate it.' not in response.text


def test_a_refusal_about_a_field_the_form_does_not_show_goes_above_it(
    client: httpx.Client, uow: UnitOfWork, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise Invalid("title zebras ate it", rule="test.refused", field="colour")

    sign_in_as(client, "bo@example.org")
    monkeypatch.setattr(purposes, "create_purpose", refuse)

    response = post_form(client, "/purposes", {"title": "T"})

    assert response.status_code == 422
    assert '<p class="error" role="alert">Title zebras ate it.</p>' in response.text
    assert 'class="field-error"' not in response.text
