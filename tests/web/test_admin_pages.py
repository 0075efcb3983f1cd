"""The admin pages through HTTP: people, teams and import, for admins only."""

from __future__ import annotations

import json
import re

import httpx
import pytest
from sqlalchemy import Engine
from web_session import PASSWORD, post_form, sign_in

from accord.channel.session import CSRF_COOKIE
from accord.errors import NotFound
from accord.org import service as org
from accord.org.domain import Operator
from accord.uow import UnitOfWork
from factories import make_person, make_team
from interchange_documents import example

ADMIN_GETS = [
    "/admin",
    "/admin/people",
    "/admin/people/ada@example.org",
    "/admin/teams",
    "/admin/teams/data",
    "/admin/import",
]
ADMIN_POSTS = [
    ("/admin/people", {"email": "new@example.org", "name": "New"}),
    ("/admin/people/ada@example.org/role", {"role": "admin"}),
    ("/admin/people/ada@example.org/active", {"active": "no"}),
    ("/admin/people/ada@example.org/password", {"password": "a new password"}),
    ("/admin/teams", {"slug": "new", "name": "New"}),
    ("/admin/teams/data", {"name": "Renamed", "kind": "team"}),
    ("/admin/teams/data/members", {"email": "ben@example.org", "role": "lead"}),
    ("/admin/teams/data/members/remove", {"email": "ada@example.org"}),
]


@pytest.fixture
def uow(sqlite_engine: Engine) -> UnitOfWork:
    """An admin, Ada who leads team `data`, and Ben in no team."""
    uow = UnitOfWork(sqlite_engine)
    make_team(uow, "data", name="Data")
    make_person(uow, "root@example.org", role="admin", name="Root")
    make_person(uow, "ada@example.org", teams={"data": "lead"}, name="Ada")
    make_person(uow, "ben@example.org", name="Ben")
    for email in ("root@example.org", "ada@example.org"):
        org.set_password(uow, Operator(), email, PASSWORD)
    return uow


def field_error(page: str, field_id: str) -> str:
    """The message shown beside the input with this id."""
    found = re.search(rf'id="{field_id}-error" class="field-error">([^<]*)<', page)
    assert found is not None, f"no error beside {field_id}"
    return found.group(1)


def upload(client: httpx.Client, content: bytes, name: str = "org.json") -> httpx.Response:
    return client.post(
        "/admin/import",
        data={"csrf_token": client.cookies[CSRF_COOKIE]},
        files={"document": (name, content, "application/json")},
    )


def state(uow: UnitOfWork) -> tuple[object, ...]:
    """Everything the admin forms could change."""
    return (
        [(p.email, p.name, p.role, p.active, p.password_hash) for p in org.list_people(uow)],
        [
            (
                t.slug,
                t.name,
                t.kind,
                t.mission,
                sorted((m.person.email, m.role) for m in t.memberships if m.left_at is None),
            )
            for t in org.list_teams(uow)
        ],
    )


