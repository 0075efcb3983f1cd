"""One's own inbox, preferences and feed token through the notify service: only the person
themselves reads or changes them, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest

from accord.commitments import service as commitments
from accord.errors import Forbidden, Invalid
from accord.notify import service as notify
from accord.notify.domain import DEFAULT_CHANNEL, Channel, Kind, Notice
from accord.notify.schemas import NotificationPreferences, NotificationPreferencesUpdate
from accord.org import service as org
from accord.org.domain import Person
from accord.uow import UnitOfWork
from factories import (
    OPERATOR,
    data_and_care,
    events_after,
    last_event_id,
    make_commitment,
    make_person,
)


def notice(uow: UnitOfWork, person: Person, n: int, *, link: str = "/commitments/c-1") -> int:
    """A notification for `person`, as the rules would keep one; its id."""
    assert person.id is not None
    with uow:
        made = uow.notify.add(
            Notice(
                person_id=person.id,
                kind=Kind.OUTCOME,
                subject="commitment:c-1",
                title=f"Title {n}",
                text=f"Text {n}",
                link=link,
                key=f"test:{person.id}:{n}",
            ),
            uow.now(),
        )
        uow.commit()
    assert made is not None
    return made


def test_a_partners_request_is_in_the_performers_inbox_unread_with_its_link(uow, clock):
    team = data_and_care(uow)
    ana, bo = team["ana"], team["bo"]
    before = notify.unread_count(uow, ana)

    asked = make_commitment(uow, team.partnership, bo, "care", "data", title="Churn list")

    assert notify.unread_count(uow, ana) == before + 1
    newest = notify.inbox(uow, ana)[0]
    assert (newest.kind, newest.read, newest.created_at) == (Kind.REQUEST, False, clock.now)
    assert newest.text.startswith("Care asks Data for Churn list, due ")
    assert newest.link == f"/commitments/{asked.key}"
    assert all(item.link != newest.link for item in notify.inbox(uow, bo))  # not the actor's


def test_the_inbox_is_newest_first_in_pages_and_the_unread_filter_keeps_the_unread(uow):
    ana = make_person(uow, "ana@example.org")
    ids = [notice(uow, ana, n) for n in range(7)]

    first = notify.inbox(uow, ana, limit=3)
    shown, next_before = notify.page_of(notify.inbox(uow, ana, limit=4), 3)
    rest = notify.inbox(uow, ana, before_id=next_before)

    assert [item.id for item in first] == ids[::-1][:3] == [item.id for item in shown]
    assert [item.id for item in rest] == ids[::-1][3:]
    notify.mark_read(uow, ana, [ids[0], ids[6]])
    assert [item.id for item in notify.inbox(uow, ana, unread_only=True)] == ids[5:0:-1]
    assert notify.page_of(notify.inbox(uow, ana, limit=8), 7)[1] is None  # the last page


def test_marking_read_counts_down_and_leaves_others_notifications_alone(uow):
    ana = make_person(uow, "ana@example.org")
    bo = make_person(uow, "bo@example.org", role="admin")
    mine = [notice(uow, ana, n) for n in range(3)]
    theirs = notice(uow, bo, 9)

    assert notify.mark_read(uow, ana, [mine[0], theirs]) == 2
    assert notify.mark_read(uow, bo, mine) == 1  # an admin marks only their own
    assert notify.unread_count(uow, ana) == 2
    assert [item.read for item in notify.inbox(uow, ana)] == [False, False, True]
    assert notify.mark_read(uow, ana) == 0
    assert notify.unread_count(uow, ana) == 0
    assert notify.unread_count(uow, bo) == 1  # ana's "all" is all of hers


def test_opening_a_notification_reads_it_and_leads_to_its_page_but_only_ones_own(uow):
    ana = make_person(uow, "ana@example.org")
    bo = make_person(uow, "bo@example.org", role="admin")
    mine = notice(uow, ana, 1, link="/commitments/c-7")
    elsewhere = notice(uow, ana, 2, link="https://evil.example/")

    assert notify.open_notification(uow, bo, mine) is None  # not bo's: as if there were none
    assert notify.unread_count(uow, ana) == 2
    assert notify.open_notification(uow, ana, mine) == "/commitments/c-7"
    assert notify.open_notification(uow, ana, 10**9) is None
    assert notify.unread_count(uow, ana) == 1
    # a link that is not a path of the app is never shown nor followed
    assert notify.inbox(uow, ana)[0].link == ""
    assert notify.open_notification(uow, ana, elsewhere) == "/inbox"


def test_the_operator_has_no_inbox(uow):
    with pytest.raises(Forbidden):
        notify.inbox(uow, OPERATOR)
    with pytest.raises(Forbidden):
        notify.mark_read(uow, OPERATOR)
    with pytest.raises(Forbidden):
        notify.set_preferences(uow, OPERATOR, {"request": "off"})
    with pytest.raises(Forbidden):
        notify.make_feed_token(uow, OPERATOR)


def test_too_many_ids_at_once_are_refused(uow):
    ana = make_person(uow, "ana@example.org")
    with pytest.raises(Invalid) as refused:
        notify.mark_read(uow, ana, list(range(1, notify.MAX_IDS + 2)))
    assert refused.value.field == "ids"


def test_preferences_default_then_change_only_the_kinds_given(uow):
    ana = make_person(uow, "ana@example.org")
    bo = make_person(uow, "bo@example.org")
    assert notify.preferences(uow, ana) == dict.fromkeys(Kind, DEFAULT_CHANNEL)
    mark = last_event_id(uow)

    chosen = notify.set_preferences(uow, ana, {"request": "inbox", Kind.REPLY: Channel.OFF})
    again = notify.set_preferences(uow, ana, {"request": "digest"})

    assert chosen[Kind.REQUEST] == Channel.INBOX
    assert again == notify.preferences(uow, ana)
    assert again[Kind.REQUEST] == Channel.DIGEST
    assert again[Kind.REPLY] == Channel.OFF
    assert again[Kind.DUE_SOON] == DEFAULT_CHANNEL
    assert notify.preferences(uow, bo) == dict.fromkeys(Kind, DEFAULT_CHANNEL)
    # each change is logged, as the person's own; the same choices again change nothing
    chosen_event = events_after(uow, mark)[-1]
    assert (chosen_event.type, chosen_event.actor) == (
        "person.notifications_chosen",
        "ana@example.org",
    )
    assert chosen_event.payload["channels"] == {"request": "digest"}
    latest = last_event_id(uow)
    assert notify.set_preferences(uow, ana, {"request": "digest", "reply": "off"}) == again
    assert last_event_id(uow) == latest


@pytest.mark.parametrize(
    ("channels", "field"),
    [({"gossip": "inbox"}, "gossip"), ({"request": "pigeon"}, "request")],
)
def test_an_unknown_kind_or_channel_is_refused_beside_its_field(uow, channels, field):
    ana = make_person(uow, "ana@example.org")
    with pytest.raises(Invalid) as refused:
        notify.set_preferences(uow, ana, channels)
    assert refused.value.field == field
    assert notify.preferences(uow, ana) == dict.fromkeys(Kind, DEFAULT_CHANNEL)


def test_a_kind_turned_off_keeps_its_notifications_out_of_the_inbox(uow):
    team = data_and_care(uow)
    notify.set_preferences(uow, team["ana"], {"request": "off"})
    before = notify.unread_count(uow, team["ana"])

    make_commitment(uow, team.partnership, team["bo"], "care", "data")

    assert notify.unread_count(uow, team["ana"]) == before


def test_a_feed_token_names_its_person_until_replaced_or_revoked(uow, clock):
    ana = make_person(uow, "ana@example.org")
    bo = make_person(uow, "bo@example.org")
    assert notify.feed_token_made(uow, ana) is None

    first = notify.make_feed_token(uow, ana)
    theirs = notify.make_feed_token(uow, bo)
    reader = notify.feed_reader(uow, first)
    assert reader is not None
    assert reader.email == "ana@example.org"
    assert notify.feed_token_made(uow, ana) == clock.now

    second = notify.make_feed_token(uow, ana)  # one per person: the new one replaces the old
    assert second != first
    assert notify.feed_reader(uow, first) is None
    assert notify.feed_reader(uow, second) is not None

    notify.revoke_feed_token(uow, ana)
    assert notify.feed_reader(uow, second) is None
    assert notify.feed_token_made(uow, ana) is None
    assert notify.feed_reader(uow, "feed_wrong") is None
    assert notify.feed_reader(uow, "") is None
    reader = notify.feed_reader(uow, theirs)
    assert reader is not None
    assert reader.email == "bo@example.org"


def test_the_feed_token_is_kept_only_as_its_hash(uow):
    ana = make_person(uow, "ana@example.org")
    token = notify.make_feed_token(uow, ana)
    with uow:
        assert ana.id is not None
        assert uow.notify.feed_token_person(token) is None
        assert uow.notify.feed_token_person(notify.feed_token_hash(token)) == ana.id


def test_a_deactivated_persons_feed_token_opens_nothing(uow):
    make_person(uow, "ana@example.org")
    ana = org.get_person(uow, "ana@example.org")
    token = notify.make_feed_token(uow, ana)

    org.update_person(uow, OPERATOR, "ana@example.org", active=False)

    assert notify.feed_reader(uow, token) is None


def test_a_notification_keeps_the_words_it_was_written_in(uow, clock):
    team = data_and_care(uow)
    asked = make_commitment(uow, team.partnership, team["bo"], "care", "data", title="Churn list")
    written = notify.inbox(uow, team["ana"])[0]
    made_at = clock.now
    clock.advance(hours=1)

    commitments.move(
        uow, team["ana"], asked.key, "decline", version=asked.version, reason="No time"
    )

    kept = next(item for item in notify.inbox(uow, team["ana"]) if item.id == written.id)
    assert (kept.title, kept.text, kept.created_at) == (written.title, written.text, made_at)
    assert kept.text.startswith("Care asks Data for Churn list")


def test_the_api_names_every_kind_of_notification():
    kinds = {kind.value for kind in Kind}
    assert set(NotificationPreferences.model_fields) == kinds
    assert set(NotificationPreferencesUpdate.model_fields) == kinds


def test_making_and_revoking_a_feed_token_are_logged_never_the_token(uow):
    ana = make_person(uow, "ana@example.org")
    mark = last_event_id(uow)

    token = notify.make_feed_token(uow, ana)
    notify.revoke_feed_token(uow, ana)
    notify.revoke_feed_token(uow, ana)  # none left: nothing changes

    logged = events_after(uow, mark)
    assert [(e.type, e.actor) for e in logged] == [
        ("person.feed_token_made", "ana@example.org"),
        ("person.feed_token_revoked", "ana@example.org"),
    ]
    assert all(token not in str(e.payload) for e in logged)
