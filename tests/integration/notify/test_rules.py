"""Who hears of what: moves, invitations and affirmations, health checks and replies reach the
people who can act on them — never the one who acted — in the transaction of the change."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from accord.commitments import service as commitments
from accord.errors import AccordError
from accord.notify.domain import Channel, Kind
from accord.notify.orm import notifications_table, outbox_table
from accord.notify.reminders import schedule
from accord.org import service as org
from accord.partnerships import service as partnerships
from accord.stories import service as stories
from accord.uow import UnitOfWork
from factories import OPERATOR, data_and_care, make_commitment, make_person, make_team


def inbox(
    uow: UnitOfWork, email: str, but: tuple[str, ...] = ("affirm",)
) -> list[tuple[str, str, str]]:
    """(kind, title, text) of a person's notifications, oldest first, but those of the kinds
    `but` (the affirmations every partnership a factory starts asks of its leads)."""
    with uow:
        person = uow.org.person(email)
        return [
            (n.kind.value, n.title, n.text)
            for n in reversed(uow.notify.inbox(person.id))
            if n.kind.value not in but
        ]


def outbox(uow: UnitOfWork) -> list[tuple[str, str]]:
    with uow:
        rows = uow.session.execute(select(outbox_table.c.channel, outbox_table.c.key))
        return [(channel, key) for channel, key in rows]


def count(uow: UnitOfWork) -> int:
    with uow:
        return int(uow.session.scalar(select(func.count()).select_from(notifications_table)) or 0)


def test_a_request_reaches_the_performers_team_but_not_the_requester(uow: UnitOfWork) -> None:
    team = data_and_care(uow)
    make_person(uow, "dee@example.org", teams={"data": "member"})
    make_person(uow, "eve@example.org", teams={"care": "member"})
    before = count(uow)
    asked = make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Churn list")

    for email in ("ana@example.org", "dee@example.org"):
        [(kind, title, text)] = inbox(uow, email)[-1:]
        assert kind == Kind.REQUEST
        assert title == "Care asks Data for something"
        assert text.startswith("Care asks Data for Churn list, due ")
    assert inbox(uow, "bo@example.org") == []  # the actor
    assert inbox(uow, "eve@example.org") == []  # the requester's own team asked
    assert count(uow) - before == 2
    # starting the partnership asked each lead to affirm it, but not the lead who started it
    assert [n[0] for n in inbox(uow, "bo@example.org", but=())] == ["affirm"]
    assert next(n[0] for n in inbox(uow, "ana@example.org", but=())) == "request"
    # each notice also waits for its e-mail, once, under its own key
    mails = [key for channel, key in outbox(uow) if channel == "email"]
    assert len(mails) == len(set(mails)) >= 2

    commitments.move(uow, team["ana"], asked.key, "promise", version=asked.version)
    [(kind, title, text)] = inbox(uow, "bo@example.org")
    assert (kind, title) == ("outcome", "Data promised")
    assert text.startswith("Data promised Care Churn list")
    assert inbox(uow, "eve@example.org")[-1][1] == "Data promised"


def test_a_counter_and_a_delivery_wait_for_the_requesters_answer(uow: UnitOfWork) -> None:
    team = data_and_care(uow)
    asked = make_commitment(uow, team.partnership, team["bo"], "care", "data")
    countered = commitments.move(
        uow,
        team["ana"],
        asked.key,
        "counter",
        version=asked.version,
        due=asked.due + timedelta(days=7),
    )
    assert inbox(uow, "bo@example.org")[-1][:2] == ("answer", "Data made a counter-offer")
    taken = commitments.move(
        uow, team["bo"], asked.key, "accept_counter", version=countered.version
    )
    assert inbox(uow, "ana@example.org")[-1][:2] == ("outcome", "Care accepted the counter-offer")
    commitments.move(uow, team["ana"], asked.key, "report_done", version=taken.version)
    assert inbox(uow, "bo@example.org")[-1][:2] == ("delivery", "Data reported it done")


def test_a_channel_set_to_off_makes_nothing_and_inbox_makes_no_email(uow: UnitOfWork) -> None:
    team = data_and_care(uow)
    with uow:
        ana = uow.org.person("ana@example.org")
        uow.notify.set_preferences(ana.id, {Kind.REQUEST: Channel.OFF})
        uow.commit()
    make_commitment(uow, team.partnership, team["bo"], "care", "data")
    assert [n for n in inbox(uow, "ana@example.org") if n[0] == "request"] == []

    with uow:
        uow.notify.set_preferences(ana.id, {Kind.REQUEST: Channel.INBOX})
        uow.commit()
    mails_before = len([k for c, k in outbox(uow) if c == "email"])
    make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Second")
    assert inbox(uow, "ana@example.org")[-1][0] == "request"
    assert len([k for c, k in outbox(uow) if c == "email"]) == mails_before


def test_a_refused_move_leaves_no_notification(uow: UnitOfWork) -> None:
    team = data_and_care(uow)
    asked = make_commitment(uow, team.partnership, team["bo"], "care", "data")
    before, queued = count(uow), len(outbox(uow))
    with pytest.raises(AccordError):  # the requester cannot promise its own request
        commitments.move(uow, team["bo"], asked.key, "promise", version=asked.version)
    assert (count(uow), len(outbox(uow))) == (before, queued)


def test_an_invited_team_s_leads_and_unaffirmed_parties_hear_of_it(uow: UnitOfWork) -> None:
    team = data_and_care(uow)
    make_team(uow, "ops", name="Operations")
    cy = make_person(uow, "cy@example.org", teams={"ops": "lead"})
    make_person(uow, "dee@example.org", teams={"ops": "member"})
    invitation = partnerships.invite(uow, team["ana"], "signals", "ops")
    [(kind, title, _)] = inbox(uow, "cy@example.org")
    assert (kind, title) == ("invitation", "Operations is invited into “Churn signals”")
    assert inbox(uow, "dee@example.org") == []  # a member cannot accept

    partnerships.accept_invitation(uow, cy, invitation.id, "Runbooks")
    # back to forming: every party's leads must affirm again, the one who joined included
    for email in ("ana@example.org", "bo@example.org"):
        assert inbox(uow, email, but=())[-1][:2] == (
            "affirm",
            "“Churn signals” waits for your affirmation",
        )


def test_a_reply_reaches_the_story_s_author(uow: UnitOfWork) -> None:
    team = data_and_care(uow)
    story = stories.create_story(
        uow, team["ana"], title="How we agreed", body="We met weekly.", results="Churn fell."
    )
    stories.reply(uow, team["bo"], story.key, "Thanks for sharing")
    [(kind, title, text)] = [n for n in inbox(uow, "ana@example.org") if n[0] == "reply"]
    assert kind == "reply"
    assert title.endswith("replied to your story")
    assert "How we agreed" in text
    assert [n for n in inbox(uow, "bo@example.org") if n[0] == "reply"] == []


def test_reminders_are_made_once_per_due_date(uow: UnitOfWork, clock) -> None:
    team = data_and_care(uow)
    asked = make_commitment(
        uow, team.partnership, team["bo"], "care", "data", due=uow.now() + timedelta(days=1)
    )
    commitments.move(uow, team["ana"], asked.key, "promise", version=asked.version)
    assert schedule(uow, uow.now(), reminder_days=2) == 1  # ana, the performer's only member
    assert schedule(uow, uow.now(), reminder_days=2) == 0
    assert inbox(uow, "ana@example.org")[-1][0] == "due_soon"

    later = uow.now() + timedelta(days=2)
    assert schedule(uow, later, reminder_days=2) == 2  # overdue: both sides
    assert inbox(uow, "bo@example.org")[-1][0] == "overdue"
    assert schedule(uow, later, reminder_days=2) == 0


def test_an_import_notifies_no_one(uow: UnitOfWork, other_uow: UnitOfWork) -> None:
    from accord.interchange.exporter import export_document
    from accord.interchange.importer import import_document

    team = data_and_care(uow)
    make_commitment(uow, team.partnership, team["bo"], "care", "data")
    document = export_document(uow)
    import_document(other_uow, OPERATOR, document)
    assert count(other_uow) == 0
    assert outbox(other_uow) == []
    org.set_passwords(other_uow, OPERATOR, ["ana@example.org"], "long enough password")


def test_recent_moves_an_import_kept_silent_can_be_told(
    uow: UnitOfWork, other_uow: UnitOfWork, clock
) -> None:
    from accord.interchange.exporter import export_document
    from accord.interchange.importer import import_document
    from accord.notify.service import tell_recent

    team = data_and_care(uow)
    make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Old one")
    clock.advance(days=10)
    make_commitment(uow, team.partnership, team["bo"], "care", "data", title="New one")
    import_document(other_uow, OPERATOR, export_document(uow))
    assert count(other_uow) == 0

    with pytest.raises(AccordError):  # an admin's decision, not a lead's
        tell_recent(other_uow, team["bo"], clock.now - timedelta(days=3))
    assert tell_recent(other_uow, OPERATOR, clock.now - timedelta(days=3)) == 1
    [(kind, title, text)] = inbox(other_uow, "ana@example.org")
    assert (kind, title) == ("request", "Care asks Data for something")
    assert "New one" in text
    assert inbox(other_uow, "bo@example.org") == []  # who asked is not told of it
