"""One's own profile through the org service: name, time zone, password, signing out
elsewhere, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from accord.errors import Forbidden, Invalid, NotFound, TooManyRequests
from accord.org import service as org
from accord.org.domain import Operator
from factories import OPERATOR, events_after, last_event_id, make_person


def test_a_person_changes_their_own_name_and_time_zone(uow, clock):
    ana = make_person(uow, "ana@example.org", role="viewer")  # a viewer has a profile too
    mark = last_event_id(uow)

    org.update_profile(uow, ana, name="  Ana Lima ")
    org.update_profile(uow, ana, time_zone="Europe/Paris")

    person = org.get_person(uow, "ana@example.org")
    assert (person.name, person.time_zone) == ("Ana Lima", "Europe/Paris")
    named, zoned = events_after(uow, mark)
    assert (named.type, named.actor, named.at) == ("person.updated", "ana@example.org", clock.now)
    assert named.payload == {"name": "Ana Lima", "role": "viewer", "active": True}
    assert zoned.payload["time_zone"] == "Europe/Paris"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"time_zone": "Mars/Olympus_Mons"}, "time_zone"),
        ({"time_zone": "../../etc/passwd"}, "time_zone"),
        ({"name": "   "}, "name"),
    ],
)
def test_an_unknown_time_zone_or_an_empty_name_is_refused_beside_its_field(uow, change, field):
    ana = make_person(uow, "ana@example.org")
    mark = last_event_id(uow)

    with pytest.raises(Invalid) as refused:
        org.update_profile(uow, ana, **change)

    assert refused.value.field == field
    person = org.get_person(uow, "ana@example.org")
    assert (person.name, person.time_zone) == ("Ana", None)
    assert last_event_id(uow) == mark


def test_the_operator_has_no_profile(uow):
    with pytest.raises(Forbidden):
        org.update_profile(uow, Operator("cli"), name="Root")
    with pytest.raises(Forbidden):
        org.change_password(uow, OPERATOR, "x", "new password", "127.0.0.1")


def test_a_password_changes_only_with_the_current_one_and_ends_every_session(uow):
    make_person(uow, "ana@example.org")
    org.set_password(uow, OPERATOR, "ana@example.org", "correct horse")
    ana = org.get_person(uow, "ana@example.org")
    epoch = ana.session_epoch

    with pytest.raises(Invalid) as wrong:
        org.change_password(uow, ana, "wrong horse", "battery staple", "10.0.0.1")
    assert (wrong.value.field, wrong.value.rule) == ("current_password", "password.wrong")
    with pytest.raises(Invalid) as short:
        org.change_password(uow, ana, "correct horse", "short", "10.0.0.1")
    assert (short.value.field, short.value.rule) == ("password", "password.too_short")
    assert org.get_person(uow, "ana@example.org").session_epoch == epoch

    new_epoch = org.change_password(uow, ana, "correct horse", "battery staple", "10.0.0.1")

    assert new_epoch == epoch + 1 == org.get_person(uow, "ana@example.org").session_epoch
    assert org.authenticate_password(uow, "ana@example.org", "battery staple") is not None
    assert org.authenticate_password(uow, "ana@example.org", "correct horse") is None
    assert events_after(uow)[-1].type == "person.password_set"


def test_guessing_the_current_password_is_slowed_as_signing_in_is(uow):
    make_person(uow, "ana@example.org")
    org.set_password(uow, OPERATOR, "ana@example.org", "correct horse")
    ana = org.get_person(uow, "ana@example.org")
    for guess in range(org.MAX_FAILURES_PER_ACCOUNT):
        with pytest.raises(Invalid):
            org.change_password(uow, ana, f"guess {guess}", "battery staple", "10.0.0.1")

    with pytest.raises(TooManyRequests):
        org.change_password(uow, ana, "correct horse", "battery staple", "10.0.0.1")


def test_signing_out_everywhere_gives_the_epoch_of_the_session_kept(uow):
    ana = make_person(uow, "ana@example.org")

    epoch = org.end_sessions(uow, ana)

    assert epoch == 1 == org.get_person(uow, "ana@example.org").session_epoch
    assert events_after(uow)[-1].type == "person.signed_out"
    assert org.end_sessions(uow, OPERATOR) is None


def test_tokens_are_made_listed_and_revoked_by_their_owner_only(uow):
    ana = make_person(uow, "ana@example.org")
    bo = make_person(uow, "bo@example.org")
    secret, token = org.issue_token(uow, ana, "ana@example.org", "ci", days=30, longest=90)
    assert token.id is not None

    assert [t.name for t in org.list_tokens(uow, ana)] == ["ci"]
    assert org.list_tokens(uow, bo) == []
    with pytest.raises(Forbidden):
        org.issue_token(uow, bo, "ana@example.org", "theft")
    with pytest.raises(NotFound):
        org.revoke_token(uow, bo, token.id)
    assert org.authenticate_token(uow, secret) is not None

    org.revoke_token(uow, ana, token.id)

    assert org.authenticate_token(uow, secret) is None