def test_non_admins_get_403_on_every_admin_page(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in(client, "ada@example.org")
    before = state(uow)

    for url in ADMIN_GETS:
        assert client.get(url).status_code == 403, url
    for url, data in ADMIN_POSTS:
        assert post_form(client, url, data).status_code == 403, url
    assert upload(client, json.dumps(example()).encode()).status_code == 403
    assert state(uow) == before
    assert "Admin</a>" not in client.get("/").text


def test_admins_see_every_admin_page(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in(client, "root@example.org")

    for url in ADMIN_GETS:
        assert client.get(url).status_code == 200, url


def test_forms_without_the_csrf_token_are_refused(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in(client, "root@example.org")
    before = state(uow)

    for url, data in ADMIN_POSTS:
        assert client.post(url, data=data).status_code == 403, url
    forged = client.post(
        "/admin/import", files={"document": ("org.json", json.dumps(example()).encode())}
    )

    assert forged.status_code == 403
    assert state(uow) == before


def test_the_people_list_shows_role_state_and_teams(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in(client, "root@example.org")

    page = client.get("/admin/people").text

    row = next(r for r in page.split("<tr") if "ada@example.org" in r).split("</tr>")[0]
    assert ">Ada" in row.split("</a>")[0]  # by name, linked to the person's page
    assert "member" in row
    assert "active" in row
    assert "Data" in row
    assert "(lead)" in row


def test_a_new_person_is_created_and_can_sign_in(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in(client, "root@example.org")

    response = post_form(
        client,
        "/admin/people",
        {"email": "Cy@Example.org", "name": "Cy", "role": "viewer", "password": "cy password 1"},
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/admin/people/cy@example.org"
    cy = org.get_person(uow, "cy@example.org")
    assert (cy.name, cy.role.value, cy.active) == ("Cy", "viewer", True)
    assert org.authenticate_password(uow, "cy@example.org", "cy password 1") is not None


def test_a_refused_new_person_shows_why_beside_the_field(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in(client, "root@example.org")
    before = state(uow)

    taken = post_form(client, "/admin/people", {"email": "ada@example.org", "name": "Ada 2"})
    short = post_form(
        client, "/admin/people", {"email": "dee@example.org", "name": "Dee", "password": "short"}
    )
    not_email = post_form(client, "/admin/people", {"email": "dee", "name": "Dee"})

    assert taken.status_code == 409
    assert "already exists" in field_error(taken.text, "new-email")
    assert short.status_code == 422
    assert "at least 8 characters" in field_error(short.text, "new-password")
    assert 'value="short"' not in short.text
    assert not_email.status_code == 422
    assert "is not an e-mail address" in field_error(not_email.text, "new-email")
    assert state(uow) == before


def test_role_active_and_password_forms_change_the_person(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in(client, "root@example.org")

    role = post_form(client, "/admin/people/ada@example.org/role", {"role": "viewer"})
    off = post_form(client, "/admin/people/ada@example.org/active", {"active": "no"})
    assert org.get_person(uow, "ada@example.org").active is False
    on = post_form(client, "/admin/people/ada@example.org/active", {"active": "yes"})
    password = post_form(
        client, "/admin/people/ada@example.org/password", {"password": "another password"}
    )

    assert [r.status_code for r in (role, off, on, password)] == [303, 303, 303, 303]
    ada = org.get_person(uow, "ada@example.org")
    assert (ada.role.value, ada.active) == ("viewer", True)
    assert org.authenticate_password(uow, "ada@example.org", "another password") is not None


def test_an_admin_cannot_demote_themself_and_sees_why_beside_the_role(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in(client, "root@example.org")

    response = post_form(client, "/admin/people/root@example.org/role", {"role": "member"})
    short = post_form(client, "/admin/people/ada@example.org/password", {"password": "short"})

    assert response.status_code == 409
    assert "cannot deactivate themself or give up the admin role" in field_error(
        response.text, "role-role"
    )
    assert org.get_person(uow, "root@example.org").role.value == "admin"
    assert short.status_code == 422
    assert "at least 8 characters" in field_error(short.text, "pw-password")
    assert sign_in(client, "ada@example.org").status_code == 303


def test_team_forms_create_edit_and_change_members(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in(client, "root@example.org")

    created = post_form(
        client,
        "/admin/teams",
        {
            "slug": "care",
            "name": "Customer Care",
            "kind": "shared_service",
            "parent": "data",
            "mission": "Happy customers",
        },
    )
    edited = post_form(
        client,
        "/admin/teams/care",
        {"name": "Care", "kind": "team", "parent": "", "mission": "Customers who stay"},
    )
    added = post_form(
        client, "/admin/teams/care/members", {"email": "ben@example.org", "role": "lead"}
    )
    removed = post_form(client, "/admin/teams/data/members/remove", {"email": "ada@example.org"})

    assert [r.status_code for r in (created, edited, added, removed)] == [303, 303, 303, 303]
    assert created.headers["location"] == "/admin/teams/care"
    care = org.get_team(uow, "care")
    assert (care.name, care.kind.value, care.parent, care.mission) == (
        "Care",
        "team",
        None,
        "Customers who stay",
    )
    assert [(m.person.email, m.role.value) for m in care.memberships] == [
        ("ben@example.org", "lead")
    ]
    assert org.get_team(uow, "data").leads() == []
    page = client.get("/admin/teams").text
    assert ">care</a>" in page


def test_refused_team_forms_show_why_beside_the_field(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    sign_in(client, "root@example.org")
    before = state(uow)

    bad_slug = post_form(
        client, "/admin/teams", {"slug": "Not A Slug", "name": "X", "kind": "team"}
    )
    taken = post_form(client, "/admin/teams", {"slug": "data", "name": "X", "kind": "team"})
    nobody = post_form(
        client, "/admin/teams/data/members", {"email": "no@example.org", "role": "lead"}
    )
    no_name = post_form(client, "/admin/teams/data", {"name": "", "kind": "team"})

    assert bad_slug.status_code == 422
    assert "lowercase letters" in field_error(bad_slug.text, "new-slug")
    assert "already exists" in field_error(taken.text, "new-slug")
    assert nobody.status_code == 404
    assert "No person" in field_error(nobody.text, "member-email")
    assert no_name.status_code == 422
    assert "must not be empty" in field_error(no_name.text, "edit-name")
    assert state(uow) == before


def test_a_bad_import_shows_every_problem_with_its_path_and_imports_nothing(
    client: httpx.Client, uow: UnitOfWork
) -> None:
    document = example()
    document["commitments"][0]["history"][5]["by"] = "ana@example.org"
    document["partnerships"][0]["purpose"] = "nothing"
    sign_in(client, "root@example.org")
    before = state(uow)

    response = upload(client, json.dumps(document).encode())

    assert response.status_code == 422
    assert "nothing was imported" in response.text
    problems = re.findall(r"<tr><td><code>([^<]*)</code></td><td>([^<]*)</td></tr>", response.text)
    paths = [path for path, _ in problems]
    assert "partnerships[0].purpose" in paths
    assert any(path.startswith("commitments[0]") for path in paths)
    assert state(uow) == before
    with pytest.raises(NotFound):
        org.get_team(uow, "data-platform")


def test_a_file_that_is_not_json_is_refused(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in(client, "root@example.org")

    broken = upload(client, b'{"format": "accord/1", ')
    wrong_shape = upload(client, json.dumps({"format": "accord/9", "teams": 3}).encode())

    assert broken.status_code == 422
    assert "the file is not JSON" in broken.text
    assert wrong_shape.status_code == 422
    assert "<code>format</code>" in wrong_shape.text
    assert "<code>teams</code>" in wrong_shape.text


def test_a_good_import_shows_what_was_created(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in(client, "root@example.org")

    response = upload(client, json.dumps(example()).encode())
    again = upload(client, json.dumps(example()).encode())

    assert response.status_code == 200, re.findall(r"<td>([^<]*)</td>", response.text)
    assert "imported" in response.text
    created = re.search(r"<td>Teams</td><td class=\"num\">(\d+)</td>", response.text)
    assert created is not None
    assert created.group(1) == "2"
    assert org.get_team(uow, "data-platform").name == "Data Platform"
    unchanged = re.search(
        r"<td>Teams</td><td class=\"num\">(\d+)</td><td class=\"num\">(\d+)</td>", again.text
    )
    assert unchanged is not None
    assert unchanged.groups() == ("0", "2")


def test_the_export_link_works_with_the_session(client: httpx.Client, uow: UnitOfWork) -> None:
    sign_in(client, "root@example.org")

    page = client.get("/admin/import").text
    export = client.get("/api/v1/export")

    assert 'href="/api/v1/export"' in page
    assert export.status_code == 200
    assert export.json()["format"] == "accord/1"
    assert [t["slug"] for t in export.json()["teams"]] == ["data"]
